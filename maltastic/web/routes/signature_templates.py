"""Signaturvorlagen: list, create, edit and delete, with a live preview of the signature.

Everyone who may see the marketing pages may open the templates and use the preview,
because marketing needs to check which banner a recipient gets. Changing a template
changes the signature of every employee's mail, so only roles that may edit
`Area.SETTINGS` (owners and admins) may save or delete one.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from maltastic.directory.models import Employee
from maltastic.i18n.catalog import gettext as _
from maltastic.signatures import editing
from maltastic.signatures.models import SignatureTemplate
from maltastic.signatures.preview import PreviewRequest, build_preview
from maltastic.signatures.rendering import TemplateSource
from maltastic.tracking.keyring import load_keyring
from maltastic.validation import InvalidInputError
from maltastic.web.access import (
    AdminContext,
    Area,
    ForbiddenError,
    NotFoundError,
    editor,
    find_or_404,
    viewer,
)
from maltastic.web.csrf import check_csrf
from maltastic.web.dependencies import runtime_of
from maltastic.web.forms import checked, field, flash, redirect
from maltastic.web.routes.mail_frames import allow_mail_styles
from maltastic.web.templating import render

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/templates")
View = Annotated[AdminContext, Depends(viewer(Area.MARKETING))]
Edit = Annotated[AdminContext, Depends(editor(Area.SETTINGS))]
MAX_RECIPIENT_CHARS = 2000

_view_marketing = viewer(Area.MARKETING)


async def preview_viewer(request: Request) -> AdminContext:
    """Dependency of the preview: the viewer's context after a CSRF check of the POST."""
    context = _view_marketing(request)
    await check_csrf(request)
    return context


Preview = Annotated[AdminContext, Depends(preview_viewer)]


@router.get("")
def list_page(context: View) -> Response:
    with context.session() as session:
        templates = editing.list_templates(session)
        return render(context.request, "signature_templates.html", {"templates": templates})


@router.get("/new")
def new_page(context: View) -> Response:
    if not context.can_edit(Area.SETTINGS):
        raise ForbiddenError
    values = {"name": "", "html_source": "", "text_source": "", "is_default": False}
    return show_form(context, None, values, {})


@router.post("/new")
async def create(context: Edit) -> Response:
    form = template_form(await context.request.form())

    def work() -> Response:
        with context.session() as session, session.begin():
            values = editing.check_template(session, form, None)
            template = editing.create_template(session, context.user_id, values)
            logger.info(
                "tenant id=%s: signature template id=%s created by user id=%s",
                context.identity.tenant_id,
                template.id,
                context.user_id,
            )
        message = _("Signature template “%(name)s” created.") % {"name": values.name}
        flash(context.request, message)
        return redirect("/templates")

    try:
        return await run_in_threadpool(work)
    except InvalidInputError as error:
        return await run_in_threadpool(show_form, context, None, form.__dict__, error.errors)


@router.post("/preview")
async def preview(context: Preview) -> Response:
    form = await context.request.form()
    return await run_in_threadpool(render_preview, context, form)


@router.get("/{template_id}")
def edit_page(template_id: int, context: View) -> Response:
    with context.session() as session:
        template = find_or_404(session, SignatureTemplate, template_id)
        values = {
            "name": template.name,
            "html_source": template.html_source,
            "text_source": template.text_source or "",
            "is_default": template.is_default,
        }
    return show_form(context, template_id, values, {})


@router.post("/{template_id}")
async def update(template_id: int, context: Edit) -> Response:
    form = template_form(await context.request.form())

    def work() -> Response:
        with context.session() as session, session.begin():
            template = find_or_404(session, SignatureTemplate, template_id)
            values = editing.check_template(session, form, template)
            editing.update_template(session, context.user_id, template, values)
        flash(context.request, _("Changes saved."))
        return redirect("/templates")

    try:
        return await run_in_threadpool(work)
    except InvalidInputError as error:
        return await run_in_threadpool(show_form, context, template_id, form.__dict__, error.errors)


@router.post("/{template_id}/delete")
async def delete(template_id: int, context: Edit) -> Response:
    def work() -> Response:
        with context.session() as session, session.begin():
            template = find_or_404(session, SignatureTemplate, template_id)
            name = template.name
            editing.delete_template(session, context.user_id, template)
        flash(context.request, _("Signature template “%(name)s” deleted.") % {"name": name})
        return redirect("/templates")

    try:
        return await run_in_threadpool(work)
    except InvalidInputError as error:
        flash(context.request, next(iter(error.errors.values())))
        return redirect(f"/templates/{template_id}")


def template_form(form: FormData) -> editing.TemplateForm:
    return editing.TemplateForm(
        name=field(form, "name"),
        html_source=field(form, "html_source").replace("\r\n", "\n"),
        text_source=field(form, "text_source").replace("\r\n", "\n"),
        is_default=checked(form, "is_default"),
    )


def show_form(
    context: AdminContext,
    template_id: int | None,
    values: dict[str, Any],
    errors: dict[str, str],
) -> Response:
    with context.session() as session:
        employees = list(
            session.scalars(
                select(Employee)
                .where(Employee.active.is_(True))
                .order_by(Employee.last_name, Employee.first_name)
            )
        )
        response = render(
            context.request,
            "signature_template_form.html",
            {
                "template_id": template_id,
                "values": values,
                "errors": errors,
                "employees": employees,
            },
            status=400 if errors else 200,
        )
    return allow_mail_styles(response, runtime_of(context.request).settings.public_base_url)


def render_preview(context: AdminContext, form: FormData) -> Response:
    """Render the preview fragment for the sources and recipients in `form`."""
    employee_id = field(form, "employee_id")
    if not employee_id.isdigit():
        raise NotFoundError
    request = PreviewRequest(
        template=TemplateSource(
            field(form, "name").strip() or _("New template"),
            field(form, "html_source").replace("\r\n", "\n"),
            field(form, "text_source").replace("\r\n", "\n") or None,
        ),
        employee_id=int(employee_id),
        to=field(form, "to")[:MAX_RECIPIENT_CHARS],
    )
    runtime = runtime_of(context.request)
    index = runtime.indexes.get(context.identity.tenant_id)
    with context.session() as session:
        keyring = load_keyring(session, runtime.secret_box)
        result = build_preview(session, index, keyring, runtime.settings.public_base_url, request)
        if result is None:
            raise NotFoundError
        error = editing.template_error_message(result.error) if result.error else None
        return render(
            context.request,
            "signature_preview.html",
            {"preview": result, "error_message": error, "to": request.to},
        )
