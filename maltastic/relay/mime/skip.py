"""Checks that decide a message passes through unchanged.

Each check raises PassThrough with its own code. Checks on the structure look at every
part outside attached messages (`message/*` parts are not scanned into), because an
attached message is relayed as opaque bytes and so keeps its own signatures and
invitations intact.
"""

from __future__ import annotations

from collections.abc import Iterable

from maltastic.relay.mime.model import PassThrough, PassThroughCode
from maltastic.relay.mime.scanner import MimePart

PROCESSED_HEADER = "X-Maltastic-Processed"

_SIGNED_OR_ENCRYPTED_TYPES = frozenset(
    {
        "multipart/signed",
        "multipart/encrypted",
        "application/pkcs7-mime",
        "application/x-pkcs7-mime",
        "application/pgp-encrypted",
        "application/pgp-signature",
    }
)
_CALENDAR_TYPES = frozenset({"text/calendar", "application/ics"})
_REPORT_TYPES = frozenset(
    {
        "multipart/report",
        "message/delivery-status",
        "message/global-delivery-status",
        "message/disposition-notification",
        "message/global-disposition-notification",
    }
)
# Markers that only autoresponders set. X-Auto-Response-Suppress is not among them:
# Outlook also sets it on ordinary messages (meeting requests, messages sent by rules).
_AUTORESPONDER_HEADERS = ("X-Autoreply", "X-Autorespond")
_PGP_ARMOUR_MARKERS = ("-----BEGIN PGP MESSAGE-----", "-----BEGIN PGP SIGNED MESSAGE-----")


def check_size(raw: bytes, max_size: int) -> None:
    if len(raw) > max_size:
        raise PassThrough(
            PassThroughCode.TOO_LARGE,
            f"message too large: {len(raw)} bytes, the limit is {max_size}",
        )


def check_already_processed(root: MimePart) -> None:
    if PROCESSED_HEADER in root.headers:
        raise PassThrough(
            PassThroughCode.ALREADY_PROCESSED, f"message already carries {PROCESSED_HEADER}"
        )


def check_auto_submitted(root: MimePart) -> None:
    """Pass through auto-replies and other machine-generated mail (RFC 3834)."""
    auto_submitted = str(root.headers.get("Auto-Submitted", "")).strip().lower()
    if auto_submitted and auto_submitted.split(";")[0].strip() != "no":
        raise PassThrough(PassThroughCode.AUTO_SUBMITTED, f"Auto-Submitted: {auto_submitted}")

    precedence = str(root.headers.get("Precedence", "")).strip().lower()
    if precedence == "auto_reply":
        raise PassThrough(PassThroughCode.AUTO_SUBMITTED, "Precedence: auto_reply")

    for name in _AUTORESPONDER_HEADERS:
        if name in root.headers:
            raise PassThrough(PassThroughCode.AUTO_SUBMITTED, f"message carries {name}")


def check_structure(root: MimePart) -> None:
    """Pass through signed, encrypted, calendar and report messages."""
    for part in root.walk():
        content_type = part.content_type
        if content_type in _SIGNED_OR_ENCRYPTED_TYPES:
            raise PassThrough(
                PassThroughCode.SIGNED_OR_ENCRYPTED,
                f"part {part.section or '(top)'} is {content_type}",
            )
        if content_type in _CALENDAR_TYPES or part.headers.get_param("method") is not None:
            raise PassThrough(
                PassThroughCode.CALENDAR,
                f"part {part.section or '(top)'} is a calendar object ({content_type})",
            )
        if content_type in _REPORT_TYPES:
            raise PassThrough(
                PassThroughCode.REPORT, f"part {part.section or '(top)'} is {content_type}"
            )


def check_pgp_armour(texts: Iterable[str]) -> None:
    """Pass through inline PGP, which the recipient verifies over the body text."""
    for text in texts:
        if any(marker in text for marker in _PGP_ARMOUR_MARKERS):
            raise PassThrough(PassThroughCode.SIGNED_OR_ENCRYPTED, "body contains PGP armour")
