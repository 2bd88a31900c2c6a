"""Login throttling: too many failed logins for one address pause further attempts.

With Redis configured, every web process shares one count per address; otherwise each
process counts on its own.
"""

from __future__ import annotations

import hashlib
import logging
import time
import uuid
from collections import deque

import redis

logger = logging.getLogger(__name__)

MAX_FAILURES = 5
WINDOW_SECONDS = 15 * 60


class LoginThrottle:
    """Counts failures per address in the memory of one process."""

    def __init__(self, max_failures: int = MAX_FAILURES, window: float = WINDOW_SECONDS) -> None:
        self.max_failures = max_failures
        self.window = window
        self._failures: dict[str, deque[float]] = {}

    def is_blocked(self, email: str) -> bool:
        return len(self._recent(email)) >= self.max_failures

    def record_failure(self, email: str) -> None:
        self._recent(email).append(time.monotonic())

    def reset(self, email: str) -> None:
        self._failures.pop(_key(email), None)

    def _recent(self, email: str) -> deque[float]:
        failures = self._failures.setdefault(_key(email), deque())
        cutoff = time.monotonic() - self.window
        while failures and failures[0] < cutoff:
            failures.popleft()
        return failures


class RedisLoginThrottle:
    """Counts failures per address in Redis, shared by every process that uses it.

    Each address has a sorted set of failure times that expires with the window. When
    Redis cannot be reached, the count falls back to this process's memory, so logins
    keep working and stay throttled per process.
    """

    def __init__(
        self, url: str, max_failures: int = MAX_FAILURES, window: float = WINDOW_SECONDS
    ) -> None:
        self.max_failures = max_failures
        self.window = window
        self._client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        self._fallback = LoginThrottle(max_failures, window)

    def is_blocked(self, email: str) -> bool:
        try:
            failures = self._recent_count(email)
        except redis.RedisError as error:
            logger.warning("login throttle: Redis failed (%s), counting in memory", error)
            return self._fallback.is_blocked(email)
        return failures >= self.max_failures

    def record_failure(self, email: str) -> None:
        now = time.time()
        key = _redis_key(email)
        try:
            pipeline = self._client.pipeline()
            pipeline.zadd(key, {f"{now}:{uuid.uuid4().hex}": now})
            pipeline.expire(key, int(self.window) + 1)
            pipeline.execute()
        except redis.RedisError as error:
            logger.warning("login throttle: Redis failed (%s), counting in memory", error)
            self._fallback.record_failure(email)

    def reset(self, email: str) -> None:
        self._fallback.reset(email)
        try:
            self._client.delete(_redis_key(email))
        except redis.RedisError as error:
            logger.warning("login throttle: Redis failed (%s), reset in memory only", error)

    def close(self) -> None:
        self._client.close()

    def _recent_count(self, email: str) -> int:
        key = _redis_key(email)
        pipeline = self._client.pipeline()
        pipeline.zremrangebyscore(key, "-inf", time.time() - self.window)
        pipeline.zcard(key)
        count = pipeline.execute()[1]
        return int(count)


def _redis_key(email: str) -> str:
    return f"maltastic:login-failures:{_key(email)}"


def _key(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()
