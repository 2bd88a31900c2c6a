"""Events written in batches show up in rollups and reports, on SQLite and PostgreSQL."""

import csv
import datetime as dt
import io

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from maltastic.analytics import service
from maltastic.analytics.models import DailyRollup
from maltastic.analytics.rollups import rebuild_rollups
from maltastic.analytics.service import ReportFilter
from maltastic.runtime import Runtime
from maltastic.targeting.models import Account, Contact
from maltastic.tenants.models import Tenant
from maltastic.tenants.service import create_tenant
from maltastic.tracking.events import PendingEvent
from maltastic.tracking.models import EventKind, TrackingEvent, TrafficClass
from maltastic.tracking.storage import purge_expired_events, write_events

DAY_ONE = dt.datetime(2026, 11, 2, 9, 30, tzinfo=dt.UTC)
DAY_TWO = DAY_ONE + dt.timedelta(days=1)
CAMPAIGN = 7


@pytest.fixture
def ids(runtime: Runtime) -> dict[str, int]:
    with runtime.session_factory.begin() as session:
        tenant = create_tenant(session, slug="t", name="T", own_domains=["t.de"])
        session.flush()
        account = Account(tenant_id=tenant.id, domain="kunde-a.de")
        other = Account(tenant_id=tenant.id, domain="kunde-b.de")
        session.add_all([account, other])
        session.flush()
        contact = Contact(tenant_id=tenant.id, email="max@kunde-a.de", account_id=account.id)
        session.add(contact)
        session.flush()
        return {
            "tenant": tenant.id,
            "account": account.id,
            "other": other.id,
            "contact": contact.id,
        }


def event(
    ids: dict[str, int],
    when: dt.datetime,
    kind: EventKind,
    traffic: TrafficClass = TrafficClass.HUMAN,
    account: str = "account",
    contact: bool = False,
) -> PendingEvent:
    return PendingEvent(
        ids["tenant"],
        when,
        kind,
        traffic,
        "",
        CAMPAIGN,
        1,
        ids[account],
        ids["contact"] if contact else None,
        when - dt.timedelta(hours=1),
    )


def write_sample(runtime: Runtime, ids: dict[str, int]) -> None:
    impression, click = EventKind.IMPRESSION, EventKind.CLICK
    write_events(
        runtime.engine,
        [
            event(ids, DAY_ONE, impression, contact=True),
            event(ids, DAY_ONE, impression),
            event(ids, DAY_ONE, click, contact=True),
            event(ids, DAY_ONE, impression, TrafficClass.PROXY),
        ],
    )
    write_events(
        runtime.engine,
        [
            event(ids, DAY_TWO, impression, account="other"),
            event(ids, DAY_TWO, impression, account="other"),
            event(ids, DAY_TWO, impression, TrafficClass.MACHINE),
            event(ids, DAY_ONE, impression),
        ],
    )


def report(ids: dict[str, int], **options: object) -> ReportFilter:
    return ReportFilter(ids["tenant"], DAY_ONE.date(), DAY_TWO.date(), **options)  # type: ignore[arg-type]


def test_totals_count_humans_by_default(runtime: Runtime, ids: dict[str, int]) -> None:
    write_sample(runtime, ids)
    with runtime.session_factory() as session:
        human = service.totals(session, report(ids))
        everything = service.totals(session, report(ids, include_machines=True))
    assert (human.impressions, human.clicks) == (5, 1)
    assert human.click_rate == pytest.approx(0.2)
    assert (everything.impressions, everything.clicks) == (7, 1)


def test_time_series_has_every_day(runtime: Runtime, ids: dict[str, int]) -> None:
    write_sample(runtime, ids)
    wide = ReportFilter(ids["tenant"], DAY_ONE.date() - dt.timedelta(days=1), DAY_TWO.date())
    with runtime.session_factory() as session:
        series = service.time_series(session, wide)
    assert [(p.day, p.impressions, p.clicks) for p in series] == [
        (DAY_ONE.date() - dt.timedelta(days=1), 0, 0),
        (DAY_ONE.date(), 3, 1),
        (DAY_TWO.date(), 2, 0),
    ]


