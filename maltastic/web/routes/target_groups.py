"""Zielgruppen: account- and contact-level target groups, manual entry and file import."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from maltastic.i18n.catalog import gettext as _
from maltastic.targeting import groups as service
from maltastic.targeting.imports import import_members
from maltastic.targeting.models import TargetGroup
from maltastic.targeting.tabular import MAX_UPLOAD_BYTES, ImportReport, TableError, read_table
from maltastic.validation import InvalidInputError
from maltastic.web.access import AdminContext, Area, NotFoundError, editor, find_or_404, viewer
from maltastic.web.forms import checked, field, flash, is_htmx, read_upload, redirect
from maltastic.web.templating import render

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/target-groups")
View = Annotated[AdminContext, Depends(viewer(Area.MARKETING))]
Edit = Annotated[AdminContext, Depends(editor(Area.MARKETING))]


@router.get("")
def list_page(context: View) -> Response:
    return show_list(context, {}, {"level": "account"})


def show_list(context: AdminContext, errors: dict[str, str], values: dict[str, str]) -> Response:
    with context.session() as session:
        return render(
            context.request,
            "target_groups.html",
            {"groups": service.list_groups(session), "errors": errors, "values": values},
            status=400 if errors else 200,
        )


@router.post("")
async def create(context: Edit) -> Response:
    form = await context.request.form()
    name, level = field(form, "name"), field(form, "level")

    def work() -> Response:
        with context.session() as session, session.begin():
            group = service.create_group(session, context.user_id, name, level)
        flash(context.request, _("Target group “%(name)s” created.") % {"name": group.name})
        return redirect(f"/target-groups/{group.id}")

    try:
        return await run_in_threadpool(work)
    except InvalidInputError as error:
        values = {"name": name, "level": level}
        return await run_in_threadpool(show_list, context, error.errors, values)


@router.get("/{group_id}")
def detail_page(group_id: int, context: View, q: str = "") -> Response:
    return show_detail(context, group_id, q[:200], {}, {}, None)


def show_detail(
    context: AdminContext,
    group_id: int,
    query: str,
    errors: dict[str, str],
    values: dict[str, str],
    report: ImportReport | None,
) -> Response:
    with context.session() as session:
        group = find_or_404(session, TargetGroup, group_id)
        members = service.list_members(session, group, query)
        content = {
            "group": group,
            "members": members,
            "member_count": service.member_count(session, group),
            "campaign_count": service.campaign_count(session, group.id),
            "query": query,
            "errors": errors,
            "values": values,
            "report": report,
        }
        if is_htmx(context.request) and not errors and report is None:
            return render(context.request, "target_group_members.html", content)
        failed = errors or (report is not None and not report.applied)
        return render(context.request, "target_group.html", content, status=400 if failed else 200)


@router.post("/{group_id}/rename")
async def rename(group_id: int, context: Edit) -> Response:
    name = field(await context.request.form(), "name")

    def work() -> Response:
        with context.session() as session, session.begin():
            group = find_or_404(session, TargetGroup, group_id)
            service.rename_group(session, context.user_id, group, name)
        flash(context.request, _("Changes saved."))
        return redirect(f"/target-groups/{group_id}")

    try:
        return await run_in_threadpool(work)
    except InvalidInputError as error:
        values = {"name": name}
        return await run_in_threadpool(
            show_detail, context, group_id, "", error.errors, values, None
        )


@router.post("/{group_id}/delete")
async def delete(group_id: int, context: Edit) -> Response:
    def work() -> Response:
        with context.session() as session, session.begin():
            group = find_or_404(session, TargetGroup, group_id)
            service.delete_group(session, context.user_id, group)
        flash(context.request, _("Target group deleted."))
        return redirect("/target-groups")

    try:
        return await run_in_threadpool(work)
    except InvalidInputError as error:
        return await run_in_threadpool(show_detail, context, group_id, "", error.errors, {}, None)


@router.post("/{group_id}/members")
async def add_members(group_id: int, context: Edit) -> Response:
    text = field(await context.request.form(), "members")

    def work() -> ImportReport:
        with context.session() as session, session.begin():
            group = find_or_404(session, TargetGroup, group_id)
            return service.add_typed_members(session, context.user_id, group, text)

    try:
        report = await run_in_threadpool(work)
    except InvalidInputError as error:
        values = {"members": text}
        return await run_in_threadpool(
            show_detail, context, group_id, "", error.errors, values, None
        )
    values = {} if report.applied else {"members": text}
    return await run_in_threadpool(show_detail, context, group_id, "", {}, values, report)


@router.post("/{group_id}/import")
async def import_file(group_id: int, context: Edit) -> Response:
    form = await context.request.form()
    upload = await read_upload(form, "file", MAX_UPLOAD_BYTES)
    skip_rejected = checked(form, "skip_rejected")

    def work() -> ImportReport:
        with context.session() as session, session.begin():
            group = find_or_404(session, TargetGroup, group_id)
            if upload is None:
                raise TableError(_("Please choose a CSV or Excel file."))
            rows = read_table(*upload)
            return import_members(
                session, context.user_id, group, rows, skip_rejected=skip_rejected
            )

    try:
        report = await run_in_threadpool(work)
    except TableError as error:
        logger.info("import into target group id=%s failed: %s", group_id, error)
        errors = {"file": str(error)}
        return await run_in_threadpool(show_detail, context, group_id, "", errors, {}, None)
    logger.info(
        "import into target group id=%s: applied=%s added=%s rejected=%s",
        group_id,
        report.applied,
        report.created,
        len(report.rejected),
    )
    return await run_in_threadpool(show_detail, context, group_id, "", {}, {}, report)


@router.post("/{group_id}/members/{member_id}/remove")
async def remove_member(group_id: int, member_id: int, context: Edit) -> Response:
    def work() -> Response:
        with context.session() as session, session.begin():
            group = find_or_404(session, TargetGroup, group_id)
            if not service.remove_member(session, context.user_id, group, member_id):
                raise NotFoundError
        if is_htmx(context.request):
            return Response("", status_code=200)
        flash(context.request, _("Member removed."))
        return redirect(f"/target-groups/{group_id}")

    return await run_in_threadpool(work)
