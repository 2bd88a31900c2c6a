"""Parse To, Cc and Bcc header values and envelope recipients into normalised addresses.

A normalised address has a lower-case local part and a domain in lower-case IDNA form
without a trailing dot, so ``Max.Mustermann@Müller-Bau.DE.`` and
``max.mustermann@xn--mller-bau-q9a.de`` are the same key. The parse functions do not
raise on any text input (a property test checks this). An entry that is not a usable
address comes back as a RejectedRecipient with a reason, and is logged.
"""

from __future__ import annotations

import ipaddress
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from email.errors import InvalidHeaderDefect
from email.headerregistry import AddressHeader, HeaderRegistry
from email.utils import getaddresses
from enum import StrEnum
from typing import cast

from maltastic.targeting.domains import InvalidDomainError, normalise_domain

logger = logging.getLogger(__name__)


class RecipientSource(StrEnum):
    """Source of a recipient: an address header or the SMTP envelope."""

    TO = "to"
    CC = "cc"
    BCC = "bcc"
    ENVELOPE = "envelope"


class RejectReason(StrEnum):
    """Reason an entry is not a usable address."""

    SYNTAX = "invalid syntax"
    MISSING_LOCAL_PART = "missing local part"
    MISSING_DOMAIN = "missing domain"
    INVALID_LOCAL_PART = "invalid local part"
    INVALID_DOMAIN = "invalid domain"


@dataclass(frozen=True, slots=True)
class Recipient:
    """A recipient with its normalised address and the parts it is made of."""

    address: str
    local_part: str
    domain: str
    source: RecipientSource
    display_name: str = ""


@dataclass(frozen=True, slots=True)
class RejectedRecipient:
    """An entry that is not a usable address, with the text it came from."""

    text: str
    reason: RejectReason
    detail: str
    source: RecipientSource


@dataclass(frozen=True, slots=True)
class ParsedRecipients:
    """The accepted recipients and rejected entries of one or more fields, in input order."""

    accepted: tuple[Recipient, ...] = ()
    rejected: tuple[RejectedRecipient, ...] = ()

    def __add__(self, other: ParsedRecipients) -> ParsedRecipients:
        return ParsedRecipients(self.accepted + other.accepted, self.rejected + other.rejected)


HeaderValues = str | Iterable[str] | None

# RFC 5322 atext, widened by RFC 6532 to every non-ASCII character.
_ATEXT = r"[^\x00-\x20\x7f()<>\[\]:;@\\,.\"]"
_DOT_ATOM = re.compile(rf"{_ATEXT}+(?:\.{_ATEXT}+)*")
_QUOTED_LOCAL_PART = re.compile(r'"((?:[^"\\]|\\.)*)"@(.*)', re.DOTALL)
_QUOTED_PAIR = re.compile(r"\\(.)", re.DOTALL)
_CONTROL_CHARACTER = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")

# A header value without quotes, comments, angle brackets, groups or address literals is
# a comma-separated list of bare addresses, which the fast path splits without the much
# slower header parser.
_PLAIN_ADDRESS_LIST = re.compile(r"[^\"()<>\[\]:;\\]*")

# A domain followed by a trailing dot, outside quoted strings. The header parser rejects
# "max@kunde-a.de." although DNS treats the name as "kunde-a.de", so the dot is removed
# before parsing.
_TRAILING_DOMAIN_DOT = re.compile(
    r'("(?:[^"\\]|\\.)*")|(@[^\s"<>()\[\],;:@]+?)\.(?=\s*(?:[>,;()]|$))', re.DOTALL
)

_HEADER_REGISTRY = HeaderRegistry()


def parse_address_header(
    value: str, source: RecipientSource = RecipientSource.TO
) -> ParsedRecipients:
    """Parse one To, Cc or Bcc header value.

    Handles display names with commas and RFC 2047 encoded words, quoted local parts and
    group syntax. An empty group such as ``undisclosed-recipients:;`` adds nothing.
    """
    if _PLAIN_ADDRESS_LIST.fullmatch(value):
        return _parse_plain_list(value, source)
    return _parse_structured_header(value, source)


