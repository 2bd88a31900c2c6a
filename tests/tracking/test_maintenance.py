"""The periodic purge removes old raw events, once per interval across processes."""

import datetime as dt

import pytest
import redis
from sqlalchemy import func, select

from maltastic.db.migrate import upgrade_database
from maltastic.runtime import Runtime
from maltastic.settings import Settings
from maltastic.tenants.service import create_tenant
from maltastic.tracking.events import PendingEvent
from maltastic.tracking.maintenance import LOCK_KEY, purge_once
from maltastic.tracking.models import EventKind, TrackingEvent, TrafficClass
from maltastic.tracking.storage import write_events
from tests.conftest import TEST_SECRET_KEY


def add_events(runtime: Runtime) -> None:
    with runtime.session_factory.begin() as session:
        tenant = create_tenant(session, slug="t", name="T", own_domains=["t.de"])
        session.flush()
        tenant_id = tenant.id
    now = dt.datetime.now(dt.UTC)
    events = [
        PendingEvent(
            tenant_id, when, EventKind.IMPRESSION, TrafficClass.HUMAN, "", 1, 1, None, None, None
        )
        for when in (now - dt.timedelta(days=400), now - dt.timedelta(days=1))
    ]
    write_events(runtime.engine, events)


def event_count(runtime: Runtime) -> int:
    with runtime.session_factory() as session:
        return session.scalar(select(func.count()).select_from(TrackingEvent)) or 0


def test_purge_removes_only_expired(sqlite_runtime: Runtime) -> None:
    add_events(sqlite_runtime)
    assert purge_once(sqlite_runtime) == 1
    assert event_count(sqlite_runtime) == 1


@pytest.mark.redis
def test_second_process_skips_while_locked(sqlite_url: str, redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    client.delete(LOCK_KEY)
    settings = Settings(database_url=sqlite_url, secret_key=TEST_SECRET_KEY, redis_url=redis_url)  # type: ignore[arg-type]
    first, second = Runtime.from_settings(settings), Runtime.from_settings(settings)
    upgrade_database(first.engine)
    add_events(first)
    try:
        assert purge_once(first) == 1
        assert purge_once(second) is None
    finally:
        client.delete(LOCK_KEY)
        client.close()
        first.close()
        second.close()
