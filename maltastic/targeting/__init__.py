"""Targeting: decide from a message's recipients which contact or account it is personalised to.

These modules use no database. ``addresses`` parses and normalises recipients, ``domains``
finds registrable and freemail domains, ``rules`` applies the targeting rules and returns
an AudienceDecision (``decision``), and ``explanations`` words that decision in German
and English.
"""

from maltastic.targeting.addresses import (
    ParsedRecipients,
    Recipient,
    RecipientSource,
    RejectedRecipient,
    RejectReason,
    normalise_address,
    parse_address_header,
    parse_envelope_recipient,
    parse_envelope_recipients,
    parse_recipients,
)
from maltastic.targeting.decision import AudienceDecision, AudienceKind, DecisionRule
from maltastic.targeting.domains import (
    FREEMAIL_DOMAINS,
    InvalidDomainError,
    is_freemail,
    normalise_domain,
    registrable_domain,
)
from maltastic.targeting.rules import (
    TargetingPolicy,
    decide_audience,
    decide_audience_for_headers,
)

__all__ = [
    "FREEMAIL_DOMAINS",
    "AudienceDecision",
    "AudienceKind",
    "DecisionRule",
    "InvalidDomainError",
    "ParsedRecipients",
    "Recipient",
    "RecipientSource",
    "RejectReason",
    "RejectedRecipient",
    "TargetingPolicy",
    "decide_audience",
    "decide_audience_for_headers",
    "is_freemail",
    "normalise_address",
    "normalise_domain",
    "parse_address_header",
    "parse_envelope_recipient",
    "parse_envelope_recipients",
    "parse_recipients",
    "registrable_domain",
]
