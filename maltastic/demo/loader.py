"""Load the demo tenant. Loading again finds every row in place and changes nothing."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from maltastic.campaigns.models import Banner, Campaign
from maltastic.db.tenancy import open_tenant_session
from maltastic.demo import content
from maltastic.demo.banners import draw_banner
from maltastic.directory.models import Department, Employee
from maltastic.security.secrets import SecretBox
from maltastic.signatures.models import SignatureTemplate
from maltastic.targeting.domains import is_freemail, registrable_domain
from maltastic.targeting.models import Account, Contact, TargetGroup, TargetLevel
from maltastic.tenants.models import Tenant
from maltastic.tenants.service import create_tenant, find_tenant
from maltastic.tracking.models import TokenSigningKey
from maltastic.users.models import Role, User
from maltastic.users.service import create_user

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DemoLogin:
    email: str
    password: str
    tenant_slug: str


def load_demo(factory: sessionmaker[Session], secret_box: SecretBox) -> DemoLogin:
    with factory.begin() as session:
        tenant = find_tenant(session, content.TENANT_SLUG) or create_demo_tenant(session)
        ensure_demo_user(session, tenant)
        tenant_id = tenant.id
    with open_tenant_session(factory, tenant_id) as session, session.begin():
        ensure_signing_key(session, secret_box)
        departments = ensure_departments(session)
        ensure_employees(session, departments)
        ensure_signature_template(session)
        groups = ensure_target_groups(session)
        ensure_campaigns(session, departments, groups)
    logger.info("demo tenant %r loaded (id=%s)", content.TENANT_SLUG, tenant_id)
    return DemoLogin(content.DEMO_LOGIN_EMAIL, content.DEMO_LOGIN_PASSWORD, content.TENANT_SLUG)


def create_demo_tenant(session: Session) -> Tenant:
    tenant = create_tenant(
        session,
        slug=content.TENANT_SLUG,
        name=content.TENANT_NAME,
        own_domains=[content.OWN_DOMAIN],
        internal_domains=[content.INTERNAL_DOMAIN],
    )
    tenant.website_url = content.WEBSITE_URL
    return tenant


def ensure_demo_user(session: Session, tenant: Tenant) -> None:
    if session.scalar(select(User.id).where(User.email == content.DEMO_LOGIN_EMAIL)):
        return
    create_user(
        session,
        email=content.DEMO_LOGIN_EMAIL,
        password=content.DEMO_LOGIN_PASSWORD,
        tenant=tenant,
        role=Role.OWNER,
        display_name="Demo-Admin",
    )


def ensure_signing_key(session: Session, secret_box: SecretBox) -> None:
    if session.scalar(select(TokenSigningKey.id)) is None:
        sealed = secret_box.seal(secrets.token_bytes(32))
        session.add(TokenSigningKey(key_id=1, secret_ciphertext=sealed, active=True))


def ensure_departments(session: Session) -> dict[str, Department]:
    existing = {d.name: d for d in session.scalars(select(Department))}
    for name in content.DEPARTMENTS:
        if name not in existing:
            existing[name] = Department(name=name)
            session.add(existing[name])
    session.flush()
    return existing


def ensure_employees(session: Session, departments: dict[str, Department]) -> None:
    existing = set(session.scalars(select(Employee.email)))
    for person in content.EMPLOYEES:
        if person.email in existing:
            continue
        session.add(
            Employee(
                email=person.email,
                first_name=person.first_name,
                last_name=person.last_name,
                title=person.title,
                phone=person.phone,
                mobile=person.mobile,
                location=person.location,
                department=departments[person.department] if person.department else None,
            )
        )


def ensure_signature_template(session: Session) -> None:
    if session.scalar(select(SignatureTemplate.id)) is None:
        session.add(
            SignatureTemplate(
                name=content.SIGNATURE_TEMPLATE_NAME,
                html_source=content.SIGNATURE_HTML,
                is_default=True,
            )
        )


def ensure_target_groups(session: Session) -> dict[str, TargetGroup]:
    groups = {g.name: g for g in session.scalars(select(TargetGroup))}
    for spec in content.TARGET_GROUPS:
        if spec.name in groups:
            continue
        group = TargetGroup(name=spec.name, level=spec.level)
        if spec.level is TargetLevel.ACCOUNT:
            group.accounts = [ensure_account(session, domain) for domain in spec.members]
        else:
            group.contacts = [ensure_contact(session, address) for address in spec.members]
        session.add(group)
        groups[spec.name] = group
    session.flush()
    return groups


def ensure_account(session: Session, domain: str) -> Account:
    account = session.scalar(select(Account).where(Account.domain == domain))
    if account is None:
        account = Account(domain=domain)
        session.add(account)
    return account


def ensure_contact(session: Session, address: str) -> Contact:
    contact = session.scalar(select(Contact).where(Contact.email == address))
    if contact is None:
        first, _, last = address.partition("@")[0].partition(".")
        contact = Contact(email=address, first_name=first.title(), last_name=last.title())
        session.add(contact)
    domain = registrable_domain(address.rpartition("@")[2])
    if contact.account is None and domain is not None and not is_freemail(domain):
        contact.account = ensure_account(session, domain)
    return contact


def ensure_campaigns(
    session: Session, departments: dict[str, Department], groups: dict[str, TargetGroup]
) -> None:
    existing = set(session.scalars(select(Campaign.name)))
    for spec in content.CAMPAIGNS:
        if spec.name in existing:
            continue
        session.add(
            Campaign(
                name=spec.name,
                kind=spec.kind,
                banner=create_banner(spec.banner),
                target_url=spec.target_url,
                priority=spec.priority,
                is_tenant_default=spec.is_tenant_default,
                departments=[departments[name] for name in spec.departments],
                target_groups=[groups[spec.target_group]] if spec.target_group else [],
            )
        )


def create_banner(spec: content.DemoBanner) -> Banner:
    image = draw_banner(spec.headline, spec.subline, spec.background, "#ffffff")
    return Banner(
        name=spec.name,
        image=image.png,
        content_type="image/png",
        byte_size=len(image.png),
        width=image.width,
        height=image.height,
        alt_text=spec.alt_text,
        sha256=image.sha256,
    )
