"""Delivery of relayed messages: to the next hop over SMTP, or into the demo outbox.

The relay opens the next-hop transaction while the upstream's transaction is still
open. MAIL FROM and every RCPT TO are forwarded live, and the upstream gets the next
hop's reply to each of them. So a recipient the next hop rejects is rejected to the
upstream at RCPT time, and the final reply to DATA is the next hop's reply to DATA.
No per-recipient result can get lost, and the relay never replies 250 before the next
hop did. A next hop that is down, times out or drops the connection gives a 4xx reply,
so the upstream keeps the message and retries.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Protocol

import aiosmtplib

from maltastic.relay.config import NextHopTls, RelayConfig
from maltastic.relay.outbox import OutgoingMessage, write_outbox_message

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Reply:
    """An SMTP reply: the code and its text on one line (with an enhanced status code)."""

    code: int
    text: str

    def __str__(self) -> str:
        return f"{self.code} {self.text}"

    @property
    def accepted(self) -> bool:
        return 200 <= self.code < 300

    @property
    def transient(self) -> bool:
        return 400 <= self.code < 500


NEXT_HOP_UNREACHABLE = Reply(451, "4.4.1 Next hop not reachable, try again later")
NEXT_HOP_LOST = Reply(451, "4.4.2 Connection to the next hop failed, try again later")
NEXT_HOP_NO_TLS = Reply(451, "4.7.5 Next hop does not offer the required STARTTLS")
NEXT_HOP_NO_SMTPUTF8 = Reply(553, "5.6.7 Next hop does not support SMTPUTF8 addresses")
OUTBOX_FAILED = Reply(451, "4.3.0 Could not store the message, try again later")


class Delivery(Protocol):
    """One upstream connection's path to the next hop; one transaction at a time."""

    async def start(self, mail_from: str, *, smtp_utf8: bool) -> Reply: ...

    async def add_recipient(self, address: str) -> Reply: ...

    async def send(self, message: OutgoingMessage) -> Reply: ...

    async def reset(self) -> None: ...

    async def close(self) -> None: ...


