"""Parsing and normalising recipient headers and envelope recipients."""

from __future__ import annotations

import logging

import pytest

from maltastic.targeting.addresses import (
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


def addresses_of(value: str) -> list[str]:
    return [recipient.address for recipient in parse_address_header(value).accepted]


def reasons_of(value: str) -> list[RejectReason]:
    return [rejected.reason for rejected in parse_address_header(value).rejected]


def test_bare_address() -> None:
    assert addresses_of("max@kunde-a.de") == ["max@kunde-a.de"]


def test_display_name_with_comma_and_umlaut() -> None:
    parsed = parse_address_header('"Müller, Jürgen" <j.mueller@kunde-a.de>')

    assert [recipient.address for recipient in parsed.accepted] == ["j.mueller@kunde-a.de"]
    assert parsed.accepted[0].display_name == "Müller, Jürgen"
    assert parsed.rejected == ()


def test_several_display_names_with_commas() -> None:
    value = '"Mustermann, Max" <max@kunde-a.de>, "Schulz, Anna" <anna@kunde-a.de>'

    assert addresses_of(value) == ["max@kunde-a.de", "anna@kunde-a.de"]


def test_encoded_word_display_name() -> None:
    parsed = parse_address_header("=?utf-8?q?M=C3=BCller=2C_J=C3=BCrgen?= <j@kunde-a.de>")

    assert parsed.accepted[0].display_name == "Müller, Jürgen"
    assert parsed.accepted[0].address == "j@kunde-a.de"


def test_latin1_encoded_word_display_name() -> None:
    parsed = parse_address_header("=?iso-8859-1?q?J=FCrgen_M=FCller?= <j@kunde-a.de>")

    assert parsed.accepted[0].display_name == "Jürgen Müller"


def test_quoted_local_part_keeps_quotes() -> None:
    assert addresses_of('"John Doe"@Example.com') == ['"john doe"@example.com']


def test_needlessly_quoted_local_part_loses_quotes() -> None:
    assert addresses_of('"john"@example.com') == ["john@example.com"]


def test_quoted_local_part_with_comma() -> None:
    assert addresses_of('"a,b"@example.com, c@example.com') == [
        '"a,b"@example.com',
        "c@example.com",
    ]


def test_escaped_quote_in_local_part() -> None:
    assert addresses_of(r'"a\"b"@example.com') == [r'"a\"b"@example.com']


def test_empty_group_adds_nothing() -> None:
    parsed = parse_address_header("undisclosed-recipients:;")

    assert parsed.accepted == ()
    assert parsed.rejected == ()


def test_group_members() -> None:
    assert addresses_of("Team: a@x.de, b@y.de;") == ["a@x.de", "b@y.de"]


def test_group_then_address() -> None:
    assert addresses_of("Team: a@x.de;, Max <max@y.de>") == ["a@x.de", "max@y.de"]


def test_empty_list_elements_skipped() -> None:
    parsed = parse_address_header("a@x.de, , b@y.de,")

    assert [recipient.address for recipient in parsed.accepted] == ["a@x.de", "b@y.de"]
    assert parsed.rejected == ()


def test_comment_ignored() -> None:
    assert addresses_of("max@kunde-a.de (Büro)") == ["max@kunde-a.de"]


def test_empty_header() -> None:
    assert parse_address_header("   ").accepted == ()


def test_case_folded() -> None:
    assert addresses_of("Max.Mustermann@Kunde-A.DE") == ["max.mustermann@kunde-a.de"]


def test_idn_domain_to_idna() -> None:
    assert addresses_of("info@Müller-Bau.de") == ["info@xn--mller-bau-q9a.de"]


def test_idna_domain_kept() -> None:
    assert addresses_of("info@XN--MLLER-BAU-Q9A.DE") == ["info@xn--mller-bau-q9a.de"]


def test_non_ascii_local_part_lower_cased() -> None:
    assert addresses_of("Jürgen.Ä@kunde-a.de") == ["jürgen.ä@kunde-a.de"]


def test_trailing_dot_bare() -> None:
    assert addresses_of("max@kunde-a.de.") == ["max@kunde-a.de"]


def test_trailing_dot_in_angle_brackets() -> None:
    assert addresses_of("Max <max@kunde-a.de.>, Jo <jo@y.de>") == ["max@kunde-a.de", "jo@y.de"]


def test_trailing_dot_inside_quotes_untouched() -> None:
    assert addresses_of('"a@b.de." <max@kunde-a.de>') == ["max@kunde-a.de"]


def test_recipient_parts() -> None:
    recipient = parse_address_header("Max <Max@Müller-Bau.de>", RecipientSource.CC).accepted[0]

    assert recipient.local_part == "max"
    assert recipient.domain == "xn--mller-bau-q9a.de"
    assert recipient.source is RecipientSource.CC


def test_ipv4_address_literal() -> None:
    assert addresses_of("max@[192.0.2.1]") == ["max@[192.0.2.1]"]


def test_ipv6_address_literal() -> None:
    assert addresses_of("max@[IPv6:2001:DB8:0::1]") == ["max@[ipv6:2001:db8::1]"]


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("max", RejectReason.MISSING_DOMAIN),
        ("max@", RejectReason.MISSING_DOMAIN),
        ("Max Mustermann", RejectReason.MISSING_DOMAIN),
        ("Max <max@>", RejectReason.MISSING_DOMAIN),
        ("@kunde-a.de", RejectReason.MISSING_LOCAL_PART),
        ("a@b@kunde-a.de", RejectReason.INVALID_LOCAL_PART),
        ("a b@kunde-a.de", RejectReason.INVALID_LOCAL_PART),
        ("max@kunde..de", RejectReason.INVALID_DOMAIN),
        ("max@-kunde-.de", RejectReason.INVALID_DOMAIN),
        ("max@kunde_a.de", RejectReason.INVALID_DOMAIN),
        ("max@kunde-a.de..", RejectReason.INVALID_DOMAIN),
        ("max@192.0.2.1", RejectReason.INVALID_DOMAIN),
        ("max@[300.0.0.1]", RejectReason.INVALID_DOMAIN),
        ("<>", RejectReason.SYNTAX),
    ],
)
def test_invalid_entry_rejected(value: str, reason: RejectReason) -> None:
    parsed = parse_address_header(value)

    assert parsed.accepted == ()
    assert [rejected.reason for rejected in parsed.rejected] == [reason]


