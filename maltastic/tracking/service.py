"""The work behind the banner and click endpoints: verify, resolve, classify, count."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from maltastic.campaigns.models import Banner
from maltastic.campaigns.resolution import ResolvedCampaign
from maltastic.campaigns.tenant_index import TenantIndex
from maltastic.db.tenancy import open_tenant_session
from maltastic.runtime import Runtime
from maltastic.tracking.classification import BurstDetector, RequestFacts, classify
from maltastic.tracking.events import EventBuffer, PendingEvent
from maltastic.tracking.keyring import Keyring, load_keyring
from maltastic.tracking.models import EventKind
from maltastic.tracking.tokens import InvalidTokenError, TokenPayload, verify

logger = logging.getLogger(__name__)

KEYRING_RELOAD_INTERVAL = 30.0  # seconds between reloads caused by unknown key ids
BANNER_CACHE_SIZE = 256


@dataclass(frozen=True, slots=True)
class BannerImage:
    data: bytes
    content_type: str


@dataclass(frozen=True, slots=True)
class Resolution:
    """A verified token with its tenant's index and the campaign it resolves to now."""

    payload: TokenPayload
    index: TenantIndex
    campaign: ResolvedCampaign | None


class Tracker:
    def __init__(self, runtime: Runtime, buffer: EventBuffer) -> None:
        self.runtime = runtime
        self.buffer = buffer
        self.bursts = BurstDetector()
        self._keyring = Keyring()
        self._keyring_loaded_at = float("-inf")
        self._banners: OrderedDict[tuple[int, str], BannerImage] = OrderedDict()
        self.banners_served = 0  # campaign images sent, each one counted or deliberately not
        self.clicks_served = 0

    def load_keyring(self) -> None:
        with self.runtime.session_factory() as session:
            self._keyring = load_keyring(session, self.runtime.secret_box)
        self._keyring_loaded_at = time.monotonic()

    async def resolve(self, token: str, now: dt.datetime) -> Resolution | None:
        """Return the resolution of a valid token, or None for any bad or unknown token."""
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

    async def banner_image(
        self, tenant_id: int, banner_id: int, version: str
    ) -> BannerImage | None:
        key = (banner_id, version)
        image = self._banners.get(key)
        if image is None:
            image = await run_in_threadpool(self._load_banner, tenant_id, banner_id)
            if image is None:
                return None
            self._banners[key] = image
            if len(self._banners) > BANNER_CACHE_SIZE:
                self._banners.popitem(last=False)
        return image

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
        payload, settings = resolution.payload, resolution.index.tracking
        if (
            method == "HEAD"
            or resolution.campaign is None
            or settings.is_opted_out(payload.audience)
        ):
            return
        facts = RequestFacts(method, headers, client_ip, token, payload.issued_at, now)
        bursts = self.bursts if kind is EventKind.CLICK else None
        classification = classify(facts, settings.own_networks, bursts)
        contact_id = payload.audience.contact_id if settings.contact_analytics_enabled else None
        self.buffer.add(
            PendingEvent(
                tenant_id=payload.tenant_id,
                occurred_at=now,
                kind=kind,
                traffic_class=classification.traffic_class,
                class_reason=classification.reason,
                campaign_id=resolution.campaign.campaign_id,
                employee_id=payload.employee_id,
                account_id=payload.audience.account_id,
                contact_id=contact_id,
                token_issued_at=payload.issued_at,
            )
        )
