"""CPU time per message: altermime as an MTA filter, and Maltastic's steps in this process."""

from __future__ import annotations

import cProfile
import pstats
import resource
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from maltastic.relay.config import RelayConfig
from maltastic.relay.mime import Signature, insert_signature
from maltastic.relay.pipeline import InboundMessage, PipelineServices, process_message
from maltastic.relay.senders import DatabaseSenderDirectory
from maltastic.relay.signature_source import TargetedAudience
from maltastic.runtime import Runtime
from maltastic.signatures.relay_source import RenderedSignatureSource
from maltastic.targeting import decide_audience_for_headers

# The relay's default; every benchmark message is far below it.
MAX_REWRITE_SIZE = RelayConfig().max_rewrite_size


@dataclass(frozen=True)
class CpuCost:
    """CPU time per message of one way of adding a signature, and what that time covers."""

    name: str
    cpu_ms: float
    wall_ms: float
    includes: str


def children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_per_message(
    name: str, command: Callable[[Path], list[str]], messages: list[bytes], folder: Path, count: int
) -> tuple[float, float]:
    """Run `command` on a fresh copy of each message, as a content filter would.

    Returns the children's CPU and the wall time per message in milliseconds. Writing the
    message file happens in this process and is not counted as CPU.
    """
    path = folder / f"{name}.eml"
    cpu, wall = 0.0, 0.0
    for number in range(count):
        path.write_bytes(messages[number % len(messages)])
        cpu_before, started = children_cpu_seconds(), time.perf_counter()
        subprocess.run(command(path), check=True, stdout=subprocess.DEVNULL)
        wall += time.perf_counter() - started
        cpu += children_cpu_seconds() - cpu_before
    return cpu / count * 1000, wall / count * 1000


def measure_altermime(
    messages: list[bytes], signature: Signature, folder: Path, count: int
) -> list[CpuCost]:
    """Time altermime adding the signature texts as disclaimers, and a bare process start."""
    altermime = shutil.which("altermime")
    true = shutil.which("true")
    assert altermime is not None
    assert true is not None
    text_file, html_file = folder / "disclaimer.txt", folder / "disclaimer.html"
    text_file.write_text(signature.text)
    html_file.write_text(signature.html)

    def filter_command(path: Path) -> list[str]:
        return [
            altermime,
            f"--input={path}",
            f"--disclaimer={text_file}",
            f"--disclaimer-html={html_file}",
        ]

    check_altermime_output(filter_command, messages[0], folder)
    cpu, wall = run_per_message("altermime", filter_command, messages, folder, count)
    floor_cpu, floor_wall = run_per_message(
        "true", lambda path: [true, str(path)], messages, folder, count
    )
    return [
        CpuCost(
            "altermime 0.3.10 (one process per message)",
            cpu,
            wall,
            "fork+exec, dynamic linking, reading and rewriting the message file",
        ),
        CpuCost(
            "  of which process start (/bin/true)",
            floor_cpu,
            floor_wall,
            "the same fork+exec running `true`, as a floor for any external filter",
        ),
    ]


def check_altermime_output(
    command: Callable[[Path], list[str]], message: bytes, folder: Path
) -> None:
    path = folder / "check.eml"
    path.write_bytes(message)
    subprocess.run(command(path), check=True, stdout=subprocess.DEVNULL)
    if b"data-maltastic-signature" not in path.read_bytes():
        raise RuntimeError(f"altermime did not insert the HTML disclaimer into {path}")


def measure_insert(messages: list[bytes], signature: Signature, count: int) -> CpuCost:
    """Time `insert_signature` alone, with the signature rendered once beforehand."""
    started_cpu, started = time.process_time(), time.perf_counter()
    for number in range(count):
        result = insert_signature(
            messages[number % len(messages)],
            signature,
            max_size=MAX_REWRITE_SIZE,
            processed_header_value="true",
        )
        assert result.inserted, result.reason
    return CpuCost(
        "maltastic insert_signature (in process)",
        (time.process_time() - started_cpu) / count * 1000,
        (time.perf_counter() - started) / count * 1000,
        "MIME scan, skip checks, decode, placement, re-encode, header stamp",
    )