def test_rejected_entry_keeps_text() -> None:
    rejected = parse_address_header("kein-at-zeichen", RecipientSource.BCC).rejected[0]

    assert rejected.text == "kein-at-zeichen"
    assert rejected.source is RecipientSource.BCC
    assert "@" in rejected.detail


def test_invalid_entry_leaves_neighbours() -> None:
    parsed = parse_address_header("Max <a@b@c.de>, Jo <jo@y.de>")

    assert [recipient.address for recipient in parsed.accepted] == ["jo@y.de"]
    assert len(parsed.rejected) == 1


def test_parser_crash_falls_back() -> None:
    # Python 3.11's header parser raises IndexError on a trailing "foo@".
    parsed = parse_address_header("Max <max@x.de>, jo@y.de, foo@")

    assert [recipient.address for recipient in parsed.accepted] == ["max@x.de", "jo@y.de"]
    assert RejectReason.SYNTAX in [rejected.reason for rejected in parsed.rejected]


def test_rejection_logged(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="maltastic.targeting.addresses"):
        parse_address_header("max@kunde..de")

    assert "max@kunde..de" in caplog.text
    assert "invalid domain" in caplog.text


@pytest.mark.parametrize(
    "value",
    ["max@kunde-a.de", "<max@kunde-a.de>", " <MAX@Kunde-A.de.> ", "@relay.example:max@kunde-a.de"],
)
def test_envelope_recipient(value: str) -> None:
    parsed = parse_envelope_recipient(value)

    assert isinstance(parsed, Recipient)
    assert parsed.address == "max@kunde-a.de"
    assert parsed.source is RecipientSource.ENVELOPE


def test_envelope_quoted_local_part() -> None:
    parsed = parse_envelope_recipient('<"John Doe"@example.com>')

    assert isinstance(parsed, Recipient)
    assert parsed.address == '"john doe"@example.com'
    assert parsed.local_part == "john doe"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("<>", RejectReason.SYNTAX),
        ("", RejectReason.SYNTAX),
        ("max", RejectReason.MISSING_DOMAIN),
        ("<max@>", RejectReason.MISSING_DOMAIN),
        ("Max <max@kunde-a.de>", RejectReason.INVALID_LOCAL_PART),
        ("max@kunde..de", RejectReason.INVALID_DOMAIN),
    ],
)
def test_envelope_invalid_rejected(value: str, reason: RejectReason) -> None:
    parsed = parse_envelope_recipient(value)

    assert isinstance(parsed, RejectedRecipient)
    assert parsed.reason is reason


def test_envelope_list_keeps_order() -> None:
    parsed = parse_envelope_recipients(["b@y.de", "kaputt", "a@x.de"])

    assert [recipient.address for recipient in parsed.accepted] == ["b@y.de", "a@x.de"]
    assert [rejected.text for rejected in parsed.rejected] == ["kaputt"]


def test_recipients_from_all_fields() -> None:
    parsed = parse_recipients(
        to="a@x.de", cc=["b@x.de", "c@x.de"], bcc="d@x.de", envelope=["e@x.de"]
    )

    assert [(recipient.address, recipient.source) for recipient in parsed.accepted] == [
        ("a@x.de", RecipientSource.TO),
        ("b@x.de", RecipientSource.CC),
        ("c@x.de", RecipientSource.CC),
        ("d@x.de", RecipientSource.BCC),
        ("e@x.de", RecipientSource.ENVELOPE),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Max.Mustermann@Kunde-A.de", "max.mustermann@kunde-a.de"),
        ('"Mustermann, Max" <Max@Müller-Bau.de>', "max@xn--mller-bau-q9a.de"),
        ("max@kunde-a.de.", "max@kunde-a.de"),
        ("max@kunde-a.de, tim@kunde-a.de", None),
        ("kein-at-zeichen", None),
        ("", None),
    ],
)
def test_normalise_address(text: str, expected: str | None) -> None:
    assert normalise_address(text) == expected