def test_top_accounts_and_contacts(runtime: Runtime, ids: dict[str, int]) -> None:
    write_sample(runtime, ids)
    with runtime.session_factory() as session:
        accounts = service.top_accounts(session, report(ids))
        contacts = service.top_contacts(session, report(ids))
    assert [(a.name, a.impressions, a.clicks) for a in accounts] == [
        ("kunde-a.de", 3, 1),
        ("kunde-b.de", 2, 0),
    ]
    assert [(c.name, c.impressions, c.clicks) for c in contacts] == [("max@kunde-a.de", 1, 1)]


def test_other_tenant_sees_nothing(runtime: Runtime, ids: dict[str, int]) -> None:
    write_sample(runtime, ids)
    with runtime.session_factory.begin() as session:
        other = create_tenant(session, slug="o", name="O", own_domains=["o.de"])
        session.flush()
        other_id = other.id
    with runtime.session_factory() as session:
        counts = service.totals(session, ReportFilter(other_id, DAY_ONE.date(), DAY_TWO.date()))
    assert (counts.impressions, counts.clicks) == (0, 0)


def rollup_rows(session: Session, tenant_id: int) -> list[tuple[object, ...]]:
    rows = session.execute(
        select(
            DailyRollup.day,
            DailyRollup.campaign_id,
            DailyRollup.account_id,
            DailyRollup.contact_id,
            DailyRollup.kind,
            DailyRollup.traffic_class,
            DailyRollup.count,
        ).where(DailyRollup.tenant_id == tenant_id)
    )
    return sorted(tuple(row) for row in rows)


def test_rebuild_matches_incremental_and_repeats(runtime: Runtime, ids: dict[str, int]) -> None:
    write_sample(runtime, ids)
    with runtime.session_factory() as session:
        incremental = rollup_rows(session, ids["tenant"])
    for _attempt in range(2):
        with runtime.engine.begin() as connection:
            for day in (DAY_ONE.date(), DAY_TWO.date()):
                rebuild_rollups(connection, ids["tenant"], day)
    with runtime.session_factory() as session:
        rebuilt = rollup_rows(session, ids["tenant"])
    assert rebuilt == incremental


def test_purge_keeps_rollups(runtime: Runtime, ids: dict[str, int]) -> None:
    write_sample(runtime, ids)
    with runtime.session_factory.begin() as session:
        deleted = purge_expired_events(session, DAY_ONE + dt.timedelta(days=180, hours=1))
    with runtime.session_factory() as session:
        remaining = session.scalar(select(func.count()).select_from(TrackingEvent))
        counts = service.totals(session, report(ids))
    assert deleted == 5
    assert remaining == 3
    assert counts.impressions == 5


def test_csv_export(runtime: Runtime, ids: dict[str, int]) -> None:
    write_sample(runtime, ids)
    with runtime.session_factory() as session:
        text = service.series_as_csv(service.time_series(session, report(ids)))
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["day", "impressions", "clicks", "click_rate"]
    assert rows[1] == [DAY_ONE.date().isoformat(), "3", "1", "0.3333"]


def test_days_are_the_tenants_local_days(runtime: Runtime, ids: dict[str, int]) -> None:
    # 23:30 UTC on 2 November is 00:30 on 3 November in Berlin (the default zone) and
    # still 18:30 on 2 November in New York.
    late_evening_utc = dt.datetime(2026, 11, 2, 23, 30, tzinfo=dt.UTC)
    write_events(runtime.engine, [event(ids, late_evening_utc, EventKind.IMPRESSION)])
    nov_2, nov_3 = dt.date(2026, 11, 2), dt.date(2026, 11, 3)
    both_days = ReportFilter(ids["tenant"], nov_2, nov_3)

    with runtime.session_factory() as session:
        berlin = [(p.day, p.impressions) for p in service.time_series(session, both_days)]
    with runtime.engine.begin() as connection:
        connection.execute(
            update(Tenant).where(Tenant.id == ids["tenant"]).values(time_zone="America/New_York")
        )
        rebuild_rollups(connection, ids["tenant"], nov_2)
        rebuild_rollups(connection, ids["tenant"], nov_3)
    with runtime.session_factory() as session:
        new_york = [(p.day, p.impressions) for p in service.time_series(session, both_days)]

    assert berlin == [(nov_2, 0), (nov_3, 1)]
    assert new_york == [(nov_2, 1), (nov_3, 0)]
