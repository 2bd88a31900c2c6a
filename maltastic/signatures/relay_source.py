"""Signatures for the relay: the default template, rendered for the message's audience.

The relay renders a signature for nearly every message, so the tenant's template and
company details, the banner details and the employees' template fields are kept in
memory. They are dropped after a commit that changes the tenant's data (the runtime's
change feed) and after `CACHE_SECONDS` at the latest, which bounds how long a change
made by another process takes to reach this one.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from maltastic.campaigns.audience import Audience
from maltastic.campaigns.models import Banner
from maltastic.db.tenancy import open_tenant_session
from maltastic.directory.models import Employee
from maltastic.relay.mime import Signature
from maltastic.relay.signature_source import TargetedAudience
from maltastic.runtime import Runtime
from maltastic.signatures.context import BannerDetails, CompanyContext, EmployeeContext
from maltastic.signatures.models import SignatureTemplate
from maltastic.signatures.rendering import TemplateSource
from maltastic.signatures.service import (
    SignatureInputs,
    SignatureService,
    company_context,
    generic_banner,
)
from maltastic.tracking.keyring import Keyring, load_keyring

logger = logging.getLogger(__name__)

CACHE_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class TenantSignatureData:
    """A tenant's default template (None without one) and company details."""

    template: TemplateSource | None
    company: CompanyContext


@dataclass(slots=True)
class TenantCache:
    """The values the relay read of one tenant, with the time they expire."""

    expires_at: float
    data: TenantSignatureData
    banners: dict[int, BannerDetails | None]
    employees: dict[int, EmployeeContext]


class RenderedSignatureSource:
    """Implements the relay's `SignatureSource` with `SignatureService`.

    The banner's alt text and size come from the campaign that resolution picks at send
    time; the banner itself is decided again whenever the mail is opened.
    """

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.keyring = Keyring()
        self.service = SignatureService(
            keyring=Keyring(), tracking_base_url=runtime.settings.public_base_url
        )
        self._tenants: dict[int, TenantCache] = {}
        self.reload_keyring()
        runtime.change_feed.subscribe(self.forget_tenant)

    def reload_keyring(self) -> None:
        with self.runtime.session_factory() as session:
            self.keyring = load_keyring(session, self.runtime.secret_box)
        self.service.keyring = self.keyring

    def forget_tenant(self, tenant_id: int) -> None:
        """Drop what was read of a tenant, so the next message reads it again."""
        self._tenants.pop(tenant_id, None)

    def signature_for(
        self, tenant_id: int, employee: Employee, audience: TargetedAudience
    ) -> Signature | None:
        """Render the signature of `employee`, a sender that the relay looked up."""
        cache = self._tenant_cache(tenant_id)
        if cache.data.template is None:
            logger.info("tenant id=%s has no default signature template", tenant_id)
            return None
        if tenant_id not in self.keyring.tenant_ids():
            self.reload_keyring()  # a tenant created after this process started
        targeted = by_id(audience)
        banner = self._banner_details(tenant_id, cache, employee.id, targeted)
        inputs = SignatureInputs(
            template=cache.data.template,
            employee=_employee_context(cache, employee),
            company=cache.data.company,
            banner=banner or generic_banner(cache.data.company),
        )
        rendered = self.service.render_inputs(tenant_id, employee.id, targeted, inputs)
        return Signature(html=rendered.html, text=rendered.text)

    def _tenant_cache(self, tenant_id: int) -> TenantCache:
        cache = self._tenants.get(tenant_id)
        now = time.monotonic()
        if cache is None or cache.expires_at <= now:
            data = self._read_tenant(tenant_id)
            cache = TenantCache(now + CACHE_SECONDS, data, banners={}, employees={})
            self._tenants[tenant_id] = cache
        return cache

    def _read_tenant(self, tenant_id: int) -> TenantSignatureData:
        with open_tenant_session(self.runtime.session_factory, tenant_id) as session:
            template = default_template(session)
            source = (
                TemplateSource(template.name, template.html_source, template.text_source)
                if template is not None
                else None
            )
            return TenantSignatureData(source, company_context(session, tenant_id))

    def _banner_details(
        self, tenant_id: int, cache: TenantCache, employee_id: int, audience: Audience
    ) -> BannerDetails | None:
        index = self.runtime.indexes.get(tenant_id)
        resolved = index.campaigns.resolve(employee_id, audience, dt.datetime.now(dt.UTC))
        if resolved is None:
            return None
        if resolved.banner_id not in cache.banners:
            cache.banners[resolved.banner_id] = self._read_banner(tenant_id, resolved.banner_id)
        return cache.banners[resolved.banner_id]

    def _read_banner(self, tenant_id: int, banner_id: int) -> BannerDetails | None:
        with open_tenant_session(self.runtime.session_factory, tenant_id) as session:
            row = session.execute(
                select(Banner.alt_text, Banner.width, Banner.height).where(Banner.id == banner_id)
            ).first()
        return BannerDetails(row.alt_text, row.width, row.height) if row else None


def _employee_context(cache: TenantCache, employee: Employee) -> EmployeeContext:
    context = cache.employees.get(employee.id)
    if context is None:
        context = EmployeeContext.from_employee(employee)
        cache.employees[employee.id] = context
    return context


def by_id(audience: TargetedAudience) -> Audience:
    """Return the audience the relay already resolved, so it is not looked up twice."""
    if audience.contact_id is not None:
        return Audience.contact(audience.contact_id, audience.account_id)
    if audience.account_id is not None:
        return Audience.account(audience.account_id)
    return Audience.nobody()


def default_template(session: Session) -> SignatureTemplate | None:
    return session.scalar(
        select(SignatureTemplate).order_by(
            SignatureTemplate.is_default.desc(), SignatureTemplate.id
        )
    )
