"""The two servers of the relay benchmark, each run as its own process by run.py.

    python servers.py sink
    python servers.py relay --signatures rendered|none

`sink` is an aiosmtpd next hop that accepts and discards every message. `relay` builds
the relay the way `maltastic serve` does (settings from MALTASTIC_* variables, the
product's logging, `RelayServer.for_runtime`) but without the web application. With
`--signatures none` the relay gets a signature source that returns None, so every
message passes through the same pipeline unchanged. Each server binds a free loopback
port, prints it as the first line on stdout, and stops on SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import quopri
import signal

from aiosmtpd.smtp import SMTP, Envelope, Session

SIGNATURE_MARKER = b"data-maltastic-signature"


class DiscardingHandler:
    """Accept every message, counting those that carry a Maltastic HTML signature."""

    def __init__(self) -> None:
        self.messages = 0
        self.signed = 0

    async def handle_DATA(  # noqa: N802 - aiosmtpd hook name
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        self.messages += 1
        # The marker attribute may be split by a quoted-printable soft line break.
        if SIGNATURE_MARKER in quopri.decodestring(envelope.original_content or b""):
            self.signed += 1
        return "250 2.0.0 OK: discarded"


async def run_sink() -> None:
    handler = DiscardingHandler()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(handler, hostname="sink.bench", data_size_limit=None),
        host="127.0.0.1",
        port=0,
    )
    print(server.sockets[0].getsockname()[1], flush=True)
    await wait_for_sigterm()
    server.close()
    await server.wait_closed()
    print(json.dumps({"messages": handler.messages, "signed": handler.signed}), flush=True)


class NoSignatures:
    """A signature source for pass-through runs: no employee gets a signature."""

    def signature_for(self, tenant_id: int, employee: object, audience: object) -> None:
        return None


async def run_relay(signatures: str) -> None:
    from maltastic.cli.main import open_runtime
    from maltastic.relay.config import RelayConfig
    from maltastic.relay.server import RelayServer
    from maltastic.relay.signature_source import SignatureSource
    from maltastic.signatures.relay_source import RenderedSignatureSource

    with open_runtime() as runtime:
        config = RelayConfig.from_settings(runtime.settings, listen_port=0)
        source: SignatureSource = (
            RenderedSignatureSource(runtime) if signatures == "rendered" else NoSignatures()
        )
        relay = RelayServer.for_runtime(runtime, config, source)
        await relay.start()
        print(relay.port, flush=True)
        try:
            await wait_for_sigterm()
        finally:
            await relay.stop(grace_seconds=5)


async def wait_for_sigterm() -> None:
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the sink or the relay of the benchmark.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("sink", help="next hop that accepts and discards every message")
    relay = commands.add_parser("relay", help="the Maltastic relay, configured from MALTASTIC_*")
    relay.add_argument(
        "--signatures",
        choices=("rendered", "none"),
        default="rendered",
        help="rendered: the product's signature renderer; none: relay every message unchanged",
    )
    arguments = parser.parse_args()
    if arguments.command == "sink":
        asyncio.run(run_sink())
    else:
        asyncio.run(run_relay(arguments.signatures))


if __name__ == "__main__":
    main()
