"""Write batches of tracking events and purge raw events past the tenant's retention."""

from __future__ import annotations

import datetime as dt
import logging
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import Connection, CursorResult, Engine, delete, select
from sqlalchemy.orm import Session

from maltastic.analytics.rollups import add_to_rollups
from maltastic.tenants.models import Tenant
from maltastic.tracking.events import PendingEvent
from maltastic.tracking.models import EventKind, TrackingEvent, TrafficClass

logger = logging.getLogger(__name__)


EVENT_COLUMNS = (
    "tenant_id",
    "occurred_at",
    "kind",
    "traffic_class",
    "class_reason",
    "campaign_id",
    "employee_id",
    "account_id",
    "contact_id",
    "token_issued_at",
)

# Stored strings of the enum members; a dict lookup is cheaper than the `.value` property.
ENUM_VALUES: dict[EventKind | TrafficClass, str] = {
    member: member.value for enum_type in (EventKind, TrafficClass) for member in enum_type
}


def write_events(engine: Engine, events: list[PendingEvent]) -> None:
    """Insert the events and add them to the rollups, in one transaction.

    The insert goes straight to the driver's executemany, because the ORM's per-value
    processing cost several times more than the database itself at thousands of events
    per second.
    """
    with engine.begin() as connection:
        insert_event_rows(connection, events)
        add_to_rollups(connection, events)


ROWS_PER_STATEMENT = 100


def insert_event_rows(connection: Connection, events: list[PendingEvent]) -> None:
    """Insert the events as multi-row INSERT statements of up to ROWS_PER_STATEMENT rows.

    The SQLite driver releases the interpreter lock around every statement it steps, so
    one statement per row made the writer thread and the request loop hand the lock back
    and forth for every event.
    """
    sqlite = connection.dialect.name == "sqlite"
    placeholder = "?" if sqlite else "%s"
    row_placeholders = f"({', '.join([placeholder] * len(EVENT_COLUMNS))})"
    as_time, as_minute = (sqlite_time, sqlite_minute) if sqlite else (same_time, same_time)
    values: list[object] = []
    for event in events:
        values += (
            event.tenant_id,
            as_time(event.occurred_at),
            ENUM_VALUES[event.kind],
            ENUM_VALUES[event.traffic_class],
            event.class_reason,
            event.campaign_id,
            event.employee_id,
            event.account_id,
            event.contact_id,
            as_minute(event.token_issued_at),
        )
    width = len(EVENT_COLUMNS)
    for start in range(0, len(events), ROWS_PER_STATEMENT):
        count = min(ROWS_PER_STATEMENT, len(events) - start)
        connection.exec_driver_sql(
            _insert_statement(count, row_placeholders),
            tuple(values[start * width : (start + count) * width]),
        )


@lru_cache(maxsize=2 * ROWS_PER_STATEMENT)
def _insert_statement(rows: int, row_placeholders: str) -> str:
    # Table and column names are constants; every value is a bound parameter.
    return (
        f"INSERT INTO {TrackingEvent.__tablename__} ({', '.join(EVENT_COLUMNS)}) "  # noqa: S608
        f"VALUES {', '.join([row_placeholders] * rows)}"
    )


_UNIX_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_ONE_SECOND = dt.timedelta(seconds=1)
_MAX_CACHED_SECONDS = 4096
_second_texts: dict[int, str] = {}


def sqlite_time(moment: dt.datetime | None) -> str | None:
    """Format a datetime as UTC the way SQLAlchemy stores DateTime columns in SQLite.

    That is "YYYY-MM-DD HH:MM:SS.ffffff" without an offset. The text up to the seconds
    is kept per second, because the events of a batch share a few seconds and
    `isoformat` costs several times more than filling in the microseconds.
    """
    if moment is None:
        return None
    second = (moment - _UNIX_EPOCH) // _ONE_SECOND
    text = _second_texts.get(second)
    if text is None:
        if len(_second_texts) >= _MAX_CACHED_SECONDS:
            _second_texts.clear()
        text = (_UNIX_EPOCH + second * _ONE_SECOND).isoformat(" ")[:19]
        _second_texts[second] = text
    return "%s.%06d" % (text, moment.microsecond)  # noqa: UP031 (the fastest form here)


@lru_cache(maxsize=4096)
def sqlite_minute(moment: dt.datetime | None) -> str | None:
    """Format like `sqlite_time`, cached for the few whole-minute token issue times."""
    return sqlite_time(moment)


def same_time(moment: dt.datetime | None) -> dt.datetime | None:
    return moment


def purge_expired_events(session: Session, now: dt.datetime) -> int:
    """Delete raw events older than each tenant's retention; rollups stay. Returns the count."""
    deleted = 0
    for tenant_id, retention_days in session.execute(select(Tenant.id, Tenant.retention_days)):
        cutoff = now - dt.timedelta(days=retention_days)
        result = cast(
            CursorResult[Any],
            session.execute(
                delete(TrackingEvent).where(
                    TrackingEvent.tenant_id == tenant_id, TrackingEvent.occurred_at < cutoff
                )
            ),
        )
        deleted += result.rowcount or 0
        logger.info("tenant id=%s: purged raw events before %s", tenant_id, cutoff.date())
    return deleted
