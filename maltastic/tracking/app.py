"""The public banner and click endpoints, as lean Starlette routes.

Every request gets an answer a mail client can use: a bad, forged or outdated token
still gets a transparent image or a redirect to the tenant's or the product's page,
never an error page, and is not counted.
"""

from __future__ import annotations

import datetime as dt
import logging

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from maltastic.tracking.links import BANNER_PATH_PREFIX, CLICK_PATH_PREFIX
from maltastic.tracking.models import EventKind
from maltastic.tracking.service import BannerImage, Resolution, Tracker

logger = logging.getLogger(__name__)

NO_CACHE = {"Cache-Control": "no-cache, max-age=0", "X-Content-Type-Options": "nosniff"}
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
</body></html>"""


def tracking_routes(tracker: Tracker) -> list[Route]:
    async def banner(request: Request) -> Response:
        token = request.path_params["token"]
        now = dt.datetime.now(dt.UTC)
        resolution = await tracker.resolve(token, now)
        image = await banner_for(tracker, resolution)
        if image is None:
            return Response(TRANSPARENT_GIF, media_type="image/gif", headers=NO_CACHE)
        assert resolution is not None
        record(tracker, request, resolution, EventKind.IMPRESSION, token, now)
        tracker.banners_served += 1
        return Response(image.data, media_type=image.content_type, headers=NO_CACHE)

    async def click(request: Request) -> Response:
        token = request.path_params["token"]
        now = dt.datetime.now(dt.UTC)
        resolution = await tracker.resolve(token, now)
        if resolution is None or resolution.campaign is None:
            return RedirectResponse(fallback_target(request, resolution), 302, headers=NO_CACHE)
        record(tracker, request, resolution, EventKind.CLICK, token, now)
        tracker.clicks_served += 1
        return RedirectResponse(resolution.campaign.target_url, 302, headers=NO_CACHE)

    async def unavailable(_request: Request) -> Response:
        return HTMLResponse(UNAVAILABLE_PAGE, headers={"Cache-Control": "max-age=3600"})

    return [
        Route(BANNER_PATH_PREFIX + "{token}", banner, methods=["GET", "HEAD"]),
        Route(CLICK_PATH_PREFIX + "{token}", click, methods=["GET", "HEAD"]),
        Route(UNAVAILABLE_PATH, unavailable, methods=["GET", "HEAD"]),
    ]


async def banner_for(tracker: Tracker, resolution: Resolution | None) -> BannerImage | None:
    if resolution is None or resolution.campaign is None:
        return None
    banner_id = resolution.campaign.banner_id
    version = resolution.index.tracking.banner_versions.get(banner_id, "")
    return await tracker.banner_image(resolution.payload.tenant_id, banner_id, version)


def fallback_target(request: Request, resolution: Resolution | None) -> str:
    """The tenant's website for a known tenant, else the product's "link unavailable" page."""
    if resolution is not None and resolution.index.tracking.website_url:
        website = resolution.index.tracking.website_url
        if website.startswith(("https://", "http://")):
            return website
    return UNAVAILABLE_PATH


def record(
    tracker: Tracker,
    request: Request,
    resolution: Resolution,
    kind: EventKind,
    token: str,
    now: dt.datetime,
) -> None:
    client_ip = request.client.host if request.client else None
    tracker.record(resolution, kind, request.method, request.headers, client_ip, token, now)
