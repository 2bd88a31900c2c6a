"""Domain normalisation, registrable domains and freemail recognition."""

from __future__ import annotations

import pytest

from maltastic.targeting.domains import (
    FREEMAIL_DOMAINS,
    InvalidDomainError,
    is_freemail,
    is_same_or_subdomain,
    normalise_domain,
    registrable_domain,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("kunde-a.de", "kunde-a.de"),
        ("Kunde-A.DE", "kunde-a.de"),
        ("kunde-a.de.", "kunde-a.de"),
        (" kunde-a.de ", "kunde-a.de"),
        ("müller-bau.de", "xn--mller-bau-q9a.de"),
        ("MÜLLER-Bau.de.", "xn--mller-bau-q9a.de"),
        ("xn--mller-bau-q9a.de", "xn--mller-bau-q9a.de"),
        ("straße.de", "xn--strae-oqa.de"),
        ("ｋｕｎｄｅ.de", "kunde.de"),
        ("müller.de。", "xn--mller-kva.de"),
    ],
)
def test_normalise_domain(text: str, expected: str) -> None:
    assert normalise_domain(text) == expected


@pytest.mark.parametrize(
    "text",
    ["", ".", "kunde..de", "kunde.de..", "-kunde.de", "kunde_a.de", "a" * 64 + ".de", "192.0.2.1"],
)
def test_invalid_domain_raises(text: str) -> None:
    with pytest.raises(InvalidDomainError, match="invalid domain"):
        normalise_domain(text)


def test_domain_too_long_raises() -> None:
    with pytest.raises(InvalidDomainError):
        normalise_domain(".".join(["a" * 60] * 5) + ".de")


@pytest.mark.parametrize(
    ("domain", "expected"),
    [
        ("kunde-a.de", "kunde-a.de"),
        ("sales.kunde-a.de", "kunde-a.de"),
        ("a.b.sales.kunde-a.de", "kunde-a.de"),
        ("companya.co.uk", "companya.co.uk"),
        ("mail.companya.co.uk", "companya.co.uk"),
        ("xn--mller-bau-q9a.de", "xn--mller-bau-q9a.de"),
        ("kunde.xn--p1ai", "kunde.xn--p1ai"),
    ],
)
def test_registrable_domain(domain: str, expected: str) -> None:
    assert registrable_domain(domain) == expected


@pytest.mark.parametrize("domain", ["co.uk", "de", "com", "localhost", "[192.0.2.1]", ""])
def test_public_suffix_has_no_registrable_domain(domain: str) -> None:
    assert registrable_domain(domain) is None


@pytest.mark.parametrize(
    "domain",
    [
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "icloud.com",
        "web.de",
        "t-online.de",
        "gmx.de",
        "gmx.net",
        "gmx.at",
        "gmx.ch",
        "hotmail.com",
        "hotmail.co.uk",
        "live.de",
        "yahoo.de",
        "yahoo.co.uk",
        "posteo.de",
        "mailbox.org",
    ],
)
def test_freemail(domain: str) -> None:
    assert is_freemail(domain)


def test_freemail_subdomain() -> None:
    assert is_freemail("mail.gmx.net")


@pytest.mark.parametrize("domain", ["kunde-a.de", "gmxkunde.de", "co.uk", "[192.0.2.1]"])
def test_not_freemail(domain: str) -> None:
    assert not is_freemail(domain)


def test_extra_freemail_domain() -> None:
    assert is_freemail("mail.privat-isp.de", frozenset({"privat-isp.de"}))


def test_extra_freemail_only_when_given() -> None:
    assert not is_freemail("privat-isp.de")


def test_freemail_list_in_idna_form() -> None:
    for domain in FREEMAIL_DOMAINS:
        assert normalise_domain(domain) == domain, domain


def test_freemail_list_has_registrable_domains() -> None:
    for domain in FREEMAIL_DOMAINS:
        assert registrable_domain(domain) == domain, domain


@pytest.mark.parametrize(
    ("domain", "expected"),
    [
        ("beispiel.de", True),
        ("mail.beispiel.de", True),
        ("a.b.beispiel.de", True),
        ("xbeispiel.de", False),
        ("beispiel.de.evil.com", False),
        ("de", False),
    ],
)
def test_same_or_subdomain(domain: str, expected: bool) -> None:
    assert is_same_or_subdomain(domain, frozenset({"beispiel.de"})) is expected
