"""Alembic environment: runs migrations on the connection `maltastic.db.migrate` passes in."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from maltastic.db.engine import create_db_engine
from maltastic.db.models import Base
from maltastic.settings import load_settings

config = context.config


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_from_settings() -> None:
    """Used by the plain `alembic` command of developers (e.g. `alembic revision`)."""
    engine = create_db_engine(load_settings().database_url)
    with engine.connect() as connection:
        run_migrations(connection)
    engine.dispose()


connection = config.attributes.get("connection")
if connection is not None:
    run_migrations(connection)
else:
    run_from_settings()
