"""Audit log of changes made by admin users."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from maltastic.db.base import Base, BigIntegerId, TenantOwned, utc_now


class AuditLogEntry(TenantOwned, Base):
    """Who changed what and when; `changes` maps a field name to its old and new value."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_tenant_time", "tenant_id", "occurred_at"),)

    id: Mapped[int] = mapped_column(BigIntegerId, primary_key=True)
    occurred_at: Mapped[dt.datetime] = mapped_column(default=utc_now)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(64))
    entity_type: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str] = mapped_column(String(64), default="")
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
