"""Employees as admins edit them: search, validation, changes and audit entries."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from maltastic.audit.service import AuditAction, changed_fields, record_change
from maltastic.directory.models import Department, Employee
from maltastic.i18n.catalog import gettext as _
from maltastic.targeting.addresses import normalise_address
from maltastic.targeting.domains import is_same_or_subdomain
from maltastic.tenants.models import DomainKind, TenantDomain
from maltastic.validation import FieldErrors

# Maximum lengths of the free-text fields, as in the database columns.
TEXT_FIELDS = {
    "first_name": 200,
    "last_name": 200,
    "title": 200,
    "phone": 64,
    "mobile": 64,
    "location": 200,
}
PAGE_SIZE = 50


def search_employees(
    session: Session, query: str, *, limit: int = PAGE_SIZE, offset: int = 0
) -> tuple[list[Employee], int]:
    """Return one page of employees matching every word of `query`, and the match count."""
    statement = select(Employee).outerjoin(Department, Employee.department_id == Department.id)
    for word in query.split()[:10]:
        pattern = "%" + escape_like(word.lower()) + "%"
        statement = statement.where(
            or_(
                *(
                    func.lower(column).like(pattern, escape="\\")
                    for column in (
                        Employee.email,
                        Employee.first_name,
                        Employee.last_name,
                        Employee.title,
                        Department.name,
                    )
                )
            )
        )
    total = session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    page = statement.order_by(Employee.last_name, Employee.first_name, Employee.email)
    return list(session.scalars(page.limit(limit).offset(offset))), total


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def sender_domains(session: Session) -> list[str]:
    """Return the domains employees may send from: own and internal domains (subsidiaries)."""
    kinds = (DomainKind.OWN, DomainKind.INTERNAL)
    return list(session.scalars(select(TenantDomain.domain).where(TenantDomain.kind.in_(kinds))))


def check_employee(
    session: Session, form: Mapping[str, str], current: Employee | None = None
) -> dict[str, Any]:
    """Return the cleaned employee fields from `form`, or raise InvalidInputError."""
    errors = FieldErrors()
    email = check_employee_email(session, form.get("email", ""), errors, current)
    values: dict[str, Any] = {"email": email}
    for name, max_length in TEXT_FIELDS.items():
        value = " ".join(form.get(name, "").split())
        if len(value) > max_length:
            errors.add(name, _("At most %(count)d characters.") % {"count": max_length})
        values[name] = value
    values["department_id"] = check_department_choice(session, form.get("department_id", ""))
    if values["department_id"] == -1:
        errors.add("department_id", _("Please choose a department from the list."))
    values["active"] = form.get("active") in ("on", "1", "true")
    errors.raise_if_any()
    return values


def check_employee_email(
    session: Session, text: str, errors: FieldErrors, current: Employee | None
) -> str:
    email = normalise_address(text.strip()) if text.strip() else None
    if not text.strip():
        errors.add("email", _("Please enter the email address."))
        return ""
    if email is None:
        errors.add("email", _("This is not a valid email address, e.g. max.muster@beispiel.de."))
        return text.strip()
    domain = email.rpartition("@")[2]
    if not is_same_or_subdomain(domain, sender_domains(session)):
        errors.add("email", _("The address must belong to one of your organisation's domains."))
    clash = session.scalar(select(Employee.id).where(Employee.email == email))
    if clash is not None and (current is None or clash != current.id):
        errors.add("email", _("An employee with this email address already exists."))
    return email


def check_department_choice(session: Session, value: str) -> int | None:
    """Return the chosen department id, None for no department, -1 for an unknown one."""
    if not value.strip():
        return None
    if not value.strip().isdigit():
        return -1
    department_id = session.scalar(select(Department.id).where(Department.id == int(value)))
    return department_id if department_id is not None else -1


def create_employee(session: Session, actor_id: int, values: Mapping[str, Any]) -> Employee:
    employee = Employee(**values)
    session.add(employee)
    session.flush()
    record_change(
        session,
        actor_id=actor_id,
        action=AuditAction.CREATE,
        entity_type="employee",
        entity_id=employee.id,
        changes={name: (None, value) for name, value in values.items()},
    )
    return employee


def update_employee(
    session: Session, actor_id: int, employee: Employee, values: Mapping[str, Any]
) -> None:
    changes = changed_fields(employee, values)
    if changes:
        record_change(
            session,
            actor_id=actor_id,
            action=AuditAction.UPDATE,
            entity_type="employee",
            entity_id=employee.id,
            changes=changes,
        )
