"""Export and erasure of a contact on SQLite and PostgreSQL, with events written by write_events."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from types import SimpleNamespace
from typing import cast

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from maltastic.analytics import service as analytics
from maltastic.analytics.models import DailyRollup
from maltastic.analytics.rollups import rebuild_rollups
from maltastic.analytics.service import ReportFilter
from maltastic.audit.models import AuditLogEntry
from maltastic.campaigns.audience import Audience
from maltastic.campaigns.resolution import ResolvedCampaign
from maltastic.campaigns.tenant_index import TenantIndex, load_tracking_settings
from maltastic.db.tenancy import open_tenant_session
from maltastic.privacy.erasure import ErasureReport, erase_contact
from maltastic.privacy.service import ContactNotFoundError, export_contact, find_contact
from maltastic.relay.models import RelayAction, RelayLogEntry
from maltastic.runtime import Runtime
from maltastic.targeting.groups import add_typed_members, create_group, remove_member
from maltastic.targeting.models import Account, Contact, TargetGroup, target_group_contacts
from maltastic.tenants.models import OptOutKind, Tenant, TrackingOptOut
from maltastic.tenants.service import create_tenant
from maltastic.tracking.events import EventBuffer, PendingEvent
from maltastic.tracking.models import EventKind, TrackingEvent, TrafficClass
from maltastic.tracking.service import Resolution, Tracker
from maltastic.tracking.storage import write_events
from maltastic.tracking.tokens import TokenPayload
from maltastic.users.models import Role
from maltastic.users.service import create_user
from maltastic.validation import InvalidInputError

DAY_ONE = dt.datetime(2026, 11, 2, 9, 30, tzinfo=dt.UTC)
DAY_TWO = DAY_ONE + dt.timedelta(days=1)
FAIR_CAMPAIGN = 7
NEWSLETTER_CAMPAIGN = 8
MAX = "max.mustermann@kunde-a.de"
ERIKA = "erika.beispiel@kunde-a.de"
JUERGEN = "jürgen.groß@kunde-a.de"
IMPRESSION, CLICK = EventKind.IMPRESSION, EventKind.CLICK
HUMAN, PROXY = TrafficClass.HUMAN, TrafficClass.PROXY


@dataclass(frozen=True)
class Ids:
    tenant: int
    other_tenant: int
    user: int
    account_a: int
    account_b: int
    max: int
    erika: int
    other_max: int


def add_contact(session: Session, tenant_id: int, email: str, account_id: int | None) -> int:
    contact = Contact(
        tenant_id=tenant_id,
        email=email,
        first_name=email.split(".")[0].title(),
        last_name="Test",
        account_id=account_id,
        external_ids={"hubspot": f"hs-{email[:3]}"},
    )
    session.add(contact)
    session.flush()
    return contact.id


@pytest.fixture
def ids(runtime: Runtime) -> Ids:
    with runtime.session_factory.begin() as session:
        tenant = create_tenant(session, slug="t", name="T", own_domains=["t.de"])
        other = create_tenant(session, slug="o", name="O", own_domains=["o.de"])
        session.flush()
        user = create_user(
            session,
            email="admin@t.de",
            password="ein-test-passwort",
            tenant=tenant,
            role=Role.ADMIN,
        )
        account_a = Account(tenant_id=tenant.id, domain="kunde-a.de")
        account_b = Account(tenant_id=tenant.id, domain="kunde-b.de")
        other_account = Account(tenant_id=other.id, domain="kunde-a.de")
        session.add_all([account_a, account_b, other_account])
        session.flush()
        result = Ids(
            tenant=tenant.id,
            other_tenant=other.id,
            user=user.id,
            account_a=account_a.id,
            account_b=account_b.id,
            max=add_contact(session, tenant.id, MAX, account_a.id),
            erika=add_contact(session, tenant.id, ERIKA, account_a.id),
            other_max=add_contact(session, other.id, MAX, other_account.id),
        )
    with open_tenant_session(runtime.session_factory, result.tenant) as session, session.begin():
        fair = create_group(session, result.user, "Messe", "contact")
        newsletter = create_group(session, result.user, "Newsletter", "contact")
        old_list = create_group(session, result.user, "Alte Liste", "contact")
        add_typed_members(session, result.user, fair, f"{MAX}\n{ERIKA}")
        add_typed_members(session, result.user, newsletter, MAX)
        add_typed_members(session, result.user, old_list, MAX)
        # Removing a member writes an audit entry that names the address.
        assert remove_member(session, result.user, old_list, result.max)
        session.add(TrackingOptOut(kind=OptOutKind.ADDRESS, value=MAX))
    other_session = open_tenant_session(runtime.session_factory, result.other_tenant)
    with other_session as session, session.begin():
        group = create_group(session, result.user, "Messe", "contact")
        add_typed_members(session, result.user, group, MAX)
    write_sample_events(runtime, result)
    add_relay_entries(runtime, result)
    return result


def event(
    tenant_id: int,
    when: dt.datetime,
    kind: EventKind,
    campaign_id: int,
    account_id: int | None,
    contact_id: int | None,
    traffic_class: TrafficClass = HUMAN,
) -> PendingEvent:
    return PendingEvent(
        tenant_id=tenant_id,
        occurred_at=when,
        kind=kind,
        traffic_class=traffic_class,
        class_reason="",
        campaign_id=campaign_id,
        employee_id=1,
        account_id=account_id,
        contact_id=contact_id,
        token_issued_at=when - dt.timedelta(hours=1),
    )


def write_sample_events(runtime: Runtime, ids: Ids) -> None:
    tenant, a, b = ids.tenant, ids.account_a, ids.account_b
    write_events(
        runtime.engine,
        [
            event(tenant, DAY_ONE, IMPRESSION, FAIR_CAMPAIGN, a, ids.max),
            event(tenant, DAY_ONE, IMPRESSION, FAIR_CAMPAIGN, a, ids.max),
            event(tenant, DAY_ONE, CLICK, FAIR_CAMPAIGN, a, ids.max),
            event(tenant, DAY_ONE, IMPRESSION, FAIR_CAMPAIGN, a, ids.max, PROXY),
            # Same key without a contact: the merge must add to this row.
            event(tenant, DAY_ONE, IMPRESSION, FAIR_CAMPAIGN, a, None),
            event(tenant, DAY_ONE, IMPRESSION, FAIR_CAMPAIGN, a, ids.erika),
        ],
    )
    write_events(
        runtime.engine,
        [
            # No row without a contact exists for this key: the merge must insert one.
            event(tenant, DAY_TWO, IMPRESSION, NEWSLETTER_CAMPAIGN, a, ids.max),
            event(tenant, DAY_TWO, CLICK, NEWSLETTER_CAMPAIGN, b, None),
            event(ids.other_tenant, DAY_ONE, IMPRESSION, FAIR_CAMPAIGN, None, ids.other_max),
            event(ids.other_tenant, DAY_ONE, CLICK, FAIR_CAMPAIGN, None, ids.other_max),
        ],
    )


def add_relay_entries(runtime: Runtime, ids: Ids) -> None:
    entries = [
        (ids.tenant, ids.max),
        (ids.tenant, ids.max),
        (ids.tenant, ids.erika),
        (ids.other_tenant, ids.other_max),
    ]
    with runtime.session_factory.begin() as session:
        for tenant_id, contact_id in entries:
            session.add(
                RelayLogEntry(
                    tenant_id=tenant_id,
                    received_at=DAY_ONE,
                    message_id="<1@t.de>",
                    employee_id=1,
                    recipient_count=1,
                    audience_kind="contact",
                    account_id=None,
                    contact_id=contact_id,
                    action=RelayAction.INSERTED,
                    size_bytes=1000,
                    duration_ms=3,
                )
            )


def erase(runtime: Runtime, ids: Ids, address: str = MAX) -> ErasureReport:
    with open_tenant_session(runtime.session_factory, ids.tenant) as session, session.begin():
        return erase_contact(session, ids.user, find_contact(session, address))


def analytics_snapshot(runtime: Runtime, tenant_id: int) -> dict[str, object]:
    """Every account- and campaign-level figure the Auswertung page shows."""
    snapshot: dict[str, object] = {}
    with runtime.session_factory() as session:
        for include_machines in (False, True):
            for campaign_id in (None, FAIR_CAMPAIGN, NEWSLETTER_CAMPAIGN):
                report = ReportFilter(
                    tenant_id, DAY_ONE.date(), DAY_TWO.date(), campaign_id, include_machines
                )
                key = f"{include_machines}-{campaign_id}"
                snapshot[f"totals-{key}"] = analytics.totals(session, report)
                snapshot[f"series-{key}"] = analytics.time_series(session, report)
                snapshot[f"campaigns-{key}"] = analytics.per_campaign(session, report)
                snapshot[f"accounts-{key}"] = analytics.top_accounts(session, report)
    return snapshot


def top_contact_names(runtime: Runtime, tenant_id: int) -> list[str]:
    report = ReportFilter(tenant_id, DAY_ONE.date(), DAY_TWO.date(), include_machines=True)
    with runtime.session_factory() as session:
        return [row.name for row in analytics.top_contacts(session, report)]


def count(session: Session, statement: object) -> int:
    return session.scalar(statement) or 0  # type: ignore[call-overload]


def test_find_contact_normalises_typed_address(runtime: Runtime, ids: Ids) -> None:
    with open_tenant_session(runtime.session_factory, ids.tenant) as session:
        contact = find_contact(session, "  Max Mustermann <Max.Mustermann@KUNDE-A.de.> ")
    assert contact.id == ids.max


def test_find_contact_rejects_invalid_address(runtime: Runtime, ids: Ids) -> None:
    with open_tenant_session(runtime.session_factory, ids.tenant) as session:
        with pytest.raises(InvalidInputError) as invalid:
            find_contact(session, "max.mustermann-at-kunde-a.de")
        with pytest.raises(InvalidInputError) as empty:
            find_contact(session, "   ")
    assert not isinstance(invalid.value, ContactNotFoundError)
    assert "max.mustermann-at-kunde-a.de" in invalid.value.errors["address"]
    assert empty.value.errors["address"]


def test_find_contact_reports_unknown_address(runtime: Runtime, ids: Ids) -> None:
    session = open_tenant_session(runtime.session_factory, ids.tenant)
    with session, pytest.raises(ContactNotFoundError) as missing:
        find_contact(session, "Niemand@Kunde-A.de")
    assert "niemand@kunde-a.de" in missing.value.errors["address"]


def test_find_contact_needs_tenant_session(runtime: Runtime, ids: Ids) -> None:
    with runtime.session_factory() as session, pytest.raises(RuntimeError):
        find_contact(session, MAX)


def test_export_lists_everything_stored(runtime: Runtime, ids: Ids) -> None:
    with open_tenant_session(runtime.session_factory, ids.tenant) as session:
        export = export_contact(session, find_contact(session, MAX))
    assert json.loads(json.dumps(export)) == export
    assert dt.datetime.fromisoformat(export["generated_at"]).tzinfo is not None

    contact = export["contact"]
    assert contact["id"] == ids.max
    assert contact["email"] == MAX
    assert contact["first_name"] == "Max"
    assert contact["external_ids"] == {"hubspot": "hs-max"}
    assert contact["account_domain"] == "kunde-a.de"

    assert [group["name"] for group in export["target_groups"]] == ["Messe", "Newsletter"]
    assert export["campaign_totals"] == [
        {
            "campaign_id": FAIR_CAMPAIGN,
            "campaign_name": None,
            "impressions": 3,
            "clicks": 1,
            "first_day": "2026-11-02",
            "last_day": "2026-11-02",
        },
        {
            "campaign_id": NEWSLETTER_CAMPAIGN,
            "campaign_name": None,
            "impressions": 1,
            "clicks": 0,
            "first_day": "2026-11-03",
            "last_day": "2026-11-03",
        },
    ]

    assert export["raw_tracking_events"] == 5
    assert export["relay_log_entries"] == 2
    assert export["audit_log_entries_naming_address"] == 1
    assert export["tracking_opt_out"]["value"] == MAX


def test_export_of_contact_without_data(runtime: Runtime, ids: Ids) -> None:
    with open_tenant_session(runtime.session_factory, ids.other_tenant) as session:
        session.add(Contact(email="neu@kunde-c.de"))
        session.commit()
        export = export_contact(session, find_contact(session, "neu@kunde-c.de"))
    assert export["contact"]["account_domain"] is None
    assert export["target_groups"] == []
    assert export["campaign_totals"] == []
    assert export["raw_tracking_events"] == 0
    assert export["relay_log_entries"] == 0
    assert export["audit_log_entries_naming_address"] == 0
    assert export["tracking_opt_out"] is None


def test_erasure_keeps_account_and_campaign_figures(runtime: Runtime, ids: Ids) -> None:
    before = analytics_snapshot(runtime, ids.tenant)
    assert top_contact_names(runtime, ids.tenant) == [MAX, ERIKA]
    erase(runtime, ids)
    assert analytics_snapshot(runtime, ids.tenant) == before
    assert top_contact_names(runtime, ids.tenant) == [ERIKA]


def test_erasure_merges_rollups_into_rows_without_contact(runtime: Runtime, ids: Ids) -> None:
    with runtime.session_factory() as session:
        total_before = count(session, select(func.sum(DailyRollup.count)))
    erase(runtime, ids)
    with runtime.session_factory() as session:
        assert count(session, select(func.sum(DailyRollup.count))) == total_before
        left = select(func.count()).where(
            DailyRollup.tenant_id == ids.tenant, DailyRollup.contact_id == ids.max
        )
        assert count(session, left) == 0
        merged = session.scalar(
            select(DailyRollup.count).where(
                DailyRollup.tenant_id == ids.tenant,
                DailyRollup.day == DAY_ONE.date(),
                DailyRollup.campaign_id == FAIR_CAMPAIGN,
                DailyRollup.contact_id == 0,
                DailyRollup.kind == IMPRESSION,
                DailyRollup.traffic_class == HUMAN,
            )
        )
        assert merged == 3


def test_erased_rollups_equal_rebuild_from_events(runtime: Runtime, ids: Ids) -> None:
    erase(runtime, ids)
    columns = (
        DailyRollup.day,
        DailyRollup.campaign_id,
        DailyRollup.account_id,
        DailyRollup.contact_id,
        DailyRollup.kind,
        DailyRollup.traffic_class,
        DailyRollup.count,
    )
    query = select(*columns).where(DailyRollup.tenant_id == ids.tenant)
    with runtime.session_factory() as session:
        merged = sorted(session.execute(query).all())
    with runtime.engine.begin() as connection:
        rebuild_rollups(connection, ids.tenant, DAY_ONE.date())
        rebuild_rollups(connection, ids.tenant, DAY_TWO.date())
    with runtime.session_factory() as session:
        assert sorted(session.execute(query).all()) == merged


def test_erasure_unlinks_events_and_relay_log(runtime: Runtime, ids: Ids) -> None:
    with runtime.session_factory() as session:
        events_before = count(session, select(func.count()).select_from(TrackingEvent))
        relay_before = count(session, select(func.count()).select_from(RelayLogEntry))
    erase(runtime, ids)
    with runtime.session_factory() as session:
        assert count(session, select(func.count()).select_from(TrackingEvent)) == events_before
        assert count(session, select(func.count()).select_from(RelayLogEntry)) == relay_before
        for model in (TrackingEvent, RelayLogEntry):
            linked = select(func.count()).where(
                model.tenant_id == ids.tenant, model.contact_id == ids.max
            )
            assert count(session, linked) == 0, model
        erika_events = select(func.count()).where(TrackingEvent.contact_id == ids.erika)
        assert count(session, erika_events) == 1


def test_erasure_removes_contact_and_memberships(runtime: Runtime, ids: Ids) -> None:
    erase(runtime, ids)
    with open_tenant_session(runtime.session_factory, ids.tenant) as session:
        assert session.get(Contact, ids.max) is None
        memberships = select(func.count()).where(target_group_contacts.c.contact_id == ids.max)
        assert count(session, memberships) == 0
        fair = session.scalars(select(TargetGroup).where(TargetGroup.name == "Messe")).one()
        assert [contact.email for contact in fair.contacts] == [ERIKA]
        with pytest.raises(ContactNotFoundError):
            find_contact(session, MAX)


def test_erasure_report_counts_changes(runtime: Runtime, ids: Ids) -> None:
    assert erase(runtime, ids) == ErasureReport(
        contact_id=ids.max,
        rollup_rows_merged=4,
        tracking_events_unlinked=5,
        relay_log_entries_unlinked=2,
        memberships_removed=2,
        audit_entries_redacted=1,
        opt_out_kept=True,
    )


def test_second_erasure_finds_nothing(runtime: Runtime, ids: Ids) -> None:
    erase(runtime, ids)
    with pytest.raises(ContactNotFoundError):
        erase(runtime, ids)


def test_erasure_leaves_other_tenant_alone(runtime: Runtime, ids: Ids) -> None:
    before = analytics_snapshot(runtime, ids.other_tenant)
    erase(runtime, ids)
    assert analytics_snapshot(runtime, ids.other_tenant) == before
    with open_tenant_session(runtime.session_factory, ids.other_tenant) as session:
        export = export_contact(session, find_contact(session, MAX))
    assert export["contact"]["id"] == ids.other_max
    assert [group["name"] for group in export["target_groups"]] == ["Messe"]
    assert export["campaign_totals"][0]["impressions"] == 1
    assert export["campaign_totals"][0]["clicks"] == 1
    assert export["raw_tracking_events"] == 2
    assert export["relay_log_entries"] == 1


def test_erasure_audit_entry_has_no_address(runtime: Runtime, ids: Ids) -> None:
    erase(runtime, ids)
    with runtime.session_factory() as session:
        entries = session.scalars(
            select(AuditLogEntry).where(AuditLogEntry.tenant_id == ids.tenant)
        ).all()
    erasure = [entry for entry in entries if entry.entity_type == "contact"]
    assert len(erasure) == 1
    assert erasure[0].action == "delete"
    assert erasure[0].entity_id == str(ids.max)
    assert erasure[0].user_id == ids.user
    assert erasure[0].changes["tracking_events_unlinked"] == [None, 5]
    for entry in entries:
        stored = json.dumps(entry.changes, ensure_ascii=False)
        assert "max.mustermann" not in stored, entry.changes
    removed = [
        entry.changes["member_removed"] for entry in entries if "member_removed" in entry.changes
    ]
    assert removed == [[f"erased contact #{ids.max}", None]]


def test_erasure_redacts_non_ascii_address(runtime: Runtime, ids: Ids) -> None:
    with open_tenant_session(runtime.session_factory, ids.tenant) as session, session.begin():
        group = session.scalars(select(TargetGroup).where(TargetGroup.name == "Messe")).one()
        add_typed_members(session, ids.user, group, JUERGEN)
        contact = find_contact(session, JUERGEN)
        assert remove_member(session, ids.user, group, contact.id)
        assert export_contact(session, contact)["audit_log_entries_naming_address"] == 1
    report = erase(runtime, ids, JUERGEN)
    assert report.audit_entries_redacted == 1
    with runtime.session_factory() as session:
        stored = [
            json.dumps(changes, ensure_ascii=False)
            for changes in session.scalars(select(AuditLogEntry.changes))
        ]
    assert not [text for text in stored if "jürgen" in text]


def test_erasure_keeps_opt_out(runtime: Runtime, ids: Ids) -> None:
    erase(runtime, ids)
    with open_tenant_session(runtime.session_factory, ids.tenant) as session:
        values = session.scalars(select(TrackingOptOut.value)).all()
    assert values == [MAX]


def record_after_erasure(runtime: Runtime, ids: Ids, contact_id: int) -> list[PendingEvent]:
    """Record a banner load of mail sent to `contact_id` before it was erased."""
    with open_tenant_session(runtime.session_factory, ids.tenant) as session:
        tenant = session.get_one(Tenant, ids.tenant)
        tenant.contact_analytics_enabled = True
        session.commit()
        settings = load_tracking_settings(session, ids.tenant)
    recorded: list[PendingEvent] = []
    tracker = Tracker(runtime, cast(EventBuffer, SimpleNamespace(add=recorded.append)))
    payload = TokenPayload(
        ids.tenant, 1, 1, Audience.contact(contact_id, ids.account_a), issued_minute=0
    )
    index = cast(TenantIndex, SimpleNamespace(tracking=settings))
    campaign = cast(ResolvedCampaign, SimpleNamespace(campaign_id=FAIR_CAMPAIGN))
    resolution = Resolution(payload, index, campaign)
    tracker.record(resolution, EventKind.IMPRESSION, "GET", {}, None, "token", DAY_TWO)
    return recorded


def test_erased_contact_counts_account_only(runtime: Runtime, ids: Ids) -> None:
    erase(runtime, ids, ERIKA)

    [recorded] = record_after_erasure(runtime, ids, ids.erika)

    assert recorded.account_id == ids.account_a
    assert recorded.contact_id is None


def test_erased_opted_out_contact_counts_nothing(runtime: Runtime, ids: Ids) -> None:
    erase(runtime, ids, MAX)  # Max's address opt-out is kept

    assert record_after_erasure(runtime, ids, ids.max) == []
