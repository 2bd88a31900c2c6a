"""Daily rollups of tracking events: kept current per batch, and rebuildable from events.

A rollup day is a calendar day in the tenant's time zone (Einstellungen), so a banner
loaded at 00:30 in Berlin counts for that day, not the previous one.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Collection, Sequence
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Connection, delete, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite

from maltastic.analytics.models import NO_DIMENSION, DailyRollup
from maltastic.tenants.models import DEFAULT_TIME_ZONE, Tenant
from maltastic.tracking.events import PendingEvent
from maltastic.tracking.models import EventKind, TrackingEvent, TrafficClass

RollupKey = tuple[int, dt.date, int, int, int, EventKind, TrafficClass]
KEY_COLUMNS = (
    "tenant_id",
    "day",
    "campaign_id",
    "account_id",
    "contact_id",
    "kind",
    "traffic_class",
)


class LocalDays:
    """The calendar days of moments in one time zone.

    The UTC bounds of the last day found are kept, because the events of a batch mostly
    fall on one day, and comparing two UTC times costs far less than converting each.
    """

    def __init__(self, zone: dt.tzinfo) -> None:
        self.zone = zone
        self._day = dt.date.min
        self._start = self._end = dt.datetime.min.replace(tzinfo=dt.UTC)

    def day_of(self, moment: dt.datetime) -> dt.date:
        if self._start <= moment < self._end:
            return self._day
        day = moment.astimezone(self.zone).date()
        start = local_midnight(day, self.zone)
        end = local_midnight(day + dt.timedelta(days=1), self.zone)
        # Keep the bounds only for a day with one UTC offset. On a day with a clock
        # change, midnight may fall in a repeated hour, and then some moments after
        # `start` still belong to the day before.
        if offset_at(start, self.zone) == offset_at(end - ONE_MICROSECOND, self.zone):
            self._day, self._start, self._end = day, start, end
        return day


ONE_MICROSECOND = dt.timedelta(microseconds=1)


def offset_at(moment: dt.datetime, zone: dt.tzinfo) -> dt.timedelta | None:
    return moment.astimezone(zone).utcoffset()


def local_midnight(day: dt.date, zone: dt.tzinfo) -> dt.datetime:
    """Return the start of `day` in `zone` as a UTC time."""
    return dt.datetime.combine(day, dt.time(), tzinfo=zone).astimezone(dt.UTC)


def rollup_key(event: PendingEvent, days: LocalDays) -> RollupKey:
    return (
        event.tenant_id,
        days.day_of(event.occurred_at),
        event.campaign_id or NO_DIMENSION,
        event.account_id or NO_DIMENSION,
        event.contact_id or NO_DIMENSION,
        event.kind,
        event.traffic_class,
    )


def add_to_rollups(connection: Connection, events: Sequence[PendingEvent]) -> None:
    """Add the events' counts to their rollup rows, creating rows as needed.

    Call it in the transaction that inserts the same events, so each event is counted
    exactly once: both writes commit together or not at all.
    """
    zones = tenant_zones(connection, {event.tenant_id for event in events})
    days = {tenant_id: LocalDays(zone) for tenant_id, zone in zones.items()}
    counts = Counter(rollup_key(event, days[event.tenant_id]) for event in events)
    if not counts:
        return
    rows = [dict(zip(KEY_COLUMNS, key, strict=True), count=count) for key, count in counts.items()]
    add_counts(connection, rows)


def add_counts(connection: Connection, rows: list[dict[str, Any]]) -> None:
    """Add each row's `count` to the rollup row with the same key, inserting missing rows.

    Both SQLite and PostgreSQL run it as INSERT ... ON CONFLICT on the unique rollup key.
    """
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(DailyRollup.__table__)
    statement = statement.on_conflict_do_update(
        index_elements=list(KEY_COLUMNS),
        set_={"count": DailyRollup.__table__.c.count + statement.excluded.count},
    )
    connection.execute(statement, rows)


def tenant_zones(connection: Connection, tenant_ids: Collection[int]) -> dict[int, ZoneInfo]:
    """Return each tenant's time zone; a tenant without one (or gone) gets the default."""
    tenants = Tenant.__table__.c
    found = dict(
        connection.execute(
            select(tenants.id, tenants.time_zone).where(tenants.id.in_(list(tenant_ids)))
        ).all()
    )
    return {tenant_id: zone_of(found.get(tenant_id)) for tenant_id in tenant_ids}


@lru_cache(maxsize=256)
def zone_of(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or DEFAULT_TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TIME_ZONE)


def rebuild_rollups(connection: Connection, tenant_id: int, day: dt.date) -> None:
    """Recount one tenant's day from its raw events; running it again changes nothing.

    Only for days whose raw events are all still kept: after the retention purge the
    rollups are the only record and must not be rebuilt.
    """
    zone = tenant_zones(connection, [tenant_id])[tenant_id]
    start = local_midnight(day, zone)
    end = local_midnight(day + dt.timedelta(days=1), zone)
    events = TrackingEvent.__table__.c
    connection.execute(
        delete(DailyRollup).where(DailyRollup.tenant_id == tenant_id, DailyRollup.day == day)
    )
    grouped = (
        select(
            events.tenant_id,
            events.campaign_id,
            events.account_id,
            events.contact_id,
            events.kind,
            events.traffic_class,
            func.count().label("count"),
        )
        .where(events.tenant_id == tenant_id, events.occurred_at >= start, events.occurred_at < end)
        .group_by(
            events.tenant_id,
            events.campaign_id,
            events.account_id,
            events.contact_id,
            events.kind,
            events.traffic_class,
        )
    )
    rows = [
        {
            "tenant_id": row.tenant_id,
            "day": day,
            "campaign_id": row.campaign_id or NO_DIMENSION,
            "account_id": row.account_id or NO_DIMENSION,
            "contact_id": row.contact_id or NO_DIMENSION,
            "kind": row.kind,
            "traffic_class": row.traffic_class,
            "count": row.count,
        }
        for row in connection.execute(grouped)
    ]
    if rows:
        connection.execute(insert(DailyRollup), rows)
