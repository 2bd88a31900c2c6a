"""Byte-level header edits."""

from __future__ import annotations

import pytest

from maltastic.relay.mime.headers import (
    Edit,
    apply_edits,
    charset_edit,
    stamp_edit,
    transfer_encoding_edit,
)
from maltastic.relay.mime.scanner import scan_message


def edited(raw: bytes, edit: Edit) -> bytes:
    return apply_edits(raw, [edit])


def test_charset_value_replaced_keeping_quotes_and_folding() -> None:
    raw = b'Content-Type: text/plain;\r\n\tcharset="iso-8859-1"; format=flowed\r\nX: y\r\n\r\nb'

    result = edited(raw, charset_edit(raw, scan_message(raw), "utf-8"))

    assert result == raw.replace(b'"iso-8859-1"', b'"utf-8"')


def test_charset_parameter_added_when_missing() -> None:
    raw = b"Content-Type: text/plain\nX: y\n\nbody"

    result = edited(raw, charset_edit(raw, scan_message(raw), "utf-8"))

    assert result == b'Content-Type: text/plain; charset="utf-8"\nX: y\n\nbody'


def test_content_type_added_when_missing() -> None:
    raw = b"Subject: s\r\n\r\nbody"

    result = edited(raw, charset_edit(raw, scan_message(raw), "utf-8"))

    assert result == b'Subject: s\r\nContent-Type: text/plain; charset="utf-8"\r\n\r\nbody'


def test_transfer_encoding_value_replaced() -> None:
    raw = b"content-transfer-encoding:  7bit\r\nX: y\r\n\r\nb"

    result = edited(raw, transfer_encoding_edit(raw, scan_message(raw), "quoted-printable"))

    assert result == b"content-transfer-encoding:  quoted-printable\r\nX: y\r\n\r\nb"


def test_transfer_encoding_added_when_missing() -> None:
    raw = b"X: y\n\nb"

    result = edited(raw, transfer_encoding_edit(raw, scan_message(raw), "quoted-printable"))

    assert result == b"X: y\nContent-Transfer-Encoding: quoted-printable\n\nb"


def test_stamp_goes_first_with_message_line_ending() -> None:
    raw = b"Subject: s\n\nbody"

    assert edited(raw, stamp_edit(scan_message(raw), "X-Maltastic-Processed", "v1")) == (
        b"X-Maltastic-Processed: v1\n" + raw
    )


def test_stamp_rejects_line_breaks() -> None:
    with pytest.raises(ValueError, match="printable ASCII"):
        stamp_edit(scan_message(b"S: s\n\nb"), "X-Maltastic-Processed", "a\r\nBcc: x")


def test_overlapping_edits_are_rejected() -> None:
    with pytest.raises(ValueError, match="overlapping"):
        apply_edits(b"abcdef", [Edit(0, 3, b"x"), Edit(2, 4, b"y")])
