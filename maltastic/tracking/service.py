"""The work behind the banner and click endpoints: verify, resolve, classify, count.

Both HTTP front ends (the ASGI `TrackingApp` and the lean tracking server) call the
same two steps. `try_banner` and `try_click` are synchronous and work from memory:
keyring, tenant index and cached banner images. When something is not in memory yet
they return `COLD`, and the caller awaits `banner` or `click`, which load it in a
thread and then return the same result.
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
import time
from collections import OrderedDict
from collections.abc import Mapping
from typing import Final, NamedTuple

from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from maltastic.campaigns.models import Banner
from maltastic.campaigns.resolution import ResolvedCampaign
from maltastic.campaigns.tenant_index import TenantIndex
from maltastic.db.tenancy import open_tenant_session
from maltastic.runtime import Runtime
from maltastic.tracking.classification import BurstDetector, classify_request
from maltastic.tracking.events import EventBuffer, PendingEvent
from maltastic.tracking.keyring import Keyring, load_keyring
from maltastic.tracking.models import EventKind
from maltastic.tracking.tokens import InvalidTokenError, TokenPayload, verify

logger = logging.getLogger(__name__)

KEYRING_RELOAD_INTERVAL = 30.0  # seconds between reloads caused by unknown key ids
BANNER_CACHE_SIZE = 256
UNAVAILABLE_PATH = "/link-unavailable"


class Cold(enum.Enum):
    """Marks a request that needs data loaded from the database before its response."""

    COLD = "cold"


COLD: Final = Cold.COLD


class BannerImage(NamedTuple):
    """A campaign's image; a named tuple, so the response caches hash it in C."""

    data: bytes
    content_type: str


class Resolution(NamedTuple):
    """A verified token with its tenant's index and the campaign it resolves to now.

    A named tuple, because one is built per request and a tuple is the cheapest to build.
    """

    payload: TokenPayload
    tenant_index: TenantIndex
    campaign: ResolvedCampaign | None


