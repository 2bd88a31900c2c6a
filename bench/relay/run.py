"""Benchmark the SMTP relay: throughput, added latency and CPU per message.

Sends generated ~40 KB Outlook-style German replies from concurrent aiosmtplib clients
(this process) through the relay (its own process, see servers.py) to a sink next hop
(a third process that discards every message). It runs three ways: straight to the sink,
through the relay with signature rewriting, and through the same relay with a signature
source that returns None (pass-through). Then it compares the CPU time per message of
Debian's altermime, run once per message as an MTA content filter, with Maltastic's.

Traffic stays on 127.0.0.1. Needs altermime (`apt-get install altermime`) and Linux,
because the CPU time of the server processes is read from /proc.
Run: `.venv/bin/python bench/relay/run.py` (or `make bench`); options: --help.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import select
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from cpu_cost import (
    CpuCost,
    Pipeline,
    measure_altermime,
    measure_insert,
    measure_pipeline,
    profile_pipeline,
)
from relay_profile import find_py_spy, record_relay
from sample_reply import RECIPIENT, SENDER, build_reply
from smtp_load import LoadResult, run_load

from maltastic.db.migrate import upgrade_database
from maltastic.demo.loader import load_demo
from maltastic.runtime import Runtime
from maltastic.settings import Settings

SECRET_KEY = "benchmark-secret-key-with-more-than-32-characters"
SERVERS = Path(__file__).with_name("servers.py")
STARTUP_TIMEOUT = 60.0
GOAL_RATIO = 0.8
GOAL_RATE = 150.0


@dataclass
class Server:
    """A benchmark server process and the loopback port it listens on."""

    process: subprocess.Popen[str]
    port: int
    final_output: dict[str, int] = field(default_factory=dict)


@dataclass
class ModeResult:
    name: str
    loaded: LoadResult
    single: LoadResult
    sink: dict[str, int]
    profile: str = ""


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8, help="concurrent SMTP connections")
    parser.add_argument("--duration", type=float, default=15, help="measured seconds per run")
    parser.add_argument("--warmup", type=float, default=3, help="unmeasured seconds before")
    parser.add_argument(
        "--single-duration", type=float, default=5, help="measured seconds with one client"
    )
    parser.add_argument("--message-size", type=int, default=40_000, help="bytes per message")
    parser.add_argument("--distinct-messages", type=int, default=16, help="replies generated")
    parser.add_argument(
        "--cpu-messages", type=int, default=300, help="messages per CPU-time measurement"
    )
    parser.add_argument(
        "--profile-messages", type=int, default=100, help="messages under cProfile; 0 skips"
    )
    parser.add_argument(
        "--py-spy-seconds",
        type=float,
        default=8,
        help="seconds of py-spy sampling of the loaded relay per mode; 0 skips",
    )
    parser.add_argument(
        "--relay-log-level", default="INFO", help="MALTASTIC_LOG_LEVEL of the relay process"
    )
    return parser.parse_args()


def prepare_database(folder: Path) -> Runtime:
    """Create a SQLite database with the demo tenant; return a runtime on it."""
    url = f"sqlite:///{folder}/bench.sqlite3"
    runtime = Runtime.from_settings(Settings(database_url=url, secret_key=SECRET_KEY))  # type: ignore[arg-type]
    upgrade_database(runtime.engine)
    load_demo(runtime.session_factory, runtime.secret_box)
    return runtime


@contextlib.contextmanager
def start_server(
    arguments: list[str], folder: Path, log_name: str, environment: dict[str, str] | None = None
) -> Iterator[Server]:
    """Start servers.py with `arguments`; stop it with SIGTERM when the block ends."""
    log = folder / log_name
    process = subprocess.Popen(
        [sys.executable, str(SERVERS), *arguments],
        cwd=folder,  # so that no .env file of the repository changes the settings
        env={**os.environ, **(environment or {})},
        stdout=subprocess.PIPE,
        stderr=log.open("w"),
        text=True,
    )
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], STARTUP_TIMEOUT)
    first_line = process.stdout.readline() if ready else ""
    if not first_line.strip().isdigit():
        process.kill()
        process.wait()
        raise RuntimeError(f"{log_name} did not start; its log {log} ends with: {tail(log)}")
    server = Server(process, int(first_line))
    try:
        yield server
    finally:
        process.send_signal(signal.SIGTERM)
        remaining, _ = process.communicate(timeout=60)
        if remaining.strip():
            server.final_output = json.loads(remaining)


def tail(path: Path, lines: int = 5) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def relay_environment(folder: Path, sink_port: int, log_level: str) -> dict[str, str]:
    return {
        "MALTASTIC_ENVIRONMENT": "production",
        "MALTASTIC_SECRET_KEY": SECRET_KEY,
        "MALTASTIC_DATABASE_URL": f"sqlite:///{folder}/bench.sqlite3",
        "MALTASTIC_SMTP_HOST": "127.0.0.1",
        "MALTASTIC_NEXT_HOP": f"127.0.0.1:{sink_port}",
        "MALTASTIC_RELAY_NEXT_HOP_TLS": "off",
        "MALTASTIC_LOG_LEVEL": log_level,
    }


def measure_load(
    port: int,
    pids: dict[str, int],
    messages: list[bytes],
    arguments: argparse.Namespace,
    profile_to: Path | None = None,
) -> tuple[LoadResult, LoadResult, str]:
    """Load the server with all clients, then with one; sample it with py-spy if asked."""
    load: dict[str, object] = {
        "port": port,
        "messages": messages,
        "sender": SENDER,
        "recipient": RECIPIENT,
        "pids": pids,
    }
    loaded = asyncio.run(
        run_load(
            clients=arguments.clients, warmup=arguments.warmup, duration=arguments.duration, **load
        )  # type: ignore[arg-type]
    )
    single = asyncio.run(
        run_load(clients=1, warmup=1, duration=arguments.single_duration, **load)  # type: ignore[arg-type]
    )
    profile = ""
    if profile_to is not None and arguments.py_spy_seconds > 0:
        py_spy = find_py_spy()
        if py_spy is None:
            profile = "py-spy not found, no profile: install it with `pip install py-spy`"
        else:
            load["clients"] = arguments.clients
            _, profile = record_relay(
                py_spy, pids["relay"], profile_to, arguments.py_spy_seconds, load
            )
    return loaded, single, profile


def measure_mode(
    name: str,
    signatures: str | None,
    messages: list[bytes],
    folder: Path,
    arguments: argparse.Namespace,
) -> ModeResult:
    """Measure one mode; `signatures` None sends straight to the sink."""
    with start_server(["sink"], folder, f"sink-{signatures}.log") as sink:
        pids = {"sink": sink.process.pid}
        if signatures is None:
            loaded, single, profile = measure_load(sink.port, pids, messages, arguments)
        else:
            environment = relay_environment(folder, sink.port, arguments.relay_log_level)
            with start_server(
                ["relay", "--signatures", signatures],
                folder,
                f"relay-{signatures}.log",
                environment,
            ) as relay:
                pids["relay"] = relay.process.pid
                loaded, single, profile = measure_load(
                    relay.port, pids, messages, arguments, folder / f"py-spy-{signatures}.txt"
                )
    return ModeResult(name, loaded, single, sink.final_output, profile)


def main() -> None:
    arguments = parse_arguments()
    if shutil.which("altermime") is None:
        sys.exit("altermime not found: install it with `apt-get install altermime`")
    messages = [
        build_reply(number, arguments.message_size) for number in range(arguments.distinct_messages)
    ]
    sizes = sorted(len(message) for message in messages)
    print(f"{len(messages)} replies of {sizes[0]}-{sizes[-1]} bytes, {arguments.clients} clients")

    with tempfile.TemporaryDirectory(prefix="maltastic-relay-bench-") as name:
        folder = Path(name)
        runtime = prepare_database(folder)
        pipeline = Pipeline.on(runtime)
        signature = pipeline.render(SENDER, RECIPIENT)
        modes = [
            measure_mode("direct to sink", None, messages, folder, arguments),
            measure_mode("relay, pass-through", "none", messages, folder, arguments),
            measure_mode("relay, rewriting", "rendered", messages, folder, arguments),
        ]
        count = arguments.cpu_messages
        costs = measure_altermime(messages, signature, folder, count)
        costs.append(measure_insert(messages, signature, count))
        costs += measure_pipeline(pipeline, messages, SENDER, RECIPIENT, count)
        profile = ""
        if arguments.profile_messages > 0:
            profile = profile_pipeline(
                pipeline, messages, SENDER, RECIPIENT, arguments.profile_messages
            )
        runtime.close()

    report_throughput(modes)
    report_cpu(costs, modes)
    if profile:
        print(profile)
    for mode in modes:
        if mode.profile:
            print(f"{mode.name}: {mode.profile}")
    print(f"signature: {len(signature.html)} bytes HTML, {len(signature.text)} bytes text")
    print("command:", shlex.join([os.path.relpath(sys.executable), *sys.argv]))


def report_throughput(modes: list[ModeResult]) -> None:
    print(
        f"{'mode':22} {'clients':>7} {'msg/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'failed':>6}"
        "  CPU s in the window: relay / sink / load generator"
    )
    for mode in modes:
        for result in (mode.loaded, mode.single):
            cpu = result.cpu_seconds
            print(
                f"{mode.name:22} {result.clients:7d} {result.rate:7.1f}"
                f" {result.percentile_ms(0.5):7.1f} {result.percentile_ms(0.99):7.1f}"
                f" {len(result.failures):6d}"
                f"  {cpu.get('relay', 0):.1f} / {cpu['sink']:.1f} / {cpu['load generator']:.1f}"
                f" of {result.seconds:.1f} s"
            )
            if result.failures:
                print(f"  first failure: {result.failures[0]}")
    for mode in modes:
        print(
            f"{mode.name}: the sink received {mode.sink.get('messages', 0)} messages, "
            f"{mode.sink.get('signed', 0)} with a Maltastic signature"
        )

    direct, passing, rewriting = modes
    for mode in (passing, rewriting):
        added = mode.single.percentile_ms(0.5) - direct.single.percentile_ms(0.5)
        print(f"added latency, one client, p50: {mode.name}: {added:+.1f} ms")
    ratio = rewriting.loaded.rate / passing.loaded.rate
    print(
        f"goal rewriting/pass-through throughput >= {GOAL_RATIO}: {ratio:.2f}, "
        f"{'met' if ratio >= GOAL_RATIO else 'missed'}"
    )
    rate = rewriting.loaded.rate
    print(
        f"goal rewriting >= {GOAL_RATE:.0f} msg/s: {rate:.1f}, "
        f"{'met' if rate >= GOAL_RATE else 'missed'}"
    )


def report_cpu(costs: list[CpuCost], modes: list[ModeResult]) -> None:
    for mode in modes[1:]:
        loaded = mode.loaded
        costs.append(
            CpuCost(
                f"{mode.name}: relay process",
                loaded.cpu_seconds["relay"] / loaded.messages * 1000,
                float("nan"),
                "all relay work: SMTP in/out, lookups, pipeline, relay log, logging",
            )
        )
    print(f"{'CPU per message':46} {'CPU ms':>7} {'wall ms':>7}  includes")
    for cost in costs:
        wall = "-" if math.isnan(cost.wall_ms) else f"{cost.wall_ms:.2f}"
        print(f"{cost.name:46} {cost.cpu_ms:7.2f} {wall:>7}  {cost.includes}")


if __name__ == "__main__":
    main()
