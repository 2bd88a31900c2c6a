"""Login throttling: too many failed logins for one address pause further attempts."""

from __future__ import annotations

import hashlib
import time
from collections import deque

MAX_FAILURES = 5
WINDOW_SECONDS = 15 * 60


class LoginThrottle:
    """Counts failures per address in memory; one process only.

    NOTE: several web processes each keep their own count, so the real limit is
    MAX_FAILURES times the process count until the count moves to Redis.
    """

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


def _key(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()
