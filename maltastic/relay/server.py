"""The relay's SMTP server: aiosmtpd with STARTTLS, optional AUTH and a size limit."""

from __future__ import annotations

import asyncio
import logging
import ssl
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from aiosmtpd.smtp import SMTP

from maltastic.relay.access import PasswordAuthenticator
from maltastic.relay.config import RelayConfig
from maltastic.relay.handler import RelayHandler
from maltastic.relay.pipeline import PipelineServices
from maltastic.relay.relay_log import RelayLogWriter
from maltastic.relay.senders import DatabaseSenderDirectory, SenderDirectory
from maltastic.relay.signature_source import SignatureSource
from maltastic.runtime import Runtime
from maltastic.targeting.domains import load_public_suffix_list

logger = logging.getLogger(__name__)


class RelaySMTP(SMTP):
    """aiosmtpd's SMTP protocol, telling the handler and the server when a connection ends."""

    def __init__(
        self, handler: RelayHandler, open_connections: set[RelaySMTP], **options: Any
    ) -> None:
        super().__init__(handler, **options)
        self._relay_handler = handler
        self._open_connections = open_connections
        open_connections.add(self)

    def connection_lost(self, error: Exception | None) -> None:
        super().connection_lost(error)
        self._open_connections.discard(self)
        self._relay_handler.release(self)

    def close_for_shutdown(self) -> None:
        """Tell a client still connected after the grace period to retry later."""
        transport = self.transport
        if isinstance(transport, asyncio.WriteTransport) and not transport.is_closing():
            transport.write(b"421 4.3.2 Service shutting down, try again later\r\n")
            transport.close()


def build_tls_context(config: RelayConfig) -> ssl.SSLContext | None:
    """Create the STARTTLS context, verifying client certificates when a CA file is set."""
    if config.tls_cert_path is None or config.tls_key_path is None:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(config.tls_cert_path, config.tls_key_path)
    if config.tls_client_ca_path is not None:
        context.load_verify_locations(cafile=str(config.tls_client_ca_path))
        context.verify_mode = ssl.CERT_OPTIONAL
    return context


class RelayServer:
    """The listening relay: start, serve, stop.

    `stop` stops accepting connections, closes every next-hop connection, waits for
    pending relay log writes and shuts the worker threads down.
    """

    def __init__(
        self,
        config: RelayConfig,
        *,
        directory: SenderDirectory,
        signatures: SignatureSource,
        relay_log: RelayLogWriter | None = None,
    ) -> None:
        self.config = config
        self._executor = ThreadPoolExecutor(
            max_workers=config.worker_threads, thread_name_prefix="relay"
        )
        services = PipelineServices(config, directory, signatures)
        self.handler = RelayHandler(services, self._executor, relay_log)
        self._tls_context = build_tls_context(config)
        self._authenticator = PasswordAuthenticator(config.auth_users)
        self._server: asyncio.Server | None = None
        self._open_connections: set[RelaySMTP] = set()
        self._log_flusher: asyncio.Task[None] | None = None

    @classmethod
    def for_runtime(
        cls, runtime: Runtime, config: RelayConfig, signatures: SignatureSource
    ) -> RelayServer:
        """Build a relay on the product database: sender lookups and the relay log."""
        directory = DatabaseSenderDirectory(
            runtime.session_factory,
            policies=lambda tenant_id: runtime.indexes.get(tenant_id).policy,
        )
        runtime.change_feed.subscribe(directory.forget_senders)
        return cls(
            config,
            directory=directory,
            signatures=signatures,
            relay_log=RelayLogWriter(runtime.session_factory),
        )

    @property
    def port(self) -> int:
        """The bound port, useful when the configured port is 0."""
        assert self._server is not None, "the relay is not started"
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        # aiosmtpd logs every SMTP command with its addresses at INFO on "mail.log".
        # The relay writes its own lines per message, so only warnings from there remain.
        logging.getLogger("mail.log").setLevel(logging.WARNING)
        await asyncio.to_thread(load_public_suffix_list)
        self._server = await loop.create_server(
            self._new_protocol, host=self.config.listen_host, port=self.config.listen_port
        )
        logger.info(
            "SMTP relay listening on %s:%s, delivering to %s",
            self.config.listen_host,
            self.port,
            self.config.next_hop or f"the outbox {self.config.outbox_dir}",
        )
        self._log_flusher = asyncio.create_task(self._flush_relay_log_every_second())

    async def _flush_relay_log_every_second(self) -> None:
        while True:
            await asyncio.sleep(1.0)
            try:
                await self.handler.flush_relay_log()
            except Exception:
                logger.exception("flushing the relay log failed")

    async def stop(self, grace_seconds: float = 30.0) -> None:
        """Stop accepting, let open sessions finish for up to `grace_seconds`, then close.

        A session cut off after the grace period gets 421, so its client retries; a
        message is acknowledged with 250 only after it was delivered or stored.
        """
        if self._log_flusher is not None:
            self._log_flusher.cancel()
            self._log_flusher = None
        if self._server is not None:
            self._server.close()
            await self._drain_connections(grace_seconds)
            await self._server.wait_closed()
            self._server = None
        await self.handler.close()
        self._executor.shutdown(wait=True)
        logger.info("SMTP relay stopped")

    async def serve_forever(self) -> None:
        """Start and serve until the task is cancelled, then stop."""
        await self.start()
        try:
            await asyncio.Event().wait()
        finally:
            await self.stop()

    async def _drain_connections(self, grace_seconds: float) -> None:
        deadline = asyncio.get_running_loop().time() + grace_seconds
        while self._open_connections and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.05)
        if self._open_connections:
            logger.warning(
                "closing %d SMTP sessions still open after %.0f s",
                len(self._open_connections),
                grace_seconds,
            )
        for connection in list(self._open_connections):
            connection.close_for_shutdown()

    def _new_protocol(self) -> RelaySMTP:
        config = self.config
        return RelaySMTP(
            self.handler,
            self._open_connections,
            hostname=config.server_name,
            data_size_limit=config.max_message_size,
            enable_SMTPUTF8=True,
            tls_context=self._tls_context,
            require_starttls=config.require_tls,
            timeout=config.idle_timeout,
            auth_required=False,
            auth_require_tls=not config.auth_allow_plaintext,
            authenticator=self._authenticator if config.auth_users else None,
            auth_exclude_mechanism=[] if config.auth_users else ["LOGIN", "PLAIN"],
            loop=asyncio.get_running_loop(),
        )
