"""Build a tenant's in-memory index from the database: campaigns, memberships, policy."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import Column, Table, select
from sqlalchemy.orm import Session, sessionmaker

from maltastic.audit.models import AuditLogEntry
from maltastic.audit.service import AuditAction
from maltastic.campaigns.audience import Audience
from maltastic.campaigns.models import (
    Banner,
    Campaign,
    CampaignKind,
    campaign_departments,
    campaign_target_groups,
)
from maltastic.campaigns.resolution import CampaignIndex, IndexedCampaign, MembershipTable
from maltastic.db.tenancy import open_tenant_session
from maltastic.directory.models import Employee
from maltastic.targeting.contact_set import KnownContactSet
from maltastic.targeting.models import (
    Account,
    Contact,
    TargetGroup,
    TargetLevel,
    target_group_accounts,
    target_group_contacts,
)
from maltastic.targeting.rules import TargetingPolicy
from maltastic.tenants.models import (
    DomainKind,
    NetworkPurpose,
    OptOutKind,
    Tenant,
    TenantDomain,
    TenantNetwork,
    TrackingOptOut,
)
from maltastic.tracking.classification import IpNetwork, parse_networks

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrackingSettings:
    """A tenant's settings that the tracking endpoints read on every request."""

    website_url: str | None
    contact_analytics_enabled: bool
    own_networks: tuple[IpNetwork, ...]
    opted_out_contacts: frozenset[int]
    opted_out_accounts: frozenset[int]
    banner_versions: dict[int, str]  # banner id -> SHA-256 of its current image
    # Ids of erased contacts, which tokens in earlier mail still carry.
    erased_contacts: frozenset[int] = frozenset()

    def is_opted_out(self, audience: Audience) -> bool:
        return (
            audience.contact_id in self.opted_out_contacts
            or audience.account_id in self.opted_out_accounts
        )


@dataclass(frozen=True)
class TenantIndex:
    """The data of one tenant that the relay and the tracking service read from memory."""

    campaigns: CampaignIndex
    known_contacts: KnownContactSet
    policy: TargetingPolicy
    tracking: TrackingSettings


def load_tenant_index(factory: sessionmaker[Session], tenant_id: int) -> TenantIndex:
    started = time.perf_counter()
    with open_tenant_session(factory, tenant_id) as session:
        known_contacts = KnownContactSet(load_known_contact_addresses(session, tenant_id))
        index = TenantIndex(
            campaigns=load_campaign_index(session, tenant_id),
            known_contacts=known_contacts,
            policy=load_policy(session, tenant_id, known_contacts),
            tracking=load_tracking_settings(session, tenant_id),
        )
    logger.info(
        "tenant id=%s index built in %.2f s: %d known contacts, %d contact memberships",
        tenant_id,
        time.perf_counter() - started,
        len(known_contacts),
        len(index.campaigns.contact_groups),
    )
    return index


def load_campaign_index(session: Session, tenant_id: int) -> CampaignIndex:
    campaigns = load_unpaused_campaigns(session, tenant_id)
    group_campaigns = group_by_link(
        session,
        campaign_target_groups,
        campaign_target_groups.c.target_group_id,
        CampaignKind.RECIPIENT,
        campaigns,
        tenant_id,
    )
    department_campaigns = group_by_link(
        session,
        campaign_departments,
        campaign_departments.c.department_id,
        CampaignKind.SENDER,
        campaigns,
        tenant_id,
    )
    used_groups = set(group_campaigns)
    default = next((c for c in campaigns.values() if c[1]), None)
    return CampaignIndex(
        tenant_id=tenant_id,
        contact_groups=MembershipTable(load_memberships(session, tenant_id, used_groups, True)),
        account_groups=MembershipTable(load_memberships(session, tenant_id, used_groups, False)),
        group_campaigns=group_campaigns,
        department_campaigns=department_campaigns,
        employee_departments=load_employee_departments(session, tenant_id),
        default_campaign=default[0] if default else None,
    )


# Campaign id -> (indexed campaign, is tenant default, kind)
CampaignRows = dict[int, tuple[IndexedCampaign, bool, CampaignKind]]


def load_unpaused_campaigns(session: Session, tenant_id: int) -> CampaignRows:
    rows = session.execute(
        select(
            Campaign.id,
            Campaign.banner_id,
            Campaign.target_url,
            Campaign.priority,
            Campaign.starts_at,
            Campaign.ends_at,
            Campaign.is_tenant_default,
            Campaign.kind,
        ).where(Campaign.tenant_id == tenant_id, Campaign.paused.is_(False))
    )
    campaigns: CampaignRows = {}
    for row in rows:
        indexed = IndexedCampaign(
            campaign_id=row.id,
            banner_id=row.banner_id,
            target_url=row.target_url,
            priority=row.priority,
            starts_at=as_utc(row.starts_at),
            ends_at=as_utc(row.ends_at),
        )
        campaigns[row.id] = (indexed, row.is_tenant_default, row.kind)
    return campaigns


def group_by_link(
    session: Session,
    link: Table,
    other_column: Column[int],
    kind: CampaignKind,
    campaigns: CampaignRows,
    tenant_id: int,
) -> dict[int, tuple[IndexedCampaign, ...]]:
    """Map a department or target group id to its campaigns of `kind`, by priority."""
    rows = session.execute(
        select(link.c.campaign_id, other_column)
        .join(Campaign, Campaign.id == link.c.campaign_id)
        .where(Campaign.tenant_id == tenant_id)
    )
    grouped: defaultdict[int, list[IndexedCampaign]] = defaultdict(list)
    for campaign_id, other_id in rows:
        entry = campaigns.get(campaign_id)
        if entry is not None and entry[2] is kind:
            grouped[other_id].append(entry[0])
    return {key: tuple(sorted(value, key=lambda c: c.sort_key)) for key, value in grouped.items()}


