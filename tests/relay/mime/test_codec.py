"""Decoding and re-encoding of body parts."""

from __future__ import annotations

import binascii
import re

import pytest

from maltastic.relay.mime.codec import decode_body, encode_body
from maltastic.relay.mime.model import PassThrough, PassThroughCode
from maltastic.relay.mime.scanner import scan_message


def single_part(charset: str, encoding: str, body: bytes, eol: bytes = b"\r\n") -> bytes:
    headers = [
        f"Content-Type: text/plain; charset={charset}",
        f"Content-Transfer-Encoding: {encoding}",
    ]
    return eol.join(line.encode() for line in headers) + eol + eol + body


def reencode(raw: bytes, change: str) -> tuple[str, str, bytes]:
    part = scan_message(raw)
    decoded = decode_body(raw, part)
    encoded = encode_body(decoded.text + change, decoded, raw[part.body_start : part.end], part.eol)
    return encoded.charset, encoded.transfer_encoding, encoded.data


def test_latin1_qp_keeps_charset_for_umlauts() -> None:
    raw = single_part("iso-8859-1", "quoted-printable", b"Gr=FC=DFe\r\n")

    assert reencode(raw, "Jürgen\r\n") == (
        "iso-8859-1",
        "quoted-printable",
        b"Gr=FC=DFe\r\nJ=FCrgen\r\n",
    )


def test_latin1_switches_to_utf8_for_euro() -> None:
    raw = single_part("iso-8859-1", "quoted-printable", b"Gr=FC=DFe\r\n")

    charset, encoding, data = reencode(raw, "5 €\r\n")

    assert (charset, encoding) == ("utf-8", "quoted-printable")
    assert binascii.a2b_qp(data).decode("utf-8") == "Grüße\r\n5 €\r\n"


def test_windows_1252_keeps_euro() -> None:
    raw = single_part("windows-1252", "8bit", b"Gr\xfc\xdfe\r\n")

    assert reencode(raw, "5 €\r\n") == ("windows-1252", "8bit", b"Gr\xfc\xdfe\r\n5 \x80\r\n")


def test_seven_bit_ascii_switches_to_utf8_qp() -> None:
    raw = single_part("us-ascii", "7bit", b"Hello\n", eol=b"\n")

    charset, encoding, data = reencode(raw, "Grüße\n")

    assert (charset, encoding) == ("utf-8", "quoted-printable")
    assert data == b"Hello\nGr=C3=BC=C3=9Fe\n"


def test_seven_bit_long_line_switches_to_qp() -> None:
    raw = single_part("us-ascii", "7bit", b"Hello\r\n")

    _, encoding, data = reencode(raw, "x" * 1200 + "\r\n")

    assert encoding == "quoted-printable"
    assert max(len(line) for line in data.split(b"\r\n")) <= 76


def test_base64_lines_and_trailing_break() -> None:
    raw = single_part("utf-8", "base64", b"SGFsbG8=\r\n")

    _, encoding, data = reencode(raw, "ü" * 100)

    assert encoding == "base64"
    assert data.endswith(b"\r\n")
    lines = data.split(b"\r\n")[:-1]
    assert all(len(line) == 76 for line in lines[:-1])
    assert binascii.a2b_base64(data).decode() == "Hallo" + "ü" * 100


def test_qp_lines_stay_within_limit_with_trailing_space() -> None:
    raw = single_part("utf-8", "quoted-printable", b"a\r\n")

    _, _, data = reencode(raw, "w " * 37 + " \r\n\rlone\r\n")

    assert all(len(line) <= 76 for line in re.split(rb"\r\n", data))
    assert binascii.a2b_qp(data) == ("a\r\n" + "w " * 37 + " \r\n\rlone\r\n").encode()


def test_unknown_charset_passes_through() -> None:
    raw = single_part("x-unknown", "7bit", b"Hello\r\n")

    with pytest.raises(PassThrough) as raised:
        decode_body(raw, scan_message(raw))

    assert raised.value.code is PassThroughCode.UNSUPPORTED_BODY


def test_invalid_bytes_block_charset_change() -> None:
    raw = single_part("us-ascii", "8bit", b"caf\xe9\r\n")

    with pytest.raises(PassThrough):
        reencode(raw, "5 €\r\n")
