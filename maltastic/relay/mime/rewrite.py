"""Rewrite one body part: decode it, place the signature, re-encode, fix its headers."""

from __future__ import annotations

import re
from dataclasses import dataclass

from maltastic.relay.mime.codec import DecodedBody, encode_change
from maltastic.relay.mime.headers import Edit, charset_edit, transfer_encoding_edit
from maltastic.relay.mime.html_placement import place_html_signature
from maltastic.relay.mime.model import PassThrough, PassThroughCode
from maltastic.relay.mime.qp_splice import TextChange
from maltastic.relay.mime.scanner import MimePart
from maltastic.relay.mime.text_placement import format_text_signature, place_text_signature

_LINE_BREAK = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True, slots=True)
class BodyRewrite:
    """The edits for one part and how the signature was placed in it."""

    edits: list[Edit]
    rule: str


def rewrite_html_body(
    raw: bytes, part: MimePart, decoded: DecodedBody, signature_html: str
) -> BodyRewrite:
    placement = place_html_signature(decoded.text)
    fragment = _LINE_BREAK.sub(decoded.eol, signature_html)
    change = TextChange(placement.start, placement.end, fragment)
    return BodyRewrite(_part_edits(raw, part, decoded, change), placement.rule)


def rewrite_text_body(
    raw: bytes, part: MimePart, decoded: DecodedBody, signature_text: str
) -> BodyRewrite:
    placement = place_text_signature(decoded.text)
    flowed = str(part.headers.get_param("format", "")).lower() == "flowed"
    block = format_text_signature(
        signature_text, decoded.text, placement, eol=decoded.eol, flowed=flowed
    )
    change = TextChange(placement.position, placement.position, block)
    return BodyRewrite(_part_edits(raw, part, decoded, change), placement.rule)


def _part_edits(raw: bytes, part: MimePart, decoded: DecodedBody, change: TextChange) -> list[Edit]:
    if part.body_start == part.header_end and part.header_end > part.start:
        raise PassThrough(
            PassThroughCode.UNSUPPORTED_BODY,
            f"part {part.section} has no blank line between its header and body",
        )

    original = raw[part.body_start : part.end]
    encoded = encode_change(change, decoded, original, part.eol)
    edits = [Edit(part.body_start, part.end, encoded.data)]
    if encoded.charset != decoded.charset:
        edits.append(charset_edit(raw, part, encoded.charset))
    if encoded.transfer_encoding != decoded.transfer_encoding:
        edits.append(transfer_encoding_edit(raw, part, encoded.transfer_encoding))
    return edits
