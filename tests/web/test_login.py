"""Logging in to the admin application over real HTTP."""

import httpx
from sqlalchemy.orm import Session

from maltastic.demo.loader import DemoLogin
from maltastic.runtime import Runtime
from maltastic.tenants.service import create_tenant
from maltastic.users.models import Role
from maltastic.users.service import create_user
from tests.web.forms import csrf_from, log_in


def test_login_page_is_german_by_default(client: httpx.Client) -> None:
    page = client.get("/login")
    assert page.status_code == 200
    assert '<html lang="de">' in page.text
    assert "Anmelden" in page.text
    assert "Passwort" in page.text


def test_english_choice_sticks(client: httpx.Client) -> None:
    english = client.get("/login?lang=en")
    assert "Log in" in english.text
    assert english.cookies.get("maltastic_lang") == "en"
    again = client.get("/login")
    assert '<html lang="en">' in again.text


def test_overview_requires_login(client: httpx.Client) -> None:
    response = client.get("/")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/"


def test_correct_login_shows_overview(client: httpx.Client, demo_login: DemoLogin) -> None:
    response = log_in(client, demo_login.email, demo_login.password)
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    overview = client.get("/")
    assert overview.status_code == 200
    assert "Übersicht" in overview.text
    assert "Vertrieb: Frühjahrsaktion" in overview.text


def test_wrong_password_is_rejected(client: httpx.Client, demo_login: DemoLogin) -> None:
    response = log_in(client, demo_login.email, "not-the-password")
    assert response.status_code == 401
    assert "E-Mail-Adresse oder Passwort ist falsch." in response.text
    assert client.get("/").status_code == 303


def test_login_without_csrf_token_is_rejected(client: httpx.Client, demo_login: DemoLogin) -> None:
    client.get("/login")
    response = client.post(
        "/login", data={"email": demo_login.email, "password": demo_login.password}
    )
    assert response.status_code == 403
    assert client.get("/").status_code == 303


def test_csrf_token_of_other_session_is_rejected(
    client: httpx.Client, base_url: str, demo_login: DemoLogin
) -> None:
    with httpx.Client(base_url=base_url) as other:
        foreign_token = csrf_from(other.get("/login"))
    client.get("/login")
    form = {"email": demo_login.email, "password": demo_login.password, "csrf_token": foreign_token}
    assert client.post("/login", data=form).status_code == 403


def test_next_parameter_cannot_leave_site(client: httpx.Client, demo_login: DemoLogin) -> None:
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        client.cookies.clear()
        response = log_in(client, demo_login.email, demo_login.password, next=target)
        assert response.headers["location"] == "/", target


def test_next_parameter_keeps_local_path(client: httpx.Client, demo_login: DemoLogin) -> None:
    response = log_in(client, demo_login.email, demo_login.password, next="/?tab=1")
    assert response.headers["location"] == "/?tab=1"


def test_repeated_failures_are_throttled(client: httpx.Client, demo_login: DemoLogin) -> None:
    for _attempt in range(5):
        assert log_in(client, demo_login.email, "wrong-password").status_code == 401
    blocked = log_in(client, demo_login.email, demo_login.password)
    assert blocked.status_code == 429
    assert "Zu viele fehlgeschlagene Anmeldungen" in blocked.text


def test_logout_ends_session(client: httpx.Client, demo_login: DemoLogin) -> None:
    log_in(client, demo_login.email, demo_login.password)
    overview = client.get("/")
    response = client.post("/logout", data={"csrf_token": csrf_from(overview)})
    assert response.status_code == 303
    assert client.get("/").status_code == 303


def test_overview_shows_only_own_tenant(
    client: httpx.Client, sqlite_runtime: Runtime, demo_login: DemoLogin
) -> None:
    with sqlite_runtime.session_factory.begin() as session:
        add_other_tenant_admin(session)
    log_in(client, "chefin@andere.de", "andere-firma-passwort")
    overview = client.get("/")
    assert overview.status_code == 200
    assert "Andere AG" in overview.text
    assert "Frühjahrsaktion" not in overview.text


def add_other_tenant_admin(session: Session) -> None:
    tenant = create_tenant(session, slug="andere", name="Andere AG", own_domains=["andere.de"])
    create_user(
        session,
        email="chefin@andere.de",
        password="andere-firma-passwort",
        tenant=tenant,
        role=Role.OWNER,
    )


def test_security_headers_are_sent(client: httpx.Client) -> None:
    headers = client.get("/login").headers
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"


def test_session_cookie_is_http_only(client: httpx.Client) -> None:
    response = client.get("/login")
    cookie_header = response.headers["set-cookie"]
    assert "maltastic_session=" in cookie_header
    assert "httponly" in cookie_header.lower()
    assert "samesite=lax" in cookie_header.lower()
