"""Periodic upkeep of tracking data: purging raw events past each tenant's retention.

With Redis configured, a lock makes each run happen on one process only, however many
web processes are running; without Redis every process purges, which is harmless
because purging the same rows twice deletes nothing the second time.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

import redis

from maltastic.runtime import Runtime
from maltastic.tracking.storage import purge_expired_events

logger = logging.getLogger(__name__)

PURGE_INTERVAL_SECONDS = 3600
LOCK_KEY = "maltastic:lock:purge-expired-events"


def purge_once(runtime: Runtime) -> int | None:
    """Purge expired raw events unless another process holds the lock; return the count."""
    if runtime.settings.redis_url is not None and not acquire_lock(runtime.settings.redis_url):
        return None
    with runtime.session_factory.begin() as session:
        deleted = purge_expired_events(session, dt.datetime.now(dt.UTC))
    logger.info("purged %d raw tracking events past retention", deleted)
    return deleted


def acquire_lock(redis_url: str) -> bool:
    """Take the purge lock for a bit less than one interval; False if another process has it."""
    client = redis.Redis.from_url(redis_url, socket_connect_timeout=5)
    try:
        return bool(client.set(LOCK_KEY, "1", nx=True, ex=PURGE_INTERVAL_SECONDS - 60))
    except redis.RedisError as error:
        logger.warning("purge lock unavailable (%s); purging without it", error)
        return True
    finally:
        client.close()


async def run_periodically(runtime: Runtime, interval: float = PURGE_INTERVAL_SECONDS) -> None:
    """Purge now and then every `interval` seconds until cancelled."""
    while True:
        try:
            await asyncio.to_thread(purge_once, runtime)
        except Exception:
            logger.exception("purging expired tracking events failed; next try in %.0f s", interval)
        await asyncio.sleep(interval)
