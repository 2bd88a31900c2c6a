"""Re-encode only the changed line of a quoted-printable body.

A signature changes one place in a body of tens of kilobytes. Encoding the whole body
again costs more than everything else the splice does, and it rewrites every encoded
line even where the text stayed the same. Instead, the decoded line that receives the
signature is encoded on its own and put between the original encoded lines before and
after it. Each decoded line break comes from one hard line break of the encoded body (a
line break not preceded by "="), which is how the two are matched up.

Bodies that break that rule, such as a line break written as "=0A", fail the check at
the end, and the caller then encodes the whole body instead.
"""

from __future__ import annotations

import binascii
import codecs
import re
from dataclasses import dataclass

QP_LINE_LIMIT = 76

# Charsets in which a text prefix encodes to a byte prefix of the whole text.
_PREFIX_SAFE_CHARSETS = frozenset({"utf-8", "ascii", "iso8859-1", "iso8859-15", "cp1252"})
_LONE_CR = re.compile(rb"\r(?!\n)")


@dataclass(frozen=True, slots=True)
class TextChange:
    """Replace `text[start:end]` of a decoded body with `replacement`."""

    start: int
    end: int
    replacement: str

    def apply(self, text: str) -> str:
        return text[: self.start] + self.replacement + text[self.end :]


def splice_quoted_printable(
    original: bytes, content: bytes, text: str, charset: str, change: TextChange, eol: bytes
) -> bytes | None:
    """Return `original` with `change` applied, re-encoding only the changed line.

    `content` is the decoded body and `text` the same decoded with `charset`. Returns
    None when this shortcut does not apply; the result always decodes to the changed
    content.
    """
    if codecs.lookup(charset).name not in _PREFIX_SAFE_CHARSETS:
        return None
    try:
        replacement = change.replacement.encode(charset)
    except UnicodeEncodeError:
        return None  # the whole body needs another charset
    start = len(text[: change.start].encode(charset, "surrogateescape"))
    end = start + len(text[change.start : change.end].encode(charset, "surrogateescape"))
    line_start, line_end = _line_around(content, start, end)
    middle = content[line_start:start] + replacement + content[end:line_end]

    cut = _encoded_cut(original, content, line_start, line_end)
    if cut is None:
        return None
    spliced = original[: cut[0]] + encode_quoted_printable(middle, eol) + original[cut[1] :]
    expected = content[:line_start] + middle + content[line_end:]
    return spliced if binascii.a2b_qp(spliced) == expected else None


def encode_quoted_printable(data: bytes, eol: bytes) -> bytes:
    """Encode `data` as quoted-printable lines of at most 76 characters."""
    encoded = binascii.b2a_qp(data, istext=True)
    # binascii copies a CR that does not start a CRLF pair; QP needs it escaped.
    encoded = _LONE_CR.sub(b"=0D", encoded)
    if eol == b"\r\n":
        # binascii writes LF soft breaks when the data itself has no CRLF line break.
        encoded = encoded.replace(b"=\n", b"=\r\n")
    if longest_line(encoded) <= QP_LINE_LIMIT:
        return encoded
    # binascii can exceed the limit by one when it escapes trailing whitespace as =20.
    return b"".join(_wrap_line(line, eol) for line in encoded.splitlines(keepends=True))


def longest_line(data: bytes) -> int:
    """Return the length of the longest line, without its CRLF or LF line break."""
    return max(map(len, data.replace(b"\r\n", b"\n").split(b"\n")))


def _line_around(content: bytes, start: int, end: int) -> tuple[int, int]:
    """Return the decoded line (or lines) that contains `content[start:end]`, without its break."""
    line_start = content.rfind(b"\n", 0, start) + 1
    line_end = content.find(b"\n", end)
    if line_end < 0:
        return line_start, len(content)
    if line_end > end and content[line_end - 1] == ord("\r"):
        line_end -= 1
    return line_start, line_end


def _encoded_cut(
    original: bytes, content: bytes, line_start: int, line_end: int
) -> tuple[int, int] | None:
    """Return where the encoded lines of `content[line_start:line_end]` begin and end."""
    breaks_before = content.count(b"\n", 0, line_start)
    breaks_inside = content.count(b"\n", line_start, line_end)
    # With the LF of each soft break masked (same length), every LF left is a hard break.
    hard_only = original.replace(b"=\r\n", b"=\r\0").replace(b"=\n", b"=\0")
    cut_start = 0
    if breaks_before:
        pieces = hard_only.split(b"\n", breaks_before)
        if len(pieces) <= breaks_before:
            return None
        cut_start = len(original) - len(pieces[-1])
    if line_end == len(content):
        return cut_start, len(original)
    cut_end = cut_start - 1
    for _ in range(breaks_inside + 1):
        cut_end = hard_only.find(b"\n", cut_end + 1)
        if cut_end < 0:
            return None
    if cut_end > cut_start and hard_only[cut_end - 1] == ord("\r"):
        cut_end -= 1
    return cut_start, cut_end


def _wrap_line(line: bytes, eol: bytes) -> bytes:
    """Split an over-long encoded line with soft line breaks, never inside an =XX escape."""
    content = line.rstrip(b"\r\n")
    line_break = line[len(content) :]
    soft_break = b"=" + (line_break or eol)
    pieces: list[bytes] = []
    while len(content) > QP_LINE_LIMIT:
        cut = QP_LINE_LIMIT - 1
        escape = content.rfind(b"=", cut - 2, cut)
        if escape >= 0:
            cut = escape
        pieces.append(content[:cut] + soft_break)
        content = content[cut:]
    return b"".join(pieces) + content + line_break
