"""Properties of the targeting rules and the parser, checked on generated recipient lists."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from maltastic.targeting.addresses import (
    normalise_address,
    parse_address_header,
    parse_envelope_recipient,
    parse_envelope_recipients,
)
from maltastic.targeting.decision import AudienceDecision, AudienceKind, DecisionRule
from maltastic.targeting.rules import (
    TargetingPolicy,
    decide_audience,
    decide_audience_for_headers,
)

POLICY = TargetingPolicy(
    own_domains=frozenset({"beispiel.de"}),
    internal_domains=frozenset({"tochter.de", "partner-intern.com"}),
    known_contacts=frozenset({"max@kunde-a.de", "anna@companya.com", "privat@gmx.de"}),
)

EXTERNAL_DOMAINS = [
    "companya.com",
    "mail.companya.com",
    "CompanyA.COM",
    "kunde-a.de",
    "sales.kunde-a.de",
    "companya.co.uk",
    "co.uk",
    "müller-bau.de",
    "xn--mller-bau-q9a.de",
    "gmail.com",
    "gmx.de",
    "[192.0.2.1]",
]
# Registrable domains that EXTERNAL_DOMAINS never reach.
OTHER_EXTERNAL_DOMAINS = ["neue-firma.de", "mail.andere.com", "fremd.co.uk", "web.de"]
INTERNAL_DOMAINS = ["beispiel.de", "mail.beispiel.de", "tochter.de", "partner-intern.com"]

local_parts = st.sampled_from(["max", "anna", "privat", "Max"]) | st.from_regex(
    r"[a-z0-9]{1,8}", fullmatch=True
)


def addresses_at(domains: list[str]) -> st.SearchStrategy[str]:
    return st.builds("{}@{}".format, local_parts, st.sampled_from(domains))


external_addresses = addresses_at(EXTERNAL_DOMAINS)
internal_addresses = addresses_at(INTERNAL_DOMAINS)
any_addresses = external_addresses | internal_addresses
address_lists = st.lists(any_addresses, max_size=6)

# Text that reaches the parser's odd corners more often than uniform Unicode does.
header_like_text = st.text(
    alphabet=st.sampled_from(list('ab.@<>",;:()[]\\ =?äß\t\r\n')) | st.characters(),
    max_size=40,
)
# Lone surrogates appear in header values decoded with errors="surrogateescape".
text_with_surrogates = st.text(alphabet=st.characters() | st.characters(categories=["Cs"]))
any_text = st.text() | header_like_text | text_with_surrogates


def decide(addresses: list[str]) -> AudienceDecision:
    return decide_audience(parse_envelope_recipients(addresses).accepted, POLICY)


def outcome(decision: AudienceDecision) -> tuple[AudienceKind, str | None, DecisionRule]:
    return decision.kind, decision.value, decision.rule


@given(
    address_lists.flatmap(
        lambda addresses: st.tuples(st.just(addresses), st.permutations(addresses))
    )
)
def test_order_never_matters(lists: tuple[list[str], list[str]]) -> None:
    original, shuffled = lists

    assert decide(shuffled) == decide(original)


@given(address_lists, internal_addresses, st.integers(min_value=0))
def test_internal_recipient_never_changes_audience(
    addresses: list[str], internal: str, position: int
) -> None:
    extended = list(addresses)
    extended.insert(position % (len(addresses) + 1), internal)

    assert outcome(decide(extended)) == outcome(decide(addresses))


@given(
    st.lists(external_addresses, min_size=1, max_size=5),
    st.lists(internal_addresses, max_size=2),
    addresses_at(OTHER_EXTERNAL_DOMAINS),
)
def test_second_external_domain_gives_none(
    externals: list[str], internals: list[str], other: str
) -> None:
    decision = decide([*externals, *internals, other])

    assert decision.kind is AudienceKind.NONE
    assert decision.rule is DecisionRule.SEVERAL_DOMAINS


@given(st.lists(any_addresses, min_size=1, max_size=6), st.integers(min_value=0), st.booleans())
def test_duplicates_count_once(addresses: list[str], index: int, upper: bool) -> None:
    duplicate = addresses[index % len(addresses)]
    duplicate = duplicate.upper() if upper else duplicate

    assert decide([*addresses, duplicate]) == decide(addresses)


@given(st.lists(any_addresses, max_size=6))
def test_headers_and_envelope_agree(addresses: list[str]) -> None:
    from_headers = decide_audience_for_headers(to=", ".join(addresses), policy=POLICY)

    assert from_headers == decide(addresses)


@given(any_text)
def test_header_parser_never_raises(text: str) -> None:
    parsed = parse_address_header(text)

    assert isinstance(parsed.accepted, tuple)


@given(any_text)
def test_envelope_parser_never_raises(text: str) -> None:
    parse_envelope_recipient(text)
    normalise_address(text)


@given(any_text, any_text, any_text)
def test_decision_never_raises(to: str, cc: str, envelope: str) -> None:
    decision = decide_audience_for_headers(to=to, cc=cc, envelope=[envelope], policy=POLICY)

    assert decision.explanation_en
