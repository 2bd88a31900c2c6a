"""Creating tenants and looking them up."""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from maltastic.targeting.domains import InvalidDomainError, normalise_domain
from maltastic.tenants.models import DomainKind, Tenant, TenantDomain

SLUG_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


class TenantError(ValueError):
    """A tenant cannot be created as requested; the message says why and what to do."""


def check_slug(slug: str) -> str:
    if not SLUG_PATTERN.match(slug):
        raise TenantError(
            f"invalid tenant slug {slug!r}: use 1 to 63 lower-case letters, digits and "
            "hyphens, e.g. beispiel-gmbh"
        )
    return slug


def create_tenant(
    session: Session,
    *,
    slug: str,
    name: str,
    own_domains: Iterable[str],
    internal_domains: Iterable[str] = (),
) -> Tenant:
    """Add a tenant with its sending (own) and internal domains to `session`."""
    check_slug(slug)
    if session.scalar(select(Tenant.id).where(Tenant.slug == slug)) is not None:
        raise TenantError(f"a tenant with the slug {slug!r} already exists: choose another")
    own = normalise_domains(own_domains)
    if not own:
        raise TenantError("a tenant needs at least one own domain, e.g. --domain beispiel.de")
    claimed = session.scalars(
        select(TenantDomain.domain).where(
            TenantDomain.kind == DomainKind.OWN, TenantDomain.domain.in_(own)
        )
    ).all()
    if claimed:
        raise TenantError(
            f"domain {claimed[0]!r} already belongs to another tenant: "
            "a sending domain can belong to one tenant only"
        )

    tenant = Tenant(slug=slug, name=name.strip() or slug)
    internal = sorted(set(normalise_domains(internal_domains)) - set(own))
    tenant.domains = [TenantDomain(domain=d, kind=DomainKind.OWN) for d in own] + [
        TenantDomain(domain=d, kind=DomainKind.INTERNAL) for d in internal
    ]
    session.add(tenant)
    session.flush()
    return tenant


def normalise_domains(domains: Iterable[str]) -> list[str]:
    normalised = set()
    for domain in domains:
        try:
            value = normalise_domain(domain)
        except InvalidDomainError as error:
            raise TenantError(str(error)) from None
        if "." not in value:
            raise TenantError(f"{domain!r} is not a full domain name: use a form like beispiel.de")
        normalised.add(value)
    return sorted(normalised)


def find_tenant(session: Session, slug: str) -> Tenant | None:
    return session.scalar(select(Tenant).where(Tenant.slug == slug))


def tenant_for_sender_domain(session: Session, domain: str) -> Tenant | None:
    return session.scalar(
        select(Tenant)
        .join(TenantDomain)
        .where(TenantDomain.kind == DomainKind.OWN, TenantDomain.domain == domain)
    )
