"""Login and logout."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from maltastic.i18n.catalog import gettext as _
from maltastic.users.service import authenticate
from maltastic.web.csrf import check_csrf
from maltastic.web.dependencies import runtime_of
from maltastic.web.identity import first_tenant_of, is_safe_redirect, start_session
from maltastic.web.templating import render

logger = logging.getLogger(__name__)
router = APIRouter()


@router.get("/login")
async def login_page(request: Request, next: str | None = None) -> Response:
    return render(request, "login.html", {"next": next if is_safe_redirect(next) else None})


@router.post("/login")
async def login(request: Request) -> Response:
    await check_csrf(request)
    form = await request.form()
    email = str(form.get("email", "")).strip()
    password = str(form.get("password", ""))
    target = str(form.get("next", ""))
    throttle = request.app.state.login_throttle

    if throttle.is_blocked(email):
        error = _("Too many failed logins. Please wait 15 minutes and try again.")
        return render(request, "login.html", {"error": error, "email": email}, status=429)

    runtime = runtime_of(request)
    with runtime.session_factory.begin() as session:
        user = authenticate(session, email, password)
        tenant_id = first_tenant_of(session, user.id) if user else None
        user_id = user.id if user else None
    if user_id is None or tenant_id is None:
        throttle.record_failure(email)
        error = _("Email address or password is wrong.")
        return render(request, "login.html", {"error": error, "email": email}, status=401)

    throttle.reset(email)
    start_session(request, user_id, tenant_id)
    logger.info("user id=%s logged in to tenant id=%s", user_id, tenant_id)
    return RedirectResponse(target if is_safe_redirect(target) else "/", status_code=303)


@router.post("/logout")
async def logout(request: Request) -> Response:
    await check_csrf(request)
    request.session.clear()
    return RedirectResponse("/login", status_code=303)
