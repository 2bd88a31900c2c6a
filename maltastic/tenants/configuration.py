"""Tenant settings and internal domains as admins edit them, with audit entries."""

from __future__ import annotations

import ipaddress
import zoneinfo
from dataclasses import dataclass
from functools import cache
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from maltastic.audit.service import AuditAction, changed_fields, record_change
from maltastic.i18n.catalog import gettext as _
from maltastic.targeting.domains import InvalidDomainError, normalise_domain
from maltastic.tenants.models import (
    DomainKind,
    NetworkPurpose,
    Tenant,
    TenantDomain,
    TenantNetwork,
)
from maltastic.validation import FieldErrors, InvalidInputError

MIN_RETENTION_DAYS = 1
MAX_RETENTION_DAYS = 3650
NETWORK_FIELDS = {
    "own_networks": NetworkPurpose.OWN_NETWORK,
    "relay_networks": NetworkPurpose.RELAY_SOURCE,
}
# Relay source networks let every host in them send mail as the tenant's senders, so a
# network wider than these prefixes (about a million IPv4 addresses) is rejected.
RELAY_NETWORK_MIN_PREFIX = {4: 12, 6: 32}


@dataclass(frozen=True)
class SettingsForm:
    time_zone: str = ""
    website_url: str = ""
    retention_days: str = ""
    contact_analytics_enabled: bool = False
    contact_analytics_legal_basis: str = ""
    own_networks: str = ""
    relay_networks: str = ""


@cache
def time_zones() -> list[str]:
    return sorted(zone for zone in zoneinfo.available_timezones() if "/" in zone)


def networks_text(session: Session, purpose: NetworkPurpose) -> str:
    rows = session.scalars(
        select(TenantNetwork.cidr)
        .where(TenantNetwork.purpose == purpose)
        .order_by(TenantNetwork.id)
    )
    return "\n".join(rows)


def settings_form(session: Session, tenant: Tenant) -> SettingsForm:
    return SettingsForm(
        time_zone=tenant.time_zone,
        website_url=tenant.website_url or "",
        retention_days=str(tenant.retention_days),
        contact_analytics_enabled=tenant.contact_analytics_enabled,
        contact_analytics_legal_basis=tenant.contact_analytics_legal_basis or "",
        own_networks=networks_text(session, NetworkPurpose.OWN_NETWORK),
        relay_networks=networks_text(session, NetworkPurpose.RELAY_SOURCE),
    )


def save_settings(session: Session, actor_id: int, tenant: Tenant, form: SettingsForm) -> None:
    """Check the whole form, then write the tenant's settings and networks."""
    errors = FieldErrors()
    values = {
        "time_zone": check_time_zone(form.time_zone, errors),
        "website_url": check_website(form.website_url, errors),
        "retention_days": check_retention(form.retention_days, errors),
        "contact_analytics_enabled": form.contact_analytics_enabled,
        "contact_analytics_legal_basis": check_legal_basis(form, errors),
    }
    networks = {
        purpose: parse_networks(getattr(form, name), name, errors)
        for name, purpose in NETWORK_FIELDS.items()
    }
    errors.raise_if_any()
    changes = changed_fields(tenant, values)
    for purpose, cidrs in networks.items():
        changes.update(replace_networks(session, purpose, cidrs))
    if changes:
        record_change(
            session,
            actor_id=actor_id,
            action=AuditAction.UPDATE,
            entity_type="tenant",
            entity_id=tenant.id,
            changes=changes,
        )


def check_time_zone(text: str, errors: FieldErrors) -> str:
    if text not in time_zones():
        errors.add("time_zone", _("Please choose a time zone from the list."))
    return text


def check_website(text: str, errors: FieldErrors) -> str | None:
    url = text.strip()
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or len(url) > 2000:
        errors.add("website_url", _("Please enter a full address, e.g. https://www.beispiel.de."))
    return url


def check_retention(text: str, errors: FieldErrors) -> int:
    value = text.strip()
    if not value.isdigit() or not MIN_RETENTION_DAYS <= int(value) <= MAX_RETENTION_DAYS:
        errors.add("retention_days", _("Please enter a number of days from 1 to 3650."))
        return 0
    return int(value)


