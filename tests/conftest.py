"""Database and service fixtures shared by the whole suite.

PostgreSQL and Redis tests skip when the service is unreachable, except under
`CI=true`, where an unreachable service fails the test. Every test gets its own
SQLite file or PostgreSQL schema, so no test sees another test's rows.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings
from playwright.sync_api import Browser
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session, sessionmaker

from maltastic.db.engine import create_db_engine, create_session_factory
from maltastic.db.migrate import upgrade_database
from maltastic.runtime import Runtime
from maltastic.settings import Settings

RUNNING_IN_CI = os.environ.get("CI", "").lower() == "true"
POSTGRES_URL = os.environ.get(
    "MALTASTIC_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("MALTASTIC_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
TEST_SECRET_KEY = "test-secret-key-with-at-least-32-characters"


def skip_or_fail(reason: str) -> None:
    if RUNNING_IN_CI:
        pytest.fail(f"{reason} (required because CI=true)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_available() -> bool:
    try:
        engine = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as error:
        skip_or_fail(f"PostgreSQL not reachable at {POSTGRES_URL}: {error}")
    return True


@pytest.fixture
def postgres_schema_url(postgres_available: bool) -> Iterator[str]:
    """A URL whose connections use a fresh, empty schema dropped after the test."""
    schema = f"test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in POSTGRES_URL else "?"
    yield f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}"
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path: os.PathLike[str]) -> str:
    return f"sqlite:///{tmp_path}/maltastic.sqlite3"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    """An empty database, once on SQLite and once on PostgreSQL."""
    fixture_name = "sqlite_url" if request.param == "sqlite" else "postgres_schema_url"
    url: str = request.getfixturevalue(fixture_name)
    return url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = create_db_engine(database_url)
    upgrade_database(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def session_factory(engine: Engine) -> sessionmaker[Session]:
    return create_session_factory(engine)


@pytest.fixture
def redis_url() -> str:
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        client.ping()
    except redis.RedisError as error:
        skip_or_fail(f"Redis not reachable at {REDIS_URL}: {error}")
    finally:
        client.close()
    return REDIS_URL


@pytest.fixture
def runtime(engine: Engine, database_url: str) -> Iterator[Runtime]:
    settings = Settings(database_url=database_url, secret_key=TEST_SECRET_KEY)
    runtime = Runtime.from_settings(settings)
    yield runtime
    runtime.close()


@pytest.fixture
def sqlite_runtime(sqlite_url: str, tmp_path: Path) -> Iterator[Runtime]:
    """A migrated SQLite runtime, for tests that need no second database."""
    settings = Settings(
        database_url=sqlite_url, secret_key=TEST_SECRET_KEY, outbox_dir=tmp_path / "outbox"
    )
    runtime = Runtime.from_settings(settings)
    upgrade_database(runtime.engine)
    yield runtime
    runtime.close()


# Under CI the property tests use a fixed seed, so a run is repeatable; locally they vary.
hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
if RUNNING_IN_CI:
    hypothesis_settings.load_profile("ci")


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGUMENTS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# A desktop browser's user agent: headless Chromium's own contains "HeadlessChrome",
# which the tracking service rightly classifies as a machine.
BROWSER_USER_AGENT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    """Debian's Chromium driven by Playwright; never a browser downloaded at test time.

    Module scope, because Playwright's synchronous API keeps an event loop running in the
    main thread while it is open, and later tests that call asyncio.run() would fail.
    """
    if not os.path.exists(CHROMIUM):
        skip_or_fail(f"{CHROMIUM} not found: install it with `apt-get install chromium`")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGUMENTS)
        yield browser
        browser.close()
