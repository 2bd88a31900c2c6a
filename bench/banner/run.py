"""Benchmark the banner endpoint against nginx serving the same image as a static file.

Starts both servers on loopback with the same worker count and loads each with wrk
(same threads, connections and duration) in alternating rounds, because this machine's
throughput drifts by several percent between runs. Each round's ratio pairs two runs
taken seconds apart; the median round is the result. Afterwards Maltastic is stopped
gracefully and the impressions recorded in the database are checked against the
banner images it served.

With `--tokens N`, wrk cycles through N banner links of different recipients (through
a Lua script, for nginx too), so the token and resolution caches see N entries.

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
import statistics
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
FIRST_UNLISTED_CONTACT = 10_000_000  # above every contact id of the demo data
WRITER_PAUSE = 2.0  # seconds after each Maltastic run, before the next nginx run
NGINX_PORT = 18081  # both on 127.0.0.1
MALTASTIC_PORT = 18082
THROUGHPUT_GOAL = 0.6  # Maltastic's requests/s at least this share of nginx's
P99_GOAL_MS = 20.0
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


def positive_integer(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number; use 1 or more") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not a positive whole number; use 1 or more")
    return value


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    parser.add_argument(
        "--workers",
        type=positive_integer,
        default=os.cpu_count() or 2,
        help="worker processes of each server, one per CPU unless given",
    )
    parser.add_argument("--connections", type=positive_integer, default=50, help="wrk connections")
    parser.add_argument("--duration", type=positive_integer, default=15, help="seconds per wrk run")
    parser.add_argument("--threads", type=positive_integer, default=2, help="wrk threads")
    parser.add_argument(
        "--rounds", type=positive_integer, default=5, help="alternating runs per server"
    )
    parser.add_argument(
        "--tokens",
        type=positive_integer,
        default=1,
        help="distinct banner links (recipients) to cycle",
    )
    return parser.parse_args()


def prepare_database(folder: Path, token_count: int = 1) -> tuple[str, list[str], bytes]:
    """Create the demo database; return its URL, banner tokens and the expected image.

    The first token targets the account kunde-a.de. Further tokens target contacts of
    that account that no target group lists, so every token resolves to the same
    account campaign and its image, the one nginx serves.
    """
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
    audiences = [Audience.account(account)]
    audiences += [
        Audience.contact(FIRST_UNLISTED_CONTACT + number, account_id=account)
        for number in range(1, token_count)
    ]
    tokens = [
        issue_token(keyring, tenant_id=tenant.id, employee_id=employee, audience=audience)
        for audience in audiences
    ]
    index = runtime.indexes.get(tenant.id)
    resolved = index.campaigns.resolve(
        employee, Audience.account(account), now=dt.datetime.now(dt.UTC)
    )
    assert resolved is not None
    with runtime.session_factory() as session:
        image = session.scalars(select(Banner.image).where(Banner.id == resolved.banner_id)).one()
    runtime.close()
    return url, tokens, image


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


def run_wrk(url: str, arguments: argparse.Namespace, script: Path | None = None) -> WrkResult:
    command = [
        "wrk",
        f"-t{arguments.threads}",
        f"-c{arguments.connections}",
        f"-d{arguments.duration}s",
        "--latency",
        "-H",
        f"User-Agent: {BROWSER}",
    ]
    if script is not None:
        command += ["-s", str(script)]
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    p99_match = re.search(r"99%\s+([\d.]+)(us|ms|s)", output)
    assert p99_match, output
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99_match.group(2)]
    requests = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return WrkResult(
        rate, float(p99_match.group(1)) * scale, requests, int(non_2xx.group(1)) if non_2xx else 0
    )


# wrk runs each thread in a Lua state of its own. setup() numbers the threads, and each
# thread builds the requests of every THREADS-th path once, then cycles through them.
# Disjoint shares keep two threads from requesting the same link moments apart, which
# would let the second request find the first one's cache entries. A list shorter than
# the thread count is requested whole by every thread.
CYCLE_SCRIPT = """
local THREADS = %(threads)d
local next_thread_number = 0
setup = function(thread)
    thread:set("thread_number", next_thread_number)
    next_thread_number = next_thread_number + 1
end

