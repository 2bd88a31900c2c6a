"""The shared objects of one process: settings, database engine and session factory."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

import maltastic.db.models  # noqa: F401 - registers every mapped class before first use
from maltastic.db.engine import create_db_engine, create_session_factory
from maltastic.security.secrets import SecretBox
from maltastic.settings import Settings


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    secret_box: SecretBox

    @classmethod
    def from_settings(cls, settings: Settings) -> Runtime:
        engine = create_db_engine(settings.database_url)
        return cls(
            settings=settings,
            engine=engine,
            session_factory=create_session_factory(engine),
            secret_box=SecretBox(settings.secret_key.get_secret_value()),
        )

    def close(self) -> None:
        self.engine.dispose()
