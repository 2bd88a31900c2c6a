"""Random MIME trees: the rewrite never raises, loses bytes, or signs a body twice."""

from __future__ import annotations

import base64
import binascii
import itertools
from dataclasses import dataclass

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from maltastic.relay.mime import Signature, SpliceAction, insert_signature
from tests.relay.mime.support import (
    GERMAN_SIGNATURE_HTML,
    GERMAN_SIGNATURE_TEXT,
    STAMP_VALUE,
    assert_only_parts_changed,
    decoded_text,
    normalise_newlines,
    parts_by_section,
    split_insertion,
)

SIGNATURE = Signature(html=GERMAN_SIGNATURE_HTML, text=GERMAN_SIGNATURE_TEXT)

LINES = [
    "Hallo Herr Müller,",
    "",
    "   ",
    "Viele Grüße",
    "trailing space ",
    "> quoted line",
    ">",
    "From the start of a line",
    "-----Original Message-----",
    "Von: Max <max@example.com>",
    "Gesendet: Montag",
    "Am 3. Nov. 2026 schrieb Max:",
    "<p>Absatz</p>",
    '<div class="gmail_quote">zitiert</div>',
    "</body>",
    "Preis: 5 € netto",
    "x" * 90,
    "=3D is not an escape here",
    "tab\tinside",
    "--not-a-boundary",
]
CHARSETS = ["utf-8", "iso-8859-1", "windows-1252", "us-ascii", None]
ENCODINGS = ["7bit", "8bit", "quoted-printable", "base64", None]
LEAF_TYPES = ["text/plain", "text/plain", "text/html", "text/html", "application/pdf", "image/png"]


@dataclass
class Leaf:
    content_type: str
    charset: str | None
    encoding: str | None
    lines: list[str]
    attachment: bool


@dataclass
class Multi:
    subtype: str
    children: list[Leaf | Multi]
    preamble: bool
    epilogue: bool


leaves = st.builds(
    Leaf,
    content_type=st.sampled_from(LEAF_TYPES),
    charset=st.sampled_from(CHARSETS),
    encoding=st.sampled_from(ENCODINGS),
    lines=st.lists(st.sampled_from(LINES), max_size=8),
    attachment=st.sampled_from([False, False, False, True]),
)
trees = st.recursive(
    leaves,
    lambda children: st.builds(
        Multi,
        subtype=st.sampled_from(["mixed", "alternative", "related"]),
        children=st.lists(children, min_size=1, max_size=3),
        preamble=st.booleans(),
        epilogue=st.booleans(),
    ),
    max_leaves=6,
)


class Builder:
    def __init__(self, eol: bytes) -> None:
        self.eol = eol
        self.counter = itertools.count(1)

    def entity(self, node: Leaf | Multi) -> tuple[list[bytes], bytes]:
        """Return the header lines and the body of one entity."""
        if isinstance(node, Multi):
            return self._multipart(node)
        return self._leaf(node)

    def _multipart(self, node: Multi) -> tuple[list[bytes], bytes]:
        boundary = f"=_b{next(self.counter)}_x".encode()
        eol = self.eol
        body = b"This is a multi-part message." + eol if node.preamble else b""
        for child in node.children:
            headers, child_body = self.entity(child)
            body += b"--" + boundary + eol + b"".join(h + eol for h in headers) + eol
            body += child_body + eol
        body += b"--" + boundary + b"--" + eol
        if node.epilogue:
            body += b"epilogue text" + eol
        content_type = f'Content-Type: multipart/{node.subtype}; boundary="'.encode()
        return [content_type + boundary + b'"'], body

    def _leaf(self, node: Leaf) -> tuple[list[bytes], bytes]:
        charset = node.charset or "us-ascii"
        text = self.eol.decode().join(node.lines)
        content = text.encode(charset, "replace")
        encoding = node.encoding or "7bit"
        if encoding == "7bit":
            content = content.decode("ascii", "replace").encode("ascii", "replace")
        headers = [f"Content-Type: {node.content_type}".encode()]
        if node.charset:
            headers[0] += f"; charset={node.charset}".encode()
        if node.encoding:
            headers.append(f"Content-Transfer-Encoding: {node.encoding}".encode())
        if node.attachment:
            headers.append(b'Content-Disposition: attachment; filename="file.bin"')
        return headers, self._encode(content, encoding)

    def _encode(self, content: bytes, encoding: str) -> bytes:
        if encoding == "quoted-printable":
            # binascii writes LF soft breaks when the content has no CRLF of its own.
            return binascii.b2a_qp(content, istext=True).replace(b"=\n", b"=" + self.eol)
        if encoding == "base64":
            return base64.encodebytes(content).replace(b"\n", self.eol)
        return content


def build_message(tree: Leaf | Multi, eol: bytes, final_newline: bool) -> bytes:
    builder = Builder(eol)
    headers, body = builder.entity(tree)
    top = [b"From: a@example.com", b"To: b@example.org", b"Subject: test", b"MIME-Version: 1.0"]
    raw = b"".join(line + eol for line in top + headers) + eol + body
    return raw if final_newline else raw.rstrip(b"\r\n")


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tree=trees, eol=st.sampled_from([b"\r\n", b"\n"]), final_newline=st.booleans())
def test_random_mime_tree(tree: Leaf | Multi, eol: bytes, final_newline: bool) -> None:
    raw = build_message(tree, eol, final_newline)

    result = insert_signature(
        raw, SIGNATURE, max_size=1_000_000, processed_header_value=STAMP_VALUE
    )

    if result.action is SpliceAction.PASSED_THROUGH:
        assert result.data is raw
        return
    stamp = b"X-Maltastic-Processed: " + STAMP_VALUE.encode() + eol
    assert result.data.startswith(stamp)
    output = result.data[len(stamp) :]
    assert_only_parts_changed(raw, output, list(result.changed_sections))
    if eol == b"\r\n":
        assert output.count(b"\n") == output.count(b"\r\n")
    else:
        assert b"\r" not in output

    before, after = parts_by_section(raw), parts_by_section(output)
    changed_types = [before[section].get_content_type() for section in result.changed_sections]
    assert changed_types.count("text/html") <= 1
    assert changed_types.count("text/plain") <= 1
    for section in result.changed_sections:
        is_html = before[section].get_content_type() == "text/html"
        signature = normalise_newlines(SIGNATURE.html if is_html else SIGNATURE.text)
        split_insertion(
            decoded_text(before[section]), decoded_text(after[section]), signature.strip("\n")
        )
