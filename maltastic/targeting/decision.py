"""The outcome of targeting: which audience a message gets, and the rule that decided it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class AudienceKind(StrEnum):
    """Type of audience a message is personalised to."""

    CONTACT = "contact"
    ACCOUNT = "account"
    NONE = "none"


class DecisionRule(StrEnum):
    """The targeting rule that decided an audience."""

    # One external recipient who is a known contact: contact audience.
    SINGLE_CONTACT = "single_contact"
    # One external recipient who is not a known contact: account audience.
    SINGLE_ACCOUNT = "single_account"
    # Several external recipients, all at one registrable domain: account audience.
    ONE_DOMAIN = "one_domain"
    # External recipients at two or more registrable domains: no audience.
    SEVERAL_DOMAINS = "several_domains"
    # Every recipient is at an own or internal domain, or there is none: no audience.
    NO_EXTERNAL = "no_external"
    # The only external domain is a freemail provider's: no audience.
    FREEMAIL_NOT_ACCOUNT = "freemail_not_account"
    # The only external domain is a public suffix or an address literal: no audience.
    NO_REGISTRABLE_DOMAIN = "no_registrable_domain"
    # An envelope recipient is not a usable address, so its company is unknown: no audience.
    UNREADABLE_RECIPIENT = "unreadable_recipient"


@dataclass(frozen=True, slots=True)
class AudienceDecision:
    """The audience of one message with the rule that decided it and why, in German and English.

    ``value`` is the normalised address for a contact, the registrable domain in IDNA form
    for an account, and None for no audience. ``external_addresses`` lists the external
    recipients that the rule considered, sorted.
    """

    kind: AudienceKind
    value: str | None
    rule: DecisionRule
    explanation_de: str
    explanation_en: str
    external_addresses: tuple[str, ...] = ()
