"""Scan a raw message into a MIME tree that records the byte offsets of every part.

The `email` package parses each header block, but bodies are never re-serialised: every
later step edits the original bytes at the offsets found here. Multipart bodies follow
RFC 2046 section 5.1.1. A delimiter line starts at the beginning of a line and may end
with transport padding (spaces and tabs). The line break before it belongs to the
delimiter, not to the part above it.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from email import errors
from email.message import Message
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import collapse_rfc2231_value

from maltastic.relay.mime.model import PassThrough, PassThroughCode

MAX_NESTING_DEPTH = 40

_HEADER_BLOCK_END = re.compile(rb"\n\r?\n")
_HEADER_PARSER = BytesHeaderParser(policy=compat32)
_FATAL_HEADER_DEFECTS = (
    errors.MissingHeaderBodySeparatorDefect,
    errors.FirstHeaderLineIsContinuationDefect,
)


@dataclass(slots=True)
class MimePart:
    """One entity of the message with its offsets in the raw bytes.

    The header block is `raw[start:header_end]` (each field with its line break), the
    separating blank line is `raw[header_end:body_start]`, and the body is
    `raw[body_start:end]`.
    """

    section: str
    start: int
    header_end: int
    body_start: int
    end: int
    headers: Message
    content_type: str
    eol: bytes
    children: list[MimePart] = field(default_factory=list)

    @property
    def maintype(self) -> str:
        return self.content_type.partition("/")[0]

    @property
    def is_multipart(self) -> bool:
        return self.maintype == "multipart"

    def walk(self) -> list[MimePart]:
        """Return this part and all parts below it in document order."""
        parts = [self]
        for child in self.children:
            parts.extend(child.walk())
        return parts


def unparseable(reason: str) -> PassThrough:
    return PassThrough(PassThroughCode.UNPARSEABLE, f"unparseable structure: {reason}")


def scan_message(raw: bytes) -> MimePart:
    """Scan the whole message; raise PassThrough when its structure cannot be trusted."""
    if not raw or raw.startswith((b"\r\n", b"\n")):
        raise unparseable("the message has no header block")
    return _scan_entity(raw, 0, len(raw), section="", default_type="text/plain", depth=0)


def _scan_entity(
    raw: bytes, start: int, end: int, *, section: str, default_type: str, depth: int
) -> MimePart:
    if depth > MAX_NESTING_DEPTH:
        raise unparseable(f"more than {MAX_NESTING_DEPTH} nested multiparts")

    header_end, body_start = _find_header_block_end(raw, start, end)
    headers = _parse_headers(raw[start:header_end], section)
    content_type = headers.get_content_type() if "content-type" in headers else default_type
    part = MimePart(
        section=section or ("" if content_type.startswith("multipart/") else "1"),
        start=start,
        header_end=header_end,
        body_start=body_start,
        end=end,
        headers=headers,
        content_type=content_type,
        eol=detect_eol(raw, start, end),
    )
    if part.is_multipart:
        part.children = _scan_children(raw, part, depth)
    return part


def _find_header_block_end(raw: bytes, start: int, end: int) -> tuple[int, int]:
    """Return the offsets where the header block ends and where the body starts."""
    if raw.startswith(b"\r\n", start, end):
        return start, start + 2
    if raw.startswith(b"\n", start, end):
        return start, start + 1
    match = _HEADER_BLOCK_END.search(raw, start, end)
    if match is None:
        return end, end
    return match.start() + 1, match.end()


def _parse_headers(block: bytes, section: str) -> Message:
    headers = _HEADER_PARSER.parsebytes(block)
    for defect in headers.defects:
        if isinstance(defect, _FATAL_HEADER_DEFECTS):
            where = f"part {section}" if section else "the message"
            raise unparseable(f"invalid header block in {where}: {type(defect).__name__}")
    return headers


def detect_eol(raw: bytes, start: int, end: int) -> bytes:
    """Return the line ending of the first line in the range, CRLF when there is none."""
    newline = raw.find(b"\n", start, end)
    if newline > start and raw[newline - 1] == 0x0D:
        return b"\r\n"
    if newline >= 0:
        return b"\n"
    return b"\r\n"


def boundary_of(part: MimePart) -> bytes:
    value = part.headers.get_param("boundary")
    if value is None:
        raise unparseable(f"{part.content_type} part {part.section or '(top)'} has no boundary")
    text = collapse_rfc2231_value(value).strip()
    if not text:
        raise unparseable(f"{part.content_type} part {part.section or '(top)'} has no boundary")
    return text.encode("utf-8", "surrogateescape")


@dataclass(frozen=True, slots=True)
class _Delimiter:
    line_start: int
    line_end: int
    is_close: bool


def _scan_children(raw: bytes, parent: MimePart, depth: int) -> list[MimePart]:
    delimiters = _find_delimiters(raw, boundary_of(parent), parent.body_start, parent.end)
    if not delimiters or delimiters[-1].is_close is False:
        raise unparseable(f"multipart part {parent.section or '(top)'} is not closed")

    default_type = "message/rfc822" if parent.content_type == "multipart/digest" else "text/plain"
    children: list[MimePart] = []
    for opening, following in itertools.pairwise(delimiters):
        child_start = opening.line_end
        child_end = max(child_start, _strip_eol_before(raw, following.line_start))
        number = str(len(children) + 1)
        children.append(
            _scan_entity(
                raw,
                child_start,
                child_end,
                section=f"{parent.section}.{number}" if parent.section else number,
                default_type=default_type,
                depth=depth + 1,
            )
        )
    return children


def _find_delimiters(raw: bytes, boundary: bytes, start: int, end: int) -> list[_Delimiter]:
    """Find delimiter lines up to and including the first close delimiter."""
    dash_boundary = b"--" + boundary
    found: list[_Delimiter] = []
    position = raw.find(dash_boundary, start, end)
    while position >= 0:
        delimiter = _match_delimiter(raw, position, len(dash_boundary), start, end)
        if delimiter is not None:
            if delimiter.is_close and not found:
                raise unparseable("a multipart closes before its first part")
            found.append(delimiter)
            if delimiter.is_close:
                break
        position = raw.find(dash_boundary, position + 1, end)
    return found


def _match_delimiter(
    raw: bytes, position: int, length: int, start: int, end: int
) -> _Delimiter | None:
    if position != start and raw[position - 1] != 0x0A:
        return None
    cursor = position + length
    is_close = raw.startswith(b"--", cursor, end)
    if is_close:
        cursor += 2
    while cursor < end and raw[cursor] in b" \t":
        cursor += 1
    if cursor == end:
        return _Delimiter(position, cursor, is_close)
    if raw.startswith(b"\r\n", cursor, end):
        return _Delimiter(position, cursor + 2, is_close)
    if raw.startswith(b"\n", cursor, end):
        return _Delimiter(position, cursor + 1, is_close)
    return None


def _strip_eol_before(raw: bytes, position: int) -> int:
    if position >= 2 and raw[position - 2 : position] == b"\r\n":
        return position - 2
    if position >= 1 and raw[position - 1] == 0x0A:
        return position - 1
    return position
