"""Targeting rules beyond the shared case table: policy, rules and explanations."""

from __future__ import annotations

import re

import pytest

from maltastic.targeting.addresses import parse_address_header
from maltastic.targeting.decision import AudienceDecision, AudienceKind, DecisionRule
from maltastic.targeting.domains import InvalidDomainError
from maltastic.targeting.rules import (
    TargetingPolicy,
    decide_audience,
    decide_audience_for_headers,
)

POLICY = TargetingPolicy(
    own_domains=frozenset({"beispiel.de"}),
    internal_domains=frozenset({"tochter.de"}),
    known_contacts=frozenset({"max@kunde-a.de", "privat@gmx.de", "admin@[192.0.2.1]"}),
)


def decide(to: str, policy: TargetingPolicy = POLICY) -> AudienceDecision:
    return decide_audience(parse_address_header(to).accepted, policy)


def test_single_account() -> None:
    decision = decide("john@companya.com")

    assert decision.kind is AudienceKind.ACCOUNT
    assert decision.value == "companya.com"
    assert decision.rule is DecisionRule.SINGLE_ACCOUNT


def test_single_contact() -> None:
    decision = decide("Max@Kunde-A.de")

    assert decision.kind is AudienceKind.CONTACT
    assert decision.value == "max@kunde-a.de"
    assert decision.rule is DecisionRule.SINGLE_CONTACT


def test_known_contact_among_several_gives_account() -> None:
    decision = decide("max@kunde-a.de, anna@kunde-a.de")

    assert decision.kind is AudienceKind.ACCOUNT
    assert decision.rule is DecisionRule.ONE_DOMAIN


def test_same_address_twice_is_single() -> None:
    decision = decide("max@kunde-a.de, MAX@kunde-a.de.")

    assert decision.rule is DecisionRule.SINGLE_CONTACT


def test_subdomain_of_own_domain_ignored() -> None:
    decision = decide("john@companya.com, kollege@mail.beispiel.de")

    assert decision.value == "companya.com"
    assert decision.external_addresses == ("john@companya.com",)


def test_no_recipients() -> None:
    decision = decide_audience([], POLICY)

    assert decision.kind is AudienceKind.NONE
    assert decision.rule is DecisionRule.NO_EXTERNAL


def test_several_domains() -> None:
    decision = decide("john@companya.com, anna@companyb.com")

    assert decision.kind is AudienceKind.NONE
    assert decision.value is None
    assert decision.rule is DecisionRule.SEVERAL_DOMAINS


def test_freemail_and_company_are_two_domains() -> None:
    assert decide("john@companya.com, someone@gmail.com").rule is DecisionRule.SEVERAL_DOMAINS


def test_single_freemail() -> None:
    decision = decide("someone@gmx.de")

    assert decision.kind is AudienceKind.NONE
    assert decision.rule is DecisionRule.FREEMAIL_NOT_ACCOUNT


def test_two_freemail_domains() -> None:
    decision = decide("a@gmail.com, b@googlemail.com, c@gmail.com")

    assert decision.rule is DecisionRule.SEVERAL_DOMAINS


def test_several_at_one_freemail_domain() -> None:
    decision = decide("a@gmail.com, b@gmail.com")

    assert decision.kind is AudienceKind.NONE
    assert decision.rule is DecisionRule.FREEMAIL_NOT_ACCOUNT


def test_known_contact_at_freemail() -> None:
    assert decide("privat@gmx.de").rule is DecisionRule.SINGLE_CONTACT


def test_tenant_extra_freemail() -> None:
    policy = TargetingPolicy(
        own_domains=frozenset({"beispiel.de"}),
        extra_freemail_domains=frozenset({"Privat-ISP.de"}),
    )

    assert decide("kunde@mail.privat-isp.de", policy).rule is DecisionRule.FREEMAIL_NOT_ACCOUNT


def test_public_suffix_address() -> None:
    decision = decide("someone@co.uk")

    assert decision.kind is AudienceKind.NONE
    assert decision.rule is DecisionRule.NO_REGISTRABLE_DOMAIN


def test_address_literal_not_account() -> None:
    assert decide("someone@[192.0.2.1]").rule is DecisionRule.NO_REGISTRABLE_DOMAIN


def test_address_literal_known_contact() -> None:
    assert decide("admin@[192.0.2.1]").rule is DecisionRule.SINGLE_CONTACT


