"""The logged-in admin: the session stores user and tenant ids, checked on every request."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.requests import Request

from maltastic.tenants.models import Tenant
from maltastic.users.models import Membership, Role, User

USER_KEY = "user_id"
TENANT_KEY = "tenant_id"


class LoginRequiredError(Exception):
    """The request needs a logged-in user, so the response redirects to the login page."""


@dataclass(frozen=True)
class AdminIdentity:
    user_id: int
    email: str
    display_name: str
    tenant_id: int
    tenant_name: str
    role: Role


def load_identity(session: Session, user_id: int, tenant_id: int) -> AdminIdentity | None:
    row = session.execute(
        select(User, Membership.role, Tenant.name)
        .join(Membership, Membership.user_id == User.id)
        .join(Tenant, Tenant.id == Membership.tenant_id)
        .where(User.id == user_id, User.active.is_(True), Membership.tenant_id == tenant_id)
    ).first()
    if row is None:
        return None
    user, role, tenant_name = row
    return AdminIdentity(user.id, user.email, user.display_name, tenant_id, tenant_name, role)


def first_tenant_of(session: Session, user_id: int) -> int | None:
    return session.scalar(
        select(Membership.tenant_id).where(Membership.user_id == user_id).order_by(Membership.id)
    )


def start_session(request: Request, user_id: int, tenant_id: int) -> None:
    request.session.clear()  # a fresh session (and CSRF token) after login
    request.session[USER_KEY] = user_id
    request.session[TENANT_KEY] = tenant_id


def is_safe_redirect(target: str | None) -> bool:
    """Allow only same-site paths, so `?next=` cannot send users to another site."""
    return bool(target) and target.startswith("/") and not target.startswith(("//", "/\\"))  # type: ignore[union-attr]
