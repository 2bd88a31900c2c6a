"""The lean tracking server (`maltastic serve-tracking`) over real HTTP and raw sockets."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from maltastic.campaigns.audience import Audience
from maltastic.tracking.models import EventKind, TrafficClass
from maltastic.tracking.responses import TRANSPARENT_GIF, UNAVAILABLE_PATH
from tests.conftest import TEST_SECRET_KEY
from tests.live_server import free_port
from tests.tracking.conftest import BROWSER, Demo, abuse_tokens

AGENT = BROWSER["User-Agent"]


@dataclass
class TrackingServer:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> int:
        """Send SIGTERM and return the exit status (the server writes its events first)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=30)

    def served_banners(self) -> int:
        return sum(int(n) for n in re.findall(r"(\d+) banner images", self.log.read_text()))


def start_server(demo: Demo, log: Path, workers: int = 1) -> TrackingServer:
    port = free_port()
    environment = {
        **os.environ,
        "MALTASTIC_DATABASE_URL": demo.runtime.settings.database_url,
        "MALTASTIC_SECRET_KEY": TEST_SECRET_KEY,
        "MALTASTIC_LOG_LEVEL": "INFO",
    }
    command = [sys.executable, "-m", "maltastic", "serve-tracking"]
    command += ["--workers", str(workers), "--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen(command, env=environment, stderr=log.open("wb"))
    server = TrackingServer(process, port, log)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"tracking server exited: {log.read_text()}")
        try:
            if httpx.get(f"{server.url}/health", timeout=2).status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"tracking server on port {port} did not answer /health within 30 s")


@pytest.fixture
def server(demo: Demo, tmp_path: Path) -> Iterator[TrackingServer]:
    server = start_server(demo, tmp_path / "server.log")
    yield server
    server.stop()


