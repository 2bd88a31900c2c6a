"""Preview a signature in the template editor and explain which banner it would show.

The preview follows the relay's steps (targeting decision, audience by id, campaign
resolution from the tenant index, rendering) but only reads the database. When the
decision names an account that has no Account row yet, the preview uses no account, so
no account campaign can match, whereas the relay would create the row first.

The banner image is embedded as a data URI, so showing the preview never loads the
tracking URL and never counts an impression. The click link and the text version carry
the tracking links that the mail would carry.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from maltastic.campaigns.audience import Audience
from maltastic.campaigns.models import Banner, Campaign
from maltastic.campaigns.resolution import ResolutionReason, ResolvedCampaign
from maltastic.campaigns.tenant_index import TenantIndex
from maltastic.directory.models import Employee
from maltastic.signatures.context import (
    BannerDetails,
    BannerLinks,
    CompanyContext,
    EmployeeContext,
    banner_markup,
    template_context,
)
from maltastic.signatures.errors import SignatureTemplateError
from maltastic.signatures.rendering import TemplateSource, render_signature_content
from maltastic.signatures.sandbox import compile_template
from maltastic.signatures.service import generic_banner
from maltastic.targeting import AudienceDecision, AudienceKind, decide_audience_for_headers
from maltastic.targeting.addresses import parse_address_header
from maltastic.targeting.domains import is_freemail, registrable_domain
from maltastic.targeting.models import Account, Contact
from maltastic.tenants.models import Tenant
from maltastic.tracking.keyring import MissingSigningKeyError
from maltastic.tracking.links import banner_url, click_url
from maltastic.tracking.tokens import SigningKeys, issue_token

# A transparent 1×1 GIF, like the image the tracking service serves when no campaign applies.
TRANSPARENT_GIF = "data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"
UNSIGNED_PLACEHOLDER = "preview"  # replaces the token when the tenant has no signing key


@dataclass(frozen=True)
class PreviewCampaign:
    campaign_id: int
    name: str
    reason: ResolutionReason
    banner_alt_text: str


@dataclass(frozen=True)
class PreviewRequest:
    template: TemplateSource
    employee_id: int
    to: str


@dataclass(frozen=True)
class SignaturePreview:
    """The signature or template error that the editor shows, with the reasons for the banner.

    `account_unknown` is true when the decision names an account without an Account row.
    `placeholder_links` is true when the tenant has no signing key, so the links carry a
    placeholder instead of a token. `error_field` is `html_source` or `text_source`.
    """

    decision: AudienceDecision
    audience: Audience
    account_unknown: bool
    campaign: PreviewCampaign | None
    html: str = ""
    text: str = ""
    placeholder_links: bool = False
    error: SignatureTemplateError | None = None
    error_field: str | None = None
    invalid_recipients: tuple[str, ...] = ()


def build_preview(
    session: Session,
    index: TenantIndex,
    keyring: SigningKeys,
    tracking_base_url: str,
    request: PreviewRequest,
) -> SignaturePreview | None:
    """Render the preview in a tenant session; return None when the employee is not found."""
    employee = session.scalar(select(Employee).where(Employee.id == request.employee_id))
    if employee is None:
        return None
    now = dt.datetime.now(dt.UTC)
    decision = decide_audience_for_headers(to=request.to, policy=index.policy)
    audience, account_unknown = read_audience(session, decision)
    resolved = index.campaigns.resolve(employee.id, audience, now)
    campaign, banner = _campaign_and_banner(session, resolved)
    invalid = tuple(entry.text for entry in parse_address_header(request.to).rejected)
    preview = SignaturePreview(
        decision, audience, account_unknown, campaign, invalid_recipients=invalid
    )

    token = _token(keyring, employee, audience, now)
    tracking = BannerLinks(
        banner_url(tracking_base_url, token), click_url(tracking_base_url, token)
    )
    company = _company(session, employee.tenant_id)
    details = generic_banner(company)
    image = TRANSPARENT_GIF
    if banner is not None:
        details = BannerDetails(banner.alt_text, banner.width, banner.height)
        image = f"data:{banner.content_type};base64,{base64.b64encode(banner.image).decode()}"
    links = BannerLinks(image, tracking.click_url)
    person = EmployeeContext.from_employee(employee)
    try:
        content = render_signature_content(
            request.template, employee=person, company=company, banner=details, links=links
        )
    except SignatureTemplateError as error:
        field = _failing_field(request.template, person, company, details, links)
        return dataclasses.replace(preview, error=error, error_field=field)
    return dataclasses.replace(
        preview,
        html=content.html,
        text=content.text,
        placeholder_links=token == UNSIGNED_PLACEHOLDER,
    )


def read_audience(session: Session, decision: AudienceDecision) -> tuple[Audience, bool]:
    """Map a decision to ids like the signature service does, without inserting rows.

    Return the audience and whether the decision named an account that does not exist.
    """
    if decision.kind is AudienceKind.NONE or decision.value is None:
        return Audience.nobody(), False
    if decision.kind is AudienceKind.ACCOUNT:
        account_id = _account_id(session, decision.value)
        if account_id is None:
            return Audience.nobody(), True
        return Audience.account(account_id), False

    contact = session.scalar(select(Contact).where(Contact.email == decision.value))
    account_id = contact.account_id if contact is not None else None
    domain = registrable_domain(decision.value.rpartition("@")[2])
    if account_id is None and domain is not None and not is_freemail(domain):
        account_id = _account_id(session, domain)
    if contact is None:
        return (Audience.nobody() if account_id is None else Audience.account(account_id)), False
    return Audience.contact(contact.id, account_id=account_id), False


def _account_id(session: Session, domain: str) -> int | None:
    return session.scalar(select(Account.id).where(Account.domain == domain))


def _campaign_and_banner(
    session: Session, resolved: ResolvedCampaign | None
) -> tuple[PreviewCampaign | None, Banner | None]:
    if resolved is None:
        return None, None
    campaign = session.scalar(select(Campaign).where(Campaign.id == resolved.campaign_id))
    if campaign is None:
        return None, None  # deleted after the index was built
    banner = campaign.banner
    found = PreviewCampaign(campaign.id, campaign.name, resolved.reason, banner.alt_text)
    return found, banner


def _token(keyring: SigningKeys, employee: Employee, audience: Audience, now: dt.datetime) -> str:
    try:
        return issue_token(
            keyring,
            tenant_id=employee.tenant_id,
            employee_id=employee.id,
            audience=audience,
            issued_at=now,
        )
    except MissingSigningKeyError:
        return UNSIGNED_PLACEHOLDER


def _company(session: Session, tenant_id: int) -> CompanyContext:
    tenant = session.get(Tenant, tenant_id)
    return CompanyContext.from_tenant(tenant) if tenant is not None else CompanyContext()


def _failing_field(
    template: TemplateSource,
    employee: EmployeeContext,
    company: CompanyContext,
    details: BannerDetails,
    links: BannerLinks,
) -> str:
    """Tell which source failed: the text source only when the HTML source renders."""
    try:
        compiled = compile_template(template.name, template.html_source, html=True)
        compiled.render(template_context(employee, company, banner_markup(details, links)))
    except SignatureTemplateError:
        return "html_source"
    return "text_source"
