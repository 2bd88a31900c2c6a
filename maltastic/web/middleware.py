"""ASGI middleware of the admin application: security headers and the UI language."""

from __future__ import annotations

from http.cookies import SimpleCookie

from starlette.datastructures import MutableHeaders, QueryParams
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from maltastic.i18n.catalog import DEFAULT_LOCALE, current_locale, pick_locale

LOCALE_COOKIE = "maltastic_lang"
LOCALE_COOKIE_MAX_AGE = 365 * 24 * 3600

SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'"
    ),
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
    "cross-origin-opener-policy": "same-origin",
}


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, *, strict_transport: bool) -> None:
        self.app = app
        self.strict_transport = strict_transport

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
                if self.strict_transport:
                    headers.setdefault("strict-transport-security", "max-age=31536000")
            await send(message)

        await self.app(scope, receive, send_with_headers)


class LocaleMiddleware:
    """Pick German or English from `?lang=` (remembered in a cookie) or the cookie."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        requested = pick_locale(QueryParams(scope.get("query_string", b"")).get("lang"))
        locale = requested or _cookie_locale(scope) or DEFAULT_LOCALE
        token = current_locale.set(locale)

        async def send_with_cookie(message: Message) -> None:
            if requested and message["type"] == "http.response.start":
                MutableHeaders(scope=message).append(
                    "set-cookie",
                    f"{LOCALE_COOKIE}={requested}; Path=/; Max-Age={LOCALE_COOKIE_MAX_AGE}; "
                    "SameSite=Lax",
                )
            await send(message)

        try:
            await self.app(scope, receive, send_with_cookie)
        finally:
            current_locale.reset(token)


def _cookie_locale(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            cookie = SimpleCookie(value.decode("latin-1"))
            if LOCALE_COOKIE in cookie:
                return pick_locale(cookie[LOCALE_COOKIE].value)
    return None
