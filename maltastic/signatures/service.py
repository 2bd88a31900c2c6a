"""Build the personalised signature of one message: audience by id, token, HTML and text.

The relay, the signature API and the admin preview call `SignatureService.render` with a
tenant session, the sending employee and the targeting decision for the recipients.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from maltastic.campaigns.audience import Audience
from maltastic.campaigns.models import Campaign
from maltastic.db.tenancy import session_tenant_id
from maltastic.directory.models import Employee
from maltastic.signatures.content_cache import render_with_token
from maltastic.signatures.context import (
    BannerDetails,
    CompanyContext,
    EmployeeContext,
)
from maltastic.signatures.models import SignatureTemplate
from maltastic.signatures.rendering import (
    FALLBACK_TEMPLATE,
    TemplateSource,
)
from maltastic.targeting.decision import AudienceDecision, AudienceKind
from maltastic.targeting.domains import is_freemail, registrable_domain
from maltastic.targeting.models import Account, Contact
from maltastic.tenants.models import Tenant
from maltastic.tracking.tokens import SigningKeys, issue_token

logger = logging.getLogger(__name__)

# Returns the alt text and size of the banner the message is expected to show now.
BannerLookup = Callable[[Session, Employee, Audience], BannerDetails | None]


@dataclass(frozen=True, slots=True)
class SignatureInputs:
    """Everything a signature shows apart from its tracking token."""

    template: TemplateSource
    employee: EmployeeContext
    company: CompanyContext
    banner: BannerDetails


@dataclass(frozen=True, slots=True)
class RenderedSignature:
    html: str
    text: str
    audience: Audience
    token: str


class SignatureService:
    """Renders signatures with the tracking base URL, a keyring and a banner lookup.

    `keyring` may be replaced at any time with a freshly loaded one (see
    `maltastic.tracking.keyring`), because each render reads the attribute once.
    """

    def __init__(
        self,
        *,
        keyring: SigningKeys,
        tracking_base_url: str,
        banner_lookup: BannerLookup | None = None,
    ) -> None:
        self.keyring = keyring
        self.tracking_base_url = tracking_base_url
        self.banner_lookup = banner_lookup or default_banner_details

    def render(
        self,
        session: Session,
        employee: Employee,
        decision: AudienceDecision,
        *,
        template: SignatureTemplate | None = None,
        now: dt.datetime | None = None,
        audience: Audience | None = None,
    ) -> RenderedSignature:
        """Render the signature of `employee` for the audience that `decision` names.

        A caller that already mapped the decision to ids (the relay) passes `audience`.
        Raises SignatureTemplateError for a broken template and MissingSigningKeyError
        when the tenant has no active signing key. May insert an Account row, which
        the caller commits with its transaction.
        """
        tenant_id = _tenant_id(session)
        if audience is None:
            audience = resolve_audience(session, decision)
        company = company_context(session, tenant_id)
        details = self.banner_lookup(session, employee, audience) or generic_banner(company)
        inputs = SignatureInputs(
            template=template_source(session, template),
            employee=EmployeeContext.from_employee(employee),
            company=company,
            banner=details,
        )
        return self.render_inputs(tenant_id, employee.id, audience, inputs, now=now)

    def render_inputs(
        self,
        tenant_id: int,
        employee_id: int,
        audience: Audience,
        inputs: SignatureInputs,
        *,
        now: dt.datetime | None = None,
    ) -> RenderedSignature:
        """Render from values already read, with a new token and without database access.

        Raises the same errors as `render`.
        """
        token = issue_token(
            self.keyring,
            tenant_id=tenant_id,
            employee_id=employee_id,
            audience=audience,
            issued_at=now,
        )
        content = render_with_token(
            inputs.template,
            employee=inputs.employee,
            company=inputs.company,
            banner=inputs.banner,
            base_url=self.tracking_base_url,
            token=token,
        )
        return RenderedSignature(content.html, content.text, audience, token)


def resolve_audience(session: Session, decision: AudienceDecision) -> Audience:
    """Map a targeting decision to ids: contact by address, account by domain, or nobody.

    An account audience creates its Account row when missing, because analytics count
    accounts that no target group names. A contact whose row is gone falls back to the
    account of its domain.
    """
    if decision.kind is AudienceKind.NONE or decision.value is None:
        return Audience.nobody()
    if decision.kind is AudienceKind.ACCOUNT:
        return Audience.account(ensure_account(session, decision.value).id)

    contact = session.scalar(select(Contact).where(Contact.email == decision.value))
    domain = decision.value.rpartition("@")[2]
    account_id = contact.account_id if contact is not None else None
    if account_id is None:
        account_id = _account_id_for_domain(session, domain)
    if contact is None:
        logger.warning(
            "tenant %s: contact audience without a contact row, rule %s",
            session_tenant_id(session),
            decision.rule,
        )
        return Audience.nobody() if account_id is None else Audience.account(account_id)
    return Audience.contact(contact.id, account_id=account_id)


def ensure_account(session: Session, domain: str) -> Account:
    """Return the tenant's Account for a registrable domain, inserting it when missing.

    The insert is `INSERT ... ON CONFLICT DO NOTHING` on the (tenant_id, domain) unique
    constraint, so concurrent first sends to a new domain create one row and every caller
    gets it, on SQLite and PostgreSQL.
    """
    existing = session.scalar(select(Account).where(Account.domain == domain))
    if existing is not None:
        return existing  # the common case, and no write transaction for it
    tenant_id = _tenant_id(session)
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        insert(Account)
        .values(tenant_id=tenant_id, domain=domain, name="")
        .on_conflict_do_nothing(index_elements=["tenant_id", "domain"])
    )
    session.execute(statement)
    account = session.scalar(select(Account).where(Account.domain == domain))
    if account is None:
        raise LookupError(f"account {domain!r} of tenant {tenant_id} missing after insert")
    return account


def default_banner_details(
    session: Session, employee: Employee, audience: Audience
) -> BannerDetails | None:
    """Alt text and size of the tenant default campaign's banner, if there is one."""
    campaign = session.scalar(select(Campaign).where(Campaign.is_tenant_default.is_(True)))
    if campaign is None:
        return None
    banner = campaign.banner
    return BannerDetails(banner.alt_text, banner.width, banner.height)


def generic_banner(company: CompanyContext) -> BannerDetails:
    return BannerDetails(alt_text=company.name or "Banner")


def _account_id_for_domain(session: Session, domain: str) -> int | None:
    registrable = registrable_domain(domain)
    if registrable is None or is_freemail(registrable):
        return None
    return ensure_account(session, registrable).id


def template_source(session: Session, template: SignatureTemplate | None) -> TemplateSource:
    """Return the sources of `template`, else of the tenant's default or the fallback."""
    if template is None:
        template = session.scalar(
            select(SignatureTemplate).order_by(
                SignatureTemplate.is_default.desc(), SignatureTemplate.id
            )
        )
    if template is None:
        return FALLBACK_TEMPLATE
    return TemplateSource(template.name, template.html_source, template.text_source)


def company_context(session: Session, tenant_id: int) -> CompanyContext:
    tenant = session.get(Tenant, tenant_id)
    if tenant is None:
        raise LookupError(f"tenant {tenant_id} not found")
    return CompanyContext.from_tenant(tenant)


def _tenant_id(session: Session) -> int:
    tenant_id = session_tenant_id(session)
    if tenant_id is None:
        raise ValueError("signatures are rendered in a tenant session (open_tenant_session)")
    return tenant_id
