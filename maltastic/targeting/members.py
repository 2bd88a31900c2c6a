"""Turn admin input into target group members: registrable domains or normalised addresses.

Accounts are registrable domains (``sales.kunde-a.de`` and ``https://www.kunde-a.de/``
both become ``kunde-a.de``); freemail and ISP domains are never accounts. Contacts are
addresses in the normalised form that targeting compares with.
"""

from __future__ import annotations

from collections.abc import Collection
from urllib.parse import urlsplit

from maltastic.i18n.catalog import gettext as _
from maltastic.targeting.addresses import normalise_address
from maltastic.targeting.domains import (
    InvalidDomainError,
    is_freemail,
    normalise_domain,
    registrable_domain,
)


class MemberError(ValueError):
    """An entry that is not a valid member; the message is translated for the admin."""


def account_domain(text: str, extra_freemail: Collection[str] = frozenset()) -> str:
    """Return the registrable domain of a domain, website URL or address, or raise MemberError."""
    host = host_of(text.strip())
    if not host:
        raise MemberError(_("The domain is missing."))
    try:
        domain = normalise_domain(host)
    except InvalidDomainError:
        raise MemberError(
            _("“%(value)s” is not a valid domain.") % {"value": text.strip()}
        ) from None
    registrable = registrable_domain(domain)
    if registrable is None:
        raise MemberError(
            _("“%(value)s” is a public suffix, not a company domain.") % {"value": text.strip()}
        )
    if is_freemail(registrable, extra_freemail):
        raise MemberError(
            _(
                "%(domain)s is a freemail provider and cannot be an account. "
                "Add single addresses to a contact-level target group instead."
            )
            % {"domain": registrable}
        )
    return registrable


def host_of(text: str) -> str:
    """Return the host part of a website URL or address; other text is returned unchanged."""
    if "://" in text:
        return urlsplit(text).hostname or ""
    if "@" in text:
        return text.rpartition("@")[2]
    if "/" in text:
        return text.partition("/")[0]
    return text


def contact_address(text: str) -> str:
    """Return the normalised address, or raise MemberError."""
    if not text.strip():
        raise MemberError(_("The email address is missing."))
    address = normalise_address(text.strip())
    if address is None:
        raise MemberError(_("“%(value)s” is not a valid email address.") % {"value": text.strip()})
    return address


def split_entries(text: str) -> list[str]:
    """Split manually entered members at line breaks, commas and semicolons.

    Separators inside quotes or angle brackets belong to the entry, so that
    ``"Löschtest, Eva" <eva@kunde-c.de>`` stays one entry.
    """
    entries: list[str] = []
    current: list[str] = []
    quoted, in_brackets = False, False
    for character in text:
        if character == '"':
            quoted = not quoted
        elif character == "<" and not quoted:
            in_brackets = True
        elif character == ">" and not quoted:
            in_brackets = False
        if character in ",;\t\r\n" and not quoted and not in_brackets:
            entries.append("".join(current))
            current = []
        else:
            current.append(character)
    entries.append("".join(current))
    return [entry.strip() for entry in entries if entry.strip()]


def split_display_name(name: str) -> tuple[str, str]:
    """Split a display name into first and last name.

    "Eva Löschtest" gives ("Eva", "Löschtest") and "Löschtest, Eva" gives the same; a
    single word is taken as the last name.
    """
    name = " ".join(name.split())
    if "," in name:
        last, _, first = name.partition(",")
        return first.strip(), last.strip()
    first, _, last = name.rpartition(" ")
    return first, last
