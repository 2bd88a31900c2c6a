"""A live product server with demo data and Chromium pages that log in to it."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from maltastic.asgi import create_product_app
from maltastic.demo.loader import DemoLogin, load_demo
from maltastic.runtime import Runtime
from tests.conftest import BROWSER_USER_AGENT
from tests.live_server import serve_in_thread

# Screenshots for a person to look at; they stay outside the repository.
SCREENSHOT_DIR = Path(tempfile.gettempdir()) / "shots"


@pytest.fixture
def demo(sqlite_runtime: Runtime) -> DemoLogin:
    return load_demo(sqlite_runtime.session_factory, sqlite_runtime.secret_box)


@pytest.fixture
def product_url(sqlite_runtime: Runtime, demo: DemoLogin) -> Iterator[str]:
    with serve_in_thread(create_product_app(sqlite_runtime)) as url:
        yield url


@pytest.fixture
def page(chromium: Browser, product_url: str) -> Iterator[Page]:
    context = chromium.new_context(
        user_agent=BROWSER_USER_AGENT,
        locale="de-DE",
        base_url=product_url,
        viewport={"width": 1366, "height": 900},
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


def log_in(page: Page, email: str, password: str) -> None:
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: not url.endswith("/login"))


def screenshot(page: Page, name: str) -> None:
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT_DIR / f"{name}.png"), full_page=True)
