"""Helpers that check a rewritten message against its original, using the `email` package."""

from __future__ import annotations

import binascii
import email
import re
from email.message import Message
from email.policy import compat32

from maltastic.relay.mime.scanner import MimePart, scan_message

STAMP_VALUE = "true"

ASCII_SIGNATURE_HTML = (
    '<table data-maltastic-signature="1" style="border-collapse:collapse">\n'
    "<tr><td><b>Anna Schmidt</b><br>Sales</td></tr>\n"
    '<tr><td><a href="https://t.maltastic.example/c/T1.abc">'
    '<img src="https://t.maltastic.example/b/T1.abc" alt="Banner"></a></td></tr>\n'
    "</table>"
)
ASCII_SIGNATURE_TEXT = "-- \nAnna Schmidt\nSales\nhttps://t.maltastic.example/c/T1.abc"
GERMAN_SIGNATURE_HTML = (
    '<table data-maltastic-signature="1">\n'
    "<tr><td><b>Jürgen Köhler</b><br>Geschäftsführung – Angebot ab 5 €</td></tr>\n"
    "</table>"
)
GERMAN_SIGNATURE_TEXT = "-- \nJürgen Köhler\nGeschäftsführung – Angebot ab 5 €"

_CRLF_OR_CR = re.compile(r"\r\n?")


def strip_test_headers(raw: bytes) -> bytes:
    """Remove the two leading X-Test-* lines of a shared case file."""
    first = raw.index(b"\n") + 1
    second = raw.index(b"\n", first) + 1
    assert raw.startswith(b"X-Test-Envelope-From:")
    assert raw[first:].startswith(b"X-Test-Envelope-To:")
    return raw[second:]


def stamp_line(raw: bytes) -> bytes:
    newline = raw.index(b"\n")
    eol = b"\r\n" if raw[newline - 1 : newline] == b"\r" else b"\n"
    return b"X-Maltastic-Processed: " + STAMP_VALUE.encode() + eol


def parts_by_section(raw: bytes) -> dict[str, Message]:
    """Index the parts of a message by IMAP section number, not entering message/*."""
    message = email.message_from_bytes(raw, policy=compat32)
    found: dict[str, Message] = {}

    def visit(part: Message, section: str) -> None:
        if part.is_multipart() and part.get_content_maintype() == "multipart":
            children = part.get_payload()
            assert isinstance(children, list)
            for number, child in enumerate(children, start=1):
                visit(child, f"{section}.{number}" if section else str(number))
        else:
            found[section or "1"] = part

    visit(message, "")
    return found


def decoded_text(part: Message) -> str:
    """Decode a part's content to text with LF line breaks."""
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes), f"{part.get_content_type()} has no decodable content"
    charset = part.get_content_charset() or "us-ascii"
    return normalise_newlines(payload.decode(charset, "surrogateescape"))


def normalise_newlines(text: str) -> str:
    return _CRLF_OR_CR.sub("\n", text)


def split_insertion(old: str, new: str, signature: str) -> int:
    """Return p such that new == old[:p] + inserted + old[p:].

    `inserted` must be the signature, which occurs once in `new`, with only whitespace
    around it.
    """
    assert new.count(signature) == 1, "the signature does not occur exactly once"
    start = new.index(signature)
    before, after = new[:start], new[start + len(signature) :]
    added_before_max = len(before) - len(before.rstrip())
    for added_before in range(added_before_max + 1):
        position = len(before) - added_before
        added_after = len(after) - (len(old) - position)
        if added_after < 0 or after[:added_after].strip():
            continue
        if old == before[:position] + after[added_after:]:
            return position
    raise AssertionError("the new content is not the old content plus the signature")


def section_map(raw: bytes) -> dict[str, MimePart]:
    return {part.section: part for part in scan_message(raw).walk()}


def unchanged_segments(raw: bytes, changed: list[str]) -> list[bytes]:
    """Return the byte ranges of `raw` outside the given parts, in order."""
    parts = section_map(raw)
    ranges = sorted((parts[section].start, parts[section].end) for section in changed)
    segments: list[bytes] = []
    cursor = 0
    for start, end in ranges:
        segments.append(raw[cursor:start])
        cursor = end
    segments.append(raw[cursor:])
    return segments


def assert_only_parts_changed(original: bytes, output: bytes, changed: list[str]) -> None:
    """Check that every byte outside the changed parts is identical, in the same order."""
    segments = unchanged_segments(original, changed)
    assert output.startswith(segments[0]), "bytes before the first changed part differ"
    assert output.endswith(segments[-1]), "bytes after the last changed part differ"
    rest = output[len(segments[0]) : len(output) - len(segments[-1])]
    for index, segment in enumerate(segments[1:-1], start=1):
        found = rest.find(segment)
        assert found >= 0, f"unchanged segment {index} is missing or altered"
        rest = rest[found + len(segment) :]


_CHARSET_VALUE = re.compile(rb"""(?i)(charset\s*=\s*)("[^"]*"|[^;\s"]+)""")
_CTE_FIELD = re.compile(rb"(?im)^content-transfer-encoding[ \t]*:.*\r?\n")


def normalised_part_header(raw: bytes, part: MimePart) -> bytes:
    """Return a part's header block with the charset value and the CTE field removed."""
    block = raw[part.start : part.header_end]
    block = _CHARSET_VALUE.sub(rb"\1X", block)
    block = re.sub(rb";\s*charset\s*=\s*X(?=\r?\n|\Z)", b"", block)
    return _CTE_FIELD.sub(b"", block)


def longest_encoded_line(raw: bytes, part: MimePart) -> int:
    body = raw[part.body_start : part.end]
    return max((len(line) for line in re.split(rb"\r?\n", body)), default=0)


def assert_base64_valid(raw: bytes, part: MimePart) -> None:
    binascii.a2b_base64(raw[part.body_start : part.end])
