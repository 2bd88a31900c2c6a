"""Benchmark the banner endpoint against nginx serving the same image as a static file.

Starts both servers on loopback with the same worker count, loads each with wrk (same
threads, connections and duration), stops Maltastic gracefully and checks that the
impressions recorded in the database equal the banner images it served.

Needs Debian's nginx and wrk (`apt-get install nginx-light wrk`).
Run: `.venv/bin/python bench/banner/run.py` (or `make bench`); options: --help.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import func, select

from maltastic.campaigns.audience import Audience
from maltastic.campaigns.models import Banner
from maltastic.db.migrate import upgrade_database
from maltastic.demo.loader import load_demo
from maltastic.directory.models import Employee
from maltastic.runtime import Runtime
from maltastic.settings import Settings
from maltastic.targeting.models import Account
from maltastic.tenants.service import find_tenant
from maltastic.tracking.keyring import load_keyring
from maltastic.tracking.models import TrackingEvent
from maltastic.tracking.tokens import issue_token

SECRET_KEY = "benchmark-secret-key-with-more-than-32-characters"
BROWSER = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36"
NGINX_CONFIG = """
worker_processes {workers};
pid {folder}/nginx.pid;
error_log {folder}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    types {{ image/png png; }}
    client_body_temp_path {folder}/client;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    server {{
        listen 127.0.0.1:{port};
        root {folder};
        location = /banner.png {{ add_header Cache-Control "no-cache, max-age=0"; }}
    }}
}}
"""


@dataclass
class WrkResult:
    requests_per_second: float
    p99_ms: float
    requests: int
    non_2xx: int


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--duration", type=int, default=15, help="seconds per wrk run")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    return parser.parse_args()


def prepare_database(folder: Path) -> tuple[str, str, bytes]:
    """Create the demo database; return its URL, a banner token and the expected image."""
    url = f"sqlite:///{folder}/bench.sqlite3"
    runtime = Runtime.from_settings(Settings(database_url=url, secret_key=SECRET_KEY))  # type: ignore[arg-type]
    upgrade_database(runtime.engine)
    load_demo(runtime.session_factory, runtime.secret_box)
    with runtime.session_factory() as session:
        tenant = find_tenant(session, "beispiel")
        assert tenant is not None
        employee = session.scalars(
            select(Employee.id).where(Employee.email == "anna.schmidt@beispiel.de")
        ).one()
        account = session.scalars(select(Account.id).where(Account.domain == "kunde-a.de")).one()
        keyring = load_keyring(session, runtime.secret_box)
    token = issue_token(
        keyring, tenant_id=tenant.id, employee_id=employee, audience=Audience.account(account)
    )
    index = runtime.indexes.get(tenant.id)
    resolved = index.campaigns.resolve(
        employee, Audience.account(account), now=dt.datetime.now(dt.UTC)
    )
    assert resolved is not None
    with runtime.session_factory() as session:
        image = session.scalars(select(Banner.image).where(Banner.id == resolved.banner_id)).one()
    runtime.close()
    return url, token, image


def wait_until_up(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} timed out: no 200 response within {timeout} s")


def run_wrk(url: str, arguments: argparse.Namespace) -> WrkResult:
    command = [
        "wrk",
        f"-t{arguments.threads}",
        f"-c{arguments.connections}",
        f"-d{arguments.duration}s",
        "--latency",
        "-H",
        f"User-Agent: {BROWSER}",
        url,
    ]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    p99_match = re.search(r"99%\s+([\d.]+)(us|ms|s)", output)
    assert p99_match, output
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99_match.group(2)]
    requests = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return WrkResult(
        rate, float(p99_match.group(1)) * scale, requests, int(non_2xx.group(1)) if non_2xx else 0
    )


def start_nginx(folder: Path, port: int, workers: int, image: bytes) -> None:
    folder.chmod(0o755)  # nginx workers run as an unprivileged user
    (folder / "banner.png").write_bytes(image)
    (folder / "banner.png").chmod(0o644)
    config = folder / "nginx.conf"
    config.write_text(NGINX_CONFIG.format(workers=workers, folder=folder, port=port))
    subprocess.run(["nginx", "-c", str(config)], check=True)


def stop_nginx(folder: Path) -> None:
    pid = int((folder / "nginx.pid").read_text())
    os.kill(pid, signal.SIGQUIT)


def start_maltastic(
    database_url: str, port: int, workers: int, log: Path
) -> subprocess.Popen[bytes]:
    environment = {
        **os.environ,
        "MALTASTIC_ENVIRONMENT": "production",
        "MALTASTIC_SECRET_KEY": SECRET_KEY,
        "MALTASTIC_DATABASE_URL": database_url,
        "MALTASTIC_LOG_LEVEL": "INFO",  # the stop line with the served count is INFO
    }
    command = [
        sys.executable,
        "-m",
        "maltastic",
        "serve-tracking",
        "--workers",
        str(workers),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    return subprocess.Popen(command, env=environment, stderr=log.open("wb"))


def count_impressions(database_url: str) -> int:
    runtime = Runtime.from_settings(Settings(database_url=database_url, secret_key=SECRET_KEY))  # type: ignore[arg-type]
    with runtime.session_factory() as session:
        count = session.scalar(select(func.count()).select_from(TrackingEvent)) or 0
    runtime.close()
    return count


def served_from_log(log: Path) -> int:
    return sum(int(n) for n in re.findall(r"(\d+) banner images", log.read_text()))


def main() -> None:
    arguments = parse_arguments()
    for tool in ("nginx", "wrk"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} not found: install it with `apt-get install nginx-light wrk`")
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        database_url, token, image = prepare_database(folder)
        start_nginx(folder, 18081, arguments.workers, image)
        log = folder / "maltastic.log"
        server = start_maltastic(database_url, 18082, arguments.workers, log)
        try:
            wait_until_up("http://127.0.0.1:18081/banner.png")
            wait_until_up(f"http://127.0.0.1:18082/b/{token}")
            nginx = run_wrk("http://127.0.0.1:18081/banner.png", arguments)
            maltastic = run_wrk(f"http://127.0.0.1:18082/b/{token}", arguments)
        finally:
            stop_nginx(folder)
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=60)
        report(arguments, nginx, maltastic, served_from_log(log), count_impressions(database_url))


def report(
    arguments: argparse.Namespace,
    nginx: WrkResult,
    maltastic: WrkResult,
    served: int,
    recorded: int,
) -> None:
    print(
        f"workers {arguments.workers}, wrk -t{arguments.threads} -c{arguments.connections} "
        f"-d{arguments.duration}s"
    )
    print(f"{'server':12} {'requests/s':>12} {'p99 ms':>8} {'requests':>10} {'non-2xx':>8}")
    for name, result in (("nginx", nginx), ("maltastic", maltastic)):
        print(
            f"{name:12} {result.requests_per_second:12.0f} {result.p99_ms:8.2f} "
            f"{result.requests:10d} {result.non_2xx:8d}"
        )
    ratio = maltastic.requests_per_second / nginx.requests_per_second
    print(f"throughput ratio maltastic/nginx: {ratio:.3f}")
    print(
        f"banner images served (server log): {served}; impressions recorded: {recorded}; "
        f"equal: {served == recorded}"
    )


if __name__ == "__main__":
    main()
