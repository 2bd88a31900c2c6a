"""Find where the HTML signature goes in a decoded HTML body.

In a reply or forward the signature goes directly above the quoted thread, which starts
at the earliest marker that a known client writes. Without a marker it goes before
`</body>`, else before `</html>`, else after the last content. A signature element that a
client integration already inserted above the thread is replaced instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from maltastic.relay.mime.model import PassThrough, PassThroughCode

SIGNATURE_MARKER_ATTRIBUTE = "data-maltastic-signature"
SIGNATURE_MARKER = f'{SIGNATURE_MARKER_ATTRIBUTE}="1"'

_FLAGS = re.IGNORECASE | re.DOTALL
# Markup names are ASCII, so the marker patterns ignore only ASCII case. A substring
# test on the ASCII-lowercased body can then rule a pattern out before it runs.
_MARKER_FLAGS = _FLAGS | re.ASCII


@dataclass(frozen=True, slots=True)
class _Marker:
    """A pattern and a lowercase text without which the pattern cannot match."""

    required: bytes
    pattern: re.Pattern[str]


def _div_with_class(name: str) -> _Marker:
    pattern = rf"""<div\b[^>]*?\bclass\s*=\s*["']?[^"'>]*\b{name}\b"""
    return _Marker(name.lower().encode("ascii"), re.compile(pattern, _MARKER_FLAGS))


# Each pattern matches at the first tag of the quoted thread for one client family.
_QUOTE_MARKERS: dict[str, _Marker] = {
    "outlook-on-the-web": _Marker(
        b"appendonsend",
        re.compile(r"""<div\b[^>]*?\bid\s*=\s*["']?appendonsend\b""", _MARKER_FLAGS),
    ),
    "outlook-on-the-web-header": _Marker(
        b"divrplyfwdmsg",
        re.compile(r"""<div\b[^>]*?\bid\s*=\s*["']?divRplyFwdMsg\b""", _MARKER_FLAGS),
    ),
    # Outlook for Windows draws a rule above the reply header: #E1E1E1 since Outlook
    # 2013, #B5C4DF before.
    "outlook-desktop": _Marker(
        b"border-top",
        re.compile(r"<div\b[^>]*?border-top\s*:\s*solid\s+#(?:E1E1E1|B5C4DF)\b", _MARKER_FLAGS),
    ),
    "gmail": _div_with_class("gmail_quote"),
    "thunderbird": _div_with_class("moz-cite-prefix"),
    "thunderbird-forward": _div_with_class("moz-forward-container"),
    "yahoo": _div_with_class("yahoo_quoted"),
    "cite-blockquote": _Marker(
        b"<blockquote",
        re.compile(r"""<blockquote\b[^>]*?\btype\s*=\s*["']?cite\b""", _MARKER_FLAGS),
    ),
}
_HEADER_BLOCK_START = re.compile(
    r"(?:<b>\s*(?:<span\b[^>]*>\s*)*(?:Von|From)\s*:"
    r"|-{3,}\s*(?:Ursprüngliche Nachricht|Original Message)\s*-{3,})",
    _FLAGS,
)
_HEADER_BLOCK_FIELDS = (
    re.compile(r"(?:Gesendet|Sent|Datum|Date)\s*:", _FLAGS),
    re.compile(r"(?:Betreff|Subject)\s*:", _FLAGS),
)
_HEADER_BLOCK_WINDOW = 2000
_LOOKBEHIND_WINDOW = 600
_OPENING_BLOCK_BEFORE = re.compile(r"<(?:p|div)\b[^>]*>\s*(?:<(?:span|font)\b[^>]*>\s*)*\Z", _FLAGS)
_WRAPPER_DIV_BEFORE = re.compile(r"<div\b[^<>]*>\s*\Z", _FLAGS)
_RULE_BEFORE = re.compile(r"<hr\b[^>]*>\s*\Z", _FLAGS)
_ATTRIBUTION_BEFORE = re.compile(
    r"<div\b[^>]*>(?:(?!<div\b).)*?\b(?:schrieb|wrote)\b(?:(?!<div\b).)*?:\s*"
    r"(?:<[^>]+>\s*)*\Z",
    _FLAGS,
)
_SIGNATURE_ELEMENT = re.compile(
    rf"""<([a-z][a-z0-9]*)\b[^>]*?\b{SIGNATURE_MARKER_ATTRIBUTE}\s*=\s*["']?1\b""",
    _MARKER_FLAGS,
)


@dataclass(frozen=True, slots=True)
class Placement:
    """Replace `text[start:end]` with the signature; `start == end` means insert."""

    start: int
    end: int
    rule: str


def place_html_signature(html: str) -> Placement:
    lowered = ascii_lowered(html)
    quote = find_html_quote_start(html, lowered)
    limit = quote[0] if quote else len(html)
    existing = find_existing_signature(html, limit, lowered)
    if existing is not None:
        return Placement(existing[0], existing[1], "existing-signature")
    if quote is not None:
        return Placement(quote[0], quote[0], f"above-quote:{quote[1]}")
    position, rule = find_html_end(html)
    return Placement(position, position, rule)


def ascii_lowered(html: str) -> bytes:
    """Return the body as UTF-8 with ASCII letters lowercased, for substring tests."""
    return html.encode("utf-8", "surrogatepass").lower()


def find_html_quote_start(html: str, lowered: bytes | None = None) -> tuple[int, str] | None:
    """Return the offset where the quoted thread starts and the rule that found it.

    `lowered` is `ascii_lowered(html)` when the caller has it already.
    """
    if lowered is None:
        lowered = ascii_lowered(html)
    found: list[tuple[int, str]] = []
    for rule, marker in _QUOTE_MARKERS.items():
        if marker.required not in lowered:
            continue
        match = marker.pattern.search(html)
        if match is not None:
            found.append((_extend_backwards(html, match.start(), rule), rule))
    header_block = _find_header_block(html)
    if header_block is not None:
        found.append((header_block, "reply-header"))
    return min(found, key=lambda item: item[0]) if found else None


def _extend_backwards(html: str, position: int, rule: str) -> int:
    """Move a marker's offset back over the elements that belong to the quoted thread."""
    window_start = max(0, position - _LOOKBEHIND_WINDOW)
    before = html[window_start:position]
    if rule == "outlook-desktop":
        wrapper = _WRAPPER_DIV_BEFORE.search(before)
        if wrapper is not None:
            return window_start + wrapper.start()
    if rule == "outlook-on-the-web-header":
        rule_line = _RULE_BEFORE.search(before)
        if rule_line is not None:
            return window_start + rule_line.start()
    if rule == "cite-blockquote":
        attribution = _ATTRIBUTION_BEFORE.search(before)
        if attribution is not None:
            return window_start + attribution.start()
    return position


def _find_header_block(html: str) -> int | None:
    """Find a reply header block (From:, Sent:, Subject:) that has no client wrapper."""
    for match in _HEADER_BLOCK_START.finditer(html):
        following = html[match.end() : match.end() + _HEADER_BLOCK_WINDOW]
        if all(field.search(following) for field in _HEADER_BLOCK_FIELDS):
            window_start = max(0, match.start() - _LOOKBEHIND_WINDOW)
            opening = _OPENING_BLOCK_BEFORE.search(html, window_start, match.start())
            start = opening.start() if opening else match.start()
            rule_line = _RULE_BEFORE.search(html, max(0, start - _LOOKBEHIND_WINDOW), start)
            return rule_line.start() if rule_line else start
    return None


def find_existing_signature(
    html: str, limit: int, lowered: bytes | None = None
) -> tuple[int, int] | None:
    """Return the offsets of a marked signature element that starts before `limit`."""
    if lowered is not None and SIGNATURE_MARKER_ATTRIBUTE.encode("ascii") not in lowered:
        return None
    match = _SIGNATURE_ELEMENT.search(html, 0, limit)
    if match is None:
        return None
    end = _find_element_end(html, match.group(1), match.start())
    if end is None:
        raise PassThrough(
            PassThroughCode.UNSUPPORTED_BODY,
            f"the existing <{match.group(1)} {SIGNATURE_MARKER}> element is not closed",
        )
    return match.start(), end


def _find_element_end(html: str, tag: str, start: int) -> int | None:
    tag_pattern = re.compile(rf"<(/?){re.escape(tag)}\b[^>]*>", re.IGNORECASE)
    depth = 0
    for match in tag_pattern.finditer(html, start):
        if match.group(1):
            depth -= 1
            if depth == 0:
                return match.end()
        elif not match.group(0).endswith("/>"):
            depth += 1
        elif depth == 0:
            return match.end()
    return None


def find_html_end(html: str) -> tuple[int, str]:
    """Return the offset after the last content: before `</body>` or `</html>` if present."""
    lowered = html.lower()
    for closing_tag in ("</body", "</html"):
        position = lowered.rfind(closing_tag)
        if position >= 0:
            return position, f"before-{closing_tag[2:]}"
    return len(html.rstrip()), "end-of-part"
