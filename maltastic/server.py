"""One process that serves the whole product."""

from __future__ import annotations

import logging
import signal
from types import FrameType

import uvicorn
from sqlalchemy import select

from maltastic.cli.output import fail
from maltastic.db.migrate import schema_is_current
from maltastic.demo import content as demo
from maltastic.runtime import Runtime
from maltastic.users.models import User
from maltastic.asgi import create_product_app

logger = logging.getLogger(__name__)


def run_server(runtime: Runtime) -> None:
    """Serve until Ctrl-C or SIGTERM; uvicorn finishes open requests before it stops."""
    if not schema_is_current(runtime.engine):
        fail("the database schema is not up to date: run `maltastic db upgrade` first")

    settings = runtime.settings
    config = uvicorn.Config(
        create_product_app(runtime),
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        proxy_headers=False,
        server_header=False,
        access_log=False,  # access lines carry client IP addresses, which are never kept
    )
    print_welcome(runtime)
    install_stop_handlers()
    change_bus = runtime.connect_change_bus()
    try:
        uvicorn.Server(config).run()
    finally:
        if change_bus is not None:
            change_bus.stop()
    logger.info("maltastic stopped")


def install_stop_handlers() -> None:
    """Make SIGINT and SIGTERM end the process with status 0 after a graceful stop.

    uvicorn handles the signal itself, then raises it again once it has stopped; with the
    default handlers in place that second signal would kill the process (status -15).
    """

    def note_stop(signal_number: int, _frame: FrameType | None) -> None:
        logger.info("received %s, stopped", signal.Signals(signal_number).name)

    signal.signal(signal.SIGINT, note_stop)
    signal.signal(signal.SIGTERM, note_stop)


def print_welcome(runtime: Runtime) -> None:
    settings = runtime.settings
    host = "127.0.0.1" if settings.http_host in ("0.0.0.0", "::") else settings.http_host  # noqa: S104
    base = f"http://{host}:{settings.http_port}"
    lines = [
        "",
        "Maltastic läuft / is running",
        f"  Anmeldung / Login:  {base}/login",
        f"  Health:             {base}/health",
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
