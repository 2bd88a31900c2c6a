"""Auswertung: impressions, clicks and click rate over time, per campaign, account, contact."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from maltastic.analytics import service
from maltastic.analytics.rollups import zone_of
from maltastic.analytics.service import ReportFilter
from maltastic.campaigns.models import Campaign
from maltastic.i18n.catalog import gettext as _
from maltastic.tenants.models import Tenant
from maltastic.web.access import AdminContext, Area, viewer
from maltastic.web.routes.campaigns import tenant_zone
from maltastic.web.templating import render

router = APIRouter()
View = Annotated[AdminContext, Depends(viewer(Area.MARKETING))]
DEFAULT_DAYS = 30
MAX_DAYS = 366


class ReportParameters:
    """The report filter from the query string, with an error text per invalid field."""

    def __init__(self, request: Request, tenant_id: int, zone: dt.tzinfo) -> None:
        query = request.query_params
        self.errors: dict[str, str] = {}
        today = dt.datetime.now(zone).date()
        self.end = self._date(query.get("end"), "end", today)
        self.start = self._date(
            query.get("start"), "start", self.end - dt.timedelta(DEFAULT_DAYS - 1)
        )
        if self.start > self.end:
            self.errors["start"] = _("The start must not be after the end.")
            self.start = self.end
        if (self.end - self.start).days >= MAX_DAYS:
            self.errors["start"] = _("Choose a range of at most one year.")
            self.start = self.end - dt.timedelta(MAX_DAYS - 1)
        campaign = query.get("campaign", "")
        self.campaign_id = int(campaign) if campaign.isdigit() else None
        self.include_machines = query.get("include_machines") == "1"
        self.filter = ReportFilter(
            tenant_id, self.start, self.end, self.campaign_id, self.include_machines
        )

    def _date(self, value: str | None, name: str, default: dt.date) -> dt.date:
        if not value:
            return default
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            self.errors[name] = _("Enter a date as YYYY-MM-DD.")
            return default


def build_report(session: Session, parameters: ReportParameters, tenant: Tenant) -> dict[str, Any]:
    report = parameters.filter
    series = service.time_series(session, report)
    return {
        "totals": service.totals(session, report),
        "series": series,
        "campaigns": service.per_campaign(session, report),
        "accounts": service.top_accounts(session, report),
        "contacts": service.top_contacts(session, report)
        if tenant.contact_analytics_enabled
        else [],
    }


@router.get("/analytics")
def analytics_page(context: View) -> Response:
    with context.session() as session:
        tenant = session.get(Tenant, context.identity.tenant_id)
        assert tenant is not None
        parameters = ReportParameters(context.request, tenant.id, zone_of(tenant.time_zone))
        report = build_report(session, parameters, tenant)
        campaigns = session.execute(select(Campaign.id, Campaign.name).order_by(Campaign.name))
        return render(
            context.request,
            "analytics.html",
            {
                **report,
                "parameters": parameters,
                "errors": parameters.errors,
                "campaign_choices": list(campaigns),
                "contact_analytics": tenant.contact_analytics_enabled,
                "chart_data": chart_data(report["series"]),
            },
            status=400 if parameters.errors else 200,
        )


@router.get("/api/analytics")
def analytics_api(context: View) -> Response:
    """Return the report as JSON: totals, daily series, campaigns, top accounts, contacts."""
    with context.session() as session:
        tenant = session.get(Tenant, context.identity.tenant_id)
        assert tenant is not None
        parameters = ReportParameters(context.request, tenant.id, zone_of(tenant.time_zone))
        if parameters.errors:
            return JSONResponse({"errors": parameters.errors}, status_code=400)
        report = build_report(session, parameters, tenant)
    return JSONResponse(
        {
            "start": parameters.start.isoformat(),
            "end": parameters.end.isoformat(),
            "include_machines": parameters.include_machines,
            "totals": counts_json(report["totals"]),
            "series": [counts_json(point) for point in report["series"]],
            "campaigns": [counts_json(row) for row in report["campaigns"]],
            "accounts": [counts_json(row) for row in report["accounts"]],
            "contacts": [counts_json(row) for row in report["contacts"]],
        }
    )


@router.get("/analytics.csv")
def analytics_csv(context: View) -> Response:
    """Return the daily series as CSV, or 400 with the page's error texts for an invalid range."""
    with context.session() as session:
        zone = tenant_zone(session, context)
    parameters = ReportParameters(context.request, context.identity.tenant_id, zone)
    if parameters.errors:
        return PlainTextResponse("\n".join(parameters.errors.values()), status_code=400)
    with context.session() as session:
        text = service.series_as_csv(service.time_series(session, parameters.filter))
    filename = f"auswertung-{parameters.start.isoformat()}-{parameters.end.isoformat()}.csv"
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def counts_json(counts: service.Counts) -> dict[str, Any]:
    values = {key: value for key, value in asdict(counts).items()}
    if "day" in values:
        values["day"] = values["day"].isoformat()
    values["click_rate"] = round(counts.click_rate, 4)
    return values


def chart_data(series: list[service.DayCounts]) -> dict[str, Any]:
    return {
        "labels": [point.day.strftime("%d.%m.") for point in series],
        "impressions": [point.impressions for point in series],
        "clicks": [point.clicks for point in series],
        "click_rate": [round(point.click_rate * 100, 2) for point in series],
        "names": {
            "impressions": _("Impressions"),
            "clicks": _("Clicks"),
            "click_rate": _("Click rate (%)"),
        },
    }
