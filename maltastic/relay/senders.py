"""Database lookups of the relay: the sender's tenant and employee, targeting settings, ids.

Every method blocks on the database, so the relay calls them from its worker threads,
never on the event loop.
"""

from __future__ import annotations

import ipaddress
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from maltastic.db.tenancy import open_tenant_session
from maltastic.directory.models import Employee
from maltastic.signatures.service import resolve_audience
from maltastic.targeting import AudienceDecision, AudienceKind, TargetingPolicy, normalise_address
from maltastic.targeting.models import (
    Contact,
    TargetGroup,
    TargetLevel,
    target_group_contacts,
)
from maltastic.tenants.models import DomainKind, NetworkPurpose, TenantDomain, TenantNetwork
from maltastic.tenants.service import tenant_for_sender_domain

logger = logging.getLogger(__name__)

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True, slots=True)
class KnownSender:
    """A MAIL FROM address that belongs to a tenant.

    `employee` is None when only the domain is one of the tenant's own domains. The
    Employee is detached from its session, with its department loaded.
    """

    address: str
    tenant_id: int
    employee: Employee | None


@dataclass(frozen=True, slots=True)
class AudienceIds:
    """Database ids of the account and contact an audience decision names, when stored."""

    account_id: int | None = None
    contact_id: int | None = None


class SenderDirectory(Protocol):
    """Tenant lookups for the relay; every method blocks."""

    def find_sender(self, address: str) -> KnownSender | None: ...

    def targeting_policy(self, tenant_id: int) -> TargetingPolicy: ...

    def audience_ids(self, tenant_id: int, decision: AudienceDecision) -> AudienceIds: ...

    def relay_networks(self, tenant_id: int) -> tuple[IPNetwork, ...]: ...


SENDER_CACHE_SECONDS = 60.0
SENDER_CACHE_SIZE = 10_000


class DatabaseSenderDirectory:
    """SenderDirectory on the product database."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        policies: Callable[[int], TargetingPolicy] | None = None,
    ) -> None:
        """`policies` returns a tenant's policy from memory; without it, each message
        reads the tenant's domains and contacts from the database."""
        self._session_factory = session_factory
        self._policies = policies
        self._senders: dict[str, tuple[float, KnownSender | None]] = {}
        self._audiences: dict[tuple[int, AudienceKind, str], tuple[float, AudienceIds]] = {}
        self._networks: dict[int, tuple[float, tuple[IPNetwork, ...]]] = {}

    def find_sender(self, address: str) -> KnownSender | None:
        """Find the tenant of a sender by its domain (an own domain) or its employee record.

        Results are cached for `SENDER_CACHE_SECONDS` or until `forget_senders` is called,
        which the product does after every commit that changes employees or domains.
        """
        now = time.monotonic()
        cached = self._senders.get(address)
        if cached is not None and cached[0] > now:
            return cached[1]
        sender = self._look_up_sender(address)
        if len(self._senders) >= SENDER_CACHE_SIZE:
            self._senders.clear()
        self._senders[address] = (now + SENDER_CACHE_SECONDS, sender)
        return sender

    def forget_senders(self, _tenant_id: int | None = None) -> None:
        """Drop the cached senders and audience ids, after a change to tenant data."""
        self._senders.clear()
        self._audiences.clear()
        self._networks.clear()

    def _look_up_sender(self, address: str) -> KnownSender | None:
        normalised = normalise_address(address)
        if normalised is None:
            return None
        domain = normalised.rpartition("@")[2]
        with self._session_factory() as session:
            tenant = tenant_for_sender_domain(session, domain)
            query = (
                select(Employee)
                .where(func.lower(Employee.email) == normalised)
                .options(selectinload(Employee.department))
            )
            if tenant is not None:
                query = query.where(Employee.tenant_id == tenant.id)
            employee = session.scalars(query.order_by(Employee.id).limit(1)).first()
            if employee is not None:
                return KnownSender(normalised, employee.tenant_id, employee)
            if tenant is not None:
                return KnownSender(normalised, tenant.id, None)
        return None

    def targeting_policy(self, tenant_id: int) -> TargetingPolicy:
        if self._policies is not None:
            return self._policies(tenant_id)
        with open_tenant_session(self._session_factory, tenant_id) as session:
            rows = session.execute(select(TenantDomain.domain, TenantDomain.kind)).all()
        domains: dict[DomainKind, set[str]] = {kind: set() for kind in DomainKind}
        for domain, kind in rows:
            domains[kind].add(domain)
        return TargetingPolicy(
            own_domains=frozenset(domains[DomainKind.OWN]),
            internal_domains=frozenset(domains[DomainKind.INTERNAL]),
            extra_freemail_domains=frozenset(domains[DomainKind.FREEMAIL]),
            known_contacts=lambda address: self._is_target_contact(tenant_id, address),
        )

    def audience_ids(self, tenant_id: int, decision: AudienceDecision) -> AudienceIds:
        """Map a decision to stored ids, cached like the senders.

        A contact imported without a target group membership publishes no change, so
        for up to `SENDER_CACHE_SECONDS` its address may still map to its account only.
        """
        if decision.value is None or decision.kind is AudienceKind.NONE:
            return AudienceIds()
        key = (tenant_id, decision.kind, decision.value)
        now = time.monotonic()
        cached = self._audiences.get(key)
        if cached is not None and cached[0] > now:
            return cached[1]
        ids = self._look_up_audience(tenant_id, decision)
        if len(self._audiences) >= SENDER_CACHE_SIZE:
            self._audiences.clear()
        self._audiences[key] = (now + SENDER_CACHE_SECONDS, ids)
        return ids

    def relay_networks(self, tenant_id: int) -> tuple[IPNetwork, ...]:
        """Return the networks whose mail servers may relay mail of the tenant's senders."""
        now = time.monotonic()
        cached = self._networks.get(tenant_id)
        if cached is not None and cached[0] > now:
            return cached[1]
        with open_tenant_session(self._session_factory, tenant_id) as session:
            cidrs = session.scalars(
                select(TenantNetwork.cidr).where(
                    TenantNetwork.purpose == NetworkPurpose.RELAY_SOURCE
                )
            ).all()
        networks = tuple(network for cidr in cidrs if (network := _network(tenant_id, cidr)))
        self._networks[tenant_id] = (now + SENDER_CACHE_SECONDS, networks)
        return networks

    def _look_up_audience(self, tenant_id: int, decision: AudienceDecision) -> AudienceIds:
        with open_tenant_session(self._session_factory, tenant_id) as session:
            # The same mapping the renderer puts into the token; it creates the account of
            # a domain written to for the first time, so the relay log can name it.
            audience = resolve_audience(session, decision)
            session.commit()
        return AudienceIds(account_id=audience.account_id, contact_id=audience.contact_id)

    def _is_target_contact(self, tenant_id: int, address: str) -> bool:
        query = (
            select(Contact.id)
            .join(target_group_contacts, target_group_contacts.c.contact_id == Contact.id)
            .join(TargetGroup, TargetGroup.id == target_group_contacts.c.target_group_id)
            .where(Contact.email == address, TargetGroup.level == TargetLevel.CONTACT)
            .limit(1)
        )
        with open_tenant_session(self._session_factory, tenant_id) as session:
            return session.scalar(query) is not None


def _network(tenant_id: int, cidr: str) -> IPNetwork | None:
    try:
        return ipaddress.ip_network(cidr)
    except ValueError:
        logger.warning("tenant id=%s: relay source network %r is invalid, ignored", tenant_id, cidr)
        return None
