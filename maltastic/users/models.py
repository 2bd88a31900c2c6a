"""Admin users and their role in each tenant they belong to."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from maltastic.db.base import Base, CreatedAt, TenantOwned, enum_type


class Role(enum.StrEnum):
    OWNER = "owner"  # everything, including users and deleting the tenant
    ADMIN = "admin"  # everything about signatures, relay and integrations
    MARKETING = "marketing"  # campaigns, banners, target groups and analytics
    READ_ONLY = "read_only"  # sees everything, changes nothing


class User(CreatedAt, Base):
    """A person who logs in to the admin application.

    Users are global so that one person can belong to several tenants; what they may
    do is decided per tenant by their `Membership`.
    """

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    locale: Mapped[str] = mapped_column(String(8), default="de")
    active: Mapped[bool] = mapped_column(default=True)
    last_login_at: Mapped[dt.datetime | None]

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )


class Membership(CreatedAt, TenantOwned, Base):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "tenant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(enum_type(Role))

    user: Mapped[User] = relationship(back_populates="memberships")