def raw_exchange(port: int, data: bytes, timeout: float = 5.0) -> bytes:
    """Send `data` on one connection and return everything until the server closes it."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as connection:
        connection.sendall(data)
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    return received


def split_responses(
    data: bytes, heads: frozenset[int] = frozenset()
) -> list[tuple[int, dict[str, str], bytes]]:
    """Split consecutive responses into status, headers and body.

    `heads` are the positions of responses to HEAD requests, which carry no body.
    """
    responses: list[tuple[int, dict[str, str], bytes]] = []
    while data:
        head, _, rest = data.partition(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        headers = dict(line.lower().split(": ", 1) for line in header_lines)
        length = 0 if len(responses) in heads else int(headers["content-length"])
        responses.append((int(status_line.split(" ")[1]), headers, rest[:length]))
        data = rest[length:]
    return responses


def request(method: str, path: str, *extra: str, version: str = "1.1") -> bytes:
    lines = [f"{method} {path} HTTP/{version}", "Host: 127.0.0.1", f"User-Agent: {AGENT}", *extra]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def test_banner_served_for_valid_token(demo: Demo, server: TrackingServer) -> None:
    token = demo.token(demo.anna, Audience.account(demo.kunde_a))
    response = httpx.get(f"{server.url}/b/{token}", headers=BROWSER)
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert response.headers["cache-control"] == "no-cache, max-age=0"
    assert response.content == demo.banner_of("Schlüsselkunden: Partnertag")
    assert server.stop() == 0
    assert [event[:2] for event in demo.events()] == [(EventKind.IMPRESSION, TrafficClass.HUMAN)]


def test_click_redirects_to_campaign(demo: Demo, server: TrackingServer) -> None:
    token = demo.token(demo.anna, Audience.nobody())
    response = httpx.get(f"{server.url}/c/{token}", headers=BROWSER)
    assert response.status_code == 302
    assert response.headers["location"] == "https://www.beispiel.de/fruehjahrsaktion"
    assert server.stop() == 0
    assert [event[:2] for event in demo.events()] == [(EventKind.CLICK, TrafficClass.HUMAN)]


def test_abuse_tokens_get_fallback_and_count_nothing(demo: Demo, server: TrackingServer) -> None:
    with httpx.Client(base_url=server.url, headers=BROWSER) as client:
        for name, token in abuse_tokens(demo).items():
            banner = client.get(f"/b/{token}")
            click = client.get(f"/c/{token}")
            assert (banner.status_code, banner.content) == (200, TRANSPARENT_GIF), name
            assert click.status_code == 302, name
            assert click.headers["location"] == UNAVAILABLE_PATH, name
        page = client.get(UNAVAILABLE_PATH)
    assert page.status_code == 200
    assert "nicht mehr verfügbar" in page.text
    assert server.stop() == 0
    assert demo.events() == []


def test_head_is_answered_but_not_counted(demo: Demo, server: TrackingServer) -> None:
    token = demo.token(demo.anna, Audience.nobody())
    image = demo.banner_of("Vertrieb: Frühjahrsaktion")
    response = httpx.head(f"{server.url}/b/{token}", headers=BROWSER)
    assert response.status_code == 200
    assert response.headers["content-length"] == str(len(image))
    assert response.content == b""
    assert server.stop() == 0
    assert server.served_banners() == 0
    assert demo.events() == []


def test_keep_alive_serves_several_requests(demo: Demo, server: TrackingServer) -> None:
    token = demo.token(demo.anna, Audience.nobody())
    image = demo.banner_of("Vertrieb: Frühjahrsaktion")
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as connection:
        for _ in range(3):
            connection.sendall(request("GET", f"/b/{token}"))
            received = b""
            while not received.endswith(image):
                chunk = connection.recv(65536)
                assert chunk, "the server closed a keep-alive connection"
                received += chunk
            [(status, headers, body)] = split_responses(received)
            assert status == 200
            assert "connection" not in headers
            assert body == image


def test_pipelined_requests_answered_in_order(demo: Demo, server: TrackingServer) -> None:
    token = demo.token(demo.anna, Audience.nobody())
    # The first banner request loads the tenant index and the image (the slow path), so
    # the requests behind it wait in the queue and must still come back in order.
    data = b"".join(
        [
            request("GET", f"/b/{token}"),
            request("GET", f"/c/{token}"),
            request("HEAD", f"/b/{token}"),
            request("GET", "/nowhere"),
            request("GET", UNAVAILABLE_PATH, "Connection: close"),
            request("GET", f"/b/{token}"),  # after Connection: close, gets no response
        ]
    )
    responses = split_responses(raw_exchange(server.port, data), heads=frozenset({2}))
    assert [status for status, _headers, _body in responses] == [200, 302, 200, 404, 200]
    assert responses[0][2] == demo.banner_of("Vertrieb: Frühjahrsaktion")
    assert responses[1][1]["location"] == "https://www.beispiel.de/fruehjahrsaktion"
    assert responses[2][2] == b""
    assert responses[4][1]["connection"] == "close"
    assert server.stop() == 0
    assert server.served_banners() == 1


def test_http_1_0_closes_after_response(demo: Demo, server: TrackingServer) -> None:
    token = demo.token(demo.anna, Audience.nobody())
    data = raw_exchange(server.port, request("GET", f"/b/{token}", version="1.0"))
    [(status, headers, body)] = split_responses(data)
    assert status == 200
    assert headers["connection"] == "close"
    assert body == demo.banner_of("Vertrieb: Frühjahrsaktion")


def test_malformed_request_gets_400(server: TrackingServer) -> None:
    data = raw_exchange(server.port, b"GARBAGE\r\n\r\n")
    [(status, headers, _body)] = split_responses(data)
    assert status == 400
    assert headers["connection"] == "close"


@pytest.mark.parametrize(
    "raw",
    [
        b"GET /b/abc HTTP/1.1\r\nUser-Agent: test\r\n\r\n",  # HTTP/1.1 without Host
        b"GET /b/abc\r\n\r\n",  # an HTTP/0.9 request line
    ],
)
def test_request_without_host_or_version_gets_400(
    demo: Demo, server: TrackingServer, raw: bytes
) -> None:
    data = raw_exchange(server.port, raw)
    [(status, headers, _body)] = split_responses(data)
    assert status == 400
    assert headers["connection"] == "close"
    assert server.stop() == 0
    assert demo.events() == []


def test_unknown_path_gets_404(server: TrackingServer) -> None:
    assert httpx.get(f"{server.url}/admin").status_code == 404
    assert httpx.get(f"{server.url}/login").status_code == 404


def test_other_methods_get_405(demo: Demo, server: TrackingServer) -> None:
    token = demo.token(demo.anna, Audience.nobody())
    for path in (f"/b/{token}", f"/c/{token}"):
        response = httpx.post(f"{server.url}{path}", headers=BROWSER, content=b"x")
        assert response.status_code == 405, path
        assert response.headers["allow"] == "GET, HEAD", path
    assert server.stop() == 0
    assert demo.events() == []


def test_oversized_headers_rejected(server: TrackingServer) -> None:
    data = raw_exchange(server.port, request("GET", "/b/x", "X-Padding: " + "a" * 20_000))
    [(status, headers, _body)] = split_responses(data)
    assert status == 431
    assert headers["connection"] == "close"


def test_oversized_body_rejected(server: TrackingServer) -> None:
    body = b"a" * 100_000
    data = raw_exchange(server.port, request("GET", "/b/x", f"Content-Length: {len(body)}") + body)
    [(status, _headers, _body)] = split_responses(data)
    assert status == 413


def test_health_reports_database(server: TrackingServer) -> None:
    response = httpx.get(f"{server.url}/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "redis": "not configured"}


def test_sigterm_writes_every_served_impression(demo: Demo, tmp_path: Path) -> None:
    server = start_server(demo, tmp_path / "server.log", workers=2)
    token = demo.token(demo.anna, Audience.account(demo.kunde_a))
    served = 0
    try:
        for _ in range(4):  # new connections, so both workers get some
            with httpx.Client(base_url=server.url, headers=BROWSER) as client:
                served += sum(client.get(f"/b/{token}").status_code == 200 for _ in range(50))
    finally:
        status = server.stop()
    impressions = [event for event in demo.events() if event[0] is EventKind.IMPRESSION]
    assert status == 0
    assert served == 200
    assert server.served_banners() == served
    assert len(impressions) == served
