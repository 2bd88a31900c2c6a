"""The shared objects of one process: settings, database, tenant indexes."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

import maltastic.db.models  # noqa: F401 - registers every mapped class before first use
from maltastic.campaigns.change_bus import RedisChangeBus
from maltastic.campaigns.invalidation import FEED_KEY, ChangeFeed
from maltastic.campaigns.registry import TenantIndexRegistry
from maltastic.campaigns.tenant_index import load_tenant_index
from maltastic.db.engine import create_db_engine, create_session_factory
from maltastic.security.secrets import SecretBox
from maltastic.settings import Settings


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    secret_box: SecretBox
    change_feed: ChangeFeed
    indexes: TenantIndexRegistry

    @classmethod
    def from_settings(cls, settings: Settings) -> Runtime:
        engine = create_db_engine(settings.database_url)
        change_feed = ChangeFeed()
        factory = create_session_factory(engine, info={FEED_KEY: change_feed})
        indexes = TenantIndexRegistry(lambda tenant_id: load_tenant_index(factory, tenant_id))
        change_feed.subscribe(indexes.invalidate)
        return cls(
            settings=settings,
            engine=engine,
            session_factory=factory,
            secret_box=SecretBox(
                settings.secret_key.get_secret_value(), settings.previous_secret_key_list
            ),
            change_feed=change_feed,
            indexes=indexes,
        )

    def connect_change_bus(self) -> RedisChangeBus | None:
        """Share tenant changes with other processes when Redis is configured.

        A change from another process reaches every subscriber of this process's change
        feed: the index registry and the relay's caches.
        """
        if self.settings.redis_url is None:
            return None
        bus = RedisChangeBus(
            self.settings.redis_url,
            lambda tenant_id: self.change_feed.publish(tenant_id, remote=True),
        )
        self.change_feed.subscribe(bus.publish, local_only=True)
        bus.start()
        return bus

    def close(self) -> None:
        self.indexes.close()
        self.engine.dispose()
