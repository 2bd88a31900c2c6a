"""The fourteen shared client messages: placement, byte identity and pass-through rules."""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import Message

import pytest

from maltastic.relay.mime import (
    PassThroughCode,
    Signature,
    SpliceAction,
    insert_signature,
)
from maltastic.relay.mime.codec import charset_of, transfer_encoding_of
from tests.relay.mime.support import (
    ASCII_SIGNATURE_HTML,
    ASCII_SIGNATURE_TEXT,
    GERMAN_SIGNATURE_HTML,
    GERMAN_SIGNATURE_TEXT,
    STAMP_VALUE,
    assert_base64_valid,
    assert_only_parts_changed,
    decoded_text,
    longest_encoded_line,
    normalise_newlines,
    normalised_part_header,
    parts_by_section,
    section_map,
    split_insertion,
    stamp_line,
    strip_test_headers,
)
from tests.shared_files import shared_path

END_OF_PART = None


@dataclass(frozen=True)
class Expected:
    """Where one signature must lie in the decoded content of one part.

    The signature follows `after`; it precedes `before`, or only blank content when
    `before` is END_OF_PART. With `immediately_before`, the content that follows the
    insertion point starts with that text.
    """

    section: str
    after: str
    before: str | None
    immediately_before: str | None = None


@dataclass(frozen=True)
class Case:
    eol: bytes
    html: Expected | None = None
    text: Expected | None = None
    pass_through: PassThroughCode | None = None


OUTLOOK_BORDER = (
    "<div style='border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm'>"
)

CASES: dict[str, Case] = {
    "01-outlook-desktop-reply-de.eml": Case(
        eol=b"\r\n",
        html=Expected(
            "2", "Anna Schmidt<o:p></o:p></p>", OUTLOOK_BORDER, "<div>\n" + OUTLOOK_BORDER
        ),
        text=Expected(
            "1", "\nAnna Schmidt\n", "Von: Max Mustermann <max.mustermann@kunde-a.de> \n"
        ),
    ),
    "02-owa-reply-de.eml": Case(
        eol=b"\r\n",
        html=Expected(
            "2",
            "Jonas Weber</div>",
            '<div id="appendonsend"></div>',
            '<div id="appendonsend"></div>',
        ),
        text=Expected("1", "\nJonas Weber\n", "_" * 32 + "\n"),
    ),
    "03-gmail-reply-de.eml": Case(
        eol=b"\r\n",
        html=Expected("2", "<div>Jan Becker</div>", '<div class="gmail_quote">'),
        text=Expected(
            "1",
            "\nJan Becker\n",
            "Am Di., 3. Nov. 2026 um 10:12 Uhr schrieb Erika Beispiel <\n",
        ),
    ),
    "04-thunderbird-reply-de.eml": Case(
        eol=b"\n",
        html=Expected("2", "Tobias</p>", '<div class="moz-cite-prefix">'),
        text=Expected("1", "\nTobias\n", "Am 03.11.26 um 10:12 schrieb Petra Wagner:\n"),
    ),
    "05-apple-mail-split-html.eml": Case(
        eol=b"\r\n",
        html=Expected("2.3", "Assistenz der Geschäftsführung</div>", "</body>"),
        text=Expected("1", "Assistenz der Geschäftsführung", END_OF_PART),
    ),
    "06-text-only-latin1-qp.eml": Case(
        eol=b"\r\n", text=Expected("1", "Finanzbuchhaltung", END_OF_PART)
    ),
    "07-html-fragment-no-body.eml": Case(
        eol=b"\r\n", html=Expected("1", "Kundenservice</p>", END_OF_PART)
    ),
    "08-new-mixed-alt-related-pdf.eml": Case(
        eol=b"\r\n",
        html=Expected("1.2.1", "Katrin Vogel</p>", "</body>"),
        text=Expected("1.1", "Katrin Vogel", END_OF_PART),
    ),
    "09-smime-signed.eml": Case(eol=b"\r\n", pass_through=PassThroughCode.SIGNED_OR_ENCRYPTED),
    "10-calendar-invitation.eml": Case(eol=b"\r\n", pass_through=PassThroughCode.CALENDAR),
    "11-auto-reply.eml": Case(eol=b"\r\n", pass_through=PassThroughCode.AUTO_SUBMITTED),
    "12-already-processed.eml": Case(eol=b"\r\n", pass_through=PassThroughCode.ALREADY_PROCESSED),
    "13-forward-attached-rfc822.eml": Case(
        eol=b"\r\n",
        html=Expected("1.2", "Anna Schmidt<o:p></o:p></p>", "</body>"),
        text=Expected("1.1", "Anna Schmidt", END_OF_PART),
    ),
    "14-base64-utf8-html.eml": Case(
        eol=b"\r\n",
        html=Expected("2", '<div dir="auto">Katrin</div>', "</body>"),
        text=Expected("1", "Katrin", END_OF_PART),
    ),
}

