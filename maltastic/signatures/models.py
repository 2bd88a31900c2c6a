"""Signature templates written by admins in the sandboxed template language."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from maltastic.db.base import Base, CreatedAt, TenantOwned, utc_now


class SignatureTemplate(CreatedAt, TenantOwned, Base):
    """HTML and optional plain-text template of a signature (UI: Signaturvorlage).

    When `text_source` is empty, the text signature is derived from the HTML.
    """

    __tablename__ = "signature_templates"
    __table_args__ = (
        Index("uq_signature_templates_name", "tenant_id", "name", unique=True),
        Index(
            "uq_signature_templates_default",
            "tenant_id",
            unique=True,
            sqlite_where=text("is_default"),
            postgresql_where=text("is_default"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    html_source: Mapped[str] = mapped_column(Text)
    text_source: Mapped[str | None] = mapped_column(Text)
    is_default: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utc_now, onupdate=utc_now)
