"""Daily rollups of tracking events, the source of every report."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from maltastic.db.base import Base, BigIntegerId, TenantOwned, enum_type
from maltastic.tracking.models import EventKind, TrafficClass

# Rollup dimensions use 0 for "none" instead of NULL so the unique key below also
# matches rows without an account or contact (NULLs never compare equal in a unique
# index). They carry no foreign keys because rollups outlive deleted campaigns.
NO_DIMENSION = 0


class DailyRollup(TenantOwned, Base):
    __tablename__ = "daily_rollups"
    __table_args__ = (
        UniqueConstraint(
            "tenant_id",
            "day",
            "campaign_id",
            "account_id",
            "contact_id",
            "kind",
            "traffic_class",
            name="uq_daily_rollups_key",
        ),
    )

    id: Mapped[int] = mapped_column(BigIntegerId, primary_key=True)
    day: Mapped[dt.date]
    campaign_id: Mapped[int] = mapped_column(default=NO_DIMENSION)
    account_id: Mapped[int] = mapped_column(default=NO_DIMENSION)
    contact_id: Mapped[int] = mapped_column(default=NO_DIMENSION)
    kind: Mapped[EventKind] = mapped_column(enum_type(EventKind))
    traffic_class: Mapped[TrafficClass] = mapped_column(enum_type(TrafficClass))
    count: Mapped[int] = mapped_column(default=0)
