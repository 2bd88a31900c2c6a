"""Banner: upload images with alt text, preview them through an authenticated route."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from sqlalchemy import select
from sqlalchemy.orm import Session, undefer
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from maltastic.campaigns import banners as service
from maltastic.campaigns.models import Banner
from maltastic.i18n.catalog import gettext as _
from maltastic.validation import InvalidInputError
from maltastic.web.access import AdminContext, Area, NotFoundError, editor, find_or_404, viewer
from maltastic.web.forms import field, flash, read_upload, redirect
from maltastic.web.templating import render

router = APIRouter(prefix="/banners")
View = Annotated[AdminContext, Depends(viewer(Area.MARKETING))]
Edit = Annotated[AdminContext, Depends(editor(Area.MARKETING))]


@router.get("")
def list_page(context: View) -> Response:
    return show_list(context, {}, {})


def show_list(context: AdminContext, errors: dict[str, str], values: dict[str, str]) -> Response:
    with context.session() as session:
        banners = list(session.scalars(select(Banner).order_by(Banner.name)))
        usage = {banner.id: service.campaigns_using(session, banner.id) for banner in banners}
        return render(
            context.request,
            "banners.html",
            {"banners": banners, "usage": usage, "errors": errors, "values": values},
            status=400 if errors else 200,
        )


@router.post("")
async def upload(context: Edit) -> Response:
    form = await context.request.form()
    name, alt_text = field(form, "name"), field(form, "alt_text")
    uploaded = await read_upload(form, "image", service.MAX_BANNER_BYTES)
    data = uploaded[0] if uploaded else b""

    def work() -> Response:
        with context.session() as session, session.begin():
            service.create_banner(session, context.user_id, name=name, alt_text=alt_text, data=data)
        flash(context.request, _("Banner “%(name)s” uploaded.") % {"name": name.strip()})
        return redirect("/banners")

    try:
        return await run_in_threadpool(work)
    except InvalidInputError as error:
        values = {"name": name, "alt_text": alt_text}
        return await run_in_threadpool(show_list, context, error.errors, values)


@router.get("/{banner_id}/image")
def image(banner_id: int, context: View) -> Response:
    with context.session() as session:
        banner = load_with_image(session, banner_id)
        return Response(
            banner.image,
            media_type=banner.content_type,
            headers={
                "cache-control": "private, max-age=300",
                "content-disposition": "inline",
            },
        )


@router.post("/{banner_id}")
async def update(banner_id: int, context: Edit) -> Response:
    form = await context.request.form()
    name, alt_text = field(form, "name"), field(form, "alt_text")

    def work() -> Response:
        with context.session() as session, session.begin():
            banner = find_or_404(session, Banner, banner_id)
            service.update_banner_text(
                session, context.user_id, banner, name=name, alt_text=alt_text
            )
        flash(context.request, _("Changes saved."))
        return redirect("/banners")

    try:
        return await run_in_threadpool(work)
    except InvalidInputError as error:
        errors = {f"{key}-{banner_id}": message for key, message in error.errors.items()}
        return await run_in_threadpool(show_list, context, errors, {})


@router.post("/{banner_id}/delete")
async def delete(banner_id: int, context: Edit) -> Response:
    def work() -> Response:
        with context.session() as session, session.begin():
            service.delete_banner(session, context.user_id, find_or_404(session, Banner, banner_id))
        flash(context.request, _("Banner deleted."))
        return redirect("/banners")

    try:
        return await run_in_threadpool(work)
    except InvalidInputError as error:
        errors = {f"name-{banner_id}": error.errors["name"]}
        return await run_in_threadpool(show_list, context, errors, {})


def load_with_image(session: Session, banner_id: int) -> Banner:
    banner = session.scalar(
        select(Banner).options(undefer(Banner.image)).where(Banner.id == banner_id)
    )
    if banner is None:
        raise NotFoundError
    return banner