@dataclass(frozen=True)
class Pipeline:
    """The relay's per-message work without SMTP: sender lookup plus `process_message`."""

    runtime: Runtime
    directory: DatabaseSenderDirectory
    services: PipelineServices
    source: RenderedSignatureSource

    @classmethod
    def on(cls, runtime: Runtime) -> Pipeline:
        directory = DatabaseSenderDirectory(
            runtime.session_factory,
            policies=lambda tenant_id: runtime.indexes.get(tenant_id).policy,
        )
        source = RenderedSignatureSource(runtime)
        config = RelayConfig.from_settings(runtime.settings)
        return cls(runtime, directory, PipelineServices(config, directory, source), source)

    def relay(self, number: int, data: bytes, sender: str, recipient: str) -> None:
        message = InboundMessage(
            queue_id=f"bench-{number}",
            mail_from=sender,
            recipients=(recipient,),
            data=data,
            sender=self.directory.find_sender(sender),
        )
        processed = process_message(message, self.services)
        assert processed.action == "inserted", processed.reason

    def render(self, sender: str, recipient: str) -> Signature:
        found = self.directory.find_sender(sender)
        assert found is not None
        assert found.employee is not None
        policy = self.directory.targeting_policy(found.tenant_id)
        decision = decide_audience_for_headers(to=[recipient], envelope=[recipient], policy=policy)
        ids = self.directory.audience_ids(found.tenant_id, decision)
        audience = TargetedAudience(decision, ids.account_id, ids.contact_id)
        signature = self.source.signature_for(found.tenant_id, found.employee, audience)
        assert signature is not None
        return signature


def measure_pipeline(
    pipeline: Pipeline, messages: list[bytes], sender: str, recipient: str, count: int
) -> list[CpuCost]:
    """Time rendering alone, then the whole pipeline, on the benchmark database.

    process_time() counts every thread of this process, so the rows would include any
    tenant index rebuild that a commit of the renderer started in a background thread.
    """
    started_cpu, started = time.process_time(), time.perf_counter()
    for _ in range(count):
        pipeline.render(sender, recipient)
    render = CpuCost(
        "maltastic signature rendering (in process)",
        (time.process_time() - started_cpu) / count * 1000,
        (time.perf_counter() - started) / count * 1000,
        "sender lookup, targeting, token, template output from the in-memory caches",
    )
    started_cpu, started = time.process_time(), time.perf_counter()
    for number in range(count):
        pipeline.relay(number, messages[number % len(messages)], sender, recipient)
    whole = CpuCost(
        "maltastic pipeline (in process)",
        (time.process_time() - started_cpu) / count * 1000,
        (time.perf_counter() - started) / count * 1000,
        "sender lookup + process_message: rendering, insert_signature",
    )
    return [render, whole]


PIPELINE_STEPS = ("find_sender", "resolve_targeting", "fetch_signature", "insert")


def profile_pipeline(
    pipeline: Pipeline, messages: list[bytes], sender: str, recipient: str, count: int
) -> str:
    """Profile the pipeline with cProfile; return the time per step and per code area."""
    profiler = cProfile.Profile()
    profiler.enable()
    for number in range(count):
        pipeline.relay(number, messages[number % len(messages)], sender, recipient)
    profiler.disable()
    # pstats keeps (calls, primitive calls, own time, cumulative time, callers) per function.
    entries: dict[tuple[str, int, str], tuple[Any, ...]] = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    total = sum(entry[2] for entry in entries.values())

    steps = {name: 0.0 for name in PIPELINE_STEPS}
    areas: dict[str, float] = {}
    for (filename, _line, function), entry in entries.items():
        if function in steps and "maltastic/relay/" in filename:
            steps[function] += entry[3]
        area = code_area(filename, function)
        areas[area] = areas.get(area, 0.0) + entry[2]

    lines = [f"cProfile of {count} messages through the pipeline, share of profiled time:"]
    lines += [f"  step {name:22} {seconds / total * 100:5.1f} %" for name, seconds in steps.items()]
    lines.append("  own time by code area:")
    for area, seconds in sorted(areas.items(), key=lambda item: item[1], reverse=True)[:8]:
        lines.append(f"    {area:38} {seconds / total * 100:5.1f} %")
    return "\n".join(lines)


def code_area(filename: str, function: str) -> str:
    """Name the library or Maltastic package that a profiled function belongs to."""
    if filename == "~":
        return "sqlite3 (C)" if "sqlite3" in function else "built-in functions"
    if filename.startswith("<template>"):
        return "jinja2 templates"
    if "site-packages/" in filename:
        return filename.split("site-packages/", 1)[1].split("/", 1)[0]
    if "/maltastic/" in filename:
        parts = filename.split("/maltastic/", 1)[1].split("/")
        depth = 2 if parts[0] == "relay" and len(parts) > 2 else 1
        return "maltastic." + ".".join(part.removesuffix(".py") for part in parts[:depth])
    return "python standard library"
