"""`maltastic serve` starts the product, prints the login and stops cleanly."""

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.cli.runner import cli_environment, run_cli
from tests.live_server import free_port


def wait_for_health(url: str, process: subprocess.Popen[str], timeout: float = 30) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited early with {process.returncode}")
        try:
            return httpx.get(url, timeout=2).status_code
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {timeout} s")


def test_serve_prints_login_and_stops_on_sigterm(sqlite_url: str, tmp_path: Path) -> None:
    run_cli("db", "upgrade", database_url=sqlite_url, cwd=tmp_path)
    run_cli("demo", "load", database_url=sqlite_url, cwd=tmp_path)
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "maltastic", "serve"],
        cwd=tmp_path,
        # Free ports for both listeners, so a product running on this machine is no obstacle.
        env=cli_environment(sqlite_url, http_port=str(port), smtp_port=str(free_port())),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert wait_for_health(f"http://127.0.0.1:{port}/health", process) == 200
        login_page = httpx.get(f"http://127.0.0.1:{port}/login", timeout=5)
        assert login_page.status_code == 200
    finally:
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
    assert f"http://127.0.0.1:{port}/login" in stdout
    assert "Demo-Login:         demo@beispiel.de / maltastic-demo" in stdout


def test_serve_refuses_unmigrated_database(sqlite_url: str, tmp_path: Path) -> None:
    result = run_cli("serve", database_url=sqlite_url, cwd=tmp_path)
    assert result.returncode == 2
    assert "run `maltastic db upgrade` first" in result.stderr


def test_serve_rejects_wrong_secret_key(sqlite_url: str, tmp_path: Path) -> None:
    run_cli("db", "upgrade", database_url=sqlite_url, cwd=tmp_path)
    run_cli("demo", "load", database_url=sqlite_url, cwd=tmp_path)  # seals a signing key

    other_key = "a-different-secret-key-with-more-than-32-characters"
    served = run_cli("serve", database_url=sqlite_url, cwd=tmp_path, secret_key=other_key)
    tracking = run_cli(
        "serve-tracking", database_url=sqlite_url, cwd=tmp_path, secret_key=other_key
    )

    assert served.returncode == 2
    assert "1 stored secret(s) cannot be decrypted with MALTASTIC_SECRET_KEY" in served.stderr
    assert "maltastic secrets rotate" in served.stderr
    assert tracking.returncode == 2
    assert "cannot be decrypted with MALTASTIC_SECRET_KEY" in tracking.stderr


def test_serve_names_the_busy_port(sqlite_url: str, tmp_path: Path) -> None:
    run_cli("db", "upgrade", database_url=sqlite_url, cwd=tmp_path)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        result = run_cli(
            "serve",
            database_url=sqlite_url,
            cwd=tmp_path,
            http_port=str(free_port()),
            smtp_port=str(busy),
        )
    assert result.returncode == 2
    assert f"cannot listen on 127.0.0.1 port {busy}" in result.stderr
    assert "MALTASTIC_SMTP_PORT" in result.stderr
    assert "Traceback" not in result.stderr