def parse_envelope_recipient(value: str) -> Recipient | RejectedRecipient:
    """Parse one envelope recipient (RCPT TO), with or without angle brackets."""
    path = value.strip()
    if path.startswith("<") and path.endswith(">"):
        path = path[1:-1].strip()
    # An obsolete source route ("@relay.example:max@kunde-a.de") names hops, not the mailbox.
    if path.startswith("@") and ":" in path:
        path = path.partition(":")[2]
    return _parse_addr_spec(path, RecipientSource.ENVELOPE, text=value)


def parse_envelope_recipients(values: Iterable[str]) -> ParsedRecipients:
    """Parse envelope recipients (RCPT TO), keeping their order."""
    accepted: list[Recipient] = []
    rejected: list[RejectedRecipient] = []
    for value in values:
        parsed = parse_envelope_recipient(value)
        if isinstance(parsed, Recipient):
            accepted.append(parsed)
        else:
            rejected.append(parsed)
    return ParsedRecipients(tuple(accepted), tuple(rejected))


def parse_recipients(
    *,
    to: HeaderValues = None,
    cc: HeaderValues = None,
    bcc: HeaderValues = None,
    envelope: Iterable[str] | None = None,
) -> ParsedRecipients:
    """Parse all recipient fields of one message.

    Each header argument is one header value or several (a message may repeat a header).
    The result may contain the same address more than once, from different fields.
    """
    parsed = ParsedRecipients()
    for values, source in (
        (to, RecipientSource.TO),
        (cc, RecipientSource.CC),
        (bcc, RecipientSource.BCC),
    ):
        for value in _header_value_list(values):
            parsed += parse_address_header(value, source)
    if envelope is not None:
        parsed += parse_envelope_recipients(envelope)
    return parsed


def normalise_address(text: str) -> str | None:
    """Return the normalised form of one address, or None when the text is not one address.

    Accepts a bare address or a ``Name <address>`` form. Contact imports must store
    addresses in this form, because targeting compares them with it.
    """
    parsed = parse_address_header(text)
    if len(parsed.accepted) != 1 or parsed.rejected:
        return None
    return parsed.accepted[0].address


def display_name_of(text: str) -> str:
    """Return the display name of a ``Name <address>`` entry, or "" when it has none."""
    parsed = parse_address_header(text)
    if len(parsed.accepted) != 1 or parsed.rejected:
        return ""
    return parsed.accepted[0].display_name.strip()


def _header_value_list(values: HeaderValues) -> Iterable[str]:
    if values is None:
        return ()
    if isinstance(values, str):
        return (values,)
    return values


def _parse_plain_list(value: str, source: RecipientSource) -> ParsedRecipients:
    accepted: list[Recipient] = []
    rejected: list[RejectedRecipient] = []
    for entry in value.split(","):
        addr_spec = entry.strip()
        # RFC 5322 allows empty list elements ("a@x.de, , b@y.de") as obsolete syntax.
        if not addr_spec:
            continue
        parsed = _parse_addr_spec(addr_spec, source, text=addr_spec)
        if isinstance(parsed, Recipient):
            accepted.append(parsed)
        else:
            rejected.append(parsed)
    return ParsedRecipients(tuple(accepted), tuple(rejected))


def _parse_structured_header(value: str, source: RecipientSource) -> ParsedRecipients:
    cleaned = _TRAILING_DOMAIN_DOT.sub(lambda match: match.group(1) or match.group(2), value)
    try:
        header = _HEADER_REGISTRY("to", cleaned)
    # The standard library's header parser raises IndexError on input such as
    # "Max <max@x.de>, foo@" (Python 3.11.7), so any error falls back to the lenient parser.
    except Exception as error:
        logger.warning(
            "Header parser failed on %s value %r, parsing it leniently instead: %s: %s",
            source,
            value,
            type(error).__name__,
            error,
        )
        return _parse_leniently(value, source)

    # The parser reports defects for the whole header, not per address.
    invalid = (str(defect) for defect in header.defects if isinstance(defect, InvalidHeaderDefect))
    defects = f"{', '.join(dict.fromkeys(invalid)) or 'invalid address'} in {value!r}"

    accepted: list[Recipient] = []
    rejected: list[RejectedRecipient] = []
    # The registry builds an AddressHeader subclass for the name "to".
    for address in cast(AddressHeader, header).addresses:
        parsed = _build_recipient(
            address.username,
            address.domain,
            source,
            text=str(address),
            display_name=address.display_name,
            defects=defects,
        )
        if isinstance(parsed, Recipient):
            accepted.append(parsed)
        else:
            rejected.append(parsed)
    return ParsedRecipients(tuple(accepted), tuple(rejected))


