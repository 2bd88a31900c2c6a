"""Banner images for admin views of sent mail, resolved like a banner load but not counted.

The outbox view shows processed messages whose banner links point at the tracking
service. Loading them from there would count an impression for every look at the
outbox, so the view embeds the banner that the tracking service would serve now instead.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Callable

from sqlalchemy import select

from maltastic.campaigns.models import Banner
from maltastic.db.tenancy import open_tenant_session
from maltastic.runtime import Runtime
from maltastic.tracking.keyring import Keyring, load_keyring
from maltastic.tracking.links import BANNER_PATH_PREFIX
from maltastic.tracking.tokens import InvalidTokenError, verify

ImageSource = Callable[[str], str | None]


def embedded_banners(runtime: Runtime, tenant_id: int) -> ImageSource:
    """Return a function that maps the tenant's banner URLs to `data:` URLs of the image.

    Other URLs, and banner URLs with a bad token, another tenant's token or no campaign
    now, map to None. Each distinct URL is resolved once per returned function.
    """
    prefix = runtime.settings.public_base_url.rstrip("/") + BANNER_PATH_PREFIX
    with open_tenant_session(runtime.session_factory, tenant_id) as session:
        keyring = load_keyring(session, runtime.secret_box)
    resolved: dict[str, str | None] = {}

    def image_source(url: str) -> str | None:
        if not url.startswith(prefix):
            return None
        if url not in resolved:
            resolved[url] = _data_url(runtime, tenant_id, url[len(prefix) :], keyring)
        return resolved[url]

    return image_source


def _data_url(runtime: Runtime, tenant_id: int, token: str, keyring: Keyring) -> str | None:
    try:
        payload = verify(token, keyring)
    except InvalidTokenError:
        return None
    if payload.tenant_id != tenant_id:
        return None
    index = runtime.indexes.get(tenant_id)
    campaign = index.campaigns.resolve(
        payload.employee_id, payload.audience, dt.datetime.now(dt.UTC)
    )
    if campaign is None:
        return None
    with open_tenant_session(runtime.session_factory, tenant_id) as session:
        row = session.execute(
            select(Banner.image, Banner.content_type).where(Banner.id == campaign.banner_id)
        ).first()
    if row is None:
        return None
    return f"data:{row.content_type};base64,{base64.b64encode(row.image).decode('ascii')}"
