"""Size limits (SMTP SIZE, 552, pass-through above the rewrite limit) and the demo outbox."""

from __future__ import annotations

import json
import smtplib
from pathlib import Path

import pytest

from tests.relay.conftest import RelayFactory, RunningNextHop

SENDER = "anna.schmidt@beispiel.de"
RECIPIENT = "max.mustermann@kunde-a.de"


def message(body_lines: int = 2) -> bytes:
    body = b"".join(b"Zeile %d des Angebots.\r\n" % number for number in range(body_lines))
    return (
        b"From: anna.schmidt@beispiel.de\r\nTo: max.mustermann@kunde-a.de\r\n"
        b"Subject: Angebot\r\nMessage-ID: <outbox@beispiel.de>\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n\r\n" + body
    )


def test_size_advertised(start_relay: RelayFactory, next_hop: RunningNextHop) -> None:
    relay = start_relay(next_hop.port, max_message_size=4096, max_rewrite_size=2048)

    with smtplib.SMTP("127.0.0.1", relay.port) as client:
        client.ehlo("upstream.test")
        size = client.esmtp_features["size"]

    assert size == "4096"


def test_declared_size_over_limit_rejected(
    start_relay: RelayFactory, next_hop: RunningNextHop
) -> None:
    relay = start_relay(next_hop.port, max_message_size=4096, max_rewrite_size=2048)

    with smtplib.SMTP("127.0.0.1", relay.port) as client:
        client.ehlo("upstream.test")
        code, _ = client.mail(SENDER, ["SIZE=5000"])

    assert code == 552


def test_data_over_limit_rejected(start_relay: RelayFactory, next_hop: RunningNextHop) -> None:
    relay = start_relay(next_hop.port, max_message_size=4096, max_rewrite_size=2048)

    with smtplib.SMTP("127.0.0.1", relay.port) as client:
        client.ehlo("upstream.test")
        client.mail(SENDER)  # without SIZE=, so the limit applies to the data
        client.rcpt(RECIPIENT)
        code, _ = client.data(message(body_lines=400))

    assert code == 552
    assert next_hop.handler.messages == []


def test_over_rewrite_limit_passes_through(
    start_relay: RelayFactory, next_hop: RunningNextHop
) -> None:
    relay = start_relay(next_hop.port, max_message_size=8192, max_rewrite_size=1024)
    original = message(body_lines=100)

    with smtplib.SMTP("127.0.0.1", relay.port) as client:
        client.sendmail(SENDER, [RECIPIENT], original)

    assert next_hop.handler.messages[0].data == b"X-Maltastic-Processed: true\r\n" + original
    assert relay.signatures.calls == []


def test_outbox_stores_message_and_sidecar(start_relay: RelayFactory, tmp_path: Path) -> None:
    relay = start_relay(None)

    with smtplib.SMTP("127.0.0.1", relay.port) as client:
        refused = client.sendmail(SENDER, [RECIPIENT], message())
        reply = client.noop()

    assert refused == {}
    assert reply[0] == 250
    outbox = tmp_path / "outbox"
    messages = sorted(outbox.glob("*.eml"))
    assert len(messages) == 1
    data = messages[0].read_bytes()
    assert data.startswith(b"X-Maltastic-Processed: true\r\n")
    assert b"Mit freundlichen Gr=C3=BC=C3=9Fen" in data
    sidecar = json.loads(messages[0].with_suffix(".json").read_text(encoding="utf-8"))
    assert sidecar["mail_from"] == SENDER
    assert sidecar["recipients"] == [RECIPIENT]
    assert sidecar["action"] == "inserted"
    assert sidecar["size_bytes"] == len(data)
    assert sidecar["queue_id"] == messages[0].stem
    assert [path.name for path in outbox.iterdir() if path.name.startswith(".")] == []


def test_outbox_write_failure_defers(start_relay: RelayFactory, tmp_path: Path) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the outbox folder should be")
    relay = start_relay(None, outbox_dir=blocked)

    with (
        smtplib.SMTP("127.0.0.1", relay.port) as client,
        pytest.raises(smtplib.SMTPDataError) as raised,
    ):
        client.sendmail(SENDER, [RECIPIENT], message())

    assert raised.value.smtp_code == 451
