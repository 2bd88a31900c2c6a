"""Sample the running relay process with py-spy and sum the samples by stage and code area.

py-spy (`pip install py-spy`) reads the stacks of every thread of the relay from outside,
so the relay runs unchanged. py-spy skips threads that it classifies as idle. Time spent
in C code (SQLite, the ssl module) counts towards the Python function that called it.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

from smtp_load import LoadResult, run_load

# The first label whose frame text occurs in a stack gets the sample.
STAGES = (
    ("tenant index rebuild (background thread)", "TenantIndexRegistry.rebuild_now ("),
    ("signature rendering (fetch_signature)", "fetch_signature ("),
    ("insert_signature", "insert_signature ("),
    ("sender lookup (find_sender)", "find_sender ("),
    ("targeting (resolve_targeting)", "resolve_targeting ("),
    ("other pipeline steps", "process_message ("),
    ("relay log write", "RelayLogWriter.write ("),
    ("event loop: SMTP in and out, logging", "run_until_complete ("),
    ("worker threads: handing results to the loop", "Future.set_result ("),
    ("worker threads: waiting for work", "_worker (concurrent/futures/thread.py"),
)


def find_py_spy() -> str | None:
    beside_python = Path(sys.executable).with_name("py-spy")
    return str(beside_python) if beside_python.exists() else shutil.which("py-spy")


def record_relay(
    py_spy: str, pid: int, output: Path, seconds: float, load: dict[str, object]
) -> tuple[LoadResult, str]:
    """Load the relay for `seconds` plus one warm-up second while py-spy records it."""
    command = [py_spy, "record", "--pid", str(pid), "--duration", str(int(seconds))]
    command += ["--format", "raw", "--nonblocking", "--output", str(output)]
    spy = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    result = asyncio.run(run_load(warmup=1, duration=seconds, **load))  # type: ignore[arg-type]
    _, errors = spy.communicate(timeout=60)
    if spy.returncode != 0 or not output.exists():
        return result, f"py-spy failed with exit status {spy.returncode}: {errors.strip()}"
    return result, summarise(output)


def summarise(collapsed: Path) -> str:
    """Sum py-spy's collapsed stacks ("frame;frame;... count") by stage and by code area."""
    stages: Counter[str] = Counter()
    areas: Counter[str] = Counter()
    for line in collapsed.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        samples = int(count)
        frames = stack.split(";")
        stages[stage_of(stack)] += samples
        areas[area_of(frames[-1])] += samples
    total = sum(stages.values()) or 1
    lines = [f"py-spy samples of the relay process: {total}, share by stage:"]
    lines += [f"  {name:44} {n / total * 100:5.1f} %" for name, n in stages.most_common()]
    lines.append("  share by the code running in the innermost Python frame:")
    lines += [f"  {name:44} {n / total * 100:5.1f} %" for name, n in areas.most_common(8)]
    return "\n".join(lines)


def stage_of(stack: str) -> str:
    for label, frame in STAGES:
        if frame in stack:
            return label
    return "other threads"


def area_of(frame: str) -> str:
    """Name the library of a frame such as `Session.commit (sqlalchemy/orm/session.py:1)`."""
    function, _, location = frame.partition(" (")
    if function in ("DefaultDialect.do_execute", "DefaultDialect.do_commit"):
        return "SQLite C library (called by sqlalchemy)"
    path = location.rsplit(":", 1)[0]
    if path.startswith("maltastic/"):
        parts = path.removesuffix(".py").split("/")
        return ".".join(parts[:3] if parts[1] == "relay" and len(parts) > 3 else parts[:2])
    top = path.split("/", 1)[0]
    if "/" in path and top not in ("asyncio", "concurrent", "email", "logging", "json"):
        return top
    return "python standard library"