def _parse_leniently(value: str, source: RecipientSource) -> ParsedRecipients:
    """Parse a header that the structured parser failed on with email.utils.getaddresses.

    The whole value is also reported as rejected, so the failure stays visible.
    """
    accepted: list[Recipient] = []
    rejected = [_reject(value, RejectReason.SYNTAX, "header parser failed", source)]
    for display_name, addr_spec in getaddresses([value]):
        if not addr_spec:
            continue
        parsed = _parse_addr_spec(addr_spec, source, text=addr_spec, display_name=display_name)
        if isinstance(parsed, Recipient):
            accepted.append(parsed)
        else:
            rejected.append(parsed)
    return ParsedRecipients(tuple(accepted), tuple(rejected))


def _parse_addr_spec(
    addr_spec: str, source: RecipientSource, *, text: str, display_name: str = ""
) -> Recipient | RejectedRecipient:
    """Split a bare ``local@domain`` address, where the local part may be quoted."""
    if not addr_spec:
        return _reject(text, RejectReason.SYNTAX, "empty address", source)
    quoted = _QUOTED_LOCAL_PART.fullmatch(addr_spec)
    if quoted is not None:
        local_part = _QUOTED_PAIR.sub(r"\1", quoted.group(1))
        domain = quoted.group(2)
    else:
        local_part, at_sign, domain = addr_spec.rpartition("@")
        if not at_sign:
            return _reject(text, RejectReason.MISSING_DOMAIN, "no '@' in the address", source)
        if local_part and not _DOT_ATOM.fullmatch(local_part):
            detail = f"{local_part!r} is neither a dot-atom nor a quoted string"
            return _reject(text, RejectReason.INVALID_LOCAL_PART, detail, source)
    return _build_recipient(local_part, domain, source, text=text, display_name=display_name)


def _build_recipient(
    local_part: str,
    domain: str,
    source: RecipientSource,
    *,
    text: str,
    display_name: str = "",
    defects: str = "",
) -> Recipient | RejectedRecipient:
    """Check and normalise the parts of one address."""
    if not local_part and not domain:
        return _reject(text, RejectReason.SYNTAX, defects or "no address found", source)
    if not local_part:
        return _reject(text, RejectReason.MISSING_LOCAL_PART, defects or "empty", source)
    if not domain:
        return _reject(text, RejectReason.MISSING_DOMAIN, defects or "empty", source)
    if _CONTROL_CHARACTER.search(local_part):
        detail = "contains a control character"
        return _reject(text, RejectReason.INVALID_LOCAL_PART, detail, source)

    try:
        normalised_domain = _normalise_address_domain(domain)
    except InvalidDomainError as error:
        return _reject(text, RejectReason.INVALID_DOMAIN, str(error), source)

    normalised_local_part = local_part.lower()
    return Recipient(
        address=f"{_format_local_part(normalised_local_part)}@{normalised_domain}",
        local_part=normalised_local_part,
        domain=normalised_domain,
        source=source,
        display_name=display_name,
    )


def _normalise_address_domain(domain: str) -> str:
    if domain.startswith("["):
        return _normalise_address_literal(domain)
    return normalise_domain(domain)


def _normalise_address_literal(domain: str) -> str:
    """Normalise an RFC 5321 address literal such as ``[192.0.2.1]`` or ``[IPv6:2001:db8::1]``."""
    content = domain.removeprefix("[").removesuffix("]")
    try:
        if content[:5].lower() == "ipv6:":
            return f"[ipv6:{ipaddress.IPv6Address(content[5:]).compressed}]"
        return f"[{ipaddress.IPv4Address(content)}]"
    except ValueError as error:
        raise InvalidDomainError(f"invalid address literal {domain!r}: {error}") from error


def _format_local_part(local_part: str) -> str:
    """Quote a local part that is not a dot-atom, as RFC 5322 requires."""
    if _DOT_ATOM.fullmatch(local_part):
        return local_part
    escaped = local_part.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def _reject(
    text: str, reason: RejectReason, detail: str, source: RecipientSource
) -> RejectedRecipient:
    logger.info("Rejected %s recipient %r: %s (%s)", source, text, reason, detail)
    return RejectedRecipient(text=text, reason=reason, detail=detail, source=source)
