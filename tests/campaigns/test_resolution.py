"""Campaign resolution on hand-built indexes, checked against a brute-force reference."""

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from maltastic.campaigns.audience import Audience
from maltastic.campaigns.resolution import (
    CampaignIndex,
    IndexedCampaign,
    MembershipTable,
    ResolutionReason,
    ResolvedCampaign,
)

NOW = dt.datetime(2026, 12, 4, 12, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)
SALES, SUPPORT = 1, 2
ANNA, LENA, NEW_HIRE = 10, 11, 12
CONTACT_GROUP, ACCOUNT_GROUP = 100, 200


def campaign(campaign_id: int, priority: int = 100, **period: dt.datetime) -> IndexedCampaign:
    return IndexedCampaign(
        campaign_id, campaign_id * 10, f"https://x.de/{campaign_id}", priority, **period
    )


def build_index(
    groups: dict[int, tuple[IndexedCampaign, ...]] | None = None,
    departments: dict[int, tuple[IndexedCampaign, ...]] | None = None,
    default: IndexedCampaign | None = None,
) -> CampaignIndex:
    return CampaignIndex(
        tenant_id=1,
        contact_groups=MembershipTable([(5, CONTACT_GROUP), (6, CONTACT_GROUP)]),
        account_groups=MembershipTable([(7, ACCOUNT_GROUP)]),
        group_campaigns=by_priority(groups or {}),
        department_campaigns=by_priority(departments or {}),
        employee_departments={ANNA: SALES, LENA: SUPPORT, NEW_HIRE: None},
        default_campaign=default,
    )


def by_priority(
    campaigns: dict[int, tuple[IndexedCampaign, ...]],
) -> dict[int, tuple[IndexedCampaign, ...]]:
    """Sort each group's campaigns as the index loader does."""
    return {key: tuple(sorted(value, key=lambda c: c.sort_key)) for key, value in campaigns.items()}


def test_contact_group_beats_department() -> None:
    index = build_index({CONTACT_GROUP: (campaign(1),)}, {SALES: (campaign(2, priority=1),)})
    result = index.resolve(ANNA, Audience.contact(5), NOW)
    assert result == ResolvedCampaign(1, 10, "https://x.de/1", ResolutionReason.CONTACT_GROUP)


def test_account_of_contact_counts() -> None:
    index = build_index({ACCOUNT_GROUP: (campaign(3),)})
    result = index.resolve(ANNA, Audience.contact(99, account_id=7), NOW)
    assert result is not None
    assert result.reason is ResolutionReason.ACCOUNT_GROUP


def test_priority_orders_contact_and_account_campaigns() -> None:
    index = build_index(
        {CONTACT_GROUP: (campaign(1, priority=50),), ACCOUNT_GROUP: (campaign(2, priority=10),)}
    )
    result = index.resolve(ANNA, Audience.contact(5, account_id=7), NOW)
    assert result is not None
    assert result.campaign_id == 2


def test_equal_priority_prefers_lower_id() -> None:
    index = build_index({CONTACT_GROUP: (campaign(8, priority=5), campaign(4, priority=5))})
    result = index.resolve(ANNA, Audience.contact(5), NOW)
    assert result is not None
    assert result.campaign_id == 4


def test_account_audience_ignores_contact_groups() -> None:
    index = build_index({CONTACT_GROUP: (campaign(1),)}, {SALES: (campaign(2),)})
    result = index.resolve(ANNA, Audience.account(5), NOW)
    assert result is not None
    assert result.reason is ResolutionReason.DEPARTMENT


def test_no_audience_gets_department_campaign() -> None:
    index = build_index({ACCOUNT_GROUP: (campaign(1),)}, {SALES: (campaign(2),)})
    result = index.resolve(ANNA, Audience.nobody(), NOW)
    assert result is not None
    assert result.campaign_id == 2


def test_expired_and_future_campaigns_skipped() -> None:
    expired = campaign(1, priority=1, ends_at=NOW - DAY)
    future = campaign(2, priority=2, starts_at=NOW + DAY)
    running = campaign(3, priority=3, starts_at=NOW - DAY, ends_at=NOW + DAY)
    index = build_index(departments={SALES: (expired, future, running)})
    result = index.resolve(ANNA, Audience.nobody(), NOW)
    assert result is not None
    assert result.campaign_id == 3


def test_end_is_exclusive() -> None:
    index = build_index(departments={SALES: (campaign(1, ends_at=NOW),)})
    assert index.resolve(ANNA, Audience.nobody(), NOW) is None


def test_employee_without_department_gets_default() -> None:
    index = build_index(departments={SALES: (campaign(2),)}, default=campaign(9))
    result = index.resolve(NEW_HIRE, Audience.nobody(), NOW)
    assert result is not None
    assert result.reason is ResolutionReason.TENANT_DEFAULT


def test_unknown_employee_gets_default() -> None:
    index = build_index(default=campaign(9))
    result = index.resolve(12345, Audience.account(7), NOW)
    assert result is not None
    assert result.campaign_id == 9


def test_inactive_default_gives_none() -> None:
    index = build_index(default=campaign(9, ends_at=NOW - DAY))
    assert index.resolve(ANNA, Audience.nobody(), NOW) is None


