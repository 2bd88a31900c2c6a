"""The health endpoint reports the database and, when configured, Redis."""

import httpx
import pytest

from maltastic.runtime import Runtime
from maltastic.settings import Settings
from maltastic.web.app import create_app
from tests.conftest import TEST_SECRET_KEY
from tests.live_server import free_port, serve_in_thread


def test_health_is_ok(client: httpx.Client) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "redis": "not configured"}


def runtime_with_redis(database_url: str, redis_url: str) -> Runtime:
    settings = Settings(
        database_url=database_url,
        secret_key=TEST_SECRET_KEY,
        redis_url=redis_url,  # type: ignore[arg-type]
    )
    return Runtime.from_settings(settings)


@pytest.mark.redis
def test_health_checks_redis(sqlite_url: str, redis_url: str) -> None:
    runtime = runtime_with_redis(sqlite_url, redis_url)
    with serve_in_thread(create_app(runtime)) as base:
        response = httpx.get(f"{base}/health")
    runtime.close()
    assert response.status_code == 200
    assert response.json()["redis"] == "ok"


def test_unreachable_redis_gives_503(sqlite_url: str) -> None:
    runtime = runtime_with_redis(sqlite_url, f"redis://127.0.0.1:{free_port()}/0")
    with serve_in_thread(create_app(runtime)) as base:
        response = httpx.get(f"{base}/health")
    runtime.close()
    assert response.status_code == 503
    assert response.json()["redis"] == "failed"
