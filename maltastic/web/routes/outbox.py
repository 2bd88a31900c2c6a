"""Postausgang: the relay's demo outbox, listed per tenant, with a safe message view.

The outbox shows mail of every employee of the tenant, so only roles that may see
`Area.SETTINGS` may open it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends
from starlette.responses import FileResponse, Response

from maltastic.relay import outbox_view
from maltastic.tracking.preview import embedded_banners
from maltastic.web.access import AdminContext, Area, NotFoundError, viewer
from maltastic.web.dependencies import runtime_of
from maltastic.web.routes.campaigns import tenant_zone
from maltastic.web.routes.mail_frames import allow_mail_styles
from maltastic.web.templating import render

router = APIRouter(prefix="/outbox")
View = Annotated[AdminContext, Depends(viewer(Area.SETTINGS))]


def outbox_dir(context: AdminContext) -> Path:
    return runtime_of(context.request).settings.outbox_dir


@router.get("")
def list_page(context: View) -> Response:
    entries = outbox_view.list_outbox(outbox_dir(context), context.identity.tenant_id)
    settings = runtime_of(context.request).settings
    with context.session() as session:
        zone = tenant_zone(session, context)
    return render(
        context.request,
        "outbox.html",
        {
            "entries": entries,
            "zone": zone,
            "limit": outbox_view.MAX_LISTED,
            "has_next_hop": settings.next_hop is not None,
        },
    )


@router.get("/{queue_id}")
def detail_page(queue_id: str, context: View) -> Response:
    entry = find_or_404(context, queue_id)
    # Banners are embedded, so that looking at sent mail counts no impression.
    images = embedded_banners(runtime_of(context.request), context.identity.tenant_id)
    view = outbox_view.read_message(outbox_dir(context), entry, images)
    with context.session() as session:
        zone = tenant_zone(session, context)
    response = render(
        context.request, "outbox_message.html", {"entry": entry, "view": view, "zone": zone}
    )
    return allow_mail_styles(response, runtime_of(context.request).settings.public_base_url)


@router.get("/{queue_id}/raw")
def download(queue_id: str, context: View) -> Response:
    entry = find_or_404(context, queue_id)
    return FileResponse(
        outbox_view.message_path(outbox_dir(context), entry),
        media_type="message/rfc822",
        filename=f"{entry.queue_id}.eml",
    )


def find_or_404(context: AdminContext, queue_id: str) -> outbox_view.OutboxEntry:
    entry = outbox_view.find_entry(outbox_dir(context), context.identity.tenant_id, queue_id)
    if entry is None:
        raise NotFoundError
    return entry
