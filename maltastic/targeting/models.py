"""Target groups and their members: accounts (company domains) and contacts (addresses)."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from maltastic.db.base import Base, CreatedAt, TenantOwned, enum_type


class TargetLevel(enum.StrEnum):
    ACCOUNT = "account"  # members are registrable domains (Account-Ebene)
    CONTACT = "contact"  # members are single addresses (Kontakt-Ebene)


class TargetSource(enum.StrEnum):
    MANUAL = "manual"
    CSV = "csv"
    HUBSPOT = "hubspot"
    MARKETO = "marketo"
    PARDOT = "pardot"
    SALESFORCE = "salesforce"


class SyncState(enum.StrEnum):
    IDLE = "idle"
    RUNNING = "running"
    FAILED = "failed"


class Account(CreatedAt, TenantOwned, Base):
    """A company, identified by its registrable domain in IDNA form."""

    __tablename__ = "accounts"
    __table_args__ = (UniqueConstraint("tenant_id", "domain"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    domain: Mapped[str] = mapped_column(String(253))
    name: Mapped[str] = mapped_column(String(200), default="")


class Contact(CreatedAt, TenantOwned, Base):
    """One recipient address, normalised (lower case, IDNA domain)."""

    __tablename__ = "contacts"
    # Old mail carries contact ids in its tokens, so SQLite must not hand out the id of
    # a deleted contact again (PostgreSQL sequences never do).
    __table_args__ = (UniqueConstraint("tenant_id", "email"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320))
    first_name: Mapped[str] = mapped_column(String(200), default="")
    last_name: Mapped[str] = mapped_column(String(200), default="")
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL"), index=True
    )
    external_ids: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    account: Mapped[Account | None] = relationship()


target_group_accounts = Table(
    "target_group_accounts",
    Base.metadata,
    Column("target_group_id", ForeignKey("target_groups.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "account_id", ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True, index=True
    ),
)

target_group_contacts = Table(
    "target_group_contacts",
    Base.metadata,
    Column("target_group_id", ForeignKey("target_groups.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "contact_id", ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True, index=True
    ),
)


class TargetGroup(CreatedAt, TenantOwned, Base):
    """The recipients a recipient-based campaign targets (UI: Zielgruppe).

    `source_reference` names the list in the source system (a HubSpot list id, a
    Marketo static list id, ...); `sync_cursor` lets an interrupted import resume.
    """

    __tablename__ = "target_groups"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[TargetLevel] = mapped_column(enum_type(TargetLevel))
    source: Mapped[TargetSource] = mapped_column(
        enum_type(TargetSource), default=TargetSource.MANUAL
    )
    source_reference: Mapped[str | None] = mapped_column(String(500))
    integration_id: Mapped[int | None] = mapped_column(
        ForeignKey("integration_credentials.id", ondelete="SET NULL")
    )
    sync_state: Mapped[SyncState] = mapped_column(enum_type(SyncState), default=SyncState.IDLE)
    sync_cursor: Mapped[str | None] = mapped_column(Text)
    last_synced_at: Mapped[dt.datetime | None]
    last_sync_error: Mapped[str | None] = mapped_column(Text)

    accounts: Mapped[list[Account]] = relationship(secondary=target_group_accounts)
    contacts: Mapped[list[Contact]] = relationship(secondary=target_group_contacts)
