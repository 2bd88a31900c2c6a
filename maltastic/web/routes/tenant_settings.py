"""Einstellungen: time zone, website, retention, contact-level analytics and networks."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from maltastic.i18n.catalog import gettext as _
from maltastic.tenants import configuration as service
from maltastic.tenants.models import Tenant
from maltastic.validation import InvalidInputError
from maltastic.web.access import AdminContext, Area, NotFoundError, editor, viewer
from maltastic.web.forms import checked, field, flash, redirect
from maltastic.web.templating import render

router = APIRouter(prefix="/settings")
View = Annotated[AdminContext, Depends(viewer(Area.SETTINGS))]
Edit = Annotated[AdminContext, Depends(editor(Area.SETTINGS))]


@router.get("")
def settings_page(context: View) -> Response:
    with context.session() as session:
        form = service.settings_form(session, load_tenant(session, context))
    return show_form(context, form, {})


@router.post("")
async def save(context: Edit) -> Response:
    submitted = await context.request.form()
    form = service.SettingsForm(
        time_zone=field(submitted, "time_zone"),
        website_url=field(submitted, "website_url"),
        retention_days=field(submitted, "retention_days"),
        contact_analytics_enabled=checked(submitted, "contact_analytics_enabled"),
        contact_analytics_legal_basis=field(submitted, "contact_analytics_legal_basis"),
        own_networks=field(submitted, "own_networks"),
        relay_networks=field(submitted, "relay_networks"),
    )

    def work() -> Response:
        with context.session() as session, session.begin():
            service.save_settings(session, context.user_id, load_tenant(session, context), form)
        flash(context.request, _("Settings saved."))
        return redirect("/settings")

    try:
        return await run_in_threadpool(work)
    except InvalidInputError as error:
        return show_form(context, form, error.errors)


def load_tenant(session: Session, context: AdminContext) -> Tenant:
    """Load the admin's own tenant; `Tenant` is not tenant-owned, so filter by hand."""
    tenant = session.scalar(select(Tenant).where(Tenant.id == context.identity.tenant_id))
    if tenant is None:
        raise NotFoundError
    return tenant


def show_form(
    context: AdminContext, form: service.SettingsForm, errors: dict[str, str]
) -> Response:
    return render(
        context.request,
        "settings.html",
        {"form": form, "errors": errors, "time_zones": service.time_zones()},
        status=400 if errors else 200,
    )
