"""Signatures for the relay: the default template, rendered for the message's audience."""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from maltastic.campaigns.audience import Audience
from maltastic.campaigns.models import Banner
from maltastic.db.tenancy import open_tenant_session, session_tenant_id
from maltastic.directory.models import Employee
from maltastic.relay.mime import Signature
from maltastic.relay.signature_source import TargetedAudience
from maltastic.runtime import Runtime
from maltastic.signatures.context import BannerDetails
from maltastic.signatures.models import SignatureTemplate
from maltastic.signatures.service import SignatureService
from maltastic.tracking.keyring import Keyring, load_keyring

logger = logging.getLogger(__name__)


class RenderedSignatureSource:
    """Implements the relay's `SignatureSource` with `SignatureService`.

    The banner's alt text and size come from the campaign that resolution picks at send
    time; the banner itself is decided again whenever the mail is opened.
    """

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.keyring = Keyring()
        self.service = SignatureService(
            keyring=Keyring(),
            tracking_base_url=runtime.settings.public_base_url,
            banner_lookup=self.banner_details,
        )
        self.reload_keyring()

    def reload_keyring(self) -> None:
        with self.runtime.session_factory() as session:
            self.keyring = load_keyring(session, self.runtime.secret_box)
        self.service.keyring = self.keyring

    def signature_for(
        self, tenant_id: int, employee: Employee, audience: TargetedAudience
    ) -> Signature | None:
        with open_tenant_session(self.runtime.session_factory, tenant_id) as session:
            template = default_template(session)
            if template is None:
                logger.info("tenant id=%s has no default signature template", tenant_id)
                return None
            if tenant_id not in self.keyring.tenant_ids():
                self.reload_keyring()  # a tenant created after this process started
            sender = session.get(Employee, employee.id)
            if sender is None:
                return None  # deleted since the relay looked it up
            rendered = self.service.render(
                session, sender, audience.decision, template=template, audience=by_id(audience)
            )
            session.commit()  # accounts created on first contact with a domain
        return Signature(html=rendered.html, text=rendered.text)

    def banner_details(
        self, session: Session, employee: Employee, audience: Audience
    ) -> BannerDetails | None:
        tenant_id = session_tenant_id(session)
        if tenant_id is None:
            return None
        index = self.runtime.indexes.get(tenant_id)
        resolved = index.campaigns.resolve(employee.id, audience, dt.datetime.now(dt.UTC))
        if resolved is None:
            return None
        row = session.execute(
            select(Banner.alt_text, Banner.width, Banner.height).where(
                Banner.id == resolved.banner_id
            )
        ).first()
        return BannerDetails(row.alt_text, row.width, row.height) if row else None


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
