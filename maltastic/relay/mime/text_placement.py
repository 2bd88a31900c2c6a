"""Find where the text signature goes in a decoded plain-text body, and format it.

The signature goes directly above the first line of the quoted thread: an Outlook
separator or header block, an "Am … schrieb …:" / "On … wrote:" attribution, or the
first run of `>` lines when nothing but quoted text follows it. Otherwise it goes after
the last non-blank line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_FLAGS = re.IGNORECASE | re.MULTILINE

_SEPARATOR_LINE = re.compile(
    r"^[ \t]*-{3,}[ \t]*(?:Ursprüngliche Nachricht|Original Message|Originalnachricht"
    r"|Weitergeleitete Nachricht|Forwarded message)[ \t]*-{3,}",
    _FLAGS,
)
# Outlook on the web and Outlook for Mac draw a line of 32 underscores.
_UNDERSCORE_LINE = re.compile(r"^_{30,}[ \t]*\r?$", re.MULTILINE)
_HEADER_BLOCK = re.compile(
    r"^\*?(?:Von|From):\*?[ \t][^\n]*\n\*?(?:Gesendet|Sent|Datum|Date):\*?[ \t]", _FLAGS
)
_ATTRIBUTION_START = re.compile(r"^(?:Am|On)[ \t]", re.MULTILINE)
_ATTRIBUTION_VERB = re.compile(r"\b(?:schrieb|wrote)\b", re.IGNORECASE | re.ASCII)
_QUOTED_LINE = re.compile(r"^>", re.MULTILINE)
_UNQUOTED_CONTENT_LINE = re.compile(r"^[ \t]*[^>\s]", re.MULTILINE)
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_SIGNATURE_SEPARATOR = "-- "


@dataclass(frozen=True, slots=True)
class TextPlacement:
    position: int
    above_quote: bool
    rule: str


def place_text_signature(text: str) -> TextPlacement:
    quote = find_text_quote_start(text)
    if quote is not None:
        return TextPlacement(quote[0], True, f"above-quote:{quote[1]}")
    return TextPlacement(find_text_end(text), False, "end-of-part")


def find_text_quote_start(text: str) -> tuple[int, str] | None:
    """Return the offset of the line where the quoted thread starts and the rule used."""
    found: list[tuple[int, str]] = []
    for rule, required, pattern in (
        ("separator", "---", _SEPARATOR_LINE),
        ("underscore-line", "_" * 30, _UNDERSCORE_LINE),
        ("reply-header", ":", _HEADER_BLOCK),
    ):
        # A substring test is much cheaper than a multi-line pattern over the whole body.
        if required not in text:
            continue
        match = pattern.search(text)
        if match is not None:
            found.append((match.start(), rule))
    attribution = _find_attribution(text)
    if attribution is not None:
        found.append((attribution, "attribution"))
    quoted = _find_trailing_quote(text)
    if quoted is not None:
        found.append((quoted, "quoted-lines"))
    return min(found, key=lambda item: item[0]) if found else None


def _find_attribution(text: str) -> int | None:
    """Find an "Am … schrieb …:" / "On … wrote:" line, wrapped onto two lines at most."""
    lowered = text.encode("utf-8", "surrogatepass").lower()
    if b"schrieb" not in lowered and b"wrote" not in lowered:
        return None
    for match in _ATTRIBUTION_START.finditer(text):
        lines = _lines_from(text, match.start(), count=4)
        for width in (1, 2):
            head = " ".join(line.rstrip() for line in lines[:width])
            if not head.endswith(":") or not _ATTRIBUTION_VERB.search(head):
                continue
            following = [line for line in lines[width:] if line.strip()]
            if following and following[0].startswith(">"):
                return match.start()
    return None


def _lines_from(text: str, start: int, count: int) -> list[str]:
    lines: list[str] = []
    position = start
    while len(lines) < count and position < len(text):
        newline = text.find("\n", position)
        end = len(text) if newline < 0 else newline + 1
        lines.append(text[position:end].rstrip("\r\n"))
        position = end
    return lines


def _find_trailing_quote(text: str) -> int | None:
    """Find the first `>` line when only quoted or blank lines follow it.

    An interleaved reply (new text between quoted runs) has no thread to sit above, so
    its signature goes at the end. A single line before the run that ends with ":" is
    taken as its attribution.
    """
    if not text.startswith(">") and "\n>" not in text:
        return None
    match = _QUOTED_LINE.search(text)
    if match is None or _UNQUOTED_CONTENT_LINE.search(text, match.start()):
        return None
    start = match.start()
    previous_end = text.rfind("\n", 0, max(0, start - 1))
    previous_line = text[previous_end + 1 : start].rstrip("\r\n")
    if previous_line.rstrip().endswith(":"):
        return previous_end + 1
    return start


def find_text_end(text: str) -> int:
    """Return the offset after the line break of the last non-blank line."""
    content_end = len(text.rstrip())
    newline = text.find("\n", content_end)
    return len(text) if newline < 0 else newline + 1


def format_text_signature(
    signature: str, text: str, placement: TextPlacement, *, eol: str, flowed: bool
) -> str:
    """Return the text to insert at the placement, with blank lines around the signature."""
    lines = _LINE_BREAK.split(signature.strip("\r\n"))
    if flowed:
        lines = [_fix_flowed_line(line) for line in lines]
    block = eol.join(lines) + eol

    before = text[: placement.position]
    if before and not before.endswith("\n"):
        block = eol + eol + block
    elif before.rstrip("\r\n") and not _last_line_is_blank(before):
        block = eol + block
    if placement.above_quote:
        block += eol
    return block


def _last_line_is_blank(before: str) -> bool:
    """Return whether the line that `before` ends with (including its break) is blank."""
    without_break = before[:-1] if before.endswith("\n") else before
    last_line = without_break[without_break.rfind("\n") + 1 :]
    return not last_line.strip()


def _fix_flowed_line(line: str) -> str:
    """Keep a signature line fixed and unstuffed under RFC 3676 (format=flowed)."""
    if line == _SIGNATURE_SEPARATOR:
        return line
    line = line.rstrip(" ")
    if line.startswith((" ", ">", "From ")):
        return " " + line
    return line
