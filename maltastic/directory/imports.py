"""Import employees from a CSV or Excel table, all or nothing.

Columns are found by their German or English header names. A line is rejected with a
reason when its address is invalid, outside the organisation's domains, or repeated in
the file. Unless the admin chooses to skip rejected lines, one rejected line means
nothing is written. Existing employees (same address) are updated, new ones created;
unknown department names create the department.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from maltastic.audit.service import AuditAction, changed_fields, record_change
from maltastic.directory.employees import TEXT_FIELDS, sender_domains
from maltastic.directory.models import Department, Employee
from maltastic.i18n.catalog import gettext as _
from maltastic.targeting.addresses import normalise_address
from maltastic.targeting.domains import is_same_or_subdomain
from maltastic.targeting.tabular import ImportReport, TableError, aliases, map_columns

COLUMN_ALIASES = {
    "email": aliases("E-Mail", "E-Mail-Adresse", "Email", "Email address", "Mail", "Adresse"),
    "first_name": aliases("Vorname", "First name", "Firstname", "Given name"),
    "last_name": aliases("Nachname", "Last name", "Lastname", "Surname", "Familienname"),
    "title": aliases("Position", "Titel", "Funktion", "Title", "Job title", "Berufsbezeichnung"),
    "phone": aliases("Telefon", "Telefonnummer", "Phone", "Phone number", "Festnetz"),
    "mobile": aliases("Mobil", "Mobiltelefon", "Handy", "Mobile", "Mobile phone"),
    "location": aliases("Standort", "Ort", "Büro", "Location", "Office", "City"),
    "department": aliases("Abteilung", "Department", "Team"),
    "active": aliases("Aktiv", "Active", "Status"),
}
INACTIVE_WORDS = frozenset({"0", "nein", "no", "false", "falsch", "inaktiv", "inactive", "n"})

EmployeeValues = dict[str, Any]


def import_employees(
    session: Session, actor_id: int, rows: Sequence[tuple[str, ...]], *, skip_rejected: bool
) -> ImportReport:
    """Check every line of `rows` (the first is the header), then write them if allowed."""
    if not rows:
        raise TableError(_("The file is empty."))
    columns = map_columns(rows[0], COLUMN_ALIASES)
    if "email" not in columns:
        raise TableError(
            _("The file has no column for the email address. Name it “E-Mail” or “Email”.")
        )
    report = ImportReport()
    accepted = check_lines(session, rows, columns, report)
    if report.rejected and not skip_rejected:
        return report
    write_employees(session, actor_id, accepted, report)
    report.applied = True
    return report


def check_lines(
    session: Session,
    rows: Sequence[tuple[str, ...]],
    columns: dict[str, int],
    report: ImportReport,
) -> list[EmployeeValues]:
    domains = set(sender_domains(session))
    seen: set[str] = set()
    accepted: list[EmployeeValues] = []
    for line, row in enumerate(rows[1:], start=2):
        values = {field: cell(row, index) for field, index in columns.items()}
        reason = line_error(values, domains, seen)
        if reason:
            report.reject(line, row, reason)
            continue
        seen.add(values["email"])
        accepted.append(values)
    return accepted


def cell(row: tuple[str, ...], index: int) -> str:
    return " ".join(row[index].split()) if index < len(row) else ""


def line_error(values: EmployeeValues, domains: set[str], seen: set[str]) -> str | None:
    """Return why a line cannot be imported, or None. Also normalises `values["email"]`."""
    email = normalise_address(values["email"]) if values["email"] else None
    if not values["email"]:
        return _("The email address is missing.")
    if email is None:
        return _("“%(value)s” is not a valid email address.") % {"value": values["email"]}
    if not is_same_or_subdomain(email.rpartition("@")[2], domains):
        return _("%(email)s does not belong to one of your organisation's domains.") % {
            "email": email
        }
    if email in seen:
        return _("%(email)s appears more than once in the file.") % {"email": email}
    for field, max_length in TEXT_FIELDS.items():
        if len(values.get(field, "")) > max_length:
            return _("The column “%(column)s” is longer than %(count)d characters.") % {
                "column": field,
                "count": max_length,
            }
    if len(values.get("department", "")) > 200:
        return _("The department name is longer than 200 characters.")
    values["email"] = email
    return None


def write_employees(
    session: Session, actor_id: int, lines: list[EmployeeValues], report: ImportReport
) -> None:
    existing = {e.email: e for e in session.scalars(select(Employee))}
    departments = {d.name.lower(): d for d in session.scalars(select(Department))}
    for values in lines:
        fields = employee_fields(session, actor_id, values, departments)
        employee = existing.get(values["email"])
        if employee is None:
            session.add(Employee(**fields))
            report.created += 1
        elif changed_fields(employee, fields):
            report.updated += 1
        else:
            report.unchanged += 1
    session.flush()
    record_change(
        session,
        actor_id=actor_id,
        action=AuditAction.IMPORT,
        entity_type="employee",
        entity_id="",
        changes={
            "created": (None, report.created),
            "updated": (None, report.updated),
            "rejected": (None, len(report.rejected)),
        },
    )


def employee_fields(
    session: Session,
    actor_id: int,
    values: EmployeeValues,
    departments: dict[str, Department],
) -> dict[str, Any]:
    fields: dict[str, Any] = {"email": values["email"]}
    fields.update({name: values[name] for name in TEXT_FIELDS if name in values})
    if "active" in values:
        fields["active"] = values["active"].lower() not in INACTIVE_WORDS
    name = values.get("department", "")
    if name:
        fields["department"] = departments.get(name.lower()) or new_department(
            session, actor_id, name, departments
        )
    return fields


def new_department(
    session: Session, actor_id: int, name: str, departments: dict[str, Department]
) -> Department:
    department = Department(name=name)
    session.add(department)
    session.flush()
    departments[name.lower()] = department
    record_change(
        session,
        actor_id=actor_id,
        action=AuditAction.CREATE,
        entity_type="department",
        entity_id=department.id,
        changes={"name": (None, name)},
    )
    return department
