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
from maltastic.relay.mime.qp_splice import (
    TextChange,
    encode_quoted_printable,
    longest_line,
    splice_quoted_printable,
)
from maltastic.relay.mime.scanner import MimePart

BASE64_LINE_LENGTH = 76
# RFC 5322 section 2.1.1: at most 998 octets per line, excluding the line break.
MAX_UNENCODED_LINE = 998

_IDENTITY_ENCODINGS = frozenset({"7bit", "8bit", "binary"})
_SUPPORTED_ENCODINGS = _IDENTITY_ENCODINGS | {"quoted-printable", "base64"}
_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")


class EncodingMismatchError(ValueError):
    """An encoded body does not decode to the bytes it was built from."""


@dataclass(frozen=True, slots=True)
class DecodedBody:
    text: str
    charset: str
    transfer_encoding: str
    eol: str
    content: bytes  # the body after transfer decoding, before the charset


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
    return DecodedBody(text, charset, transfer_encoding, _text_eol(text, part.eol), content)


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


def encode_change(
    change: TextChange, decoded: DecodedBody, original: bytes, eol: bytes
) -> EncodedBody:
    """Encode the body with `change` applied; see `encode_body` for the arguments.

    A quoted-printable body keeps its encoded lines outside the changed line when its
    charset can carry the change.
    """
    if decoded.transfer_encoding == "quoted-printable":
        spliced = splice_quoted_printable(
            original, decoded.content, decoded.text, decoded.charset, change, eol
        )
        if spliced is not None:
            return EncodedBody(spliced, decoded.charset, decoded.transfer_encoding)
    return encode_body(change.apply(decoded.text), decoded, original, eol)


def encode_body(text: str, decoded: DecodedBody, original: bytes, eol: bytes) -> EncodedBody:
    """Encode changed text for a part whose encoded body was `original`.

    `eol` is the line ending of the part's encoded lines.
    """
    charset, content = _encode_charset(text, decoded.charset)
    transfer_encoding = _choose_transfer_encoding(content, decoded.transfer_encoding)
    if transfer_encoding == "base64":
        data = _encode_base64(content, original, eol)
    elif transfer_encoding == "quoted-printable":
        data = encode_quoted_printable(content, eol)
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
    if current != "binary" and longest_line(content) > MAX_UNENCODED_LINE:
        return "quoted-printable"
    return current


def _encode_base64(content: bytes, original: bytes, eol: bytes) -> bytes:
    encoded = binascii.b2a_base64(content, newline=False)
    lines = [
        encoded[offset : offset + BASE64_LINE_LENGTH]
        for offset in range(0, len(encoded), BASE64_LINE_LENGTH)
    ]
    trailing_line_breaks = original[len(original.rstrip(b"\r\n")) :]
    return eol.join(lines) + trailing_line_breaks
