"""A change committed in one process refreshes the index of another through Redis."""

import time

import pytest
from sqlalchemy import update

from maltastic.campaigns.models import Campaign
from maltastic.db.tenancy import open_tenant_session
from maltastic.demo.loader import load_demo
from maltastic.runtime import Runtime
from maltastic.settings import Settings
from maltastic.tenants.service import find_tenant
from tests.conftest import TEST_SECRET_KEY


def runtime_for(database_url: str, redis_url: str) -> Runtime:
    settings = Settings(
        database_url=database_url,
        secret_key=TEST_SECRET_KEY,
        redis_url=redis_url,  # type: ignore[arg-type]
    )
    return Runtime.from_settings(settings)


@pytest.mark.redis
def test_other_process_rebuilds_index(sqlite_runtime: Runtime, redis_url: str) -> None:
    load_demo(sqlite_runtime.session_factory, sqlite_runtime.secret_box)
    database_url = sqlite_runtime.settings.database_url
    writer, reader = runtime_for(database_url, redis_url), runtime_for(database_url, redis_url)
    changed_tenants: list[int] = []
    reader.change_feed.subscribe(changed_tenants.append)
    buses = [writer.connect_change_bus(), reader.connect_change_bus()]
    try:
        with writer.session_factory() as session:
            tenant = find_tenant(session, "beispiel")
            assert tenant is not None
        before = reader.indexes.get(tenant.id)
        time.sleep(0.2)  # let both subscriptions become active

        with open_tenant_session(writer.session_factory, tenant.id) as session:
            session.execute(update(Campaign).values(priority=Campaign.priority + 1))
            session.commit()

        deadline = time.monotonic() + 10
        while reader.indexes.get(tenant.id) is before and time.monotonic() < deadline:
            time.sleep(0.05)
        assert reader.indexes.get(tenant.id) is not before
        assert changed_tenants == [tenant.id]  # the relay's caches subscribe the same way
    finally:
        for bus in buses:
            assert bus is not None
            bus.stop()
        writer.close()
        reader.close()
