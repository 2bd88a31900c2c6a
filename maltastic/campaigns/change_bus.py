"""Spread "tenant data changed" between processes over Redis publish/subscribe.

Each process publishes the tenants its own commits changed, and hands the tenants that
other processes changed to its own change feed, which rebuilds their indexes and drops
cached values. A message lost while a process was disconnected
is not repeated.

NOTE: until a periodic full refresh exists, a process that missed a message keeps an
old index of that tenant until the tenant changes again or the process restarts.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

import redis

logger = logging.getLogger(__name__)

CHANNEL = "maltastic:tenant-changed"


class RedisChangeBus:
    def __init__(self, url: str, on_remote_change: Callable[[int], None]) -> None:
        self._client = redis.Redis.from_url(url, socket_connect_timeout=5)
        self._on_remote_change = on_remote_change
        self._node_id = uuid.uuid4().hex
        self._worker: redis.client.PubSubWorkerThread | None = None

    def publish(self, tenant_id: int) -> None:
        try:
            self._client.publish(CHANNEL, f"{self._node_id}:{tenant_id}")
        except redis.RedisError as error:
            logger.warning("could not publish change of tenant id=%s: %s", tenant_id, error)

    def start(self) -> None:
        pubsub = self._client.pubsub(ignore_subscribe_messages=True)
        pubsub.subscribe(**{CHANNEL: self._handle})
        self._worker = pubsub.run_in_thread(sleep_time=1.0, daemon=True)
        logger.info("listening for tenant changes on redis channel %s", CHANNEL)

    def stop(self) -> None:
        if self._worker is not None:
            self._worker.stop()
            self._worker.join(timeout=5)
            self._worker = None
        self._client.close()

    def _handle(self, message: dict[str, object]) -> None:
        data = message.get("data")
        text = data.decode() if isinstance(data, bytes) else str(data)
        node_id, _, tenant_text = text.partition(":")
        if node_id == self._node_id or not tenant_text.isdigit():
            return
        self._on_remote_change(int(tenant_text))
