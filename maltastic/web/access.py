"""Who may see and change which admin pages, enforced as a FastAPI dependency per route.

Owners and admins may do everything. Marketing may work on campaigns, banners, target
groups and analytics and has no access to employees or settings. Read-only users see every
page that marketing users or admins can open, except the privacy page, and change nothing. The
privacy page shows and erases one contact's personal data, so only owners and admins
may open it. Every write also checks the form's CSRF token.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session
from starlette.requests import Request

from maltastic.db.base import Base
from maltastic.db.tenancy import open_tenant_session
from maltastic.users.models import Role
from maltastic.web.csrf import check_csrf
from maltastic.web.dependencies import require_admin, runtime_of
from maltastic.web.identity import AdminIdentity

RowT = TypeVar("RowT", bound=Base)


class Area(enum.StrEnum):
    DIRECTORY = "directory"  # departments and employees
    MARKETING = "marketing"  # campaigns, banners, target groups, analytics
    SETTINGS = "settings"  # tenant settings and internal domains
    PRIVACY = "privacy"  # export and erasure of a contact's personal data


_VISIBLE: dict[Role, frozenset[Area]] = {
    Role.OWNER: frozenset(Area),
    Role.ADMIN: frozenset(Area),
    Role.MARKETING: frozenset({Area.MARKETING}),
    Role.READ_ONLY: frozenset(Area) - {Area.PRIVACY},
}
_EDITABLE: dict[Role, frozenset[Area]] = {
    Role.OWNER: frozenset(Area),
    Role.ADMIN: frozenset(Area),
    Role.MARKETING: frozenset({Area.MARKETING}),
    Role.READ_ONLY: frozenset(),
}


class ForbiddenError(Exception):
    """The logged-in user's role does not allow this page or action (HTTP 403)."""


class NotFoundError(Exception):
    """The requested object does not exist in the admin's tenant (HTTP 404)."""


def can_view(role: Role, area: Area) -> bool:
    return area in _VISIBLE[role]


def can_edit(role: Role, area: Area) -> bool:
    return area in _EDITABLE[role]


@dataclass(frozen=True)
class AdminContext:
    """The logged-in admin and a way to open database sessions scoped to their tenant."""

    request: Request
    identity: AdminIdentity

    def session(self) -> Session:
        factory = runtime_of(self.request).session_factory
        return open_tenant_session(factory, self.identity.tenant_id)

    @property
    def user_id(self) -> int:
        return self.identity.user_id

    def can_edit(self, area: Area) -> bool:
        return can_edit(self.identity.role, area)


def viewer(area: Area) -> Callable[[Request], AdminContext]:
    """Dependency for pages that show `area`: the admin context, or ForbiddenError."""

    def dependency(request: Request) -> AdminContext:
        identity = require_admin(request)
        if not can_view(identity.role, area):
            raise ForbiddenError
        return AdminContext(request, identity)

    return dependency


def editor(area: Area) -> Callable[[Request], Awaitable[AdminContext]]:
    """Dependency for POST routes that change `area`: checks the role and the CSRF token."""

    async def dependency(request: Request) -> AdminContext:
        identity = require_admin(request)
        if not can_edit(identity.role, area):
            raise ForbiddenError
        await check_csrf(request)
        return AdminContext(request, identity)

    return dependency


def find_or_404(session: Session, model: type[RowT], object_id: int) -> RowT:
    """Load a row of the session's tenant by primary key, or raise NotFoundError.

    Tenant sessions add `tenant_id = …` to the query, so another tenant's id is not found.
    """
    key_column = inspect(model).primary_key[0]
    row = session.scalar(select(model).where(key_column == object_id))
    if row is None:
        raise NotFoundError
    return row