def test_membership_table_lists_every_group() -> None:
    table = MembershipTable([(3, 1), (1, 2), (3, 4), (2, 1)])
    assert list(table.groups_of(3)) == [1, 4]
    assert list(table.groups_of(1)) == [2]
    assert list(table.groups_of(9)) == []
    assert table.memory_bytes() == 4 * (8 + 8)


# --- property: the index agrees with a brute-force reading of the rules -------------

campaign_specs = st.lists(
    st.tuples(
        st.integers(1, 5),  # priority
        st.sampled_from(["contact_group", "account_group", "sales", "support"]),
        st.sampled_from(["always", "expired", "future"]),
    ),
    max_size=12,
)
audiences = st.sampled_from(
    [
        Audience.nobody(),
        Audience.account(7),
        Audience.account(8),
        Audience.contact(5),
        Audience.contact(5, account_id=7),
        Audience.contact(6, account_id=8),
    ]
)


def make_campaign(campaign_id: int, priority: int, timing: str) -> IndexedCampaign:
    periods = {"always": {}, "expired": {"ends_at": NOW - DAY}, "future": {"starts_at": NOW + DAY}}
    return campaign(campaign_id, priority, **periods[timing])


def reference_resolve(
    specs: list[tuple[int, str, str]], employee: int, audience: Audience, default_timing: str
) -> int | None:
    campaigns = [(make_campaign(i + 1, p, t), target) for i, (p, target, t) in enumerate(specs)]
    active = [(c, target) for c, target in campaigns if c.is_active(NOW)]
    recipient_targets = set()
    if audience.contact_id in (5, 6):
        recipient_targets.add("contact_group")
    if audience.account_id == 7:
        recipient_targets.add("account_group")
    department = {ANNA: "sales", LENA: "support"}.get(employee)
    for targets in (recipient_targets, {department}):
        matching = sorted((c.sort_key for c, target in active if target in targets))
        if matching:
            return matching[0][1]
    return 99 if default_timing == "always" else None


@given(
    specs=campaign_specs,
    employee=st.sampled_from([ANNA, LENA, NEW_HIRE]),
    audience=audiences,
    default_timing=st.sampled_from(["always", "expired"]),
)
def test_index_matches_reference(
    specs: list[tuple[int, str, str]], employee: int, audience: Audience, default_timing: str
) -> None:
    groups: dict[int, list[IndexedCampaign]] = {CONTACT_GROUP: [], ACCOUNT_GROUP: []}
    departments: dict[int, list[IndexedCampaign]] = {SALES: [], SUPPORT: []}
    for number, (priority, target, timing) in enumerate(specs, start=1):
        indexed = make_campaign(number, priority, timing)
        bucket = {
            "contact_group": groups[CONTACT_GROUP],
            "account_group": groups[ACCOUNT_GROUP],
            "sales": departments[SALES],
            "support": departments[SUPPORT],
        }[target]
        bucket.append(indexed)
    index = build_index(
        {key: tuple(sorted(value, key=lambda c: c.sort_key)) for key, value in groups.items()},
        {key: tuple(sorted(value, key=lambda c: c.sort_key)) for key, value in departments.items()},
        default=make_campaign(99, 1000, default_timing),
    )
    result = index.resolve(employee, audience, NOW)
    expected = reference_resolve(specs, employee, audience, default_timing)
    assert (result.campaign_id if result else None) == expected


def test_memo_follows_campaign_start_and_end() -> None:
    later = campaign(1, starts_at=NOW + DAY, ends_at=NOW + 2 * DAY)
    index = build_index({ACCOUNT_GROUP: (later,)}, default=campaign(99, 1000))
    audience = Audience.account(7)
    moments = [NOW, NOW + DAY, NOW + DAY + dt.timedelta(hours=1), NOW + 2 * DAY, NOW]
    results = [index.resolve(ANNA, audience, moment) for moment in moments]
    assert [result.campaign_id if result else None for result in results] == [99, 1, 1, 99, 99]


hours = st.integers(min_value=-72, max_value=72).map(lambda n: NOW + dt.timedelta(hours=n))


@given(
    periods=st.lists(st.tuples(hours, hours), min_size=1, max_size=6),
    queries=st.lists(
        st.tuples(st.sampled_from([ANNA, LENA, NEW_HIRE]), audiences, hours), max_size=30
    ),
)
def test_memoised_resolution_matches_fresh_resolution(
    periods: list[tuple[dt.datetime, dt.datetime]],
    queries: list[tuple[int, Audience, dt.datetime]],
) -> None:
    """One index resolves a sequence of moments, back and forth, as a fresh walk does."""
    scheduled = [
        campaign(number, priority=number % 3, starts_at=min(pair), ends_at=max(pair))
        for number, pair in enumerate(periods, start=1)
    ]
    index = build_index(
        {CONTACT_GROUP: tuple(scheduled[::2]), ACCOUNT_GROUP: tuple(scheduled[1::2])},
        {SALES: tuple(scheduled[1:])},
        default=scheduled[0],
    )
    for employee, audience, moment in queries:
        assert index.resolve(employee, audience, moment) == index.resolve_now(
            employee, audience, moment
        )