class Tracker:
    def __init__(self, runtime: Runtime, buffer: EventBuffer) -> None:
        self.runtime = runtime
        self.buffer = buffer
        self.bursts = BurstDetector()
        self._keyring = Keyring()
        self._keyring_loaded_at = float("-inf")
        self._banners: OrderedDict[tuple[int, str], BannerImage] = OrderedDict()
        self.banners_served = 0  # campaign images sent for GET, each counted or deliberately not
        self.clicks_served = 0

    def load_keyring(self) -> None:
        with self.runtime.session_factory() as session:
            self._keyring = load_keyring(session, self.runtime.secret_box)
        self._keyring_loaded_at = time.monotonic()

    # The two endpoints. `headers` maps lower-case names of the classified headers
    # (see CLASSIFIED_HEADERS) to their values; no other header is read.

    def try_banner(
        self, token: str, method: str, headers: Mapping[str, str], client_ip: str | None
    ) -> BannerImage | Cold | None:
        """Return the campaign image to serve (None: the transparent fallback) or COLD."""
        now = dt.datetime.now(dt.UTC)
        resolution = self.try_resolve(token, now)
        if resolution is COLD:
            return COLD
        image = self.cached_banner_image(resolution)
        if image is COLD:
            return COLD
        return self._serve_banner(resolution, image, method, headers, client_ip, token, now)

    async def banner(
        self, token: str, method: str, headers: Mapping[str, str], client_ip: str | None
    ) -> BannerImage | None:
        """Do what `try_banner` does, loading keys, index or image first where needed."""
        now = dt.datetime.now(dt.UTC)
        resolution = await self.resolve(token, now)
        image = await self.banner_image(resolution)
        return self._serve_banner(resolution, image, method, headers, client_ip, token, now)

    def try_click(
        self, token: str, method: str, headers: Mapping[str, str], client_ip: str | None
    ) -> str | Cold:
        """Return the redirect target (a URL or UNAVAILABLE_PATH) or COLD."""
        now = dt.datetime.now(dt.UTC)
        resolution = self.try_resolve(token, now)
        if resolution is COLD:
            return COLD
        return self._serve_click(resolution, method, headers, client_ip, token, now)

    async def click(
        self, token: str, method: str, headers: Mapping[str, str], client_ip: str | None
    ) -> str:
        now = dt.datetime.now(dt.UTC)
        resolution = await self.resolve(token, now)
        return self._serve_click(resolution, method, headers, client_ip, token, now)

    def _serve_banner(
        self,
        resolution: Resolution | None,
        image: BannerImage | None,
        method: str,
        headers: Mapping[str, str],
        client_ip: str | None,
        token: str,
        now: dt.datetime,
    ) -> BannerImage | None:
        if image is None or resolution is None:
            return None
        self.record(resolution, EventKind.IMPRESSION, method, headers, client_ip, token, now)
        if method == "GET":
            self.banners_served += 1
        return image

    def _serve_click(
        self,
        resolution: Resolution | None,
        method: str,
        headers: Mapping[str, str],
        client_ip: str | None,
        token: str,
        now: dt.datetime,
    ) -> str:
        if resolution is None or resolution.campaign is None:
            return fallback_target(resolution)
        self.record(resolution, EventKind.CLICK, method, headers, client_ip, token, now)
        if method == "GET":
            self.clicks_served += 1
        return resolution.campaign.target_url

    # Resolution: synchronous from memory, or awaited with loading.

    def try_resolve(self, token: str, now: dt.datetime) -> Resolution | Cold | None:
        """Resolve from memory; COLD when the keyring is due a reload or the index is missing."""
        try:
            payload = verify(token, self._keyring)
        except InvalidTokenError:
            if time.monotonic() - self._keyring_loaded_at < KEYRING_RELOAD_INTERVAL:
                return None
            return COLD
        index = self.runtime.indexes.peek(payload.tenant_id)
        if index is None:
            return COLD
        campaign = index.campaigns.resolve(payload.employee_id, payload.audience, now)
        return Resolution(payload, index, campaign)

    async def resolve(self, token: str, now: dt.datetime) -> Resolution | None:
        """Return the resolution of a valid token, or None for any bad or unknown token."""
        resolution = self.try_resolve(token, now)
        if resolution is not COLD:
            return resolution
        payload = await self.verify(token)
        if payload is None:
            return None
        index = self.runtime.indexes.peek(payload.tenant_id)
        if index is None:
            try:
                index = await run_in_threadpool(self.runtime.indexes.get, payload.tenant_id)
            except LookupError:
                return None
        campaign = index.campaigns.resolve(payload.employee_id, payload.audience, now)
        return Resolution(payload, index, campaign)

    async def verify(self, token: str) -> TokenPayload | None:
        try:
            return verify(token, self._keyring)
        except InvalidTokenError:
            pass
        if time.monotonic() - self._keyring_loaded_at < KEYRING_RELOAD_INTERVAL:
            return None
        await run_in_threadpool(self.load_keyring)  # a new tenant or a rotated key
        try:
            return verify(token, self._keyring)
        except InvalidTokenError:
            return None

    # Banner images, cached by banner id and image version.

    def cached_banner_image(self, resolution: Resolution | None) -> BannerImage | Cold | None:
        """Return the cached image of the resolved campaign, None without one, else COLD."""
        if resolution is None or resolution.campaign is None:
            return None
        banner_id = resolution.campaign.banner_id
        version = resolution.tenant_index.tracking.banner_versions.get(banner_id, "")
        return self._banners.get((banner_id, version), COLD)

    async def banner_image(self, resolution: Resolution | None) -> BannerImage | None:
        image = self.cached_banner_image(resolution)
        if image is not COLD:
            return image
        assert resolution is not None
        assert resolution.campaign is not None
        banner_id = resolution.campaign.banner_id
        version = resolution.tenant_index.tracking.banner_versions.get(banner_id, "")
        tenant_id = resolution.payload.tenant_id
        loaded = await run_in_threadpool(self._load_banner, tenant_id, banner_id)
        if loaded is None:
            return None
        self._banners[(banner_id, version)] = loaded
        if len(self._banners) > BANNER_CACHE_SIZE:
            self._banners.popitem(last=False)
        return loaded

    def _load_banner(self, tenant_id: int, banner_id: int) -> BannerImage | None:
        with open_tenant_session(self.runtime.session_factory, tenant_id) as session:
            row = session.execute(
                select(Banner.image, Banner.content_type).where(Banner.id == banner_id)
            ).first()
        return BannerImage(row.image, row.content_type) if row else None

    def record(
        self,
        resolution: Resolution,
        kind: EventKind,
        method: str,
        headers: Mapping[str, str],
        client_ip: str | None,
        token: str,
        now: dt.datetime,
    ) -> None:
        """Classify the request and buffer the event; HEAD and opted-out audiences never count."""
        payload, settings = resolution.payload, resolution.tenant_index.tracking
        campaign = resolution.campaign
        if method == "HEAD" or campaign is None or settings.is_opted_out(payload.audience):
            return
        issued_at = payload.issued_at
        bursts = self.bursts if kind is EventKind.CLICK else None
        traffic_class, reason = classify_request(
            method, headers, client_ip, token, issued_at, now, settings.own_networks, bursts
        )
        audience = payload.audience
        contact_id = audience.contact_id if settings.contact_analytics_enabled else None
        if contact_id in settings.erased_contacts:
            contact_id = None  # mail sent before the contact was erased
        self.buffer.add(
            PendingEvent(
                payload.tenant_id,
                now,
                kind,
                traffic_class,
                reason,
                campaign.campaign_id,
                payload.employee_id,
                audience.account_id,
                contact_id,
                issued_at,
            )
        )


def fallback_target(resolution: Resolution | None) -> str:
    """Return the tenant's website for a known tenant, else the "link unavailable" page."""
    if resolution is not None:
        website = resolution.tenant_index.tracking.website_url
        if website and website.startswith(("https://", "http://")):
            return website
    return UNAVAILABLE_PATH
