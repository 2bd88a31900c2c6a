"""Measure the CPU time each banner request costs the servers and wrk.

Starts nginx and Maltastic as `run.py` does, loads each with wrk once, and divides the
CPU time of every server thread (from /proc) and of wrk (from getrusage) by the
requests served. With wrk and the servers on the same cores, the throughput ratio
follows these sums. `make bench` does not run this script; docs/benchmarks.md records
its results.

Run: `flock /tmp/maltastic-bench.lock .venv/bin/python bench/banner/cpu_per_request.py`
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run as banner_bench  # the benchmark next to this file

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
MIN_LISTED_SECONDS = 0.05  # threads that used less CPU are left out of the list


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    parser.add_argument("--duration", type=banner_bench.positive_integer, default=10)
    parser.add_argument("--workers", type=banner_bench.positive_integer, default=2)
    parser.add_argument(
        "--tokens",
        type=banner_bench.positive_integer,
        default=1,
        help="distinct banner links to cycle",
    )
    return parser.parse_args()


def thread_cpu_seconds(pids: list[int]) -> dict[str, float]:
    """Return user plus system CPU seconds of every thread of the processes, by name."""
    seconds = {}
    for pid in pids:
        for thread_id in os.listdir(f"/proc/{pid}/task"):
            try:
                stat = Path(f"/proc/{pid}/task/{thread_id}/stat").read_text()
            except FileNotFoundError:
                continue
            fields = stat[stat.rindex(")") + 2 :].split()
            seconds[f"pid {pid} thread {thread_id}"] = (
                int(fields[11]) + int(fields[12])
            ) / CLOCK_TICKS
    return seconds


def child_pids(parent: int) -> list[int]:
    output = subprocess.run(["pgrep", "-P", str(parent)], capture_output=True, text=True).stdout
    return [int(pid) for pid in output.split()]


def measure(name: str, url: str, pids: list[int], duration: int, script: Path | None) -> None:
    load = argparse.Namespace(threads=2, connections=50, duration=duration)
    before = thread_cpu_seconds(pids)
    wrk_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = banner_bench.run_wrk(url, load, script)
    wrk_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    after = thread_cpu_seconds(pids)

    requests = result.requests
    wrk_seconds = (wrk_after.ru_utime + wrk_after.ru_stime) - (
        wrk_before.ru_utime + wrk_before.ru_stime
    )
    print(
        f"{name}: {result.requests_per_second:,.0f} requests/s, "
        f"wrk {wrk_seconds / requests * 1e6:.1f} µs per request"
    )
    total = 0.0
    for thread, seconds in after.items():
        used = seconds - before.get(thread, 0.0)
        total += used
        if used > MIN_LISTED_SECONDS:
            print(f"    {thread}: {used / requests * 1e6:.1f} µs per request")
    print(f"    server total: {total / requests * 1e6:.1f} µs per request")


def main() -> None:
    arguments = parse_arguments()
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        database_url, tokens, image = banner_bench.prepare_database(folder, arguments.tokens)
        server: subprocess.Popen[bytes] | None = None
        try:
            banner_bench.start_nginx(folder, banner_bench.NGINX_PORT, arguments.workers, image)
            server = banner_bench.start_maltastic(
                database_url, banner_bench.MALTASTIC_PORT, arguments.workers, folder / "log"
            )
            nginx_url = f"http://127.0.0.1:{banner_bench.NGINX_PORT}"
            maltastic_url = f"http://127.0.0.1:{banner_bench.MALTASTIC_PORT}"
            banner_bench.wait_until_up(f"{nginx_url}/banner.png")
            banner_bench.wait_until_up(f"{maltastic_url}/b/{tokens[0]}")
            scripts: tuple[Path | None, Path | None] = (None, None)
            if len(tokens) > 1:
                banner_paths = [f"/b/{token}" for token in tokens]
                scripts = (
                    banner_bench.cycle_script(folder, "nginx", ["/banner.png"], 2),
                    banner_bench.cycle_script(folder, "maltastic", banner_paths, 2),
                )
            workers = child_pids(server.pid)
            measure(
                "nginx, banner PNG",
                f"{nginx_url}/banner.png",
                child_pids(int((folder / "nginx.pid").read_text())),
                arguments.duration,
                scripts[0],
            )
            measure(
                "Maltastic, banner",
                f"{maltastic_url}/b/{tokens[0]}",
                workers,
                arguments.duration,
                scripts[1],
            )
            measure(
                "Maltastic, /link-unavailable",
                f"{maltastic_url}/link-unavailable",
                workers,
                arguments.duration,
                None,
            )
        finally:
            banner_bench.stop_servers(folder, server)


if __name__ == "__main__":
    main()
