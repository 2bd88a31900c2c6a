"""The public banner and click endpoints, as a plain ASGI application.

They serve every banner load of every mail, so they skip the framework: no request
objects, routing tables or middleware, just the path prefix, a few headers and
precomputed response headers. Requests for other paths go to the wrapped application.

Every request gets an answer a mail client can use: a bad, forged or outdated token
still gets a transparent image or a redirect to the tenant's or the product's page,
never an error page, and is not counted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from urllib.parse import quote

from starlette.types import ASGIApp, Receive, Scope, Send

from maltastic.tracking.links import BANNER_PATH_PREFIX, CLICK_PATH_PREFIX
from maltastic.tracking.models import EventKind
from maltastic.tracking.service import BannerImage, Resolution, Tracker

NO_CACHE_HEADERS = [
    (b"cache-control", b"no-cache, max-age=0"),
    (b"x-content-type-options", b"nosniff"),
]
# A 1×1 transparent GIF, the smallest image every mail client shows as nothing.
TRANSPARENT_GIF = bytes.fromhex(
    "47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b"
)
UNAVAILABLE_PATH = "/link-unavailable"
UNAVAILABLE_PAGE = """<!doctype html><html lang="de"><meta charset="utf-8">
<title>Link nicht verfügbar / Link unavailable</title>
<body style="font-family: sans-serif; max-width: 36em; margin: 4em auto; color: #333">
<h1>Dieser Link ist nicht mehr verfügbar.</h1>
<p>Die Aktion, auf die er verwies, ist beendet.</p>
<p lang="en">This link is no longer available: the campaign it pointed to has ended.</p>
</body></html>""".encode()
# Only these request headers are read; everything else is never decoded.
CLASSIFIED_HEADERS = frozenset({b"user-agent", b"purpose", b"sec-purpose", b"x-purpose", b"x-moz"})
# Characters a URL may keep as they are; anything else (such as umlauts) is percent-encoded.
URL_SAFE_CHARACTERS = ":/?#[]@!$&'()*+,;=%~"

Handler = Callable[[Scope, Send], Awaitable[None]]


class TrackingApp:
    def __init__(self, tracker: Tracker, app: ASGIApp) -> None:
        self.tracker = tracker
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path: str = scope["path"]
            if path.startswith(BANNER_PATH_PREFIX):
                await self.answer(scope, send, self.banner)
                return
            if path.startswith(CLICK_PATH_PREFIX):
                await self.answer(scope, send, self.click)
                return
            if path == UNAVAILABLE_PATH:
                await respond(send, 200, b"text/html; charset=utf-8", UNAVAILABLE_PAGE, scope)
                return
        await self.app(scope, receive, send)

    async def answer(self, scope: Scope, send: Send, handler: Handler) -> None:
        if scope["method"] not in ("GET", "HEAD"):
            await respond(send, 405, b"text/plain", b"", scope, [(b"allow", b"GET, HEAD")])
            return
        await handler(scope, send)

    async def banner(self, scope: Scope, send: Send) -> None:
        token = scope["path"][len(BANNER_PATH_PREFIX) :]
        now = dt.datetime.now(dt.UTC)
        resolution = await self.tracker.resolve(token, now)
        image = await self.banner_image(resolution)
        if image is None or resolution is None:
            await respond(send, 200, b"image/gif", TRANSPARENT_GIF, scope, NO_CACHE_HEADERS)
            return
        self.record(scope, resolution, EventKind.IMPRESSION, token, now)
        if scope["method"] == "GET":
            self.tracker.banners_served += 1
        await respond(send, 200, image.content_type.encode(), image.data, scope, NO_CACHE_HEADERS)

    async def click(self, scope: Scope, send: Send) -> None:
        token = scope["path"][len(CLICK_PATH_PREFIX) :]
        now = dt.datetime.now(dt.UTC)
        resolution = await self.tracker.resolve(token, now)
        if resolution is None or resolution.campaign is None:
            await redirect(send, fallback_target(resolution), scope)
            return
        self.record(scope, resolution, EventKind.CLICK, token, now)
        if scope["method"] == "GET":
            self.tracker.clicks_served += 1
        await redirect(send, resolution.campaign.target_url, scope)

    async def banner_image(self, resolution: Resolution | None) -> BannerImage | None:
        if resolution is None or resolution.campaign is None:
            return None
        banner_id = resolution.campaign.banner_id
        version = resolution.index.tracking.banner_versions.get(banner_id, "")
        return await self.tracker.banner_image(resolution.payload.tenant_id, banner_id, version)

    def record(
        self, scope: Scope, resolution: Resolution, kind: EventKind, token: str, now: dt.datetime
    ) -> None:
        headers = {
            name.decode("latin-1"): value.decode("latin-1")
            for name, value in scope["headers"]
            if name in CLASSIFIED_HEADERS
        }
        client = scope.get("client")
        client_ip = client[0] if client else None
        self.tracker.record(resolution, kind, scope["method"], headers, client_ip, token, now)


def fallback_target(resolution: Resolution | None) -> str:
    """Return the tenant's website for a known tenant, else the "link unavailable" page."""
    if resolution is not None:
        website = resolution.index.tracking.website_url
        if website and website.startswith(("https://", "http://")):
            return website
    return UNAVAILABLE_PATH


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


async def redirect(send: Send, location: str, scope: Scope) -> None:
    ascii_location = quote(location, safe=URL_SAFE_CHARACTERS)
    headers = [(b"location", ascii_location.encode("ascii")), *NO_CACHE_HEADERS]
    await respond(send, 302, b"text/plain", b"", scope, headers)
