"""Decide from a message's recipients whether it is personalised to a contact or an account.

A wrong banner is worse than a generic one, so a message gets an audience only when its
external recipients point to one account:

- Recipients at the tenant's own and internal domains, and their subdomains, do not count.
  The same address counts once, whether it is in To, Cc, Bcc or the envelope.
- One external recipient: a contact audience when the address is a known contact, else
  an account audience for its registrable domain.
- Several external recipients, all at one registrable domain: an account audience, never
  a contact.
- An account audience needs a registrable domain that is not a freemail domain, otherwise
  there is no audience.
- External recipients at two or more registrable domains, or none at all: no audience.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable
from dataclasses import dataclass, field

from maltastic.targeting.addresses import (
    HeaderValues,
    Recipient,
    RecipientSource,
    parse_recipients,
)
from maltastic.targeting.decision import AudienceDecision, AudienceKind, DecisionRule
from maltastic.targeting.domains import (
    is_freemail,
    is_same_or_subdomain,
    normalise_domain,
    registrable_domain,
)
from maltastic.targeting.explanations import explain

# A container of normalised addresses or a predicate over one normalised address.
KnownContacts = Container[str] | Callable[[str], bool]


@dataclass(frozen=True)
class TargetingPolicy:
    """The tenant settings that targeting needs.

    Domains may be given in any case and in Unicode or IDNA form, because construction
    normalises them (and raises InvalidDomainError for an invalid one).
    ``extra_freemail_domains`` are registrable domains that the tenant adds to the built-in
    freemail list. ``known_contacts`` contains or recognises the members of contact-level
    target groups as normalised addresses (see ``addresses.normalise_address``).
    """

    own_domains: frozenset[str]
    internal_domains: frozenset[str] = frozenset()
    extra_freemail_domains: frozenset[str] = frozenset()
    known_contacts: KnownContacts = frozenset()
    _colleague_domains: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name in ("own_domains", "internal_domains", "extra_freemail_domains"):
            domains = frozenset(normalise_domain(domain) for domain in getattr(self, name))
            object.__setattr__(self, name, domains)
        object.__setattr__(self, "_colleague_domains", self.own_domains | self.internal_domains)

    def is_internal_domain(self, domain: str) -> bool:
        """Tell whether a normalised domain is an own or internal domain or a subdomain of one."""
        return is_same_or_subdomain(domain, self._colleague_domains)

    def is_known_contact(self, address: str) -> bool:
        """Tell whether a normalised address is a member of a contact-level target group."""
        if callable(self.known_contacts):
            return bool(self.known_contacts(address))
        return address in self.known_contacts


def decide_audience(recipients: Iterable[Recipient], policy: TargetingPolicy) -> AudienceDecision:
    """Decide the audience of a message from all its recipients (To, Cc, Bcc and envelope)."""
    external: dict[str, str] = {}
    ignored: set[str] = set()
    for recipient in recipients:
        if policy.is_internal_domain(recipient.domain):
            ignored.add(recipient.address)
        else:
            external[recipient.address] = recipient.domain
    addresses = sorted(external)
    if not addresses:
        return _decide(DecisionRule.NO_EXTERNAL, None, addresses, [], sorted(ignored))

    # Recipients group by registrable domain. A domain without one (a public suffix such as
    # "co.uk", or an address literal) forms its own group.
    accounts: dict[str, str | None] = {}
    for domain in set(external.values()):
        account = registrable_domain(domain)
        accounts[account or domain] = account
    domains = sorted(accounts)
    if len(domains) > 1:
        return _decide(DecisionRule.SEVERAL_DOMAINS, None, addresses, domains)

    account = accounts[domains[0]]
    if len(addresses) == 1 and policy.is_known_contact(addresses[0]):
        return _decide(DecisionRule.SINGLE_CONTACT, addresses[0], addresses, domains)
    if account is None:
        return _decide(DecisionRule.NO_REGISTRABLE_DOMAIN, None, addresses, domains)
    if is_freemail(account, policy.extra_freemail_domains):
        return _decide(DecisionRule.FREEMAIL_NOT_ACCOUNT, None, addresses, domains)
    if len(addresses) == 1:
        return _decide(DecisionRule.SINGLE_ACCOUNT, account, addresses, domains)
    return _decide(DecisionRule.ONE_DOMAIN, account, addresses, domains)


def decide_audience_for_headers(
    *,
    to: HeaderValues = None,
    cc: HeaderValues = None,
    bcc: HeaderValues = None,
    envelope: Iterable[str] | None = None,
    policy: TargetingPolicy,
) -> AudienceDecision:
    """Parse a message's recipient headers and envelope recipients, then decide its audience.

    Header entries that are not usable addresses do not count, and are logged as rejected.
    An unusable envelope recipient gives no audience, because the mail is still delivered
    to it and its company is unknown.
    """
    parsed = parse_recipients(to=to, cc=cc, bcc=bcc, envelope=envelope)
    unreadable = [r.text for r in parsed.rejected if r.source is RecipientSource.ENVELOPE]
    if unreadable:
        return _decide(DecisionRule.UNREADABLE_RECIPIENT, None, sorted(unreadable), [])
    return decide_audience(parsed.accepted, policy)


_AUDIENCE_KINDS: dict[DecisionRule, AudienceKind] = {
    DecisionRule.SINGLE_CONTACT: AudienceKind.CONTACT,
    DecisionRule.SINGLE_ACCOUNT: AudienceKind.ACCOUNT,
    DecisionRule.ONE_DOMAIN: AudienceKind.ACCOUNT,
}


def _decide(
    rule: DecisionRule,
    value: str | None,
    addresses: list[str],
    domains: list[str],
    ignored: list[str] | None = None,
) -> AudienceDecision:
    explanation_de, explanation_en = explain(
        rule, addresses=addresses, domains=domains, ignored=ignored or ()
    )
    return AudienceDecision(
        kind=_AUDIENCE_KINDS.get(rule, AudienceKind.NONE),
        value=value,
        rule=rule,
        explanation_de=explanation_de,
        explanation_en=explanation_en,
        external_addresses=tuple(addresses),
    )
