"""Quoted-printable splicing: only the changed line is encoded again."""

from __future__ import annotations

import binascii
import quopri

from hypothesis import given
from hypothesis import strategies as st

from maltastic.relay.mime.qp_splice import (
    TextChange,
    encode_quoted_printable,
    longest_line,
    splice_quoted_printable,
)

PARAGRAPH = "Guten Tag Herr Müller, anbei das Angebot für Größe XL. " * 4


def encoded_body(lines: list[str], charset: str = "utf-8", eol: bytes = b"\r\n") -> bytes:
    content = eol.join(line.encode(charset) for line in lines) + eol
    return encode_quoted_printable(content, eol)


def splice(original: bytes, change: TextChange, charset: str = "utf-8", eol: bytes = b"\r\n"):
    content = binascii.a2b_qp(original)
    text = content.decode(charset, "surrogateescape")
    return splice_quoted_printable(original, content, text, charset, change, eol), text


def test_lines_outside_the_change_keep_their_bytes() -> None:
    original = encoded_body(["<p>first</p>", PARAGRAPH, "<p>quote</p>", PARAGRAPH])
    text = binascii.a2b_qp(original).decode("utf-8")
    position = text.index("<p>quote</p>")
    spliced, _ = splice(original, TextChange(position, position, "<table>Signatur</table>"))

    assert spliced is not None
    assert binascii.a2b_qp(spliced).decode("utf-8") == (
        text[:position] + "<table>Signatur</table>" + text[position:]
    )
    first_changed = original.index(b"<p>quote</p>")
    assert spliced[:first_changed] == original[:first_changed]
    tail = original[original.index(b"<p>quote</p>") + len(b"<p>quote</p>") :]
    assert spliced.endswith(tail)


def test_long_signature_gets_soft_line_breaks() -> None:
    original = encoded_body(["<p>Hallo</p>", "<div>thread</div>"])
    text = binascii.a2b_qp(original).decode("utf-8")
    position = text.index("<div>")
    signature = "<td>Ärger über " + "x" * 300 + "</td>"
    spliced, _ = splice(original, TextChange(position, position, signature))

    assert spliced is not None
    assert longest_line(spliced) <= 76
    assert b"=\r\n" in spliced


def test_replaced_range_over_several_lines() -> None:
    original = encoded_body(["<p>a</p>", "<div x>old", "signature</div>", "<p>b</p>"])
    text = binascii.a2b_qp(original).decode("utf-8")
    start, end = text.index("<div x>"), text.index("</div>") + len("</div>")
    spliced, _ = splice(original, TextChange(start, end, "<div>new</div>"))

    assert spliced is not None
    assert binascii.a2b_qp(spliced).decode("utf-8") == text[:start] + "<div>new</div>" + text[end:]


def test_escaped_line_break_falls_back_to_whole_body() -> None:
    # "=0A" is a line break in the text without a hard break in the encoding.
    original = b"<p>one=0A</p>\r\n<p>two</p>\r\n<div>quote</div>\r\n"
    text = binascii.a2b_qp(original).decode("ascii")
    position = text.index("<div>")
    spliced, _ = splice(original, TextChange(position, position, "<b>sig</b>"), "us-ascii")

    assert spliced is None


def test_signature_outside_the_charset_falls_back() -> None:
    original = encoded_body(["<p>Gr\u00fc\u00dfe</p>"], charset="iso-8859-1")
    spliced, _ = splice(original, TextChange(0, 0, "\u20ac Euro"), "us-ascii")

    assert spliced is None


def test_latin1_body_stays_latin1() -> None:
    original = encoded_body(["<p>Gr\u00fc\u00dfe</p>", "<div>zitat</div>"], charset="iso-8859-1")
    text = binascii.a2b_qp(original).decode("iso-8859-1")
    position = text.index("<div>")
    spliced, _ = splice(
        original, TextChange(position, position, "<p>M\u00fcller</p>"), "iso-8859-1"
    )

    assert spliced is not None
    assert b"M=FCller" in spliced


LINE = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters="\r\n", exclude_categories=["Cs"]),
    max_size=120,
)


@given(
    lines=st.lists(LINE, min_size=1, max_size=12),
    data=st.data(),
    eol=st.sampled_from([b"\r\n", b"\n"]),
    encoder=st.sampled_from(["binascii", "quopri"]),
)
def test_spliced_body_always_decodes_to_the_changed_text(
    lines: list[str], data: st.DataObject, eol: bytes, encoder: str
) -> None:
    content = eol.join(line.encode("utf-8") for line in lines)
    if encoder == "binascii":
        original = encode_quoted_printable(content, eol)
    else:
        original = quopri.encodestring(content).replace(b"\n", eol)
    decoded = binascii.a2b_qp(original)
    text = decoded.decode("utf-8", "surrogateescape")
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    # The relay writes the signature with the body's own line break.
    replacement = eol.decode().join(data.draw(st.lists(LINE, max_size=3)))
    change = TextChange(start, end, replacement)

    spliced = splice_quoted_printable(original, decoded, text, "utf-8", change, eol)

    if encoder == "binascii" and not splits_line_break(text, start, end):
        assert spliced is not None  # the product's own encoding allows the shortcut
    if spliced is None:
        return  # the caller encodes the whole body
    assert binascii.a2b_qp(spliced) == change.apply(text).encode("utf-8", "surrogateescape")


def splits_line_break(text: str, *offsets: int) -> bool:
    return any(
        0 < offset < len(text) and text[offset - 1 : offset + 1] == "\r\n" for offset in offsets
    )
