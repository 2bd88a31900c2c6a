"""CSRF protection: a random token per session that every form posts back."""

from __future__ import annotations

import secrets

from starlette.requests import Request

SESSION_KEY = "csrf_token"
FORM_FIELD = "csrf_token"


class CsrfError(Exception):
    """A form arrived without the session's CSRF token."""


def csrf_token(request: Request) -> str:
    token: str | None = request.session.get(SESSION_KEY)
    if token is None:
        token = secrets.token_urlsafe(32)
        request.session[SESSION_KEY] = token
    return token


async def check_csrf(request: Request) -> None:
    expected = request.session.get(SESSION_KEY)
    form = await request.form()
    submitted = form.get(FORM_FIELD) or request.headers.get("x-csrf-token")
    if not expected or not isinstance(submitted, str):
        raise CsrfError
    # Bytes, because compare_digest raises TypeError for str with non-ASCII characters.
    if not secrets.compare_digest(expected.encode(), submitted.encode()):
        raise CsrfError
