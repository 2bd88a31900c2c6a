"""Placement and formatting of the text signature."""

from __future__ import annotations

import pytest

from maltastic.relay.mime.text_placement import (
    TextPlacement,
    find_text_end,
    find_text_quote_start,
    format_text_signature,
)

NEW_TEXT = "Hallo,\n\nanbei die Unterlagen.\n\nGruß\nAnna\n\n"


@pytest.mark.parametrize(
    ("quote", "rule"),
    [
        ("-----Ursprüngliche Nachricht-----\nVon: X\n", "separator"),
        ("-----Original Message-----\nFrom: X\n", "separator"),
        ("_" * 32 + "\nVon: X\n", "underscore-line"),
        ("Von: X <x@example.com>\nGesendet: Montag\nAn: Y\n", "reply-header"),
        ("From: X\nSent: Monday\nTo: Y\n", "reply-header"),
        ("Am 03.11.26 um 10:12 schrieb Petra:\n> Hallo\n", "attribution"),
        (
            "Am Di., 3. Nov. um 10:12 schrieb Erika <\nerika@example.com>:\n\n> Hallo\n",
            "attribution",
        ),
        ("On Tue, Nov 3, 2026 at 10:12 AM Erika wrote:\n> Hi\n>\n", "attribution"),
        ("Erika meinte:\n> Hallo\n> Welt\n", "quoted-lines"),
    ],
)
def test_text_quote_start_per_client(quote: str, rule: str) -> None:
    found = find_text_quote_start(NEW_TEXT + quote)

    assert found == (len(NEW_TEXT), rule)


def test_interleaved_reply_has_no_quote_start() -> None:
    text = "> question one\nanswer one\n> question two\nanswer two\n"

    assert find_text_quote_start(text) is None


def test_sentence_starting_with_am_is_not_attribution() -> None:
    text = "Am Montag schrieb ich Ihnen:\ndas Angebot steht.\n"

    assert find_text_quote_start(text) is None


def test_text_end_after_last_line_break() -> None:
    assert find_text_end("a\nb\n\n\n") == 4
    assert find_text_end("a\nb") == 3


def test_format_above_quote_adds_blank_line_after() -> None:
    text = "Gruß\nAnna\n\nVon: X\n"
    placement = TextPlacement(text.index("Von:"), True, "above-quote:reply-header")

    block = format_text_signature("-- \nAnna Schmidt", text, placement, eol="\n", flowed=False)

    assert block == "-- \nAnna Schmidt\n\n"


def test_format_at_end_without_final_newline() -> None:
    text = "Gruß\r\nAnna"
    placement = TextPlacement(len(text), False, "end-of-part")

    block = format_text_signature("-- \nAnna", text, placement, eol="\r\n", flowed=False)

    assert block == "\r\n\r\n-- \r\nAnna\r\n"


def test_format_flowed_keeps_lines_fixed() -> None:
    text = "Gruß\n"
    placement = TextPlacement(len(text), False, "end-of-part")

    block = format_text_signature(
        "-- \nAnna   \nFrom Berlin\n> not a quote", text, placement, eol="\n", flowed=True
    )

    assert block == "\n-- \nAnna\n From Berlin\n > not a quote\n"
