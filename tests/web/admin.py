"""Helpers for tests of the admin pages: users with a role, logged-in clients, form posts."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from maltastic.runtime import Runtime
from maltastic.tenants.models import Tenant
from maltastic.tenants.service import create_tenant, find_tenant
from maltastic.users.models import Role
from maltastic.users.service import create_user
from tests.web.forms import csrf_from, log_in

PASSWORD = "ein-sicheres-test-passwort"


def add_user(runtime: Runtime, email: str, role: Role, tenant_slug: str = "beispiel") -> None:
    with runtime.session_factory.begin() as session:
        tenant = find_tenant(session, tenant_slug)
        assert tenant is not None
        create_user(session, email=email, password=PASSWORD, tenant=tenant, role=role)


def add_tenant(runtime: Runtime, slug: str, domain: str) -> int:
    with runtime.session_factory.begin() as session:
        tenant = create_tenant(session, slug=slug, name=slug.title(), own_domains=[domain])
        return tenant.id


def tenant_id(session: Session, slug: str) -> int:
    found = session.scalar(select(Tenant.id).where(Tenant.slug == slug))
    assert found is not None
    return found


@contextmanager
def logged_in(base_url: str, email: str, password: str = PASSWORD) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, follow_redirects=False, timeout=30) as client:
        response = log_in(client, email, password)
        assert response.status_code == 303, response.text
        yield client


def post_form(
    client: httpx.Client,
    page: str,
    action: str,
    data: dict[str, str | list[str]] | None = None,
    files: dict[str, tuple[str, bytes, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """Open `page` like a browser, then post `data` with the page's CSRF token to `action`."""
    token = csrf_from(client.get(page))
    return client.post(
        action, data={"csrf_token": token, **(data or {})}, files=files, headers=headers
    )
