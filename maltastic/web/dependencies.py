"""Request-scoped access to the runtime and the logged-in admin."""

from __future__ import annotations

from starlette.requests import Request

from maltastic.runtime import Runtime
from maltastic.web.identity import (
    TENANT_KEY,
    USER_KEY,
    AdminIdentity,
    LoginRequiredError,
    load_identity,
)


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def require_admin(request: Request) -> AdminIdentity:
    """FastAPI dependency: the logged-in admin, or `LoginRequiredError`."""
    user_id = request.session.get(USER_KEY)
    tenant_id = request.session.get(TENANT_KEY)
    if not isinstance(user_id, int) or not isinstance(tenant_id, int):
        raise LoginRequiredError
    with runtime_of(request).session_factory() as session:
        identity = load_identity(session, user_id, tenant_id)
    if identity is None:
        request.session.clear()
        raise LoginRequiredError
    request.state.user = identity
    return identity
