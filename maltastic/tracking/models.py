"""Tracking events as recorded at ingest, and the keys that sign tracking tokens."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import ForeignKey, Index, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from maltastic.db.base import Base, BigIntegerId, CreatedAt, TenantOwned, enum_type


class EventKind(enum.StrEnum):
    IMPRESSION = "impression"
    CLICK = "click"


class TrafficClass(enum.StrEnum):
    HUMAN = "human"
    PROXY = "proxy"  # image proxies and prefetchers (Gmail, Apple Mail Privacy Protection)
    MACHINE = "machine"  # scanners, link checkers, HTTP libraries
    SUSPECT = "suspect"  # bursts and fetches from the sender's own organisation


class TrackingEvent(TenantOwned, Base):
    """One counted banner load or click. Append-only.

    There is deliberately no column for the client IP address or user agent: both are
    used in memory to classify the request and then dropped.
    """

    __tablename__ = "tracking_events"
    __table_args__ = (Index("ix_tracking_events_tenant_time", "tenant_id", "occurred_at"),)

    id: Mapped[int] = mapped_column(BigIntegerId, primary_key=True)
    # No index of its own: the (tenant_id, occurred_at) index serves every lookup by
    # tenant, and each index costs time on every one of the many inserts.
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    occurred_at: Mapped[dt.datetime]
    kind: Mapped[EventKind] = mapped_column(enum_type(EventKind))
    traffic_class: Mapped[TrafficClass] = mapped_column(enum_type(TrafficClass))
    class_reason: Mapped[str] = mapped_column(String(64))
    # Campaign, employee, account and contact may be deleted later; events keep the ids.
    campaign_id: Mapped[int | None]
    employee_id: Mapped[int | None]
    account_id: Mapped[int | None]
    contact_id: Mapped[int | None]
    token_issued_at: Mapped[dt.datetime | None]


class TokenSigningKey(CreatedAt, TenantOwned, Base):
    """A tenant's HMAC key for tracking tokens, stored encrypted.

    Tokens name the key by `key_id`, so a retired key still verifies old mail while only
    the active key signs new tokens.
    """

    __tablename__ = "token_signing_keys"
    __table_args__ = (UniqueConstraint("tenant_id", "key_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key_id: Mapped[int]
    secret_ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    active: Mapped[bool] = mapped_column(default=True)
    retired_at: Mapped[dt.datetime | None]
