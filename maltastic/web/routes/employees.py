"""Mitarbeiter: list with live search, create and edit, active switch and CSV/Excel import."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.responses import Response

from maltastic.directory import employees as service
from maltastic.directory.imports import import_employees
from maltastic.directory.models import Department, Employee
from maltastic.i18n.catalog import gettext as _
from maltastic.targeting.tabular import MAX_UPLOAD_BYTES, ImportReport, TableError, read_table
from maltastic.validation import InvalidInputError
from maltastic.web.access import AdminContext, Area, editor, find_or_404, viewer
from maltastic.web.forms import checked, field, flash, is_htmx, read_upload, redirect
from maltastic.web.templating import render

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/employees")
View = Annotated[AdminContext, Depends(viewer(Area.DIRECTORY))]
Edit = Annotated[AdminContext, Depends(editor(Area.DIRECTORY))]
FORM_FIELDS = ("email", "first_name", "last_name", "title", "phone", "mobile", "location")


@router.get("")
def list_page(context: View, q: str = "", page: int = 1) -> Response:
    page = max(page, 1)
    with context.session() as session:
        rows, total = service.search_employees(
            session, q[:200], offset=(page - 1) * service.PAGE_SIZE
        )
        values = {
            "employees": rows,
            "total": total,
            "query": q[:200],
            "page": page,
            "pages": max((total + service.PAGE_SIZE - 1) // service.PAGE_SIZE, 1),
        }
        template = "employees_rows.html" if is_htmx(context.request) else "employees.html"
        return render(context.request, template, values)


@router.get("/new")
def new_page(context: View) -> Response:
    return show_form(context, None, {"active": "on"}, {})


@router.post("/new")
async def create(context: Edit) -> Response:
    form = form_values(await context.request.form())

    def work() -> Response:
        with context.session() as session, session.begin():
            values = service.check_employee(session, form)
            service.create_employee(session, context.user_id, values)
        flash(context.request, _("Employee %(email)s created.") % {"email": values["email"]})
        return redirect("/employees")

    try:
        return await run_in_threadpool(work)
    except InvalidInputError as error:
        return await run_in_threadpool(show_form, context, None, form, error.errors)


@router.get("/import")
def import_page(context: View) -> Response:
    return render(context.request, "employees_import.html", {"report": None, "errors": {}})


@router.post("/import")
async def import_file(context: Edit) -> Response:
    form = await context.request.form()
    upload = await read_upload(form, "file", MAX_UPLOAD_BYTES)
    skip_rejected = checked(form, "skip_rejected")

    def work() -> ImportReport:
        if upload is None:
            raise TableError(_("Please choose a CSV or Excel file."))
        rows = read_table(*upload)
        with context.session() as session, session.begin():
            return import_employees(session, context.user_id, rows, skip_rejected=skip_rejected)

    try:
        report = await run_in_threadpool(work)
    except TableError as error:
        logger.info(
            "employee import for tenant id=%s failed: %s", context.identity.tenant_id, error
        )
        errors = {"file": str(error)}
        return render(context.request, "employees_import.html", {"errors": errors}, status=400)
    logger.info(
        "employee import for tenant id=%s: applied=%s created=%s updated=%s rejected=%s",
        context.identity.tenant_id,
        report.applied,
        report.created,
        report.updated,
        len(report.rejected),
    )
    status = 200 if report.applied else 400
    return render(
        context.request, "employees_import.html", {"report": report, "errors": {}}, status=status
    )


@router.get("/{employee_id}")
def edit_page(employee_id: int, context: View) -> Response:
    with context.session() as session:
        employee = find_or_404(session, Employee, employee_id)
        values = {name: getattr(employee, name) for name in FORM_FIELDS}
        values["department_id"] = str(employee.department_id or "")
        values["active"] = "on" if employee.active else ""
    return show_form(context, employee_id, values, {})


@router.post("/{employee_id}")
async def update(employee_id: int, context: Edit) -> Response:
    form = form_values(await context.request.form())

    def work() -> Response:
        with context.session() as session, session.begin():
            employee = find_or_404(session, Employee, employee_id)
            values = service.check_employee(session, form, employee)
            service.update_employee(session, context.user_id, employee, values)
        flash(context.request, _("Changes saved."))
        return redirect("/employees")

    try:
        return await run_in_threadpool(work)
    except InvalidInputError as error:
        return await run_in_threadpool(show_form, context, employee_id, form, error.errors)


@router.post("/{employee_id}/active")
async def toggle_active(employee_id: int, context: Edit) -> Response:
    active = checked(await context.request.form(), "active")

    def work() -> Response:
        with context.session() as session, session.begin():
            employee = find_or_404(session, Employee, employee_id)
            service.update_employee(session, context.user_id, employee, {"active": active})
            if is_htmx(context.request):
                return render(context.request, "employee_row.html", {"employee": employee})
        return redirect("/employees")

    return await run_in_threadpool(work)


def form_values(form: FormData) -> dict[str, str]:
    values = {name: field(form, name) for name in (*FORM_FIELDS, "department_id")}
    values["active"] = "on" if checked(form, "active") else ""
    return values


def show_form(
    context: AdminContext, employee_id: int | None, values: dict[str, Any], errors: dict[str, str]
) -> Response:
    with context.session() as session:
        departments = department_choices(session)
    return render(
        context.request,
        "employee_form.html",
        {
            "employee_id": employee_id,
            "values": values,
            "errors": errors,
            "departments": departments,
        },
        status=400 if errors else 200,
    )


def department_choices(session: Session) -> list[tuple[int, str]]:
    rows = session.execute(select(Department.id, Department.name).order_by(Department.name))
    return [(row[0], row[1]) for row in rows]