def load_memberships(
    session: Session, tenant_id: int, group_ids: set[int], contacts: bool
) -> list[tuple[int, int]]:
    level = TargetLevel.CONTACT if contacts else TargetLevel.ACCOUNT
    wanted = group_ids & set(group_ids_of_level(session, tenant_id, level))
    if not wanted:
        return []
    link = target_group_contacts if contacts else target_group_accounts
    member_column = link.c.contact_id if contacts else link.c.account_id
    rows = session.execute(
        select(member_column, link.c.target_group_id).where(link.c.target_group_id.in_(wanted))
    )
    return [(member_id, group_id) for member_id, group_id in rows]


def load_known_contact_addresses(session: Session, tenant_id: int) -> list[str]:
    # Two simple queries instead of one three-way join: without table statistics SQLite
    # picks a join order that is quadratic in the number of contacts.
    group_ids = group_ids_of_level(session, tenant_id, TargetLevel.CONTACT)
    if not group_ids:
        return []
    members = select(target_group_contacts.c.contact_id).where(
        target_group_contacts.c.target_group_id.in_(group_ids)
    )
    return list(
        session.scalars(
            select(Contact.email).where(Contact.tenant_id == tenant_id, Contact.id.in_(members))
        )
    )


def group_ids_of_level(session: Session, tenant_id: int, level: TargetLevel) -> list[int]:
    return list(
        session.scalars(
            select(TargetGroup.id).where(
                TargetGroup.tenant_id == tenant_id, TargetGroup.level == level
            )
        )
    )


def load_employee_departments(session: Session, tenant_id: int) -> dict[int, int | None]:
    rows = session.execute(
        select(Employee.id, Employee.department_id).where(Employee.tenant_id == tenant_id)
    )
    return {employee_id: department_id for employee_id, department_id in rows}


def load_policy(
    session: Session, tenant_id: int, known_contacts: KnownContactSet
) -> TargetingPolicy:
    domains: dict[DomainKind, set[str]] = defaultdict(set)
    rows = session.execute(
        select(TenantDomain.kind, TenantDomain.domain).where(TenantDomain.tenant_id == tenant_id)
    )
    for kind, domain in rows:
        domains[kind].add(domain)
    return TargetingPolicy(
        own_domains=frozenset(domains[DomainKind.OWN]),
        internal_domains=frozenset(domains[DomainKind.INTERNAL]),
        extra_freemail_domains=frozenset(domains[DomainKind.FREEMAIL]),
        known_contacts=known_contacts,
    )


def load_tracking_settings(session: Session, tenant_id: int) -> TrackingSettings:
    tenant = session.get(Tenant, tenant_id)
    if tenant is None:
        raise LookupError(f"tenant id={tenant_id} not found")
    networks = session.scalars(
        select(TenantNetwork.cidr).where(
            TenantNetwork.tenant_id == tenant_id,
            TenantNetwork.purpose == NetworkPurpose.OWN_NETWORK,
        )
    )
    erased, erased_opted_out = erased_contact_ids(session, tenant_id)
    opted_out = opted_out_ids(session, tenant_id, OptOutKind.ADDRESS)
    return TrackingSettings(
        website_url=tenant.website_url,
        contact_analytics_enabled=tenant.contact_analytics_enabled,
        own_networks=parse_networks(networks),
        opted_out_contacts=frozenset(opted_out) | erased_opted_out,
        erased_contacts=erased,
        opted_out_accounts=frozenset(opted_out_ids(session, tenant_id, OptOutKind.DOMAIN)),
        banner_versions={
            banner_id: sha256
            for banner_id, sha256 in session.execute(
                select(Banner.id, Banner.sha256).where(Banner.tenant_id == tenant_id)
            )
        },
    )


def erased_contact_ids(session: Session, tenant_id: int) -> tuple[frozenset[int], frozenset[int]]:
    """Return the ids of erased contacts, and of those whose address opt-out was kept.

    They come from the audit entries that erasure writes (see maltastic.privacy), because
    the contact rows themselves are gone.
    """
    entries = session.execute(
        select(AuditLogEntry.entity_id, AuditLogEntry.changes).where(
            AuditLogEntry.tenant_id == tenant_id,
            AuditLogEntry.entity_type == "contact",
            AuditLogEntry.action == str(AuditAction.DELETE),
        )
    )
    erased: set[int] = set()
    opted_out: set[int] = set()
    for entity_id, changes in entries:
        if not entity_id.isdigit() or "erased" not in (changes or {}):
            continue
        erased.add(int(entity_id))
        if (changes.get("opt_out_kept") or [None, False])[1]:
            opted_out.add(int(entity_id))
    return frozenset(erased), frozenset(opted_out)


def opted_out_ids(session: Session, tenant_id: int, kind: OptOutKind) -> list[int]:
    """Ids of contacts (address opt-outs) or accounts (domain opt-outs) not to be tracked.

    NOTE: an address opt-out only takes effect for addresses stored as contacts, because
    a token of an account audience does not name the recipient's address.
    """
    values = select(TrackingOptOut.value).where(
        TrackingOptOut.tenant_id == tenant_id, TrackingOptOut.kind == kind
    )
    if kind is OptOutKind.ADDRESS:
        query = select(Contact.id).where(Contact.tenant_id == tenant_id, Contact.email.in_(values))
    else:
        query = select(Account.id).where(Account.tenant_id == tenant_id, Account.domain.in_(values))
    return list(session.scalars(query))


def as_utc(value: dt.datetime | None) -> dt.datetime | None:
    """Return `value` as aware UTC; SQLite gives back naive datetimes that were stored as UTC."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)
