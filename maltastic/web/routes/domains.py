"""Interne Domains: the organisation's own domains and the internal domains admins add."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from maltastic.i18n.catalog import gettext as _
from maltastic.tenants import configuration as service
from maltastic.tenants.models import TenantDomain
from maltastic.validation import InvalidInputError
from maltastic.web.access import AdminContext, Area, editor, find_or_404, viewer
from maltastic.web.forms import field, flash, redirect
from maltastic.web.templating import render

router = APIRouter(prefix="/domains")
View = Annotated[AdminContext, Depends(viewer(Area.SETTINGS))]
Edit = Annotated[AdminContext, Depends(editor(Area.SETTINGS))]


@router.get("")
def list_page(context: View) -> Response:
    return show_list(context, {}, "")


def show_list(context: AdminContext, errors: dict[str, str], domain: str) -> Response:
    with context.session() as session:
        return render(
            context.request,
            "domains.html",
            {"domains": service.list_domains(session), "errors": errors, "domain": domain},
            status=400 if errors else 200,
        )


@router.post("")
async def add(context: Edit) -> Response:
    domain = field(await context.request.form(), "domain")

    def work() -> Response:
        with context.session() as session, session.begin():
            row = service.add_internal_domain(session, context.user_id, domain)
        flash(context.request, _("Internal domain %(domain)s added.") % {"domain": row.domain})
        return redirect("/domains")

    try:
        return await run_in_threadpool(work)
    except InvalidInputError as error:
        return await run_in_threadpool(show_list, context, error.errors, domain)


@router.post("/{domain_id}/delete")
async def remove(domain_id: int, context: Edit) -> Response:
    def work() -> Response:
        with context.session() as session, session.begin():
            row = find_or_404(session, TenantDomain, domain_id)
            service.remove_internal_domain(session, context.user_id, row)
        flash(context.request, _("Internal domain removed."))
        return redirect("/domains")

    try:
        return await run_in_threadpool(work)
    except InvalidInputError as error:
        return await run_in_threadpool(show_list, context, error.errors, "")
