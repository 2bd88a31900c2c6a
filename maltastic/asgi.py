"""The whole product as one ASGI application: tracking endpoints and the admin app.

The tracking endpoints come first and run without the admin middleware (sessions, CSRF,
page templates), because they serve every banner load of every mail. The lifespan of
the wrapped Starlette app starts and flushes the tracking event buffer.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

from starlette.applications import Starlette
from starlette.routing import Mount

from maltastic.logging_setup import configure_logging
from maltastic.runtime import Runtime
from maltastic.settings import load_settings
from maltastic.tracking.app import TrackingApp
from maltastic.tracking.events import EventBuffer
from maltastic.tracking.maintenance import run_periodically
from maltastic.tracking.service import Tracker
from maltastic.tracking.storage import write_events
from maltastic.web.app import create_app as create_admin_app

logger = logging.getLogger(__name__)


def create_product_app(runtime: Runtime) -> TrackingApp:
    buffer = EventBuffer(partial(write_events, runtime.engine))
    tracker = Tracker(runtime, buffer)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        tracker.load_keyring()
        buffer.start()
        maintenance = asyncio.create_task(run_periodically(runtime), name="tracking-maintenance")
        logger.info("tracking started")
        try:
            yield
        finally:
            maintenance.cancel()
            await buffer.close()
            logger.info(
                "tracking stopped: %d banner images and %d redirects served, %d events written",
                tracker.banners_served,
                tracker.clicks_served,
                buffer.written,
            )

    admin = Starlette(routes=[Mount("/", app=create_admin_app(runtime))], lifespan=lifespan)
    return TrackingApp(tracker, admin)


def create_app_from_environment() -> TrackingApp:
    """App factory for ASGI servers started on their own, e.g. several uvicorn workers.

    Reads the settings from the environment like `maltastic serve` does; the database
    schema must already be current.
    """
    settings = load_settings()
    configure_logging(settings)
    return create_product_app(Runtime.from_settings(settings))
