"""Relay log: one row of metadata per message the relay handled, never its content."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from maltastic.db.base import Base, BigIntegerId, TenantOwned, enum_type


class RelayAction(enum.StrEnum):
    INSERTED = "inserted"  # signature inserted or re-personalised
    PASSED_THROUGH = "passed_through"  # relayed unchanged on purpose (signed, calendar, ...)
    REWRITE_FAILED = "rewrite_failed"  # relayed unchanged because rewriting failed
    DEFERRED = "deferred"  # next hop unavailable; the upstream got a 4xx and retries
    REJECTED = "rejected"  # next hop rejected permanently


class RelayLogEntry(TenantOwned, Base):
    """Messages of senders that belong to no tenant are logged to the process log only."""

    __tablename__ = "relay_log"
    __table_args__ = (Index("ix_relay_log_tenant_time", "tenant_id", "received_at"),)

    id: Mapped[int] = mapped_column(BigIntegerId, primary_key=True)
    received_at: Mapped[dt.datetime]
    message_id: Mapped[str] = mapped_column(String(998), default="")
    employee_id: Mapped[int | None]
    recipient_count: Mapped[int]
    audience_kind: Mapped[str] = mapped_column(String(16))
    account_id: Mapped[int | None]
    contact_id: Mapped[int | None]
    rule: Mapped[str] = mapped_column(String(64), default="")
    action: Mapped[RelayAction] = mapped_column(enum_type(RelayAction))
    reason: Mapped[str] = mapped_column(String(500), default="")
    size_bytes: Mapped[int]
    duration_ms: Mapped[int]
