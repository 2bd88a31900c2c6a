"""Reports for the Auswertung page and the API, read from the daily rollups.

Days are calendar days in the tenant's time zone (see maltastic.analytics.rollups). By
default only human traffic counts; `include_machines` adds proxy prefetches, machines and
suspect traffic.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session

from maltastic.analytics.models import NO_DIMENSION, DailyRollup
from maltastic.campaigns.models import Campaign
from maltastic.targeting.models import Account, Contact
from maltastic.tracking.models import EventKind, TrafficClass


@dataclass(frozen=True)
class ReportFilter:
    tenant_id: int
    start: dt.date
    end: dt.date  # inclusive
    campaign_id: int | None = None
    include_machines: bool = False


@dataclass(frozen=True)
class Counts:
    impressions: int
    clicks: int

    @property
    def click_rate(self) -> float:
        """Clicks per impression, 0.0 without impressions."""
        return self.clicks / self.impressions if self.impressions else 0.0


@dataclass(frozen=True)
class DayCounts(Counts):
    day: dt.date


@dataclass(frozen=True)
class NamedCounts(Counts):
    id: int
    name: str


IMPRESSIONS = func.coalesce(
    func.sum(case((DailyRollup.kind == EventKind.IMPRESSION, DailyRollup.count), else_=0)), 0
)
CLICKS = func.coalesce(
    func.sum(case((DailyRollup.kind == EventKind.CLICK, DailyRollup.count), else_=0)), 0
)


def filtered(statement: Select[Any], report: ReportFilter) -> Select[Any]:
    statement = statement.where(
        DailyRollup.tenant_id == report.tenant_id,
        DailyRollup.day >= report.start,
        DailyRollup.day <= report.end,
    )
    if report.campaign_id is not None:
        statement = statement.where(DailyRollup.campaign_id == report.campaign_id)
    if not report.include_machines:
        statement = statement.where(DailyRollup.traffic_class == TrafficClass.HUMAN)
    return statement


def totals(session: Session, report: ReportFilter) -> Counts:
    impressions, clicks = session.execute(filtered(select(IMPRESSIONS, CLICKS), report)).one()
    return Counts(int(impressions), int(clicks))


def time_series(session: Session, report: ReportFilter) -> list[DayCounts]:
    """Return one entry per day of the range, zero where nothing happened."""
    statement = filtered(select(IMPRESSIONS, CLICKS), report).add_columns(DailyRollup.day)
    rows = session.execute(statement.group_by(DailyRollup.day))
    by_day = {day: (int(impressions), int(clicks)) for impressions, clicks, day in rows}
    days = (report.end - report.start).days + 1
    series = []
    for offset in range(max(days, 0)):
        day = report.start + dt.timedelta(days=offset)
        impressions, clicks = by_day.get(day, (0, 0))
        series.append(DayCounts(impressions, clicks, day))
    return series


def per_campaign(session: Session, report: ReportFilter) -> list[NamedCounts]:
    statement = (
        filtered(select(IMPRESSIONS, CLICKS), report)
        .add_columns(DailyRollup.campaign_id, Campaign.name)
        .outerjoin(Campaign, Campaign.id == DailyRollup.campaign_id)
        .where(DailyRollup.campaign_id != NO_DIMENSION)
        .group_by(DailyRollup.campaign_id, Campaign.name)
    )
    return sorted(
        (
            NamedCounts(int(i), int(c), campaign_id, name or f"#{campaign_id}")
            for i, c, campaign_id, name in session.execute(statement)
        ),
        key=lambda row: (-row.impressions, row.id),
    )


def top_accounts(session: Session, report: ReportFilter, limit: int = 10) -> list[NamedCounts]:
    statement = (
        filtered(select(IMPRESSIONS, CLICKS), report)
        .add_columns(DailyRollup.account_id, Account.domain)
        .join(Account, Account.id == DailyRollup.account_id)
        .group_by(DailyRollup.account_id, Account.domain)
    )
    return top(session, statement, limit)


def top_contacts(session: Session, report: ReportFilter, limit: int = 10) -> list[NamedCounts]:
    statement = (
        filtered(select(IMPRESSIONS, CLICKS), report)
        .add_columns(DailyRollup.contact_id, Contact.email)
        .join(Contact, Contact.id == DailyRollup.contact_id)
        .group_by(DailyRollup.contact_id, Contact.email)
    )
    return top(session, statement, limit)


def top(session: Session, statement: Select[Any], limit: int) -> list[NamedCounts]:
    rows = [
        NamedCounts(int(impressions), int(clicks), row_id, name)
        for impressions, clicks, row_id, name in session.execute(statement)
    ]
    rows.sort(key=lambda row: (-row.clicks, -row.impressions, row.name))
    return rows[:limit]


def series_as_csv(series: Sequence[DayCounts]) -> str:
    """CSV for spreadsheet programs: header row, ISO dates, click rate with a dot."""
    output = io.StringIO()
    writer = csv.writer(output, lineterminator="\r\n")
    writer.writerow(["day", "impressions", "clicks", "click_rate"])
    for point in series:
        writer.writerow(
            [point.day.isoformat(), point.impressions, point.clicks, f"{point.click_rate:.4f}"]
        )
    return output.getvalue()