SIGNATURES = {
    "ascii": Signature(html=ASCII_SIGNATURE_HTML, text=ASCII_SIGNATURE_TEXT),
    "german": Signature(html=GERMAN_SIGNATURE_HTML, text=GERMAN_SIGNATURE_TEXT),
}


def load_case(name: str) -> bytes:
    return strip_test_headers(shared_path(f"cases/mail/{name}").read_bytes())


def test_case_table_covers_every_file() -> None:
    folder = shared_path("cases/mail")
    assert sorted(path.name for path in folder.glob("*.eml")) == sorted(CASES)


@pytest.mark.parametrize("signature_name", sorted(SIGNATURES))
@pytest.mark.parametrize("name", sorted(CASES))
def test_shared_case(name: str, signature_name: str) -> None:
    case = CASES[name]
    signature = SIGNATURES[signature_name]
    original = load_case(name)
    result = insert_signature(
        original, signature, max_size=10 * 1024 * 1024, processed_header_value=STAMP_VALUE
    )

    if case.pass_through is not None:
        assert result.action is SpliceAction.PASSED_THROUGH
        assert result.code is case.pass_through
        assert result.data == original
        return

    assert result.action is SpliceAction.INSERTED, result.reason
    output = result.data
    expectations = [item for item in (case.html, case.text) if item is not None]
    changed = sorted(item.section for item in expectations)
    assert list(result.changed_sections) == changed

    stamp = stamp_line(original)
    assert output.startswith(stamp)
    assert output.count(b"X-Maltastic-Processed:") == 1
    _assert_line_endings(output, case.eol)
    assert_only_parts_changed(original, output[len(stamp) :], changed)
    _assert_changed_headers(original, output[len(stamp) :], changed, signature_name)

    before_parts = parts_by_section(original)
    after_parts = parts_by_section(output)
    assert sorted(before_parts) == sorted(after_parts)
    for section, part in before_parts.items():
        if section not in changed and part.get_content_maintype() != "message":
            assert decoded_text(after_parts[section]) == decoded_text(part)
    if case.html is not None:
        _assert_placed(before_parts, after_parts, case.html, signature.html)
    if case.text is not None:
        _assert_placed(before_parts, after_parts, case.text, signature.text)


def _assert_line_endings(output: bytes, eol: bytes) -> None:
    if eol == b"\n":
        assert b"\r" not in output
    else:
        assert re.search(rb"(?<!\r)\n", output) is None


def _assert_changed_headers(
    original: bytes, output: bytes, changed: list[str], signature_name: str
) -> None:
    before = section_map(original)
    after = section_map(output)
    for section in changed:
        old_part, new_part = before[section], after[section]
        assert normalised_part_header(output, new_part) == normalised_part_header(
            original, old_part
        )
        if signature_name == "ascii":
            assert charset_of(new_part) == charset_of(old_part)
            assert transfer_encoding_of(new_part) == transfer_encoding_of(old_part)
        encoding = transfer_encoding_of(new_part)
        if encoding == "quoted-printable":
            assert longest_encoded_line(output, new_part) <= 76
        if encoding == "base64":
            assert longest_encoded_line(output, new_part) <= 76
            assert_base64_valid(output, new_part)


def _assert_placed(
    before_parts: dict[str, Message],
    after_parts: dict[str, Message],
    expected: Expected,
    signature: str,
) -> None:
    old = decoded_text(before_parts[expected.section])
    new = decoded_text(after_parts[expected.section])
    position = split_insertion(old, new, normalise_newlines(signature).strip("\n"))

    assert old.count(expected.after) == 1
    assert old.index(expected.after) + len(expected.after) <= position
    if expected.before is None:
        assert old[position:].strip() == ""
    else:
        assert old.count(expected.before) == 1
        assert position <= old.index(expected.before)
    if expected.immediately_before is not None:
        assert old[position:].startswith(expected.immediately_before)
