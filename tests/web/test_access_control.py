"""Roles decide which admin pages a user sees and changes; every POST needs the CSRF token."""

import httpx
from sqlalchemy import func, select

from maltastic.audit.models import AuditLogEntry
from maltastic.directory.models import Department
from maltastic.runtime import Runtime
from maltastic.users.models import Role
from tests.web.admin import add_user, logged_in, post_form

# Every POST route of the admin pages, with a page that carries a CSRF token.
POST_ROUTES = (
    "/departments",
    "/departments/1/rename",
    "/departments/1/delete",
    "/employees/new",
    "/employees/1",
    "/employees/1/active",
    "/employees/import",
    "/banners",
    "/banners/1",
    "/banners/1/delete",
    "/campaigns/new",
    "/campaigns/1",
    "/campaigns/1/pause",
    "/campaigns/1/resume",
    "/campaigns/1/up",
    "/campaigns/1/down",
    "/campaigns/1/delete",
    "/target-groups",
    "/target-groups/1/rename",
    "/target-groups/1/delete",
    "/target-groups/1/members",
    "/target-groups/1/import",
    "/target-groups/1/members/1/remove",
    "/domains",
    "/domains/1/delete",
    "/settings",
    "/privacy",
    "/privacy/export",
    "/privacy/erase/confirm",
    "/privacy/erase",
)
DIRECTORY_AND_SETTINGS_PAGES = ("/employees", "/departments", "/domains", "/settings")
MARKETING_PAGES = ("/campaigns", "/banners", "/target-groups")


def audit_count(runtime: Runtime) -> int:
    with runtime.session_factory() as session:
        return session.scalar(select(func.count()).select_from(AuditLogEntry)) or 0


def test_post_without_csrf_token_is_rejected(owner: httpx.Client, sqlite_runtime: Runtime) -> None:
    before = audit_count(sqlite_runtime)
    for route in POST_ROUTES:
        response = owner.post(route, data={"name": "Gefälscht"})
        assert response.status_code == 403, route
        assert "Das Formular ist abgelaufen" in response.text, route
    assert audit_count(sqlite_runtime) == before


def test_post_with_wrong_csrf_token_is_rejected(owner: httpx.Client) -> None:
    response = owner.post("/departments", data={"name": "Einkauf", "csrf_token": "falsch"})
    assert response.status_code == 403


def test_csrf_header_is_accepted_for_htmx(owner: httpx.Client) -> None:
    page = owner.get("/campaigns")
    token = page.text.split('"X-CSRF-Token": "')[1].split('"')[0]
    response = owner.post(
        "/campaigns/1/pause", headers={"HX-Request": "true", "X-CSRF-Token": token}
    )
    assert response.status_code == 200
    assert "Pausiert" in response.text


def test_read_only_cannot_post(base_url: str, sqlite_runtime: Runtime, demo_login: object) -> None:
    add_user(sqlite_runtime, "leser@beispiel.de", Role.READ_ONLY)
    before = audit_count(sqlite_runtime)
    with logged_in(base_url, "leser@beispiel.de") as client:
        for route in POST_ROUTES:
            response = post_form(client, "/campaigns", route, {"name": "Neu"})
            assert response.status_code == 403, route
            assert "Ihre Rolle erlaubt diese Seite oder Aktion nicht." in response.text, route
    assert audit_count(sqlite_runtime) == before


def test_read_only_sees_every_page_without_edit_controls(
    base_url: str, sqlite_runtime: Runtime, demo_login: object
) -> None:
    add_user(sqlite_runtime, "leser@beispiel.de", Role.READ_ONLY)
    with logged_in(base_url, "leser@beispiel.de") as client:
        for page in (*MARKETING_PAGES, *DIRECTORY_AND_SETTINGS_PAGES):
            response = client.get(page)
            assert response.status_code == 200, page
            assert "Löschen" not in response.text, page
        assert "Neue Kampagne" not in client.get("/campaigns").text


def test_marketing_cannot_open_employees_or_settings(
    base_url: str, sqlite_runtime: Runtime, demo_login: object
) -> None:
    add_user(sqlite_runtime, "marketing@beispiel.de", Role.MARKETING)
    with logged_in(base_url, "marketing@beispiel.de") as client:
        for page in (*DIRECTORY_AND_SETTINGS_PAGES, "/employees/1", "/employees/import"):
            response = client.get(page)
            assert response.status_code == 403, page
            assert '<html lang="de">' in response.text, page
            assert "Ihre Rolle erlaubt diese Seite oder Aktion nicht." in response.text, page


def test_marketing_cannot_change_employees_or_settings(
    base_url: str, sqlite_runtime: Runtime, demo_login: object
) -> None:
    add_user(sqlite_runtime, "marketing@beispiel.de", Role.MARKETING)
    with logged_in(base_url, "marketing@beispiel.de") as client:
        for route in ("/departments", "/employees/new", "/settings", "/domains"):
            response = post_form(client, "/campaigns", route, {"name": "Einkauf"})
            assert response.status_code == 403, route
    with sqlite_runtime.session_factory() as session:
        assert session.scalar(select(Department).where(Department.name == "Einkauf")) is None


def test_marketing_works_on_campaigns_and_sees_its_navigation(
    base_url: str, sqlite_runtime: Runtime, demo_login: object
) -> None:
    add_user(sqlite_runtime, "marketing@beispiel.de", Role.MARKETING)
    with logged_in(base_url, "marketing@beispiel.de") as client:
        page = client.get("/campaigns")
        response = post_form(client, "/campaigns", "/campaigns/1/pause")
    assert response.status_code == 303
    assert 'href="/campaigns"' in page.text
    assert 'href="/employees"' not in page.text
    assert 'href="/settings"' not in page.text


def test_pages_require_login(client: httpx.Client) -> None:
    for page in (*MARKETING_PAGES, *DIRECTORY_AND_SETTINGS_PAGES, "/banners/1/image"):
        response = client.get(page)
        assert response.status_code == 303, page
        assert response.headers["location"].startswith("/login?next=")


def test_role_denial_page_names_the_cause(
    base_url: str, sqlite_runtime: Runtime, demo_login: object
) -> None:
    add_user(sqlite_runtime, "marketing@beispiel.de", Role.MARKETING)
    with logged_in(base_url, "marketing@beispiel.de") as client:
        german = client.get("/employees")
        english = client.get("/employees", params={"lang": "en"})
    assert german.status_code == 403
    assert "<h1>Keine Berechtigung</h1>" in german.text
    assert "<title>Keine Berechtigung – Maltastic</title>" in german.text
    assert "Etwas ist schiefgelaufen" not in german.text
    assert english.status_code == 403
    assert "<h1>Not allowed</h1>" in english.text
    assert "Something went wrong" not in english.text


def test_other_error_pages_keep_general_headline(owner: httpx.Client) -> None:
    forged = owner.post("/departments", data={"name": "Einkauf", "csrf_token": "falsch"})
    missing = owner.get("/campaigns/999999")
    for response in (forged, missing):
        assert "<h1>Etwas ist schiefgelaufen</h1>" in response.text
        assert "Keine Berechtigung" not in response.text
    assert forged.status_code == 403
    assert missing.status_code == 404
