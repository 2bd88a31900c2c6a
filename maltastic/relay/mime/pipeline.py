"""The signature insertion pipeline: skip checks, body lookup, rewrite, stamp."""

from __future__ import annotations

import logging

from maltastic.relay.mime.bodies import Bodies, locate_bodies
from maltastic.relay.mime.codec import DecodedBody, decode_body
from maltastic.relay.mime.headers import Edit, apply_edits, stamp_edit
from maltastic.relay.mime.model import (
    PassThrough,
    PassThroughCode,
    Signature,
    SpliceAction,
    SpliceResult,
)
from maltastic.relay.mime.rewrite import BodyRewrite, rewrite_html_body, rewrite_text_body
from maltastic.relay.mime.scanner import scan_message
from maltastic.relay.mime.skip import (
    PROCESSED_HEADER,
    check_already_processed,
    check_auto_submitted,
    check_pgp_armour,
    check_size,
    check_structure,
)

logger = logging.getLogger(__name__)


def insert_signature(
    raw: bytes,
    signature: Signature,
    *,
    max_size: int,
    processed_header_value: str,
    log_id: str = "-",
) -> SpliceResult:
    """Insert the signature into a raw message, or decide to relay it unchanged.

    Catches every Exception subclass, so a pass-through decision or a failure while
    rewriting returns the original bytes with the reason instead of raising. `log_id`
    names the message in log lines, for example the relay's queue id.
    """
    try:
        return _insert(raw, signature, max_size, processed_header_value, log_id)
    except PassThrough as decision:
        logger.info("%s: passing through unchanged: %s", log_id, decision.reason)
        return SpliceResult(SpliceAction.PASSED_THROUGH, raw, decision.reason, decision.code)
    except Exception as error:  # a bug here must not lose the message, so relay the original
        logger.exception("%s: signature rewrite failed, relaying the original bytes", log_id)
        return SpliceResult(
            SpliceAction.PASSED_THROUGH,
            raw,
            f"rewrite failed: {type(error).__name__}: {error}",
            PassThroughCode.REWRITE_FAILED,
        )


def _insert(
    raw: bytes, signature: Signature, max_size: int, processed_header_value: str, log_id: str
) -> SpliceResult:
    check_size(raw, max_size)
    root = scan_message(raw)
    check_already_processed(root)
    check_auto_submitted(root)
    check_structure(root)

    bodies = _bodies_to_sign(locate_bodies(root), signature)
    decoded = {part.section: decode_body(raw, part) for part in bodies.parts()}
    check_pgp_armour(body.text for body in decoded.values())

    rewrites = _rewrite_bodies(raw, bodies, decoded, signature)
    if not rewrites:
        raise PassThrough(PassThroughCode.NO_BODY, "no HTML or text body to sign")

    edits: list[Edit] = [stamp_edit(root, PROCESSED_HEADER, processed_header_value)]
    for rewrite in rewrites.values():
        edits.extend(rewrite.edits)
    logger.debug(
        "%s: signature placed: %s",
        log_id,
        ", ".join(f"part {section} {rewrite.rule}" for section, rewrite in rewrites.items()),
    )
    return SpliceResult(
        SpliceAction.INSERTED,
        apply_edits(raw, edits),
        changed_sections=tuple(sorted(rewrites)),
    )


def _bodies_to_sign(bodies: Bodies, signature: Signature) -> Bodies:
    return Bodies(
        html=bodies.html if signature.html else None,
        text=bodies.text if signature.text else None,
    )


def _rewrite_bodies(
    raw: bytes, bodies: Bodies, decoded: dict[str, DecodedBody], signature: Signature
) -> dict[str, BodyRewrite]:
    rewrites: dict[str, BodyRewrite] = {}
    if bodies.html is not None:
        html = bodies.html.section
        rewrites[html] = rewrite_html_body(raw, bodies.html, decoded[html], signature.html)
        # NOTE: no marker exists for a client-inserted text signature, so when the HTML
        # signature is re-personalised the text body keeps the client's text signature.
        if rewrites[html].rule == "existing-signature":
            return rewrites
    if bodies.text is not None:
        text = bodies.text.section
        rewrites[text] = rewrite_text_body(raw, bodies.text, decoded[text], signature.text)
    return rewrites
