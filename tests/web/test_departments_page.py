"""Abteilungen: create, rename and delete departments over HTTP."""

import httpx
from sqlalchemy import select

from maltastic.audit.models import AuditLogEntry
from maltastic.directory.models import Department
from maltastic.runtime import Runtime
from tests.web.admin import post_form


def department_id(runtime: Runtime, name: str) -> int | None:
    with runtime.session_factory() as session:
        return session.scalar(select(Department.id).where(Department.name == name))


def test_create_rename_delete(owner: httpx.Client, sqlite_runtime: Runtime) -> None:
    created = post_form(owner, "/departments", "/departments", {"name": "  Einkauf  "})
    assert created.status_code == 303
    assert "Abteilung „Einkauf“ angelegt." in owner.get("/departments").text
    new_id = department_id(sqlite_runtime, "Einkauf")
    assert new_id is not None

    renamed = post_form(
        owner, "/departments", f"/departments/{new_id}/rename", {"name": "Beschaffung"}
    )
    assert renamed.status_code == 303
    assert department_id(sqlite_runtime, "Beschaffung") == new_id

    deleted = post_form(owner, "/departments", f"/departments/{new_id}/delete")
    assert deleted.status_code == 303
    assert department_id(sqlite_runtime, "Beschaffung") is None

    with sqlite_runtime.session_factory() as session:
        entries = session.scalars(
            select(AuditLogEntry).where(AuditLogEntry.entity_id == str(new_id))
        ).all()
    assert [entry.action for entry in entries] == ["create", "update", "delete"]
    assert entries[1].changes == {"name": ["Einkauf", "Beschaffung"]}
    assert all(entry.user_id is not None for entry in entries)


def test_duplicate_name_shows_error_at_field(owner: httpx.Client) -> None:
    response = post_form(owner, "/departments", "/departments", {"name": "vertrieb"})
    assert response.status_code == 400
    assert 'id="name-error"' in response.text
    assert "Eine Abteilung mit diesem Namen gibt es bereits." in response.text


def test_empty_name_is_rejected(owner: httpx.Client) -> None:
    response = post_form(owner, "/departments", "/departments", {"name": "   "})
    assert response.status_code == 400
    assert "Bitte geben Sie einen Namen ein." in response.text


def test_department_in_use_cannot_be_deleted(owner: httpx.Client, sqlite_runtime: Runtime) -> None:
    used = department_id(sqlite_runtime, "Vertrieb")
    response = post_form(owner, "/departments", f"/departments/{used}/delete")
    assert response.status_code == 400
    assert "hat noch Mitarbeiter oder Kampagnen" in response.text
    assert department_id(sqlite_runtime, "Vertrieb") == used
