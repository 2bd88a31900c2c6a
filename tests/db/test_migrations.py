"""The migrations build exactly the schema the models describe."""

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect

from maltastic.db.migrate import (
    alembic_config,
    current_revision,
    head_revision,
    upgrade_database,
)
from maltastic.db.models import Base


def test_upgrade_reaches_head(engine: Engine) -> None:
    assert head_revision() == "0002"
    assert current_revision(engine) == "0002"


def test_models_match_migrations(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_every_table_exists(engine: Engine) -> None:
    tables = set(inspect(engine).get_table_names())
    assert set(Base.metadata.tables) <= tables


def test_upgrade_twice_is_harmless(engine: Engine) -> None:
    upgrade_database(engine)
    assert current_revision(engine) == head_revision()


def test_tracking_events_have_no_ip_column(engine: Engine) -> None:
    columns = {column["name"] for column in inspect(engine).get_columns("tracking_events")}
    assert not {"ip", "ip_address", "remote_addr", "user_agent"} & columns


def test_event_index_migration_round_trip(engine: Engine) -> None:
    assert event_indexes(engine) == {"ix_tracking_events_tenant_time"}

    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0001")
    assert "ix_tracking_events_tenant_id" in event_indexes(engine)

    upgrade_database(engine)
    assert event_indexes(engine) == {"ix_tracking_events_tenant_time"}


def event_indexes(engine: Engine) -> set[str]:
    return {str(index["name"]) for index in inspect(engine).get_indexes("tracking_events")}
