from collections.abc import Iterator

import httpx
import pytest

from maltastic.demo.loader import DemoLogin, load_demo
from maltastic.runtime import Runtime
from maltastic.web.app import create_app
from tests.live_server import serve_in_thread
from tests.web.admin import logged_in


@pytest.fixture
def demo_login(sqlite_runtime: Runtime) -> DemoLogin:
    return load_demo(sqlite_runtime.session_factory, sqlite_runtime.secret_box)


@pytest.fixture
def base_url(sqlite_runtime: Runtime, demo_login: DemoLogin) -> Iterator[str]:
    with serve_in_thread(create_app(sqlite_runtime)) as url:
        yield url


@pytest.fixture
def client(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, follow_redirects=False, timeout=10) as client:
        yield client


@pytest.fixture
def owner(base_url: str, demo_login: DemoLogin) -> Iterator[httpx.Client]:
    """A client logged in as the demo tenant's owner."""
    with logged_in(base_url, demo_login.email, demo_login.password) as client:
        yield client
