"""The relay log: metadata per message of a known tenant, written without affecting delivery."""

from __future__ import annotations

import datetime as dt
import smtplib
import time
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from maltastic.directory.models import Employee
from maltastic.relay.config import NextHopTls, RelayConfig
from maltastic.relay.mime import Signature
from maltastic.relay.models import RelayAction, RelayLogEntry
from maltastic.relay.relay_log import RelayLogWriter, RelayRecord
from maltastic.relay.senders import DatabaseSenderDirectory
from maltastic.relay.server import RelayServer
from maltastic.relay.signature_source import TargetedAudience
from maltastic.runtime import Runtime
from maltastic.settings import HostPort
from tests.relay.conftest import RelayFactory, RunningNextHop
from tests.relay.support import FakeSignatureSource, Fault, LoopThread

SENDER = "anna.schmidt@beispiel.de"


def message(message_id: str) -> bytes:
    return (
        b"From: anna.schmidt@beispiel.de\r\nTo: max.mustermann@kunde-a.de\r\n"
        b"Subject: Vertraulich\r\nMessage-ID: " + message_id.encode() + b"\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n\r\nGeheimer Inhalt 4711\r\n"
    )


def wait_for_entry(runtime: Runtime, message_id: str) -> RelayLogEntry:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        with runtime.session_factory() as session:
            entry = session.scalar(
                select(RelayLogEntry).where(RelayLogEntry.message_id == message_id)
            )
        if entry is not None:
            return entry
        time.sleep(0.05)
    raise AssertionError(f"no relay log entry for {message_id}")


def test_entry_written_for_insert(
    start_relay: RelayFactory, next_hop: RunningNextHop, demo_runtime: Runtime
) -> None:
    message_id = f"<{uuid.uuid4().hex}@beispiel.de>"
    relay = start_relay(next_hop.port)

    with smtplib.SMTP("127.0.0.1", relay.port) as client:
        client.sendmail(SENDER, ["max.mustermann@kunde-a.de"], message(message_id))

    entry = wait_for_entry(demo_runtime, message_id)
    with demo_runtime.session_factory() as session:
        anna = session.scalar(select(Employee).where(Employee.email == SENDER))
    assert anna is not None
    assert entry.employee_id == anna.id
    assert entry.tenant_id == anna.tenant_id
    assert entry.action is RelayAction.INSERTED
    assert entry.audience_kind == "contact"
    assert entry.rule == "single_contact"
    assert entry.contact_id is not None
    assert entry.recipient_count == 1
    assert entry.size_bytes == len(message(message_id))
    assert entry.duration_ms >= 0
    assert "4711" not in entry.reason


def test_entry_written_for_deferral(
    start_relay: RelayFactory, next_hop: RunningNextHop, demo_runtime: Runtime
) -> None:
    next_hop.handler.fault = Fault.TEMPFAIL_DATA
    message_id = f"<{uuid.uuid4().hex}@beispiel.de>"
    relay = start_relay(next_hop.port)

    with smtplib.SMTP("127.0.0.1", relay.port) as client:
        client.ehlo("upstream.test")
        client.mail(SENDER)
        client.rcpt("max.mustermann@kunde-a.de")
        code, _ = client.data(message(message_id))

    assert code == 451
    entry = wait_for_entry(demo_runtime, message_id)
    assert entry.action is RelayAction.DEFERRED
    assert entry.reason.startswith("next hop: 451")


def broken_session_factory(*args: Any, **kwargs: Any) -> Session:
    raise RuntimeError("relay log database is down")


def test_log_failure_does_not_affect_delivery(
    loop_thread: LoopThread, demo_runtime: Runtime, next_hop: RunningNextHop
) -> None:
    config = RelayConfig(
        listen_port=0,
        next_hop=HostPort("127.0.0.1", next_hop.port),
        next_hop_tls=NextHopTls.OFF,
    )
    broken = RelayLogWriter(broken_session_factory)  # type: ignore[arg-type]
    server = RelayServer(
        config,
        directory=DatabaseSenderDirectory(demo_runtime.session_factory),
        signatures=FakeSignatureSource(),
        relay_log=broken,
    )
    loop_thread.run(server.start())
    try:
        with smtplib.SMTP("127.0.0.1", server.port) as client:
            refused = client.sendmail(SENDER, ["max.mustermann@kunde-a.de"], message("<x@y>"))
    finally:
        loop_thread.run(server.stop())

    assert refused == {}
    assert len(next_hop.handler.messages) == 1


class SlowSignatureSource(FakeSignatureSource):
    def signature_for(
        self, tenant_id: int, employee: Employee, audience: TargetedAudience
    ) -> Signature | None:
        time.sleep(1.5)
        return super().signature_for(tenant_id, employee, audience)


def test_processing_timeout_relays_original(
    start_relay: RelayFactory, next_hop: RunningNextHop
) -> None:
    relay = start_relay(next_hop.port, signatures=SlowSignatureSource(), processing_timeout=0.5)
    original = message("<slow@beispiel.de>")

    with smtplib.SMTP("127.0.0.1", relay.port) as client:
        refused = client.sendmail(SENDER, ["max.mustermann@kunde-a.de"], original)

    assert refused == {}
    assert next_hop.handler.messages[0].data == b"X-Maltastic-Processed: true\r\n" + original


def record_for(runtime: Runtime, message_id: str) -> RelayRecord:
    with runtime.session_factory() as session:
        employee = session.scalars(select(Employee).where(Employee.email == SENDER)).one()
    return RelayRecord(
        queue_id="q",
        tenant_id=employee.tenant_id,
        received_at=dt.datetime.now(dt.UTC),
        message_id=message_id,
        employee_id=employee.id,
        recipient_count=1,
        audience=None,
        action=RelayAction.PASSED_THROUGH,
        reason="",
        size_bytes=10,
        duration_ms=1,
    )


def stored_ids(runtime: Runtime, message_ids: list[str]) -> set[str]:
    with runtime.session_factory() as session:
        rows = session.scalars(
            select(RelayLogEntry.message_id).where(RelayLogEntry.message_id.in_(message_ids))
        )
        return set(rows)


def test_entries_wait_for_batch_or_flush(demo_runtime: Runtime) -> None:
    writer = RelayLogWriter(demo_runtime.session_factory, max_batch=3, max_delay=3600)
    ids = [f"<batch-{uuid.uuid4().hex}@beispiel.de>" for _ in range(5)]
    for message_id in ids[:2]:
        writer.write(record_for(demo_runtime, message_id))
    assert stored_ids(demo_runtime, ids) == set()

    writer.write(record_for(demo_runtime, ids[2]))
    assert stored_ids(demo_runtime, ids) == set(ids[:3])

    for message_id in ids[3:]:
        writer.write(record_for(demo_runtime, message_id))
    writer.flush()
    assert stored_ids(demo_runtime, ids) == set(ids)


def test_sender_lookups_are_cached_until_forgotten(demo_runtime: Runtime) -> None:
    directory = DatabaseSenderDirectory(demo_runtime.session_factory)
    first = directory.find_sender(SENDER)
    assert first is not None
    assert directory.find_sender(SENDER) is first
    directory.forget_senders()
    assert directory.find_sender(SENDER) is not first
