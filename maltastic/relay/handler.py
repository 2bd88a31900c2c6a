"""The aiosmtpd handler of the relay: access checks, live forwarding, pipeline, relay log.

Hooks run on the event loop. Database lookups and message processing run in the
relay's worker threads. Each upstream connection has one Delivery (a next-hop
connection or the outbox), kept from MAIL FROM to the end of DATA, so every reply to
the upstream is the next hop's reply to the same command.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import secrets
import time
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any, TypeVar

from aiosmtpd.smtp import SMTP, Envelope, Session

from maltastic.relay.access import authorise_client, format_peer, tenant_network_source
from maltastic.relay.config import RelayConfig
from maltastic.relay.delivery import Delivery, NextHopDelivery, OutboxDelivery, Reply
from maltastic.relay.models import RelayAction
from maltastic.relay.outbox import OutgoingMessage
from maltastic.relay.pipeline import (
    InboundMessage,
    PipelineServices,
    ProcessedMessage,
    process_message,
    relay_unchanged,
)
from maltastic.relay.relay_log import RelayLogWriter, RelayRecord
from maltastic.relay.senders import KnownSender

logger = logging.getLogger(__name__)

T = TypeVar("T")

NULL_SENDER = "<>"
SENDER_LOOKUP_FAILED = "451 4.3.0 Sender lookup failed, try again later"
LOCAL_ERROR = "451 4.3.0 Local error in processing, try again later"


@dataclass(slots=True)
class Transaction:
    queue_id: str
    mail_from: str
    sender: KnownSender | None
    received_at: dt.datetime
    started: float


@dataclass(slots=True)
class ConnectionState:
    peer: str
    delivery: Delivery
    transaction: Transaction | None = None


class RelayHandler:
    def __init__(
        self,
        services: PipelineServices,
        executor: Executor,
        relay_log: RelayLogWriter | None,
    ) -> None:
        self._services = services
        self._config: RelayConfig = services.config
        self._executor = executor
        self._relay_log = relay_log
        self._connections: dict[SMTP, ConnectionState] = {}
        self._background: set[asyncio.Future[Any]] = set()

    async def handle_EHLO(  # noqa: N802 - aiosmtpd hook name
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        hostname: str,
        responses: list[str],
    ) -> list[str]:
        """Hide the AUTH line when no AUTH users are configured (aiosmtpd prints it empty)."""
        session.host_name = hostname
        if self._config.auth_users:
            return responses
        return [line for line in responses if not line.startswith("250-AUTH")]

    async def handle_MAIL(  # noqa: N802 - aiosmtpd hook name
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        state = self._state(server, session)
        mail_from = "" if address == NULL_SENDER else address
        sender: KnownSender | None = None
        if mail_from:
            try:
                sender = await self._in_thread(self._services.directory.find_sender, mail_from)
            except Exception:
                logger.exception("%s sender lookup for <%s> failed", state.peer, mail_from)
                return SENDER_LOOKUP_FAILED

        try:
            source = await self._source(session, sender)
        except Exception:
            logger.exception("%s relay network lookup for <%s> failed", state.peer, mail_from)
            return SENDER_LOOKUP_FAILED
        if source is None:
            # The same reply for known and unknown senders, so a client that may not
            # relay learns nothing about the tenants.
            logger.warning("%s MAIL FROM rejected: client is not an allowed source", state.peer)
            return self._not_allowed_reply(session)
        if mail_from and sender is None:
            logger.warning("%s MAIL FROM <%s> rejected: unknown sender", state.peer, mail_from)
            return (
                f"550 5.7.1 Sender <{mail_from}> belongs to no Maltastic tenant: this "
                "relay accepts mail only from its tenants' domains and employees"
            )

        reply = await state.delivery.start(mail_from, smtp_utf8="SMTPUTF8" in options)
        if not reply.accepted:
            return str(reply)
        queue_id = new_queue_id()
        state.transaction = Transaction(
            queue_id, mail_from, sender, dt.datetime.now(dt.UTC), time.monotonic()
        )
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        logger.info("%s %s: MAIL FROM <%s> accepted (%s)", state.peer, queue_id, mail_from, source)
        return "250 2.1.0 OK"

    async def handle_RCPT(  # noqa: N802 - aiosmtpd hook name
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        state = self._state(server, session)
        reply = await state.delivery.add_recipient(address)
        if reply.accepted:
            envelope.rcpt_tos.append(address)
            envelope.rcpt_options.extend(options)
        else:
            queue_id = state.transaction.queue_id if state.transaction else "-"
            logger.info("%s %s: RCPT TO rejected with %s", state.peer, queue_id, reply)
        return str(reply)

    async def handle_RSET(  # noqa: N802 - aiosmtpd hook name
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        state = self._state(server, session)
        state.transaction = None
        await state.delivery.reset()
        return "250 2.0.0 OK"

    async def handle_DATA(  # noqa: N802 - aiosmtpd hook name
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        state = self._state(server, session)
        transaction, state.transaction = state.transaction, None
        if transaction is None:
            return "503 5.5.1 Error: need MAIL command"
        message = InboundMessage(
            queue_id=transaction.queue_id,
            mail_from=transaction.mail_from,
            recipients=tuple(envelope.rcpt_tos),
            data=envelope.original_content or b"",
            sender=transaction.sender,
        )
        processed = await self._process(message, state.peer)
        reply = await state.delivery.send(_outgoing(message, processed, transaction))
        self._finish(state.peer, transaction, message, processed, reply)
        return str(reply)

    async def handle_exception(self, error: Exception) -> str:
        logger.error("relay hook failed: %s: %s", type(error).__name__, error, exc_info=error)
        return LOCAL_ERROR

    def release(self, server: SMTP) -> None:
        """Close the next-hop connection of an upstream connection that ended."""
        state = self._connections.pop(server, None)
        if state is not None:
            self._track(asyncio.ensure_future(state.delivery.close()))

    async def close(self) -> None:
        """Close every next-hop connection and wait for pending relay log writes."""
        for server in list(self._connections):
            self.release(server)
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)
        await self.flush_relay_log()

    async def flush_relay_log(self) -> None:
        if self._relay_log is not None:
            await self._in_thread(self._relay_log.flush)

    async def _process(self, message: InboundMessage, peer: str) -> ProcessedMessage:
        try:
            return await asyncio.wait_for(
                self._in_thread(process_message, message, self._services),
                self._config.processing_timeout,
            )
        except Exception as error:  # a timeout or a broken worker pool; never lose the mail
            logger.error(
                "%s %s: processing failed (%s), relaying the original bytes",
                peer,
                message.queue_id,
                type(error).__name__,
            )
            return relay_unchanged(message, self._config, f"processing failed: {error!r}")

    def _finish(
        self,
        peer: str,
        transaction: Transaction,
        message: InboundMessage,
        processed: ProcessedMessage,
        reply: Reply,
    ) -> None:
        action, reason = processed.action, processed.reason
        if not reply.accepted:
            action = RelayAction.DEFERRED if reply.transient else RelayAction.REJECTED
            reason = f"next hop: {reply}"
        duration_ms = int((time.monotonic() - transaction.started) * 1000)
        logger.info(
            "%s %s: %s, %d recipients, %d bytes, %d ms: %s; reply %s",
            peer,
            message.queue_id,
            action.value,
            len(message.recipients),
            len(message.data),
            duration_ms,
            reason or "-",
            reply.code,
        )
        if transaction.sender is not None and self._relay_log is not None:
            record = _relay_record(transaction, transaction.sender, message, processed)
            record = record.with_outcome(action, reason, duration_ms)
            self._track(self._in_thread(self._relay_log.write, record))

    def _state(self, server: SMTP, session: Session) -> ConnectionState:
        state = self._connections.get(server)
        if state is None:
            peer = format_peer(session.peer)
            state = ConnectionState(peer, self._new_delivery(peer))
            self._connections[server] = state
        return state

    def _new_delivery(self, peer: str) -> Delivery:
        if self._config.next_hop is None:
            return OutboxDelivery(self._config, self._executor, peer)
        return NextHopDelivery(self._config, peer)

    async def _source(self, session: Session, sender: KnownSender | None) -> str | None:
        """Return why this client may relay mail of `sender`, or None when it may not."""
        source = authorise_client(self._config, session)
        if source is not None or sender is None:
            return source
        directory = self._services.directory
        networks = await self._in_thread(directory.relay_networks, sender.tenant_id)
        return tenant_network_source(session, networks)

    def _not_allowed_reply(self, session: Session) -> str:
        if self._config.auth_users and (session.ssl or self._config.auth_allow_plaintext):
            return "530 5.7.0 Authentication required"
        return "550 5.7.1 Relaying denied: this client is not an allowed source"

    def _in_thread(self, function: Callable[..., T], *args: Any) -> asyncio.Future[T]:
        return asyncio.get_running_loop().run_in_executor(self._executor, function, *args)

    def _track(self, future: asyncio.Future[Any]) -> None:
        self._background.add(future)
        future.add_done_callback(self._background.discard)


def new_queue_id() -> str:
    """Return an id that sorts by time: UTC timestamp plus 8 random hex digits."""
    return f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}-{secrets.token_hex(4)}"


def _relay_record(
    transaction: Transaction,
    sender: KnownSender,
    message: InboundMessage,
    processed: ProcessedMessage,
) -> RelayRecord:
    return RelayRecord(
        queue_id=message.queue_id,
        tenant_id=sender.tenant_id,
        received_at=transaction.received_at,
        message_id=processed.message_id or message.queue_id,
        employee_id=sender.employee.id if sender.employee else None,
        recipient_count=len(message.recipients),
        audience=processed.audience,
        action=processed.action,
        reason=processed.reason,
        size_bytes=len(message.data),
        duration_ms=0,
    )


def _outgoing(
    message: InboundMessage, processed: ProcessedMessage, transaction: Transaction
) -> OutgoingMessage:
    return OutgoingMessage(
        queue_id=message.queue_id,
        mail_from=message.mail_from,
        recipients=message.recipients,
        data=processed.data,
        action=processed.action,
        reason=processed.reason,
        received_at=transaction.received_at,
        tenant_id=transaction.sender.tenant_id if transaction.sender else None,
    )
