"""Abteilungen: list, create, rename and delete departments."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from maltastic.directory import departments as service
from maltastic.i18n.catalog import gettext as _
from maltastic.validation import InvalidInputError
from maltastic.web.access import AdminContext, Area, NotFoundError, editor, viewer
from maltastic.web.forms import field, flash, redirect
from maltastic.web.templating import render

router = APIRouter(prefix="/departments")
View = Annotated[AdminContext, Depends(viewer(Area.DIRECTORY))]
Edit = Annotated[AdminContext, Depends(editor(Area.DIRECTORY))]


@router.get("")
def list_page(context: View) -> Response:
    return show_list(context)


def show_list(
    context: AdminContext,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    with context.session() as session:
        departments = service.list_departments(session)
        return render(
            context.request,
            "departments.html",
            {"departments": departments, "errors": errors or {}, "values": values or {}},
            status=400 if errors else 200,
        )


@router.post("")
async def create(context: Edit) -> Response:
    name = field(await context.request.form(), "name")

    def work() -> Response:
        with context.session() as session, session.begin():
            service.create_department(session, context.user_id, name)
        flash(context.request, _("Department “%(name)s” created.") % {"name": name.strip()})
        return redirect("/departments")

    try:
        return await run_in_threadpool(work)
    except InvalidInputError as error:
        return await run_in_threadpool(show_list, context, error.errors, {"name": name})


@router.post("/{department_id}/rename")
async def rename(department_id: int, context: Edit) -> Response:
    name = field(await context.request.form(), "name")

    def work() -> Response:
        with context.session() as session, session.begin():
            usage = load(session, department_id)
            service.rename_department(session, context.user_id, usage.department, name)
        flash(context.request, _("Department renamed."))
        return redirect("/departments")

    try:
        return await run_in_threadpool(work)
    except InvalidInputError as error:
        errors = {f"name-{department_id}": error.errors["name"]}
        return await run_in_threadpool(show_list, context, errors, {f"name-{department_id}": name})


@router.post("/{department_id}/delete")
async def delete(department_id: int, context: Edit) -> Response:
    def work() -> Response:
        with context.session() as session, session.begin():
            service.delete_department(session, context.user_id, load(session, department_id))
        flash(context.request, _("Department deleted."))
        return redirect("/departments")

    try:
        return await run_in_threadpool(work)
    except InvalidInputError as error:
        errors = {f"name-{department_id}": error.errors["name"]}
        return await run_in_threadpool(show_list, context, errors)


def load(session: Session, department_id: int) -> service.DepartmentUsage:
    usages = service.list_departments(session, department_id)
    if not usages:
        raise NotFoundError
    return usages[0]
