"""Datenschutz: show, export and erase what is stored about one contact.

Every action takes the address from a posted form, so addresses never appear in URLs or
access logs. Only owners and admins reach these routes (`Area.PRIVACY`).
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from maltastic.i18n.catalog import gettext as _
from maltastic.privacy.erasure import ErasureReport, erase_contact
from maltastic.privacy.service import ContactNotFoundError, export_contact, find_contact
from maltastic.validation import InvalidInputError
from maltastic.web.access import AdminContext, Area, editor, viewer
from maltastic.web.forms import field, flash, redirect
from maltastic.web.templating import render

router = APIRouter(prefix="/privacy")
View = Annotated[AdminContext, Depends(viewer(Area.PRIVACY))]
Edit = Annotated[AdminContext, Depends(editor(Area.PRIVACY))]


@router.get("")
def privacy_page(context: View) -> Response:
    return show_page(context, "", {})


@router.post("")
async def look_up(context: Edit) -> Response:
    """Show what is stored about the contact with the posted address."""
    address = field(await context.request.form(), "address")

    try:
        export = await run_in_threadpool(load_export, context, address)
    except InvalidInputError as error:
        return show_error(context, address, error)
    return show_page(context, export["contact"]["email"], {}, export=export)


@router.post("/export")
async def download_export(context: Edit) -> Response:
    """Send the export as a JSON attachment named by the contact id, never by the address."""
    address = field(await context.request.form(), "address")

    try:
        export = await run_in_threadpool(load_export, context, address)
    except InvalidInputError as error:
        return show_error(context, address, error)
    filename = f"maltastic-contact-{export['contact']['id']}.json"
    return Response(
        json.dumps(export, ensure_ascii=False, indent=2),
        media_type="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


@router.post("/erase/confirm")
async def confirm_erasure(context: Edit) -> Response:
    """Ask once more before erasing, naming the address and what stays."""
    address = field(await context.request.form(), "address")

    try:
        export = await run_in_threadpool(load_export, context, address)
    except InvalidInputError as error:
        return show_error(context, address, error)
    return render(context.request, "privacy_erase.html", {"export": export})


@router.post("/erase")
async def erase(context: Edit) -> Response:
    address = field(await context.request.form(), "address")

    def work() -> ErasureReport:
        with context.session() as session, session.begin():
            return erase_contact(session, context.user_id, find_contact(session, address))

    try:
        report = await run_in_threadpool(work)
    except InvalidInputError as error:
        return show_error(context, address, error)
    flash(context.request, erasure_message(report))
    return redirect("/privacy")


def load_export(context: AdminContext, address: str) -> dict[str, Any]:
    with context.session() as session:
        return export_contact(session, find_contact(session, address))


def erasure_message(report: ErasureReport) -> str:
    message = _(
        "Contact #%(id)d erased. Daily figures merged into the account and campaign "
        "figures: %(rollups)d. Tracking events unlinked: %(events)d. Relay log entries "
        "unlinked: %(relay)d. Target group memberships removed: %(groups)d. Audit entries "
        "with the address redacted: %(audit)d."
    ) % {
        "id": report.contact_id,
        "rollups": report.rollup_rows_merged,
        "events": report.tracking_events_unlinked,
        "relay": report.relay_log_entries_unlinked,
        "groups": report.memberships_removed,
        "audit": report.audit_entries_redacted,
    }
    if report.opt_out_kept:
        message += " " + _("The tracking opt-out of the address stays, so it is not tracked again.")
    return message


def show_error(context: AdminContext, address: str, error: InvalidInputError) -> Response:
    status = 404 if isinstance(error, ContactNotFoundError) else 400
    return show_page(context, address, error.errors, status=status)


def show_page(
    context: AdminContext,
    address: str,
    errors: dict[str, str],
    *,
    export: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    return render(
        context.request,
        "privacy.html",
        {"address": address, "errors": errors, "export": export},
        status=status,
    )
