"""Normalisation of domain names and email addresses for storage and comparison."""

from __future__ import annotations

import idna


class InvalidDomainError(ValueError):
    pass


class InvalidAddressError(ValueError):
    pass


def normalise_domain(domain: str) -> str:
    """Return the lower-case IDNA (ASCII) form of `domain`, without a trailing dot."""
    cleaned = domain.strip().rstrip(".").lower()
    if not cleaned or "." not in cleaned:
        raise InvalidDomainError(f"{domain!r} is not a domain name: use a form like kunde-a.de")
    try:
        return idna.encode(cleaned, uts46=True).decode("ascii")
    except idna.IDNAError as error:
        raise InvalidDomainError(f"{domain!r} is not a valid domain name: {error}") from None


def normalise_address(address: str) -> str:
    """Return `address` in lower case with its domain in IDNA form."""
    local_part, separator, domain = address.strip().rpartition("@")
    if not separator or not local_part or " " in local_part:
        raise InvalidAddressError(
            f"{address!r} is not an email address: use a form like name@kunde-a.de"
        )
    try:
        return f"{local_part.lower()}@{normalise_domain(domain)}"
    except InvalidDomainError as error:
        raise InvalidAddressError(f"{address!r} has an invalid domain: {error}") from None
