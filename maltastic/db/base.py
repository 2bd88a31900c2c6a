"""Declarative base, shared column types and the tenant-ownership mixin."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import BigInteger, DateTime, Enum, ForeignKey, Integer, MetaData, func
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

# Stable constraint names, so Alembic migrations name the same objects on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite only auto-increments a column declared exactly INTEGER PRIMARY KEY.
BigIntegerId = BigInteger().with_variant(Integer(), "sqlite")


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dt.datetime: DateTime(timezone=True)}  # noqa: RUF012


class CreatedAt:
    created_at: Mapped[dt.datetime] = mapped_column(default=utc_now, server_default=func.now())


class TenantOwned:
    """Mixin for every row that belongs to one tenant.

    Sessions opened for a tenant filter these rows by `tenant_id` automatically and
    refuse to write rows of another tenant; see `maltastic.db.tenancy`.
    """

    @declared_attr
    def tenant_id(cls) -> Mapped[int]:  # noqa: N805
        return mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)


def enum_type(enum_class: type[enum.StrEnum]) -> Enum:
    """Store a `StrEnum` as its lower-case value in a plain string column."""
    return Enum(
        enum_class,
        native_enum=False,
        length=16,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )
