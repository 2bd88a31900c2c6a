"""One process that serves the whole product: web admin, tracking and the SMTP relay."""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
from types import FrameType

import uvicorn
from sqlalchemy import select

from maltastic.asgi import create_product_app
from maltastic.cli.output import fail
from maltastic.db.migrate import schema_is_current
from maltastic.demo import content as demo
from maltastic.relay.config import RelayConfig, RelayConfigError
from maltastic.relay.server import RelayServer
from maltastic.runtime import Runtime
from maltastic.security.rotation import secrets_problem
from maltastic.signatures.relay_source import RenderedSignatureSource
from maltastic.users.models import User

logger = logging.getLogger(__name__)


def run_server(runtime: Runtime) -> None:
    """Serve until Ctrl-C or SIGTERM.

    On a stop signal uvicorn finishes open HTTP requests and the tracking event buffer is
    written; then the relay stops accepting connections.
    """
    if not schema_is_current(runtime.engine):
        fail("the database schema is not up to date: run `maltastic db upgrade` first")
    with runtime.session_factory() as session:
        problem = secrets_problem(session, runtime.secret_box)
    if problem is not None:
        fail(problem)
    try:
        relay_config = RelayConfig.from_settings(runtime.settings)
    except RelayConfigError as error:
        fail(str(error))
    settings = runtime.settings
    check_port_free(settings.http_host, settings.http_port, "MALTASTIC_HTTP_PORT")
    check_port_free(settings.smtp_host, settings.smtp_port, "MALTASTIC_SMTP_PORT")

    install_stop_handlers()
    change_bus = runtime.connect_change_bus()
    try:
        asyncio.run(serve(runtime, relay_config))
    finally:
        if change_bus is not None:
            change_bus.stop()
    logger.info("maltastic stopped")


def check_port_free(host: str, port: int, variable: str) -> None:
    """Stop with a message naming `variable` when `host:port` is already taken."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            fail(
                f"cannot listen on {host} port {port} ({error.strerror}): stop the program "
                f"using it or set {variable} to a free port"
            )


async def serve(runtime: Runtime, relay_config: RelayConfig) -> None:
    relay = RelayServer.for_runtime(runtime, relay_config, RenderedSignatureSource(runtime))
    await relay.start()
    http = uvicorn.Server(http_config(runtime))
    print_welcome(runtime, relay_config)
    try:
        await http.serve()
    finally:
        await relay.stop()


def http_config(runtime: Runtime) -> uvicorn.Config:
    settings = runtime.settings
    return uvicorn.Config(
        create_product_app(runtime),
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        proxy_headers=False,
        server_header=False,
        access_log=False,  # access lines carry client IP addresses, which are never kept
    )


def install_stop_handlers() -> None:
    """Make SIGINT and SIGTERM end the process with status 0 after a graceful stop.

    uvicorn handles the signal itself and raises it again once it has stopped. With the
    default handlers in place, that second signal would kill the process (status -15).
    """

    def note_stop(signal_number: int, _frame: FrameType | None) -> None:
        logger.info("received %s, stopped", signal.Signals(signal_number).name)

    signal.signal(signal.SIGINT, note_stop)
    signal.signal(signal.SIGTERM, note_stop)


def print_welcome(runtime: Runtime, relay_config: RelayConfig) -> None:
    settings = runtime.settings
    host = "127.0.0.1" if settings.http_host in ("0.0.0.0", "::") else settings.http_host  # noqa: S104
    base = f"http://{host}:{settings.http_port}"
    lines = [
        "",
        "Maltastic läuft / is running",
        f"  Anmeldung / Login:  {base}/login",
        f"  Health:             {base}/health",
        f"  SMTP-Relay:         {relay_config.listen_host}:{relay_config.listen_port} -> "
        f"{relay_config.next_hop or relay_config.outbox_dir}",
    ]
    if settings.is_development and demo_user_exists(runtime):
        lines.append(f"  Demo-Login:         {demo.DEMO_LOGIN_EMAIL} / {demo.DEMO_LOGIN_PASSWORD}")
    lines.append("  Beenden / Stop:     Ctrl-C")
    print("\n".join(lines), flush=True)


def demo_user_exists(runtime: Runtime) -> bool:
    with runtime.session_factory() as session:
        return (
            session.scalar(select(User.id).where(User.email == demo.DEMO_LOGIN_EMAIL)) is not None
        )
