"""Start the whole product through its command line, as `make run` does, in a subprocess."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.cli.runner import cli_environment
from tests.conftest import skip_or_fail
from tests.live_server import free_port
from tests.web.forms import log_in


@dataclass
class Product:
    """A running `maltastic serve` with its own database, outbox and ports."""

    folder: Path
    http_port: int = field(default_factory=free_port)
    smtp_port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def database_url(self) -> str:
        return f"sqlite:///{self.folder}/maltastic.sqlite3"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def outbox(self) -> Path:
        return self.folder / "outbox"

    def environment(self) -> dict[str, str]:
        return cli_environment(
            self.database_url,
            http_port=str(self.http_port),
            smtp_port=str(self.smtp_port),
            outbox_dir=str(self.outbox),
            public_base_url=self.base_url,
        )

    def run_cli(self, *arguments: str) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "maltastic", *arguments],
            cwd=self.folder,
            env=self.environment(),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    def start(self) -> None:
        self.run_cli("db", "upgrade")
        self.run_cli("demo", "load")
        log = (self.folder / "serve.log").open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "maltastic", "serve"],
            cwd=self.folder,
            env=self.environment(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.wait_until_ready()

    def wait_until_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            assert self.process.poll() is None, self.log()
            try:
                if httpx.get(f"{self.base_url}/health", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.2)
        raise AssertionError(f"the product did not start within {timeout} s:\n{self.log()}")

    def stop(self) -> int:
        """Send SIGTERM, wait for the graceful stop and return the exit status."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=60)

    def log(self) -> str:
        path = self.folder / "serve.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def outbox_entries(self) -> list[dict[str, Any]]:
        """Sidecars of the outbox, oldest first, each with the path of its message."""
        entries = []
        for sidecar in sorted(self.outbox.glob("*.json")):
            entry = json.loads(sidecar.read_text())
            entry["path"] = sidecar.with_suffix(".eml")
            entries.append(entry)
        return entries

    @contextmanager
    def admin_client(self) -> Iterator[httpx.Client]:
        """An HTTP client logged in as the demo tenant's owner."""
        with httpx.Client(base_url=self.base_url, timeout=30) as client:
            response = log_in(client, "demo@beispiel.de", "maltastic-demo")
            assert response.status_code == 303, response.text
            yield client


def swaks(product: Product, message: Path, mail_from: str, recipients: list[str]) -> str:
    """Send `message` through the relay with swaks; return swaks' transcript."""
    command = [
        "swaks",
        "--server",
        f"127.0.0.1:{product.smtp_port}",
        "--from",
        mail_from or "<>",
        "--to",
        ",".join(recipients),
        "--data",
        str(message),
        "--timeout",
        "60",
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    return result.stdout + result.stderr


def require_swaks() -> None:
    if shutil.which("swaks") is None:
        skip_or_fail("swaks not found: install it with `apt-get install swaks`")
