"""The public banner and click endpoints, as a plain ASGI application.

They serve every banner load of every mail, so they skip the framework: no request
objects, routing tables or middleware, just the path prefix, a few headers and
precomputed response headers. Requests for other paths go to the wrapped application.
The work itself is in `Tracker`, which the lean tracking server
(`maltastic.tracking.http_server`) shares.

Every request gets an answer a mail client can use: a bad, forged or outdated token
still gets a transparent image or a redirect to the tenant's or the product's page,
never an error page, and is not counted.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from maltastic.tracking.links import BANNER_PATH_PREFIX, CLICK_PATH_PREFIX
from maltastic.tracking.responses import (
    CLASSIFIED_HEADERS,
    NO_CACHE_HEADERS,
    TRANSPARENT_GIF,
    UNAVAILABLE_PAGE,
    UNAVAILABLE_PATH,
    ascii_location,
)
from maltastic.tracking.service import COLD, Tracker

__all__ = ["TRANSPARENT_GIF", "UNAVAILABLE_PATH", "TrackingApp"]


class TrackingApp:
    def __init__(self, tracker: Tracker, app: ASGIApp) -> None:
        self.tracker = tracker
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            # HTTP/1.1 requires a Host header (RFC 9112 section 3.2), and uvicorn does not
            # check it, so this app does, for the admin pages too.
            if scope.get("http_version") == "1.1" and not has_host_header(scope):
                await respond(
                    send, 400, b"text/plain; charset=utf-8", b"Bad Request\n", scope, CLOSE
                )
                return
            path: str = scope["path"]
            if path.startswith(BANNER_PATH_PREFIX):
                if await self.reject_method(scope, send):
                    return
                await self.banner(scope, send, path[len(BANNER_PATH_PREFIX) :])
                return
            if path.startswith(CLICK_PATH_PREFIX):
                if await self.reject_method(scope, send):
                    return
                await self.click(scope, send, path[len(CLICK_PATH_PREFIX) :])
                return
            if path == UNAVAILABLE_PATH:
                await respond(send, 200, b"text/html; charset=utf-8", UNAVAILABLE_PAGE, scope)
                return
        await self.app(scope, receive, send)

    async def reject_method(self, scope: Scope, send: Send) -> bool:
        """Send 405 for any method but GET and HEAD; return whether it did."""
        if scope["method"] in ("GET", "HEAD"):
            return False
        await respond(send, 405, b"text/plain", b"", scope, [(b"allow", b"GET, HEAD")])
        return True

    async def banner(self, scope: Scope, send: Send, token: str) -> None:
        method, headers, client_ip = request_facts(scope)
        image = self.tracker.try_banner(token, method, headers, client_ip)
        if image is COLD:
            image = await self.tracker.banner(token, method, headers, client_ip)
        if image is None:
            await respond(send, 200, b"image/gif", TRANSPARENT_GIF, scope, NO_CACHE_HEADERS)
            return
        await respond(send, 200, image.content_type.encode(), image.data, scope, NO_CACHE_HEADERS)

    async def click(self, scope: Scope, send: Send, token: str) -> None:
        method, headers, client_ip = request_facts(scope)
        location = self.tracker.try_click(token, method, headers, client_ip)
        if location is COLD:
            location = await self.tracker.click(token, method, headers, client_ip)
        redirect_headers = [(b"location", ascii_location(location)), *NO_CACHE_HEADERS]
        await respond(send, 302, b"text/plain", b"", scope, redirect_headers)


CLOSE = [(b"connection", b"close")]


def has_host_header(scope: Scope) -> bool:
    return any(name == b"host" for name, _value in scope["headers"])


def request_facts(scope: Scope) -> tuple[str, dict[str, str], str | None]:
    """Return the method, the classified headers by lower-case name and the client address."""
    headers = {
        name.decode("latin-1"): value.decode("latin-1")
        for name, value in scope["headers"]
        if name in CLASSIFIED_HEADERS
    }
    client = scope.get("client")
    return scope["method"], headers, client[0] if client else None


async def respond(
    send: Send,
    status: int,
    content_type: bytes,
    body: bytes,
    scope: Scope,
    extra_headers: list[tuple[bytes, bytes]] | None = None,
) -> None:
    headers = [
        (b"content-type", content_type),
        (b"content-length", str(len(body)).encode()),
        *(extra_headers or ()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})
