"""Byte-level edits of header fields: the processing stamp and a part's charset and CTE.

A field is edited in place, so its name, its folding and every other parameter stay.
Only the value that must describe the new body bytes changes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from maltastic.relay.mime.scanner import MimePart

_FIELD_START = re.compile(rb"^(?P<name>[!-9;-~]+)[ \t]*:", re.MULTILINE)
_CHARSET_PARAMETER = re.compile(rb"""(;\s*charset\s*=\s*)("[^"]*"|[^;\s"]*)""", re.IGNORECASE)
_HEADER_VALUE_FORBIDDEN = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace `raw[start:end]` with `replacement`; an empty range is an insertion."""

    start: int
    end: int
    replacement: bytes


def apply_edits(raw: bytes, edits: list[Edit]) -> bytes:
    """Apply non-overlapping edits; insertions at one offset keep their list order."""
    pieces: list[bytes] = []
    cursor = 0
    for edit in sorted(edits, key=lambda edit: edit.start):
        if edit.start < cursor:
            raise ValueError(f"overlapping edits at offset {edit.start}")
        pieces.append(raw[cursor : edit.start])
        pieces.append(edit.replacement)
        cursor = edit.end
    pieces.append(raw[cursor:])
    return b"".join(pieces)


def stamp_edit(root: MimePart, name: str, value: str) -> Edit:
    """Return the edit that adds `name: value` as the first field of the message."""
    if _HEADER_VALUE_FORBIDDEN.search(value) or not value.isascii():
        raise ValueError(f"invalid {name} header value {value!r}: use printable ASCII only")
    return Edit(root.start, root.start, f"{name}: {value}".encode("ascii") + root.eol)


def find_field(raw: bytes, part: MimePart, name: str) -> tuple[int, int] | None:
    """Return the offsets of the first field called `name`, folded lines included."""
    expected_name = name.lower().encode("ascii")
    for match in _FIELD_START.finditer(raw, part.start, part.header_end):
        if match.group("name").lower() == expected_name:
            return match.start(), _field_end(raw, match.end(), part.header_end)
    return None


def _field_end(raw: bytes, position: int, limit: int) -> int:
    while True:
        newline = raw.find(b"\n", position, limit)
        if newline < 0:
            return limit
        position = newline + 1
        if position >= limit or raw[position] not in b" \t":
            return position


def charset_edit(raw: bytes, part: MimePart, charset: str) -> Edit:
    """Return the edit that sets the charset parameter of the part's Content-Type."""
    location = find_field(raw, part, "Content-Type")
    if location is None:
        field = f'Content-Type: {part.content_type}; charset="{charset}"'.encode("ascii")
        return Edit(part.header_end, part.header_end, field + part.eol)

    start, end = location
    match = _CHARSET_PARAMETER.search(raw, start, end)
    if match is None:
        value_end = start + len(raw[start:end].rstrip(b"\r\n"))
        return Edit(value_end, value_end, f'; charset="{charset}"'.encode("ascii"))

    # TODO: an RFC 2231 `charset*=` parameter is not rewritten and would stay beside this one.
    quoted = match.group(2).startswith(b'"')
    new_value = f'"{charset}"' if quoted else charset
    return Edit(match.start(2), match.end(2), new_value.encode("ascii"))


def transfer_encoding_edit(raw: bytes, part: MimePart, transfer_encoding: str) -> Edit:
    """Return the edit that sets the part's Content-Transfer-Encoding value."""
    location = find_field(raw, part, "Content-Transfer-Encoding")
    if location is None:
        field = f"Content-Transfer-Encoding: {transfer_encoding}".encode("ascii")
        return Edit(part.header_end, part.header_end, field + part.eol)

    start, end = location
    colon = raw.index(b":", start, end)
    field_body = raw[colon + 1 : end]
    leading = field_body[: len(field_body) - len(field_body.lstrip(b" \t"))] or b" "
    line_break = field_body[len(field_body.rstrip(b"\r\n")) :]
    return Edit(colon + 1, end, leading + transfer_encoding.encode("ascii") + line_break)
