"""Decode a body part to text and encode the changed text back.

Encoding keeps the part's charset and Content-Transfer-Encoding when they can carry the
new text, and otherwise picks UTF-8 and quoted-printable. Undecodable bytes survive the
round trip as surrogate escapes. Every encoded body is decoded again and compared with
the intended bytes, so an encoder quirk fails the rewrite instead of corrupting mail.
"""

from __future__ import annotations

import binascii
import codecs
import re
from dataclasses import dataclass

from maltastic.relay.mime.model import PassThrough, PassThroughCode
from maltastic.relay.mime.scanner import MimePart

QP_LINE_LIMIT = 76
BASE64_LINE_LENGTH = 76
# RFC 5322 section 2.1.1: at most 998 octets per line, excluding the line break.
MAX_UNENCODED_LINE = 998

_IDENTITY_ENCODINGS = frozenset({"7bit", "8bit", "binary"})
_SUPPORTED_ENCODINGS = _IDENTITY_ENCODINGS | {"quoted-printable", "base64"}
_LONE_CR = re.compile(rb"\r(?!\n)")
_LINE_BREAK = re.compile(rb"\r?\n")
_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")


class EncodingMismatchError(ValueError):
    """An encoded body does not decode to the bytes it was built from."""


@dataclass(frozen=True, slots=True)
class DecodedBody:
    text: str
    charset: str
    transfer_encoding: str
    eol: str


@dataclass(frozen=True, slots=True)
class EncodedBody:
    data: bytes
    charset: str
    transfer_encoding: str


def transfer_encoding_of(part: MimePart) -> str:
    """Return the lowercased Content-Transfer-Encoding value, "7bit" when absent or empty.

    A value with anything beside the mechanism ("quoted-printable;") is returned whole, so
    the caller rejects it instead of guessing how mail clients read it.
    """
    value = str(part.headers.get("Content-Transfer-Encoding", "")).strip().lower()
    return value or "7bit"


def charset_of(part: MimePart) -> str:
    charset = part.headers.get_content_charset()
    return charset.strip() if charset and charset.strip() else "us-ascii"


def decode_body(raw: bytes, part: MimePart) -> DecodedBody:
    """Decode a text part; raise PassThrough for encodings and charsets Python lacks."""
    transfer_encoding = transfer_encoding_of(part)
    if transfer_encoding not in _SUPPORTED_ENCODINGS:
        raise PassThrough(
            PassThroughCode.UNSUPPORTED_BODY,
            f"part {part.section} has unsupported Content-Transfer-Encoding {transfer_encoding}",
        )
    charset = charset_of(part)
    try:
        codecs.lookup(charset)
    except LookupError:
        raise PassThrough(
            PassThroughCode.UNSUPPORTED_BODY, f"part {part.section} has unknown charset {charset}"
        ) from None

    content = decode_transfer(raw[part.body_start : part.end], transfer_encoding)
    text = content.decode(charset, "surrogateescape")
    return DecodedBody(text, charset, transfer_encoding, _text_eol(text, part.eol))


def decode_transfer(data: bytes, transfer_encoding: str) -> bytes:
    if transfer_encoding == "quoted-printable":
        return binascii.a2b_qp(data)
    if transfer_encoding == "base64":
        try:
            return binascii.a2b_base64(data)
        except binascii.Error as error:
            raise PassThrough(
                PassThroughCode.UNSUPPORTED_BODY, f"invalid base64 body: {error}"
            ) from None
    return data


def _text_eol(text: str, fallback: bytes) -> str:
    newline = text.find("\n")
    if newline < 0:
        return fallback.decode("ascii")
    return "\r\n" if newline > 0 and text[newline - 1] == "\r" else "\n"


def encode_body(text: str, decoded: DecodedBody, original: bytes, eol: bytes) -> EncodedBody:
    """Encode changed text for a part whose encoded body was `original`.

    `eol` is the line ending of the part's encoded lines.
    """
    charset, content = _encode_charset(text, decoded.charset)
    transfer_encoding = _choose_transfer_encoding(content, decoded.transfer_encoding)
    if transfer_encoding == "base64":
        data = _encode_base64(content, original, eol)
    elif transfer_encoding == "quoted-printable":
        data = _encode_quoted_printable(content, eol)
    else:
        data = content

    if decode_transfer(data, transfer_encoding) != content:
        raise EncodingMismatchError(f"{transfer_encoding} output does not decode to its input")
    return EncodedBody(data, charset, transfer_encoding)


def _encode_charset(text: str, charset: str) -> tuple[str, bytes]:
    try:
        return charset, text.encode(charset, "surrogateescape")
    except UnicodeEncodeError:
        pass
    # NOTE: an HTML body's <meta charset> stays as it was, so after this switch it can
    # disagree with the MIME charset, which most mail clients follow.
    if _ESCAPED_BYTE.search(text):
        # Bytes that were invalid in the old charset have no meaning in UTF-8 either.
        raise PassThrough(
            PassThroughCode.UNSUPPORTED_BODY,
            f"the signature needs a charset change, but the body is not valid {charset}",
        )
    return "utf-8", text.encode("utf-8")


def _choose_transfer_encoding(content: bytes, current: str) -> str:
    if current not in _IDENTITY_ENCODINGS:
        return current
    if current == "7bit" and (not content.isascii() or b"\0" in content):
        return "quoted-printable"
    if current != "binary" and _longest_line(content) > MAX_UNENCODED_LINE:
        return "quoted-printable"
    return current


def _longest_line(content: bytes) -> int:
    return max((len(line) for line in _LINE_BREAK.split(content)), default=0)


def _encode_quoted_printable(content: bytes, eol: bytes) -> bytes:
    data = binascii.b2a_qp(content, istext=True)
    # binascii copies a CR that does not start a CRLF pair; QP needs it escaped.
    data = _LONE_CR.sub(b"=0D", data)
    if eol == b"\r\n":
        # binascii writes LF soft breaks when the content itself has no CRLF line break.
        data = data.replace(b"=\n", b"=\r\n")
    if _longest_line(data) <= QP_LINE_LIMIT:
        return data
    # binascii can exceed the limit by one when it escapes trailing whitespace as =20.
    return b"".join(_wrap_qp_line(line, eol) for line in data.splitlines(keepends=True))


def _wrap_qp_line(line: bytes, eol: bytes) -> bytes:
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


def _encode_base64(content: bytes, original: bytes, eol: bytes) -> bytes:
    encoded = binascii.b2a_base64(content, newline=False)
    lines = [
        encoded[offset : offset + BASE64_LINE_LENGTH]
        for offset in range(0, len(encoded), BASE64_LINE_LENGTH)
    ]
    trailing_line_breaks = original[len(original.rstrip(b"\r\n")) :]
    return eol.join(lines) + trailing_line_breaks