class NextHopDelivery:
    """Forward a transaction live to the next hop with aiosmtplib."""

    def __init__(self, config: RelayConfig, log_prefix: str) -> None:
        assert config.next_hop is not None
        self._config = config
        self._log_prefix = log_prefix
        self._client: aiosmtplib.SMTP | None = None
        self._in_transaction = False

    async def start(self, mail_from: str, *, smtp_utf8: bool) -> Reply:
        try:
            client = await self._ready_client()
            options = ["BODY=8BITMIME"] if client.supports_extension("8bitmime") else []
            if smtp_utf8:
                if not client.supports_extension("smtputf8"):
                    return NEXT_HOP_NO_SMTPUTF8
                options.append("SMTPUTF8")
            response = await client.mail(
                mail_from, options=options, encoding="utf-8" if smtp_utf8 else "ascii"
            )
        except aiosmtplib.SMTPResponseException as error:
            return self._refused("MAIL FROM", error)
        except UnicodeEncodeError:
            return NEXT_HOP_NO_SMTPUTF8
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
            return await self._failed("MAIL FROM", error)
        self._in_transaction = True
        return _reply(response.code, response.message)

    async def add_recipient(self, address: str) -> Reply:
        client = self._client
        if client is None or not self._in_transaction:
            return NEXT_HOP_LOST
        try:
            response = await client.rcpt(address, encoding="utf-8")
        except aiosmtplib.SMTPResponseException as error:
            return self._refused("RCPT TO", error)
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
            return await self._failed("RCPT TO", error)
        return _reply(response.code, response.message)

    async def send(self, message: OutgoingMessage) -> Reply:
        client = self._client
        if client is None or not self._in_transaction:
            return NEXT_HOP_LOST
        self._in_transaction = False
        try:
            response = await client.data(message.data, timeout=self._config.next_hop_data_timeout)
        except aiosmtplib.SMTPResponseException as error:
            return self._refused("DATA", error)
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
            return await self._failed("DATA", error)
        return _reply(response.code, response.message)

    async def reset(self) -> None:
        if self._client is None or not self._in_transaction:
            return
        self._in_transaction = False
        try:
            await self._client.rset()
        except (aiosmtplib.SMTPException, OSError, TimeoutError):
            await self.close()

    async def close(self) -> None:
        client, self._client = self._client, None
        self._in_transaction = False
        if client is None:
            return
        try:
            if client.is_connected:
                await asyncio.wait_for(client.quit(), timeout=5)
        except (aiosmtplib.SMTPException, OSError, TimeoutError):
            pass
        finally:
            client.close()

    async def _ready_client(self) -> aiosmtplib.SMTP:
        if self._client is not None and self._client.is_connected:
            await self.reset()
        if self._client is not None and self._client.is_connected:
            return self._client
        await self.close()
        client = self._new_client()
        try:
            await asyncio.wait_for(client.connect(), self._config.next_hop_connect_timeout)
            if client.is_ehlo_or_helo_needed:
                await client.ehlo()
        except BaseException:
            client.close()
            raise
        self._client = client
        return client

    def _new_client(self) -> aiosmtplib.SMTP:
        config = self._config
        assert config.next_hop is not None
        start_tls = {
            NextHopTls.REQUIRED: True,
            NextHopTls.OPPORTUNISTIC: None,
            NextHopTls.OFF: False,
        }[config.next_hop_tls]
        # The relay's own certificate doubles as its TLS client certificate, which
        # Exchange Online's inbound connector checks (TlsSenderCertificateName).
        cert, key = config.tls_cert_path, config.tls_key_path
        return aiosmtplib.SMTP(
            hostname=config.next_hop.host,
            port=config.next_hop.port,
            local_hostname=config.server_name,
            timeout=config.next_hop_command_timeout,
            start_tls=start_tls,
            validate_certs=config.next_hop_tls_verify,
            cert_bundle=str(config.next_hop_ca_path) if config.next_hop_ca_path else None,
            client_cert=str(cert) if cert else None,
            client_key=str(key) if key else None,
        )

    def _refused(self, command: str, error: aiosmtplib.SMTPResponseException) -> Reply:
        reply = _reply(error.code, error.message)
        logger.info("%s next hop replied to %s with %s", self._log_prefix, command, reply)
        return reply

    async def _failed(self, command: str, error: BaseException) -> Reply:
        logger.warning(
            "%s next hop failed at %s: %s: %s",
            self._log_prefix,
            command,
            type(error).__name__,
            error,
        )
        await self.close()
        if isinstance(error, aiosmtplib.SMTPConnectError) or command == "MAIL FROM":
            if "STARTTLS" in str(error):
                return NEXT_HOP_NO_TLS
            return NEXT_HOP_UNREACHABLE
        return NEXT_HOP_LOST


class OutboxDelivery:
    """Accept every recipient and store the processed message in the outbox folder."""

    def __init__(self, config: RelayConfig, executor: Executor, log_prefix: str) -> None:
        self._config = config
        self._executor = executor
        self._log_prefix = log_prefix

    async def start(self, mail_from: str, *, smtp_utf8: bool) -> Reply:
        return Reply(250, "2.1.0 OK")

    async def add_recipient(self, address: str) -> Reply:
        return Reply(250, "2.1.5 OK")

    async def send(self, message: OutgoingMessage) -> Reply:
        loop = asyncio.get_running_loop()
        directory = self._config.outbox_dir
        try:
            path = await loop.run_in_executor(
                self._executor, write_outbox_message, directory, message
            )
        except OSError as error:
            logger.error(
                "%s %s: writing to the outbox failed: %s", self._log_prefix, message.queue_id, error
            )
            return OUTBOX_FAILED
        return Reply(250, f"2.0.0 OK: stored in the outbox as {path.name}")

    async def reset(self) -> None:
        return None

    async def close(self) -> None:
        return None


def _reply(code: int, message: str) -> Reply:
    """Turn a next-hop reply into one line that aiosmtpd can send upstream."""
    text = " ".join(line.strip() for line in message.splitlines() if line.strip())
    text = text.encode("ascii", "replace").decode("ascii") or "(no text)"
    if not (200 <= code < 300 or 400 <= code < 600):
        return Reply(451, f"4.4.0 Next hop sent the unexpected reply code {code}, try again later")
    return Reply(code, text)
