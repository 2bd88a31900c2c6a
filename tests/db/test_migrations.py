"""The migrations build exactly the schema the models describe."""

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, select
from sqlalchemy.orm import Session

from maltastic.db.engine import create_session_factory
from maltastic.db.migrate import (
    alembic_config,
    current_revision,
    head_revision,
    upgrade_database,
)
from maltastic.db.models import Base
from maltastic.db.tenancy import open_tenant_session
from maltastic.privacy.erasure import erase_contact
from maltastic.targeting.models import (
    Account,
    Contact,
    TargetGroup,
    TargetLevel,
    target_group_contacts,
)
from maltastic.tenants.service import create_tenant


def test_upgrade_reaches_head(engine: Engine) -> None:
    assert head_revision() == "0003"
    assert current_revision(engine) == "0003"


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


def downgrade_to(engine: Engine, revision: str) -> None:
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def add_contact(session: Session, tenant_id: int, email: str, account_id: int) -> int:
    contact = Contact(tenant_id=tenant_id, email=email, account_id=account_id)
    session.add(contact)
    session.flush()
    return contact.id


def erase(engine: Engine, tenant_id: int, contact_id: int) -> None:
    factory = create_session_factory(engine)
    with open_tenant_session(factory, tenant_id) as session, session.begin():
        contact = session.get(Contact, contact_id)
        assert contact is not None
        erase_contact(session, None, contact)


def seed_contacts(engine: Engine) -> tuple[int, int, list[int]]:
    """Create a tenant with three contacts of one account, two of them in a group."""
    with create_session_factory(engine).begin() as session:
        tenant = create_tenant(session, slug="m", name="M", own_domains=["m.de"])
        session.flush()
        account = Account(tenant_id=tenant.id, domain="kunde-a.de")
        group = TargetGroup(tenant_id=tenant.id, name="Messe", level=TargetLevel.CONTACT)
        session.add_all([account, group])
        session.flush()
        contacts = [
            add_contact(session, tenant.id, f"{name}@kunde-a.de", account.id)
            for name in ("anna", "ben", "cem")
        ]
        session.execute(
            target_group_contacts.insert(),
            [
                {"target_group_id": group.id, "contact_id": contacts[0]},
                {"target_group_id": group.id, "contact_id": contacts[2]},
            ],
        )
        return tenant.id, account.id, contacts


def test_erased_contact_id_is_not_reused(engine: Engine) -> None:
    tenant_id, account_id, contacts = seed_contacts(engine)
    erase(engine, tenant_id, contacts[2])  # the highest id
    with create_session_factory(engine).begin() as session:
        new_id = add_contact(session, tenant_id, "dora@kunde-a.de", account_id)
    assert new_id > contacts[2]


def test_contact_migration_keeps_rows_and_skips_erased_ids(engine: Engine) -> None:
    downgrade_to(engine, "0002")
    tenant_id, account_id, contacts = seed_contacts(engine)
    erase(engine, tenant_id, contacts[2])

    upgrade_database(engine)
    with create_session_factory(engine).begin() as session:
        remaining = session.execute(
            select(Contact.id, Contact.account_id).order_by(Contact.id)
        ).all()
        members = session.scalars(select(target_group_contacts.c.contact_id)).all()
        new_id = add_contact(session, tenant_id, "dora@kunde-a.de", account_id)
    assert [tuple(row) for row in remaining] == [
        (contacts[0], account_id),
        (contacts[1], account_id),
    ]
    assert members == [contacts[0]]
    assert new_id > contacts[2]
