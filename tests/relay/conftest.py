"""Fixtures for relay tests: the demo tenant's database, a live relay and a fake next hop."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from maltastic.db.migrate import upgrade_database
from maltastic.demo.loader import load_demo
from maltastic.relay.config import NextHopTls, RelayConfig
from maltastic.relay.server import RelayServer
from maltastic.runtime import Runtime
from maltastic.settings import HostPort, Settings
from tests.conftest import TEST_SECRET_KEY
from tests.relay.support import (
    Certificates,
    FakeNextHop,
    FakeSignatureSource,
    LoopThread,
    make_certificates,
    server_port,
    start_fake_next_hop,
)


@pytest.fixture(scope="session")
def loop_thread() -> Iterator[LoopThread]:
    thread = LoopThread()
    yield thread
    thread.close()


@pytest.fixture(scope="session")
def demo_runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    """A SQLite database with the demo tenant Beispiel GmbH, shared by the relay tests."""
    path = tmp_path_factory.mktemp("relay-db") / "maltastic.sqlite3"
    settings = Settings(database_url=f"sqlite:///{path}", secret_key=TEST_SECRET_KEY)  # type: ignore[arg-type]
    runtime = Runtime.from_settings(settings)
    upgrade_database(runtime.engine)
    load_demo(runtime.session_factory, runtime.secret_box)
    yield runtime
    runtime.close()


@pytest.fixture(scope="session")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return make_certificates(tmp_path_factory.mktemp("certificates"))


@dataclass
class RunningNextHop:
    handler: FakeNextHop
    port: int


@pytest.fixture
def next_hop(loop_thread: LoopThread) -> Iterator[RunningNextHop]:
    handler = FakeNextHop()
    server = loop_thread.run(start_fake_next_hop(handler))
    yield RunningNextHop(handler, server_port(server))
    loop_thread.stop_server(server)


@dataclass
class RunningRelay:
    server: RelayServer
    signatures: FakeSignatureSource

    @property
    def port(self) -> int:
        return self.server.port


RelayFactory = Callable[..., RunningRelay]


@pytest.fixture
def start_relay(
    loop_thread: LoopThread, demo_runtime: Runtime, tmp_path: Path
) -> Iterator[RelayFactory]:
    """Start relays on a free loopback port; `next_hop_port=None` means the outbox."""
    started: list[RelayServer] = []

    def start(
        next_hop_port: int | None = None,
        signatures: FakeSignatureSource | None = None,
        **changes: Any,
    ) -> RunningRelay:
        options: dict[str, Any] = {
            "listen_port": 0,
            "server_name": "relay.test",
            "outbox_dir": tmp_path / "outbox",
            "next_hop_tls": NextHopTls.OFF,
            "next_hop_command_timeout": 5.0,
            "next_hop_data_timeout": 5.0,
        }
        if next_hop_port is not None:
            options["next_hop"] = HostPort("127.0.0.1", next_hop_port)
        options.update(changes)
        config = RelayConfig.from_settings(demo_runtime.settings, **options)
        source = signatures or FakeSignatureSource()
        server = RelayServer.for_runtime(demo_runtime, config, source)
        loop_thread.run(server.start())
        started.append(server)
        return RunningRelay(server, source)

    yield start
    for server in started:
        loop_thread.run(server.stop())
