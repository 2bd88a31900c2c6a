"""Banners and the campaigns that show them."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import (
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Table,
    text,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from maltastic.db.base import Base, CreatedAt, TenantOwned, enum_type, utc_now
from maltastic.directory.models import Department
from maltastic.targeting.models import TargetGroup

BANNER_CONTENT_TYPES = ("image/png", "image/jpeg", "image/gif")


class Banner(CreatedAt, TenantOwned, Base):
    """A campaign image with its alt text."""

    __tablename__ = "banners"
    __table_args__ = (
        CheckConstraint(
            "content_type IN ('image/png', 'image/jpeg', 'image/gif')", name="content_type"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    image: Mapped[bytes] = deferred(mapped_column(LargeBinary))
    content_type: Mapped[str] = mapped_column(String(32))
    byte_size: Mapped[int]
    width: Mapped[int]
    height: Mapped[int]
    alt_text: Mapped[str] = mapped_column(String(500), default="")
    sha256: Mapped[str] = mapped_column(String(64))


class CampaignKind(enum.StrEnum):
    SENDER = "sender"  # shown by department (absenderbasiert)
    RECIPIENT = "recipient"  # shown for a target group's accounts or contacts (empfängerbasiert)


campaign_departments = Table(
    "campaign_departments",
    Base.metadata,
    Column("campaign_id", ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "department_id",
        ForeignKey("departments.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
)

campaign_target_groups = Table(
    "campaign_target_groups",
    Base.metadata,
    Column("campaign_id", ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "target_group_id",
        ForeignKey("target_groups.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
)


class Campaign(CreatedAt, TenantOwned, Base):
    """A banner, its target URL and who sees it (UI: Kampagne).

    Lower `priority` numbers win. A campaign is active between its optional start and
    end unless paused. At most one campaign per tenant is the tenant default, shown
    when no other campaign applies.
    """

    __tablename__ = "campaigns"
    __table_args__ = (
        CheckConstraint("target_url LIKE 'https://%'", name="https_target"),
        CheckConstraint("ends_at IS NULL OR starts_at IS NULL OR ends_at > starts_at", "period"),
        Index(
            "uq_campaigns_tenant_default",
            "tenant_id",
            unique=True,
            sqlite_where=text("is_tenant_default"),
            postgresql_where=text("is_tenant_default"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[CampaignKind] = mapped_column(enum_type(CampaignKind))
    banner_id: Mapped[int] = mapped_column(ForeignKey("banners.id", ondelete="RESTRICT"))
    target_url: Mapped[str] = mapped_column(String(2000))
    starts_at: Mapped[dt.datetime | None]
    ends_at: Mapped[dt.datetime | None]
    priority: Mapped[int] = mapped_column(default=100)
    paused: Mapped[bool] = mapped_column(default=False)
    is_tenant_default: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utc_now, onupdate=utc_now)

    banner: Mapped[Banner] = relationship()
    departments: Mapped[list[Department]] = relationship(secondary=campaign_departments)
    target_groups: Mapped[list[TargetGroup]] = relationship(secondary=campaign_target_groups)
