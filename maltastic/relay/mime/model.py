"""Inputs and outputs of signature insertion, and the exception that ends it early."""

from __future__ import annotations

import enum
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Signature:
    """The rendered signature variants for one message.

    An empty variant is not inserted, so a message can get only the HTML or only the text
    signature.
    """

    html: str
    text: str


class SpliceAction(enum.StrEnum):
    INSERTED = "inserted"
    PASSED_THROUGH = "pass_through"


class PassThroughCode(enum.StrEnum):
    """Reason a message is relayed unchanged, for the SMTP layer's logs and metrics."""

    ALREADY_PROCESSED = "already_processed"
    TOO_LARGE = "too_large"
    SIGNED_OR_ENCRYPTED = "signed_or_encrypted"
    CALENDAR = "calendar"
    REPORT = "report"
    AUTO_SUBMITTED = "auto_submitted"
    UNPARSEABLE = "unparseable"
    NO_BODY = "no_body"
    UNSUPPORTED_BODY = "unsupported_body"
    REWRITE_FAILED = "rewrite_failed"


@dataclass(frozen=True, slots=True)
class SpliceResult:
    """The message to relay.

    `data` is the rewritten message when `action` is INSERTED, and the original bytes
    (the same object) when it is PASSED_THROUGH. `changed_sections` lists the IMAP
    section numbers of the parts whose body changed ("1" for a message that is not
    multipart).
    """

    action: SpliceAction
    data: bytes
    reason: str = ""
    code: PassThroughCode | None = None
    changed_sections: tuple[str, ...] = ()

    @property
    def inserted(self) -> bool:
        return self.action is SpliceAction.INSERTED


class PassThrough(Exception):  # noqa: N818 - a decision, not an error
    """Raised by a pipeline step to relay the message unchanged."""

    def __init__(self, code: PassThroughCode, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason
