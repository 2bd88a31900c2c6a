"""The admin web application."""

from __future__ import annotations

import hashlib
import hmac
import logging
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware
from starlette.responses import RedirectResponse, Response
from starlette.staticfiles import StaticFiles

from maltastic.i18n.catalog import gettext as _
from maltastic.runtime import Runtime
from maltastic.web.access import ForbiddenError, NotFoundError
from maltastic.web.csrf import CsrfError
from maltastic.web.favicon import favicon_ico
from maltastic.web.identity import LoginRequiredError
from maltastic.web.middleware import LocaleMiddleware, SecurityHeadersMiddleware
from maltastic.web.routes import (
    analytics,
    auth,
    banners,
    campaigns,
    departments,
    domains,
    employees,
    health,
    outbox,
    overview,
    privacy,
    setup_guide,
    signature_templates,
    target_groups,
    tenant_settings,
)
from maltastic.web.templating import render
from maltastic.web.throttle import LoginThrottle, RedisLoginThrottle

logger = logging.getLogger(__name__)
STATIC_DIR = Path(__file__).resolve().parent / "static"
SESSION_COOKIE = "maltastic_session"
SESSION_MAX_AGE = 12 * 3600


def create_app(runtime: Runtime) -> FastAPI:
    app = FastAPI(title="Maltastic", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.runtime = runtime
    redis_url = runtime.settings.redis_url
    app.state.login_throttle = (
        RedisLoginThrottle(redis_url) if redis_url is not None else LoginThrottle()
    )

    secure_cookies = not runtime.settings.is_development
    app.add_middleware(
        SessionMiddleware,
        secret_key=session_signing_key(runtime.settings.secret_key.get_secret_value()),
        session_cookie=SESSION_COOKIE,
        max_age=SESSION_MAX_AGE,
        same_site="lax",
        https_only=secure_cookies,
    )
    app.add_middleware(LocaleMiddleware)
    app.add_middleware(SecurityHeadersMiddleware, strict_transport=secure_cookies)

    app.include_router(health.router)
    app.include_router(auth.router)
    app.include_router(overview.router)
    for module in (
        analytics,
        departments,
        employees,
        banners,
        campaigns,
        target_groups,
        signature_templates,
        domains,
        tenant_settings,
        privacy,
        outbox,
        setup_guide,
    ):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.api_route("/favicon.ico", methods=["GET", "HEAD"], include_in_schema=False)
    def favicon() -> Response:
        """Serve the icon as ICO at the conventional path, for clients that ignore the icon link."""
        return Response(
            favicon_ico(),
            media_type="image/vnd.microsoft.icon",
            headers={"Cache-Control": "public, max-age=86400"},
        )

    register_error_handlers(app)
    return app


def session_signing_key(secret_key: str) -> str:
    """Derive a separate key for session cookies from the process secret key."""
    return hmac.new(secret_key.encode(), b"maltastic session cookies", hashlib.sha256).hexdigest()


def register_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(LoginRequiredError)
    async def redirect_to_login(request: Request, _error: LoginRequiredError) -> Response:
        return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)

    @app.exception_handler(CsrfError)
    async def reject_forged_form(request: Request, _error: CsrfError) -> Response:
        message = _("The form expired or did not come from this site. Please try again.")
        return render(request, "error.html", {"message": message}, status=403)

    @app.exception_handler(ForbiddenError)
    async def reject_forbidden(request: Request, _error: ForbiddenError) -> Response:
        user = getattr(request.state, "user", None)
        logger.warning(
            "role check failed: user id=%s %s %s",
            user.user_id if user else None,
            request.method,
            request.url.path,
        )
        message = _(
            "Your role does not allow this page or action. Ask an owner of your organisation."
        )
        context = {"headline": _("Not allowed"), "message": message}
        return render(request, "error.html", context, status=403)

    @app.exception_handler(NotFoundError)
    async def show_not_found(request: Request, _error: NotFoundError) -> Response:
        message = _("This page or object does not exist, or it belongs to another organisation.")
        return render(request, "error.html", {"message": message}, status=404)

    @app.exception_handler(StarletteHTTPException)
    async def show_http_error(request: Request, error: StarletteHTTPException) -> Response:
        """Render the error page for an unknown page; API paths keep JSON errors."""
        if error.status_code != 404 or request.url.path.startswith("/api/"):
            return await http_exception_handler(request, error)
        message = _("This page or object does not exist, or it belongs to another organisation.")
        return render(request, "error.html", {"message": message}, status=404)
