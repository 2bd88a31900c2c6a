"""Tenants (customer companies), their domains, networks and tracking opt-outs."""

from __future__ import annotations

import enum

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from maltastic.db.base import Base, CreatedAt, TenantOwned, enum_type

DEFAULT_TIME_ZONE = "Europe/Berlin"
DEFAULT_RETENTION_DAYS = 180


class Tenant(CreatedAt, Base):
    """One customer company (UI: Organisation)."""

    __tablename__ = "tenants"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(63), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    time_zone: Mapped[str] = mapped_column(String(64), default=DEFAULT_TIME_ZONE)
    website_url: Mapped[str | None] = mapped_column(String(2000))
    retention_days: Mapped[int] = mapped_column(default=DEFAULT_RETENTION_DAYS)
    contact_analytics_enabled: Mapped[bool] = mapped_column(default=False)
    contact_analytics_legal_basis: Mapped[str | None] = mapped_column(String(500))

    domains: Mapped[list[TenantDomain]] = relationship(
        back_populates="tenant", cascade="all, delete-orphan"
    )


class DomainKind(enum.StrEnum):
    OWN = "own"  # the tenant's sending domains; decides which tenant a sender belongs to
    INTERNAL = "internal"  # subsidiaries and partners whose recipients count as colleagues
    FREEMAIL = "freemail"  # extra freemail or ISP domains that are never accounts


class TenantDomain(TenantOwned, Base):
    __tablename__ = "tenant_domains"
    __table_args__ = (
        UniqueConstraint("tenant_id", "domain", "kind"),
        # A sending domain identifies exactly one tenant.
        Index(
            "uq_tenant_domains_own_domain",
            "domain",
            unique=True,
            sqlite_where=text("kind = 'own'"),
            postgresql_where=text("kind = 'own'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    domain: Mapped[str] = mapped_column(String(253))
    kind: Mapped[DomainKind] = mapped_column(enum_type(DomainKind))

    tenant: Mapped[Tenant] = relationship(back_populates="domains")


class NetworkPurpose(enum.StrEnum):
    OWN_NETWORK = "own_network"  # fetches from here are the sender's organisation
    RELAY_SOURCE = "relay_source"  # SMTP clients allowed to hand mail to the relay


class TenantNetwork(TenantOwned, Base):
    __tablename__ = "tenant_networks"
    __table_args__ = (UniqueConstraint("tenant_id", "cidr", "purpose"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cidr: Mapped[str] = mapped_column(String(49))
    purpose: Mapped[NetworkPurpose] = mapped_column(enum_type(NetworkPurpose))


class OptOutKind(enum.StrEnum):
    ADDRESS = "address"
    DOMAIN = "domain"


class TrackingOptOut(CreatedAt, TenantOwned, Base):
    """A recipient address or domain that must not be tracked, also for mail already sent."""

    __tablename__ = "tracking_opt_outs"
    __table_args__ = (UniqueConstraint("tenant_id", "kind", "value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[OptOutKind] = mapped_column(enum_type(OptOutKind))
    value: Mapped[str] = mapped_column(String(320))
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
