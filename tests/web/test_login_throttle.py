"""Failed logins are counted per address, across processes when Redis is configured."""

from __future__ import annotations

import time
import uuid

import httpx
import pytest

from maltastic.runtime import Runtime
from maltastic.settings import Settings
from maltastic.web.app import create_app
from maltastic.web.throttle import LoginThrottle, RedisLoginThrottle
from tests.conftest import TEST_SECRET_KEY
from tests.live_server import free_port, serve_in_thread
from tests.web.forms import log_in


def address() -> str:
    return f"angreifer-{uuid.uuid4().hex}@beispiel.de"


def test_memory_throttle_blocks_after_max_failures() -> None:
    throttle = LoginThrottle(max_failures=3)
    email = address()
    for _ in range(2):
        throttle.record_failure(email)
    assert not throttle.is_blocked(email)
    throttle.record_failure(email.upper())  # the same address in another spelling
    assert throttle.is_blocked(email)
    throttle.reset(email)
    assert not throttle.is_blocked(email)


@pytest.mark.redis
def test_redis_throttle_shares_count_between_processes(redis_url: str) -> None:
    first, second = RedisLoginThrottle(redis_url, 5), RedisLoginThrottle(redis_url, 5)
    email = address()
    try:
        for _ in range(3):
            first.record_failure(email)
        for _ in range(2):
            second.record_failure(email)
        assert first.is_blocked(email)
        assert second.is_blocked(email)
        assert not first.is_blocked(address())
        second.reset(email)
        assert not first.is_blocked(email)
    finally:
        first.close()
        second.close()


@pytest.mark.redis
def test_redis_throttle_forgets_failures_after_window(redis_url: str) -> None:
    throttle = RedisLoginThrottle(redis_url, max_failures=2, window=1)
    email = address()
    try:
        throttle.record_failure(email)
        throttle.record_failure(email)
        assert throttle.is_blocked(email)
        time.sleep(1.2)
        assert not throttle.is_blocked(email)
    finally:
        throttle.close()


def test_unreachable_redis_falls_back_to_memory() -> None:
    throttle = RedisLoginThrottle(f"redis://127.0.0.1:{free_port()}/0", max_failures=2)
    email = address()
    throttle.record_failure(email)
    assert not throttle.is_blocked(email)
    throttle.record_failure(email)
    assert throttle.is_blocked(email)
    throttle.close()


@pytest.mark.redis
def test_two_web_apps_share_failed_logins(sqlite_runtime: Runtime, redis_url: str) -> None:
    settings = Settings(
        database_url=sqlite_runtime.settings.database_url,
        secret_key=TEST_SECRET_KEY,
        redis_url=redis_url,  # type: ignore[arg-type]
    )
    runtime = Runtime.from_settings(settings)
    email = address()
    with (
        serve_in_thread(create_app(runtime)) as first,
        serve_in_thread(create_app(runtime)) as second,
        httpx.Client(base_url=first) as one,
        httpx.Client(base_url=second) as two,
    ):
        for client in (one, one, one, two, two):
            assert log_in(client, email, "falsch").status_code == 401
        assert log_in(one, email, "falsch").status_code == 429
        assert log_in(two, email, "falsch").status_code == 429
    RedisLoginThrottle(redis_url).reset(email)
    runtime.close()