def test_address_literal_and_company_are_two_domains() -> None:
    assert decide("a@[192.0.2.1], b@companya.com").rule is DecisionRule.SEVERAL_DOMAINS


def test_known_contacts_callable() -> None:
    looked_up: list[str] = []

    def is_known(address: str) -> bool:
        looked_up.append(address)
        return address == "john@companya.com"

    policy = TargetingPolicy(own_domains=frozenset({"beispiel.de"}), known_contacts=is_known)

    assert decide("John@CompanyA.com", policy).rule is DecisionRule.SINGLE_CONTACT
    assert looked_up == ["john@companya.com"]


def test_policy_normalises_domains() -> None:
    policy = TargetingPolicy(
        own_domains=frozenset({"Müller-Bau.DE."}),
        internal_domains=frozenset({"TOCHTER.de"}),
    )

    assert policy.own_domains == frozenset({"xn--mller-bau-q9a.de"})
    assert policy.internal_domains == frozenset({"tochter.de"})


def test_own_idn_domain_ignored() -> None:
    policy = TargetingPolicy(own_domains=frozenset({"müller-bau.de"}))

    assert decide("kollege@MÜLLER-BAU.de", policy).rule is DecisionRule.NO_EXTERNAL


def test_policy_invalid_domain_raises() -> None:
    with pytest.raises(InvalidDomainError, match=re.escape("kunde..de")):
        TargetingPolicy(own_domains=frozenset({"kunde..de"}))


def test_rejected_entries_do_not_count() -> None:
    decision = decide_audience_for_headers(to="john@companya.com, kaputt@", policy=POLICY)

    assert decision.value == "companya.com"


def test_unreadable_envelope_recipient_gives_none() -> None:
    decision = decide_audience_for_headers(
        to="john@companya.com",
        envelope=["john@companya.com", "versteckt@firma_b.example"],
        policy=POLICY,
    )

    assert decision.kind is AudienceKind.NONE
    assert decision.rule is DecisionRule.UNREADABLE_RECIPIENT
    assert "versteckt@firma_b.example" in decision.explanation_de
    assert "versteckt@firma_b.example" in decision.explanation_en


def test_headers_and_envelope_combined() -> None:
    decision = decide_audience_for_headers(
        to='"Doe, John" <john@companya.com>',
        cc=["kollegin@beispiel.de"],
        envelope=["john@companya.com", "kollegin@beispiel.de", "versteckt@companyb.com"],
        policy=POLICY,
    )

    assert decision.rule is DecisionRule.SEVERAL_DOMAINS


def test_explanation_single_account() -> None:
    decision = decide("john@companya.com")

    assert "john@companya.com" in decision.explanation_de
    assert "companya.com der Ziel-Account" in decision.explanation_de
    assert "the account companya.com" in decision.explanation_en


def test_explanation_several_domains() -> None:
    decision = decide("john@companya.com, anna@companyb.com")

    assert "2 Domains (companya.com, companyb.com)" in decision.explanation_de
    assert "2 domains (companya.com, companyb.com)" in decision.explanation_en


def test_explanation_names_ignored_colleagues() -> None:
    decision = decide("kollege@beispiel.de, caren@tochter.de")

    assert "caren@tochter.de, kollege@beispiel.de" in decision.explanation_de
    assert "caren@tochter.de, kollege@beispiel.de" in decision.explanation_en


def test_explanation_shortens_long_lists() -> None:
    decision = decide(", ".join(f"person{number}@companya.com" for number in range(8)))

    assert "und 3 weitere" in decision.explanation_de
    assert "and 3 more" in decision.explanation_en
    assert "person5@" not in decision.explanation_en


@pytest.mark.parametrize(
    "to",
    [
        "max@kunde-a.de",
        "john@companya.com",
        "a@companya.com, b@companya.com",
        "a@companya.com, b@companyb.com",
        "kollege@beispiel.de",
        "someone@gmx.de",
        "a@gmx.de, b@gmx.de",
        "someone@co.uk",
        "a@co.uk, b@co.uk",
    ],
)
def test_every_rule_explained(to: str) -> None:
    decision = decide(to)

    assert decision.explanation_de
    assert decision.explanation_en
    assert decision.explanation_de != decision.explanation_en
