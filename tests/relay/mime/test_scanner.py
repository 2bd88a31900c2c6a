"""The byte-offset MIME scanner."""

from __future__ import annotations

import pytest

from maltastic.relay.mime.model import PassThrough, PassThroughCode
from maltastic.relay.mime.scanner import scan_message

NESTED = (
    b"Content-Type: multipart/mixed; boundary=outer\r\n"
    b"\r\n"
    b"preamble\r\n"
    b"--outer\r\n"
    b"Content-Type: multipart/alternative; boundary=outer-inner\r\n"
    b"\r\n"
    b"--outer-inner\r\n"
    b"Content-Type: text/plain\r\n"
    b"\r\n"
    b"plain\r\n"
    b"--outer-inner  \r\n"
    b"Content-Type: text/html\r\n"
    b"\r\n"
    b"<p>html</p>\r\n"
    b"--outer-inner--\r\n"
    b"--outer\r\n"
    b"\r\n"
    b"no headers\r\n"
    b"--outer--\r\n"
    b"epilogue\r\n"
)


def test_scanner_sections_and_offsets() -> None:
    root = scan_message(NESTED)
    sections = {part.section: part for part in root.walk()}

    assert sorted(sections) == ["", "1", "1.1", "1.2", "2"]
    assert NESTED[sections["1.1"].body_start : sections["1.1"].end] == b"plain"
    assert NESTED[sections["1.2"].body_start : sections["1.2"].end] == b"<p>html</p>"
    assert NESTED[sections["2"].body_start : sections["2"].end] == b"no headers"
    assert sections["2"].content_type == "text/plain"
    assert sections["1"].content_type == "multipart/alternative"


def test_scanner_similar_boundary_is_not_a_delimiter() -> None:
    root = scan_message(NESTED)

    assert len(root.children) == 2


def test_scanner_single_part_is_section_one() -> None:
    root = scan_message(b"Subject: x\n\nbody\n")

    assert root.section == "1"
    assert root.eol == b"\n"
    assert root.children == []


def test_scanner_digest_children_default_to_rfc822() -> None:
    raw = b"Content-Type: multipart/digest; boundary=d\n\n--d\n\nSubject: inner\n\nhi\n--d--\n"

    assert scan_message(raw).children[0].content_type == "message/rfc822"


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\r\nbody without headers",
        b"Content-Type: multipart/mixed\r\n\r\n--x\r\n\r\nbody\r\n--x--\r\n",
        b"Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n\r\nnever closed\r\n",
        b"Content-Type: multipart/mixed; boundary=x\r\n\r\nno delimiter at all\r\n",
        b"Subject: ok\r\nnot a header line\r\n\r\nbody\r\n",
    ],
)
def test_scanner_rejects_broken_structure(raw: bytes) -> None:
    with pytest.raises(PassThrough) as raised:
        scan_message(raw)

    assert raised.value.code is PassThroughCode.UNPARSEABLE