local requests = {}
init = function(args)
    local paths = {}
    for path in io.lines("%(path_file)s") do
        paths[#paths + 1] = path
    end
    for index, path in ipairs(paths) do
        if #paths < THREADS or (index - 1) %% THREADS == thread_number then
            requests[#requests + 1] = wrk.format("GET", path)
        end
    end
end

local next_request = 0
request = function()
    next_request = next_request %% #requests + 1
    return requests[next_request]
end
"""


def cycle_script(folder: Path, name: str, paths: list[str], threads: int) -> Path:
    """Write the paths and a wrk script whose threads request disjoint shares in turn."""
    path_file = folder / f"{name}-paths.txt"
    path_file.write_text("\n".join(paths) + "\n")
    script = folder / f"{name}.lua"
    script.write_text(CYCLE_SCRIPT % {"threads": threads, "path_file": path_file})
    return script


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


@dataclass
class Round:
    nginx: WrkResult
    maltastic: WrkResult

    @property
    def ratio(self) -> float:
        return self.maltastic.requests_per_second / self.nginx.requests_per_second


def run_rounds(arguments: argparse.Namespace, folder: Path, tokens: list[str]) -> list[Round]:
    """Load nginx, then Maltastic, `--rounds` times; with one token, without a script."""
    nginx_url = f"http://127.0.0.1:{NGINX_PORT}"
    maltastic_url = f"http://127.0.0.1:{MALTASTIC_PORT}"
    nginx_script = maltastic_script = None
    if len(tokens) > 1:
        threads = arguments.threads
        nginx_script = cycle_script(folder, "nginx", ["/banner.png"], threads)
        banner_paths = [f"/b/{token}" for token in tokens]
        maltastic_script = cycle_script(folder, "maltastic", banner_paths, threads)
    rounds = []
    for _number in range(arguments.rounds):
        nginx = run_wrk(f"{nginx_url}/banner.png", arguments, nginx_script)
        maltastic = run_wrk(f"{maltastic_url}/b/{tokens[0]}", arguments, maltastic_script)
        rounds.append(Round(nginx, maltastic))
        time.sleep(WRITER_PAUSE)  # the writer threads finish their last batches
    return rounds


def main() -> None:
    arguments = parse_arguments()
    for tool in ("nginx", "wrk"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} not found: install it with `apt-get install nginx-light wrk`")
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        database_url, tokens, image = prepare_database(folder, arguments.tokens)
        log = folder / "maltastic.log"
        server: subprocess.Popen[bytes] | None = None
        try:
            start_nginx(folder, NGINX_PORT, arguments.workers, image)
            server = start_maltastic(database_url, MALTASTIC_PORT, arguments.workers, log)
            wait_until_up(f"http://127.0.0.1:{NGINX_PORT}/banner.png")
            wait_until_up(f"http://127.0.0.1:{MALTASTIC_PORT}/b/{tokens[0]}")
            rounds = run_rounds(arguments, folder, tokens)
        finally:
            stop_servers(folder, server)
        print(f"machine: {cpu_model()}, load average {load_before:.2f} at the start")
        report(arguments, rounds, served_from_log(log), count_impressions(database_url))


def stop_servers(folder: Path, server: subprocess.Popen[bytes] | None) -> None:
    """Stop Maltastic gracefully (its stop writes every event) and nginx, each on its own."""
    try:
        if (folder / "nginx.pid").exists():
            stop_nginx(folder)
    finally:
        if server is not None:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=60)


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown CPU"


def report(arguments: argparse.Namespace, rounds: list[Round], served: int, recorded: int) -> None:
    print(
        f"workers {arguments.workers}, wrk -t{arguments.threads} -c{arguments.connections} "
        f"-d{arguments.duration}s, rounds: {arguments.rounds}, distinct links: {arguments.tokens}"
    )
    print(
        f"{'round':6} {'server':10} {'requests/s':>11} {'p99 ms':>7} {'requests':>10} "
        f"{'non-2xx':>8} {'ratio':>6}"
    )
    for number, result in enumerate(rounds, start=1):
        for name, run in (("nginx", result.nginx), ("maltastic", result.maltastic)):
            ratio = f"{result.ratio:6.3f}" if name == "maltastic" else ""
            print(
                f"{number:<6} {name:10} {run.requests_per_second:11.0f} {run.p99_ms:7.2f} "
                f"{run.requests:10d} {run.non_2xx:8d} {ratio:>6}"
            )
    median = statistics.median(result.ratio for result in rounds)
    worst_p99 = max(result.maltastic.p99_ms for result in rounds)
    print(
        f"throughput ratio maltastic/nginx, median of the rounds: {median:.3f} "
        f"(goal >= {THROUGHPUT_GOAL}: {'met' if median >= THROUGHPUT_GOAL else 'missed'})"
    )
    print(
        f"maltastic p99, worst round: {worst_p99:.2f} ms "
        f"(goal <= {P99_GOAL_MS:.0f} ms: {'met' if worst_p99 <= P99_GOAL_MS else 'missed'})"
    )
    print(
        f"banner images served (server log): {served}; impressions recorded: {recorded}; "
        f"equal: {served == recorded}"
    )


if __name__ == "__main__":
    main()
