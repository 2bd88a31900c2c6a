"""Normalise domains, find their registrable domain and recognise freemail providers.

The registrable domain (the public suffix plus one label, e.g. ``kunde-a.de`` for
``sales.kunde-a.de``) identifies an account. It comes from the public-suffix list that
the ``publicsuffixlist`` package ships, so no download happens at run time. The list's
date is the package version (``publicsuffixlist.__version__``), so updating the package
updates the list.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Collection

import idna
from publicsuffixlist import PublicSuffixList

# Registrable domains of freemail providers and consumer ISPs in IDNA form. A recipient at
# one of them is a private person, so the domain is never an account.
FREEMAIL_DOMAINS: frozenset[str] = frozenset(
    {
        # International
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "outlook.de",
        "msn.com",
        "ymail.com",
        "rocketmail.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "aol.com",
        "aol.de",
        "aim.com",
        "proton.me",
        "pm.me",
        "protonmail.com",
        "protonmail.ch",
        "tutanota.com",
        "tutanota.de",
        "tuta.com",
        "tuta.io",
        "zohomail.com",
        "fastmail.com",
        "fastmail.fm",
        "mail.com",
        "yandex.com",
        "yandex.ru",
        "mail.ru",
        "qq.com",
        "163.com",
        "126.com",
        "naver.com",
        # Germany
        "web.de",
        "t-online.de",
        "magenta.de",
        "freenet.de",
        "posteo.de",
        "posteo.net",
        "mailbox.org",
        "mail.de",
        "arcor.de",
        "1und1.de",
        "online.de",
        "email.de",
        "vodafone.de",
        "vodafonemail.de",
        "kabelmail.de",
        "unitybox.de",
        "o2online.de",
        "ewetel.net",
        "netcologne.de",
        # Austria and Switzerland
        "aon.at",
        "a1.net",
        "chello.at",
        "bluewin.ch",
        "hispeed.ch",
        "sunrise.ch",
    }
)

# Provider labels that are freemail under every public suffix: "gmx" covers gmx.de,
# gmx.at, gmx.ch, gmx.net and gmx.com, "hotmail" covers hotmail.com and hotmail.co.uk.
FREEMAIL_LABELS: frozenset[str] = frozenset({"gmx", "hotmail", "live", "yahoo"})

# A host name in lower-case ASCII: letters, digits and inner hyphens, 1 to 63 characters
# per label. Labels with "--" at positions 3 and 4 (such as IDNA "xn--" labels) do not
# match, so the IDNA codec validates them.
_ASCII_HOST_NAME = re.compile(
    r"(?!..--)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
    r"(?:\.(?!..--)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*"
)
_MAX_DOMAIN_LENGTH = 253


class InvalidDomainError(ValueError):
    """A domain that is empty, too long or not a valid host name under IDNA (UTS 46)."""


@functools.lru_cache(maxsize=65536)
def normalise_domain(text: str) -> str:
    """Convert a domain to lower-case IDNA form without a trailing dot.

    ``Müller-Bau.DE.`` becomes ``xn--mller-bau-q9a.de``. Raises InvalidDomainError when
    the text is not a valid domain.
    """
    stripped = text.strip()
    domain = stripped.removesuffix(".")
    if domain.isascii():
        domain = domain.lower()
        if (
            len(domain) <= _MAX_DOMAIN_LENGTH
            and _ASCII_HOST_NAME.fullmatch(domain)
            and not domain.rpartition(".")[2].isdigit()
        ):
            return domain
    if not domain:
        raise InvalidDomainError(f"invalid domain {text!r}: empty")

    try:
        encoded = idna.encode(domain, uts46=True).decode("ascii")
    except idna.IDNAError as error:
        raise InvalidDomainError(f"invalid domain {text!r}: {error}") from error

    if encoded.rstrip(".").rpartition(".")[2].isdigit():
        raise InvalidDomainError(f"invalid domain {text!r}: the top-level domain is numeric")

    # UTS 46 maps an ideographic full stop to "." and keeps one trailing dot. A second
    # trailing dot after the one removed above is an empty label.
    if encoded.endswith("."):
        if len(domain) < len(stripped):
            raise InvalidDomainError(f"invalid domain {text!r}: empty label")
        encoded = encoded[:-1]
    return encoded


def load_public_suffix_list() -> None:
    """Parse the public suffix list now, so that the first message does not wait for it."""
    _public_suffix_list()


@functools.cache
def _public_suffix_list() -> PublicSuffixList:
    # Parsing the bundled list takes tens of milliseconds, so each process does it once.
    return PublicSuffixList()


@functools.lru_cache(maxsize=65536)
def registrable_domain(domain: str) -> str | None:
    """Return the registrable domain of a normalised domain, or None when it has none.

    ``sales.kunde-a.de`` gives ``kunde-a.de``. A public suffix itself (``co.uk``, ``de``),
    a single label and an address literal (``[192.0.2.1]``) give None. Suffixes from the
    list's private section count as well, so ``kunde.github.io`` is its own registrable
    domain. A top-level domain missing from the list counts as a public suffix.
    """
    if not domain or domain.startswith("["):
        return None
    return _public_suffix_list().privatesuffix(domain)


def is_freemail(domain: str, extra_domains: Collection[str] = frozenset()) -> bool:
    """Tell whether a normalised domain belongs to a freemail provider or consumer ISP.

    The domain's registrable domain is looked up in FREEMAIL_DOMAINS and in
    ``extra_domains`` (normalised registrable domains a tenant adds), and its first label
    in FREEMAIL_LABELS. A domain without a registrable domain is not freemail.
    """
    registrable = registrable_domain(domain)
    if registrable is None:
        return False
    if registrable in FREEMAIL_DOMAINS or registrable in extra_domains:
        return True
    provider_label = registrable.partition(".")[0]
    return provider_label in FREEMAIL_LABELS


def is_same_or_subdomain(domain: str, parents: Collection[str]) -> bool:
    """Tell whether a normalised domain is one of ``parents`` or a subdomain of one."""
    start = 0
    while True:
        if domain[start:] in parents:
            return True
        dot = domain.find(".", start)
        if dot < 0:
            return False
        start = dot + 1
