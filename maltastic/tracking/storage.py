"""Write batches of tracking events and purge raw events past the tenant's retention."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import asdict
from typing import Any, cast

from sqlalchemy import CursorResult, Engine, delete, insert, select
from sqlalchemy.orm import Session

from maltastic.analytics.rollups import add_to_rollups
from maltastic.tenants.models import Tenant
from maltastic.tracking.events import PendingEvent
from maltastic.tracking.models import TrackingEvent

logger = logging.getLogger(__name__)


def write_events(engine: Engine, events: list[PendingEvent]) -> None:
    """Insert the events and add them to the rollups, in one transaction."""
    with engine.begin() as connection:
        connection.execute(insert(TrackingEvent), [asdict(event) for event in events])
        add_to_rollups(connection, events)


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
