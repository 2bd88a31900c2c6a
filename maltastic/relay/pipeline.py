"""Processing of one relayed message as a pipeline of small named steps.

    skip checks -> targeting -> signature -> insert -> stamp

A step raises SkipMessage to relay the message unchanged. The stamp step runs for every
outcome and adds the processing header in front of a message that lacks it, so the
upstream's routing rule does not send the message to the relay again. That one header
line is the only change to a message that is not rewritten. Any other exception in a
step relays the original bytes with that line and logs the step and the queue id.

`process_message` blocks (database lookups, MIME splicing), so the relay runs it in a
worker thread.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from email.message import Message
from email.parser import BytesHeaderParser
from email.policy import compat32

from maltastic.relay.config import RelayConfig
from maltastic.relay.mime import (
    PROCESSED_HEADER,
    PassThroughCode,
    Signature,
    SpliceAction,
    insert_signature,
)
from maltastic.relay.models import RelayAction
from maltastic.relay.senders import KnownSender, SenderDirectory
from maltastic.relay.signature_source import SignatureSource, TargetedAudience
from maltastic.targeting import decide_audience_for_headers

logger = logging.getLogger(__name__)

_HEADER_PARSER = BytesHeaderParser(policy=compat32)
_HEADER_BLOCK_END = re.compile(rb"\r?\n\r?\n")
_PROCESSED_FIELD = re.compile(rb"(?im)^" + PROCESSED_HEADER.encode("ascii") + rb"[ \t]*:")


@dataclass(frozen=True, slots=True)
class InboundMessage:
    """One message as received: envelope, raw bytes and the sender found at MAIL FROM."""

    queue_id: str
    mail_from: str  # "" for the null sender <>
    recipients: tuple[str, ...]
    data: bytes
    sender: KnownSender | None


@dataclass(frozen=True, slots=True)
class ProcessedMessage:
    """The bytes to deliver and what the pipeline did, for the relay log."""

    data: bytes
    action: RelayAction
    reason: str = ""
    audience: TargetedAudience | None = None
    failed_step: str | None = None
    message_id: str = ""


@dataclass(frozen=True, slots=True)
class PipelineServices:
    config: RelayConfig
    directory: SenderDirectory
    signatures: SignatureSource


class SkipMessage(Exception):  # noqa: N818 - a decision, not an error
    """Raised by a step to relay the message without a signature."""

    def __init__(self, reason: str, *, already_stamped: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.already_stamped = already_stamped


@dataclass(slots=True)
class MessageWork:
    """The state that the steps of one message share."""

    message: InboundMessage
    services: PipelineServices
    audience: TargetedAudience | None = None
    signature: Signature | None = None
    output: bytes | None = None
    action: RelayAction = RelayAction.PASSED_THROUGH
    reason: str = ""
    already_stamped: bool = False


Step = Callable[[MessageWork], None]


def process_message(message: InboundMessage, services: PipelineServices) -> ProcessedMessage:
    """Run the steps on one message; never raises, so the message is always relayed."""
    work = MessageWork(message, services)
    result = _run_steps(work)
    return dataclasses.replace(result, message_id=message_id_of(message.data))


def _run_steps(work: MessageWork) -> ProcessedMessage:
    message = work.message
    for step in STEPS:
        try:
            step(work)
        except SkipMessage as skip:
            work.reason = skip.reason
            work.already_stamped = skip.already_stamped
            break
        except Exception as error:
            logger.exception(
                "%s: step %s failed, relaying the original bytes",
                message.queue_id,
                step.__name__,
            )
            return _failed(work, step.__name__, error)
    return stamp(work)


def check_skips(work: MessageWork) -> None:
    """Skip mail that must not get a signature, before any database work."""
    message, config = work.message, work.services.config
    if not message.mail_from:
        raise SkipMessage("null sender")
    if len(message.data) > config.max_rewrite_size:
        raise SkipMessage(
            f"message too large: {len(message.data)} bytes, the limit is {config.max_rewrite_size}"
        )
    if has_processed_header(message.data):
        raise SkipMessage(f"message already carries {PROCESSED_HEADER}", already_stamped=True)
    sender = message.sender
    if sender is None:
        raise SkipMessage("sender belongs to no tenant")
    if sender.employee is None:
        raise SkipMessage(
            "sender not found among the tenant's employees: add them under Employees (Mitarbeiter)"
        )
    if not sender.employee.active:
        raise SkipMessage(f"employee {sender.employee.id} is inactive")


def resolve_targeting(work: MessageWork) -> None:
    """Decide the audience from the To, Cc and Bcc headers and the envelope recipients."""
    sender = _sender(work)
    directory = work.services.directory
    headers = top_level_headers(work.message.data)
    decision = decide_audience_for_headers(
        to=_header_values(headers, "To"),
        cc=_header_values(headers, "Cc"),
        bcc=_header_values(headers, "Bcc"),
        envelope=work.message.recipients,
        policy=directory.targeting_policy(sender.tenant_id),
    )
    ids = directory.audience_ids(sender.tenant_id, decision)
    work.audience = TargetedAudience(decision, ids.account_id, ids.contact_id)


def fetch_signature(work: MessageWork) -> None:
    sender = _sender(work)
    assert sender.employee is not None
    assert work.audience is not None
    signature = work.services.signatures.signature_for(
        sender.tenant_id, sender.employee, work.audience
    )
    if signature is None or not (signature.html or signature.text):
        raise SkipMessage(f"no signature for employee {sender.employee.id}")
    work.signature = signature


def insert(work: MessageWork) -> None:
    """Splice the signature into the message with the MIME library."""
    assert work.signature is not None
    config = work.services.config
    result = insert_signature(
        work.message.data,
        work.signature,
        max_size=config.max_rewrite_size,
        processed_header_value=config.processed_header_value,
        log_id=work.message.queue_id,
    )
    if result.action is SpliceAction.INSERTED:
        work.output = result.data
        work.action = RelayAction.INSERTED
        work.already_stamped = True
        return
    if result.code is PassThroughCode.REWRITE_FAILED:
        work.action = RelayAction.REWRITE_FAILED
    raise SkipMessage(
        result.reason, already_stamped=result.code is PassThroughCode.ALREADY_PROCESSED
    )


STEPS: tuple[Step, ...] = (check_skips, resolve_targeting, fetch_signature, insert)


def has_processed_header(raw: bytes) -> bool:
    return _PROCESSED_FIELD.search(raw, 0, _header_block_end(raw)) is not None


def add_processed_header(raw: bytes, value: str) -> bytes:
    """Put `X-Maltastic-Processed: value` in front of the message, in its line-break style."""
    newline = raw.find(b"\n")
    eol = b"\r\n" if newline > 0 and raw[newline - 1 : newline] == b"\r" else b"\n"
    if newline < 0 and raw.find(b"\r") >= 0:
        eol = b"\r\n"
    return f"{PROCESSED_HEADER}: {value}".encode("ascii") + eol + raw


def message_id_of(raw: bytes) -> str:
    """Return the Message-ID header value for logs, or "" when it is missing or unreadable."""
    try:
        value = top_level_headers(raw).get("Message-ID")
    except Exception:  # a header the parser cannot read must not stop delivery
        return ""
    return " ".join(str(value).split()) if value is not None else ""


def top_level_headers(raw: bytes) -> Message:
    return _HEADER_PARSER.parsebytes(raw[: _header_block_end(raw)])


def _header_block_end(raw: bytes) -> int:
    if raw.startswith((b"\n", b"\r\n")):
        return 0
    match = _HEADER_BLOCK_END.search(raw)
    return match.end() if match else len(raw)


def _header_values(headers: Message, name: str) -> list[str]:
    return [str(value) for value in headers.get_all(name, [])]


def _sender(work: MessageWork) -> KnownSender:
    sender = work.message.sender
    assert sender is not None, "check_skips lets only known senders through"
    return sender


def stamp(work: MessageWork) -> ProcessedMessage:
    """Add the processing header unless the message already carries it; the last step."""
    data = work.output if work.output is not None else work.message.data
    if not work.already_stamped:
        data = add_processed_header(data, work.services.config.processed_header_value)
    return ProcessedMessage(data, work.action, work.reason, work.audience)


def _failed(work: MessageWork, step: str, error: Exception) -> ProcessedMessage:
    reason = f"step {step} failed: {type(error).__name__}: {error}"
    result = relay_unchanged(work.message, work.services.config, reason)
    return ProcessedMessage(result.data, result.action, reason, work.audience, failed_step=step)


def relay_unchanged(message: InboundMessage, config: RelayConfig, reason: str) -> ProcessedMessage:
    """Return the original bytes, with the processing header added when it is missing."""
    data = message.data
    if not has_processed_header(data):
        data = add_processed_header(data, config.processed_header_value)
    return ProcessedMessage(data, RelayAction.REWRITE_FAILED, reason)
