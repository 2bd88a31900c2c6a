"""Kampagnen: list in priority order, create and edit, pause and resume, move, delete."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.responses import Response

from maltastic.analytics.rollups import zone_of
from maltastic.campaigns import service
from maltastic.campaigns.models import Banner, Campaign
from maltastic.db.base import utc_now
from maltastic.directory.models import Department
from maltastic.i18n.catalog import gettext as _
from maltastic.targeting.models import TargetGroup
from maltastic.tenants.models import Tenant
from maltastic.validation import InvalidInputError
from maltastic.web.access import AdminContext, Area, editor, find_or_404, viewer
from maltastic.web.forms import checked, field, fields, flash, is_htmx, redirect
from maltastic.web.templating import render

router = APIRouter(prefix="/campaigns")
View = Annotated[AdminContext, Depends(viewer(Area.MARKETING))]
Edit = Annotated[AdminContext, Depends(editor(Area.MARKETING))]


@router.get("")
def list_page(context: View) -> Response:
    with context.session() as session:
        return render_list(context, session, "campaigns.html")


def render_list(context: AdminContext, session: Session, template: str) -> Response:
    campaigns = list(session.scalars(select(Campaign).order_by(Campaign.priority, Campaign.id)))
    zone = tenant_zone(session, context)
    rows = [(campaign, campaign_state(campaign)) for campaign in campaigns]
    return render(
        context.request,
        template,
        {"rows": rows, "zone": zone, "local": lambda value: service.to_local_input(value, zone)},
    )


def campaign_state(campaign: Campaign) -> str:
    now = utc_now()
    if campaign.paused:
        return "paused"
    if campaign.starts_at and as_utc(campaign.starts_at) > now:
        return "scheduled"
    if campaign.ends_at and as_utc(campaign.ends_at) <= now:
        return "ended"
    return "active"


def as_utc(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def tenant_zone(session: Session, context: AdminContext) -> ZoneInfo:
    zone_name = session.scalar(
        select(Tenant.time_zone).where(Tenant.id == context.identity.tenant_id)
    )
    return zone_of(zone_name)


@router.get("/new")
def new_page(context: View) -> Response:
    return show_form(context, None, {"kind": "sender"}, {})


@router.post("/new")
async def create(context: Edit) -> Response:
    form = campaign_form(await context.request.form())

    def work() -> Response:
        with context.session() as session, session.begin():
            values = service.check_campaign(session, form, tenant_zone(session, context))
            service.create_campaign(session, context.user_id, values)
        flash(context.request, _("Campaign “%(name)s” created.") % {"name": values.name})
        return redirect("/campaigns")

    try:
        return await run_in_threadpool(work)
    except InvalidInputError as error:
        return await run_in_threadpool(show_form, context, None, form_view(form), error.errors)


@router.get("/{campaign_id}")
def edit_page(campaign_id: int, context: View) -> Response:
    with context.session() as session:
        campaign = find_or_404(session, Campaign, campaign_id)
        zone = tenant_zone(session, context)
        values = {
            "name": campaign.name,
            "kind": campaign.kind.value,
            "banner_id": str(campaign.banner_id),
            "target_url": campaign.target_url,
            "starts_at": service.to_local_input(campaign.starts_at, zone),
            "ends_at": service.to_local_input(campaign.ends_at, zone),
            "department_ids": [str(d.id) for d in campaign.departments],
            "target_group_ids": [str(g.id) for g in campaign.target_groups],
            "is_tenant_default": campaign.is_tenant_default,
        }
    return show_form(context, campaign_id, values, {})


@router.post("/{campaign_id}")
async def update(campaign_id: int, context: Edit) -> Response:
    form = campaign_form(await context.request.form())

    def work() -> Response:
        with context.session() as session, session.begin():
            campaign = find_or_404(session, Campaign, campaign_id)
            values = service.check_campaign(session, form, tenant_zone(session, context))
            service.update_campaign(session, context.user_id, campaign, values)
        flash(context.request, _("Changes saved."))
        return redirect("/campaigns")

    try:
        return await run_in_threadpool(work)
    except InvalidInputError as error:
        view = form_view(form)
        return await run_in_threadpool(show_form, context, campaign_id, view, error.errors)


@router.post("/{campaign_id}/pause")
async def pause(campaign_id: int, context: Edit) -> Response:
    return await change_list(
        context, campaign_id, lambda s, c: service.set_paused(s, context.user_id, c, True)
    )


@router.post("/{campaign_id}/resume")
async def resume(campaign_id: int, context: Edit) -> Response:
    return await change_list(
        context, campaign_id, lambda s, c: service.set_paused(s, context.user_id, c, False)
    )


@router.post("/{campaign_id}/up")
async def move_up(campaign_id: int, context: Edit) -> Response:
    return await change_list(
        context, campaign_id, lambda s, c: service.move_campaign(s, context.user_id, c, -1)
    )


@router.post("/{campaign_id}/down")
async def move_down(campaign_id: int, context: Edit) -> Response:
    return await change_list(
        context, campaign_id, lambda s, c: service.move_campaign(s, context.user_id, c, 1)
    )


@router.post("/{campaign_id}/delete")
async def delete(campaign_id: int, context: Edit) -> Response:
    return await change_list(
        context, campaign_id, lambda s, c: service.delete_campaign(s, context.user_id, c)
    )


async def change_list(
    context: AdminContext, campaign_id: int, change: Callable[[Session, Campaign], None]
) -> Response:
    """Apply `change` to one campaign and return the new table (HTMX) or a redirect."""

    def work() -> Response:
        with context.session() as session:
            with session.begin():
                change(session, find_or_404(session, Campaign, campaign_id))
            if is_htmx(context.request):
                return render_list(context, session, "campaigns_table.html")
        return redirect("/campaigns")

    return await run_in_threadpool(work)


def campaign_form(form: FormData) -> service.CampaignForm:
    return service.CampaignForm(
        name=field(form, "name"),
        kind=field(form, "kind"),
        banner_id=field(form, "banner_id"),
        target_url=field(form, "target_url"),
        starts_at=field(form, "starts_at"),
        ends_at=field(form, "ends_at"),
        department_ids=fields(form, "department_ids"),
        target_group_ids=fields(form, "target_group_ids"),
        is_tenant_default=checked(form, "is_tenant_default"),
    )


def form_view(form: service.CampaignForm) -> dict[str, Any]:
    values: dict[str, Any] = dict(form.__dict__)
    values["department_ids"] = list(form.department_ids)
    values["target_group_ids"] = list(form.target_group_ids)
    return values


def show_form(
    context: AdminContext, campaign_id: int | None, values: dict[str, Any], errors: dict[str, str]
) -> Response:
    with context.session() as session:
        choices = {
            "banners": list(session.scalars(select(Banner).order_by(Banner.name))),
            "departments": list(session.scalars(select(Department).order_by(Department.name))),
            "target_groups": list(session.scalars(select(TargetGroup).order_by(TargetGroup.name))),
            "zone": tenant_zone(session, context),
        }
        return render(
            context.request,
            "campaign_form.html",
            {"campaign_id": campaign_id, "values": values, "errors": errors, **choices},
            status=400 if errors else 200,
        )