def check_legal_basis(form: SettingsForm, errors: FieldErrors) -> str | None:
    text = " ".join(form.contact_analytics_legal_basis.split())
    if form.contact_analytics_enabled and not text:
        errors.add(
            "contact_analytics_legal_basis",
            _("Contact-level analytics need a legal basis, e.g. the recipients' consent."),
        )
    if len(text) > 500:
        errors.add(
            "contact_analytics_legal_basis", _("At most %(count)d characters.") % {"count": 500}
        )
    return text or None


def parse_networks(text: str, field: str, errors: FieldErrors) -> list[str]:
    """Parse one network per line or comma, e.g. 192.0.2.0/24, 2001:db8::/32 or 192.0.2.7."""
    cidrs: list[str] = []
    for entry in text.replace(",", "\n").split():
        try:
            network = ipaddress.ip_network(entry, strict=True)
        except ValueError:
            errors.add(field, network_error(entry, relay=field == "relay_networks"))
            continue
        if field == "relay_networks" and too_broad(network):
            errors.add(field, too_broad_error(network))
            continue
        if str(network) not in cidrs:
            cidrs.append(str(network))
    return cidrs


def too_broad(network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> bool:
    return network.prefixlen < RELAY_NETWORK_MIN_PREFIX[network.version]


def too_broad_error(network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> str:
    limit = RELAY_NETWORK_MIN_PREFIX[network.version]
    return _(
        "“%(value)s” is too broad: every host in it could send mail as your senders. "
        "Enter the networks of your mail servers, with a prefix of /%(limit)s or longer."
    ) % {"value": str(network), "limit": limit}


def network_error(entry: str, *, relay: bool = False) -> str:
    """Explain an entry that is no network, with a suggestion the same field accepts."""
    try:
        suggestion = ipaddress.ip_network(entry, strict=False)
    except ValueError:
        return _("“%(value)s” is not a network. Use a form like 192.0.2.0/24.") % {"value": entry}
    if relay and too_broad(suggestion):
        # The whole network would be rejected, so suggest the one host that was typed.
        suggestion = ipaddress.ip_network(entry.partition("/")[0])
    return _("“%(value)s” has host bits set. Did you mean %(network)s?") % {
        "value": entry,
        "network": suggestion,
    }


def replace_networks(
    session: Session, purpose: NetworkPurpose, cidrs: list[str]
) -> dict[str, tuple[object, object]]:
    rows = list(session.scalars(select(TenantNetwork).where(TenantNetwork.purpose == purpose)))
    old = sorted(row.cidr for row in rows)
    if old == sorted(cidrs):
        return {}
    for row in rows:
        if row.cidr not in cidrs:
            session.delete(row)
    for cidr in cidrs:
        if cidr not in old:
            session.add(TenantNetwork(cidr=cidr, purpose=purpose))
    return {f"networks_{purpose.value}": (old, sorted(cidrs))}


def list_domains(session: Session) -> list[TenantDomain]:
    return list(
        session.scalars(select(TenantDomain).order_by(TenantDomain.kind, TenantDomain.domain))
    )


def add_internal_domain(session: Session, actor_id: int, text: str) -> TenantDomain:
    try:
        domain = normalise_domain(text)
    except InvalidDomainError:
        raise InvalidInputError(
            {"domain": _("“%(value)s” is not a valid domain.") % {"value": text.strip()}}
        ) from None
    if "." not in domain:
        raise InvalidInputError({"domain": _("Please enter a full domain, e.g. tochter.de.")})
    known = session.scalar(select(TenantDomain).where(TenantDomain.domain == domain))
    if known is not None:
        raise InvalidInputError({"domain": _("This domain is already in the list.")})
    row = TenantDomain(domain=domain, kind=DomainKind.INTERNAL)
    session.add(row)
    session.flush()
    record_change(
        session,
        actor_id=actor_id,
        action=AuditAction.CREATE,
        entity_type="tenant_domain",
        entity_id=row.id,
        changes={"domain": (None, domain), "kind": (None, DomainKind.INTERNAL)},
    )
    return row


def remove_internal_domain(session: Session, actor_id: int, row: TenantDomain) -> None:
    if row.kind != DomainKind.INTERNAL:
        raise InvalidInputError({"domain": _("Only internal domains can be removed here.")})
    record_change(
        session,
        actor_id=actor_id,
        action=AuditAction.DELETE,
        entity_type="tenant_domain",
        entity_id=row.id,
        changes={"domain": (row.domain, None)},
    )
    session.delete(row)
