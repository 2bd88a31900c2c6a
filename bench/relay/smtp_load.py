"""SMTP load generator: concurrent aiosmtplib clients, each on one reused connection.

A client sends messages back to back (MAIL, RCPT, DATA per message, no RSET, as an MTA
does on a cached connection to its smarthost) until the run ends. Only messages that
complete inside the measured window count. The warm-up before the window lets the relay
build its tenant index, open database connections and start its worker threads.
"""

from __future__ import annotations

import asyncio
import os
import resource
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiosmtplib

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Window:
    """The measured part of a run, in time.perf_counter() seconds."""

    start: float = float("inf")
    end: float = float("inf")
    cpu_start: dict[str, float] = field(default_factory=dict)
    cpu_end: dict[str, float] = field(default_factory=dict)


@dataclass
class LoadResult:
    clients: int
    seconds: float
    latencies: list[float]  # seconds per message, sorted
    failures: list[str]
    cpu_seconds: dict[str, float]  # per process name, inside the window

    @property
    def messages(self) -> int:
        return len(self.latencies)

    @property
    def rate(self) -> float:
        return self.messages / self.seconds

    def percentile_ms(self, fraction: float) -> float:
        if not self.latencies:
            return float("nan")
        index = min(len(self.latencies) - 1, int(len(self.latencies) * fraction))
        return self.latencies[index] * 1000


def process_cpu_seconds(pid: int) -> float:
    """Return user plus system CPU time of a process, from /proc/<pid>/stat (Linux only)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    # After the command name: state is field 3, utime field 14 and stime field 15.
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def sample_cpu(pids: dict[str, int]) -> dict[str, float]:
    sample = {name: process_cpu_seconds(pid) for name, pid in pids.items()}
    sample["load generator"] = own_cpu_seconds()
    return sample


async def send_loop(
    port: int,
    sender: str,
    recipient: str,
    messages: list[bytes],
    first: int,
    window: Window,
    latencies: list[float],
    failures: list[str],
) -> None:
    client = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, start_tls=False, timeout=60)
    await client.connect()
    number = first
    try:
        while time.perf_counter() < window.end:
            message = messages[number % len(messages)]
            number += 1
            started = time.perf_counter()
            try:
                await client.sendmail(sender, [recipient], message)
            except aiosmtplib.SMTPException as error:
                failures.append(f"{type(error).__name__}: {error}")
                if not client.is_connected:
                    await asyncio.sleep(0.1)
                    await client.connect()
                continue
            finished = time.perf_counter()
            if window.start <= finished <= window.end:
                latencies.append(finished - started)
    finally:
        if client.is_connected:
            await client.quit()


async def run_load(
    port: int,
    messages: list[bytes],
    *,
    sender: str,
    recipient: str,
    clients: int,
    warmup: float,
    duration: float,
    pids: dict[str, int],
) -> LoadResult:
    """Load the SMTP server on `port` and sample the CPU time of `pids` around the window."""
    window = Window()
    latencies: list[float] = []
    failures: list[str] = []
    window.end = time.perf_counter() + warmup + duration
    senders = [
        asyncio.create_task(
            send_loop(port, sender, recipient, messages, number, window, latencies, failures)
        )
        for number in range(clients)
    ]
    await asyncio.sleep(warmup)
    window.cpu_start = sample_cpu(pids)
    window.start = time.perf_counter()
    await asyncio.sleep(max(0.0, window.end - time.perf_counter()))
    window.cpu_end = sample_cpu(pids)
    await asyncio.gather(*senders)

    return LoadResult(
        clients=clients,
        seconds=window.end - window.start,
        latencies=sorted(latencies),
        failures=failures,
        cpu_seconds={
            name: window.cpu_end[name] - window.cpu_start[name] for name in window.cpu_end
        },
    )
