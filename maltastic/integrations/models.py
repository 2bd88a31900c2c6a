"""Credentials of CRM integrations, stored encrypted."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from maltastic.db.base import Base, CreatedAt, TenantOwned, enum_type, utc_now


class IntegrationProvider(enum.StrEnum):
    HUBSPOT = "hubspot"
    MARKETO = "marketo"
    PARDOT = "pardot"
    SALESFORCE = "salesforce"


class IntegrationCredential(CreatedAt, TenantOwned, Base):
    """Connection settings of one CRM account.

    `settings` holds non-secret values (instance URL, business unit id); the secret part
    (tokens, client secrets) is only ever stored as `secret_ciphertext`, encrypted with
    `maltastic.security.secrets`.
    """

    __tablename__ = "integration_credentials"
    __table_args__ = (UniqueConstraint("tenant_id", "provider", "label"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[IntegrationProvider] = mapped_column(enum_type(IntegrationProvider))
    label: Mapped[str] = mapped_column(String(200))
    base_url: Mapped[str] = mapped_column(String(2000), default="")
    secret_ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utc_now, onupdate=utc_now)
