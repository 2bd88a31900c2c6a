"""Departments as admins edit them: validation, changes and audit entries.

Every function takes a session opened for one tenant and the id of the acting user, and
raises InvalidInputError before it changes anything.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from maltastic.audit.service import AuditAction, changed_fields, record_change
from maltastic.campaigns.models import campaign_departments
from maltastic.directory.models import Department, Employee
from maltastic.i18n.catalog import gettext as _
from maltastic.validation import InvalidInputError

MAX_NAME_LENGTH = 200


@dataclass(frozen=True)
class DepartmentUsage:
    department: Department
    employee_count: int
    campaign_count: int

    @property
    def in_use(self) -> bool:
        return bool(self.employee_count or self.campaign_count)


def list_departments(session: Session, department_id: int | None = None) -> list[DepartmentUsage]:
    """Return the departments (or the one with `department_id`) with their usage counts."""
    employees = (
        select(func.count(Employee.id))
        .where(Employee.department_id == Department.id)
        .scalar_subquery()
    )
    campaigns = (
        select(func.count())
        .select_from(campaign_departments)
        .where(campaign_departments.c.department_id == Department.id)
        .scalar_subquery()
    )
    statement = select(Department, employees, campaigns).order_by(Department.name)
    if department_id is not None:
        statement = statement.where(Department.id == department_id)
    rows = session.execute(statement)
    return [DepartmentUsage(row[0], row[1], row[2]) for row in rows]


def check_department_name(session: Session, name: str, current_id: int | None = None) -> str:
    name = " ".join(name.split())
    if not name:
        raise InvalidInputError({"name": _("Please enter a name.")})
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidInputError({"name": _("The name can have at most 200 characters.")})
    clash = session.scalar(select(Department.id).where(func.lower(Department.name) == name.lower()))
    if clash is not None and clash != current_id:
        raise InvalidInputError({"name": _("A department with this name already exists.")})
    return name


def create_department(session: Session, actor_id: int, name: str) -> Department:
    department = Department(name=check_department_name(session, name))
    session.add(department)
    session.flush()
    record_change(
        session,
        actor_id=actor_id,
        action=AuditAction.CREATE,
        entity_type="department",
        entity_id=department.id,
        changes={"name": (None, department.name)},
    )
    return department


def rename_department(session: Session, actor_id: int, department: Department, name: str) -> None:
    changes = changed_fields(
        department, {"name": check_department_name(session, name, department.id)}
    )
    if changes:
        record_change(
            session,
            actor_id=actor_id,
            action=AuditAction.UPDATE,
            entity_type="department",
            entity_id=department.id,
            changes=changes,
        )


def delete_department(session: Session, actor_id: int, usage: DepartmentUsage) -> None:
    if usage.in_use:
        raise InvalidInputError(
            {"name": _("This department still has employees or campaigns and cannot be deleted.")}
        )
    department = usage.department
    record_change(
        session,
        actor_id=actor_id,
        action=AuditAction.DELETE,
        entity_type="department",
        entity_id=department.id,
        changes={"name": (department.name, None)},
    )
    session.delete(department)
