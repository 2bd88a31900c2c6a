"""Skip checks that make a message pass through unchanged."""

from __future__ import annotations

import pytest

from maltastic.relay.mime.model import PassThrough, PassThroughCode
from maltastic.relay.mime.scanner import scan_message
from maltastic.relay.mime.skip import (
    check_already_processed,
    check_auto_submitted,
    check_pgp_armour,
    check_size,
    check_structure,
)


def code_of(check: object, *arguments: object) -> PassThroughCode | None:
    assert callable(check)
    try:
        check(*arguments)
    except PassThrough as decision:
        return decision.code
    return None


def test_size_limit_is_inclusive() -> None:
    assert code_of(check_size, b"x" * 10, 10) is None
    assert code_of(check_size, b"x" * 11, 10) is PassThroughCode.TOO_LARGE


def test_already_processed_header() -> None:
    root = scan_message(b"Subject: a\r\nx-maltastic-processed: true\r\n\r\nbody\r\n")

    assert code_of(check_already_processed, root) is PassThroughCode.ALREADY_PROCESSED


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ("Auto-Submitted: auto-replied\r\n", PassThroughCode.AUTO_SUBMITTED),
        ("Auto-Submitted: auto-generated (failure)\r\n", PassThroughCode.AUTO_SUBMITTED),
        ("Auto-Submitted: No\r\n", None),
        ("Precedence: auto_reply\r\n", PassThroughCode.AUTO_SUBMITTED),
        ("Precedence: bulk\r\n", None),
        ("X-Autoreply: yes\r\n", PassThroughCode.AUTO_SUBMITTED),
        ("X-Auto-Response-Suppress: All\r\n", None),
    ],
)
def test_auto_submitted_markers(headers: str, expected: PassThroughCode | None) -> None:
    root = scan_message(("Subject: a\r\n" + headers + "\r\nbody\r\n").encode())

    assert code_of(check_auto_submitted, root) is expected


@pytest.mark.parametrize(
    ("content_type", "expected"),
    [
        ("multipart/signed; protocol=x", PassThroughCode.SIGNED_OR_ENCRYPTED),
        ("multipart/encrypted; protocol=x", PassThroughCode.SIGNED_OR_ENCRYPTED),
        ("application/pkcs7-mime; smime-type=enveloped-data", PassThroughCode.SIGNED_OR_ENCRYPTED),
        ("application/x-pkcs7-mime", PassThroughCode.SIGNED_OR_ENCRYPTED),
        ("text/calendar; method=REQUEST", PassThroughCode.CALENDAR),
        ("text/plain; method=REPLY", PassThroughCode.CALENDAR),
        ("multipart/report; report-type=delivery-status", PassThroughCode.REPORT),
        ("message/disposition-notification", PassThroughCode.REPORT),
        ("text/plain", None),
    ],
)
def test_structure_by_part_type(content_type: str, expected: PassThroughCode | None) -> None:
    raw = (
        "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
        "--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n"
        f"--b\r\nContent-Type: {content_type}; boundary=inner\r\n\r\n"
        "--inner\r\n\r\nx\r\n--inner--\r\n"
        "--b--\r\n"
    ).encode()

    assert code_of(check_structure, scan_message(raw)) is expected


def test_structure_ignores_attached_message() -> None:
    raw = (
        b"Content-Type: multipart/mixed; boundary=b\r\n\r\n"
        b"--b\r\nContent-Type: message/rfc822\r\n\r\n"
        b"Content-Type: text/calendar; method=REQUEST\r\n\r\nBEGIN:VCALENDAR\r\n"
        b"--b--\r\n"
    )

    assert code_of(check_structure, scan_message(raw)) is None


def test_pgp_armour_in_body_text() -> None:
    armoured = "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nhi\n"

    assert code_of(check_pgp_armour, [armoured]) is PassThroughCode.SIGNED_OR_ENCRYPTED
    assert code_of(check_pgp_armour, ["plain text"]) is None
