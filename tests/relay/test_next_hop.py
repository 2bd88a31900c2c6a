"""Delivery to the next hop: per-recipient mirroring, faults, STARTTLS; never lost and acked."""

from __future__ import annotations

import smtplib

import pytest

from maltastic.relay.config import NextHopTls
from tests.relay.conftest import RelayFactory, RunningNextHop
from tests.relay.support import (
    Certificates,
    FakeNextHop,
    Fault,
    LoopThread,
    server_port,
    start_fake_next_hop,
    unused_port,
)

MESSAGE = (
    b"From: Anna Schmidt <anna.schmidt@beispiel.de>\r\n"
    b"To: max.mustermann@kunde-a.de, julia.roth@kunde-a.de\r\n"
    b"Subject: Angebot\r\n"
    b"Content-Type: text/html; charset=utf-8\r\n"
    b"\r\n"
    b"<p>Hallo Max,</p><p>anbei das Angebot.</p>\r\n"
)
SENDER = "anna.schmidt@beispiel.de"
RECIPIENTS = ["max.mustermann@kunde-a.de", "julia.roth@kunde-a.de"]


def send(port: int) -> tuple[int, dict[str, tuple[int, bytes]]]:
    """Send MESSAGE and return the final reply code and the refused recipients."""
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        try:
            refused = client.sendmail(SENDER, RECIPIENTS, MESSAGE)
        except smtplib.SMTPDataError as error:
            return error.smtp_code, {}
        except smtplib.SMTPSenderRefused as error:
            return error.smtp_code, {}
        except smtplib.SMTPRecipientsRefused as error:
            codes = {code for code, _ in error.recipients.values()}
            return min(codes), error.recipients
    return 250, refused


def test_delivered_with_signature(start_relay: RelayFactory, next_hop: RunningNextHop) -> None:
    relay = start_relay(next_hop.port)

    code, refused = send(relay.port)

    assert code == 250
    assert refused == {}
    received = next_hop.handler.messages[0]
    assert received.recipients == RECIPIENTS
    assert b"data-maltastic-signature" in received.data
    assert "BODY=8BITMIME" in received.mail_options


def test_one_recipient_rejected_is_mirrored(
    start_relay: RelayFactory, next_hop: RunningNextHop
) -> None:
    next_hop.handler.rejected_recipients = {
        RECIPIENTS[1]: "550 5.1.1 <julia.roth@kunde-a.de>: Recipient address rejected"
    }
    relay = start_relay(next_hop.port)

    code, refused = send(relay.port)

    assert code == 250
    assert refused[RECIPIENTS[1]][0] == 550
    assert b"5.1.1" in refused[RECIPIENTS[1]][1]
    assert next_hop.handler.messages[0].recipients == [RECIPIENTS[0]]


def test_one_recipient_deferred_is_mirrored(
    start_relay: RelayFactory, next_hop: RunningNextHop
) -> None:
    next_hop.handler.rejected_recipients = {RECIPIENTS[0]: "452 4.2.2 Mailbox full"}
    relay = start_relay(next_hop.port)

    code, refused = send(relay.port)

    assert code == 250
    assert refused[RECIPIENTS[0]][0] == 452
    assert next_hop.handler.messages[0].recipients == [RECIPIENTS[1]]


def test_all_recipients_rejected(start_relay: RelayFactory, next_hop: RunningNextHop) -> None:
    next_hop.handler.rejected_recipients = dict.fromkeys(RECIPIENTS, "550 5.1.1 Unknown user")
    relay = start_relay(next_hop.port)

    code, refused = send(relay.port)

    assert code == 550
    assert set(refused) == set(RECIPIENTS)
    assert next_hop.handler.messages == []


@pytest.mark.parametrize(
    ("fault", "expected_code"),
    [
        (Fault.TEMPFAIL_DATA, 451),
        (Fault.SLOW_DATA, 451),
        (Fault.DISCONNECT_DATA, 451),
        (Fault.DISCONNECT_RCPT, 451),
        (Fault.REJECT_DATA, 554),
    ],
)
def test_next_hop_fault_reply(
    fault: Fault, expected_code: int, start_relay: RelayFactory, next_hop: RunningNextHop
) -> None:
    next_hop.handler.fault = fault
    next_hop.handler.delay = 3.0
    relay = start_relay(next_hop.port, next_hop_data_timeout=1.0)

    code, _ = send(relay.port)

    assert code == expected_code
    assert next_hop.handler.messages == []


def test_next_hop_down_defers(start_relay: RelayFactory) -> None:
    relay = start_relay(unused_port())

    code, _ = send(relay.port)

    assert code == 451


def test_retry_after_fault_delivers(start_relay: RelayFactory, next_hop: RunningNextHop) -> None:
    next_hop.handler.fault = Fault.DISCONNECT_DATA
    relay = start_relay(next_hop.port)

    first_code, _ = send(relay.port)
    next_hop.handler.fault = Fault.NONE
    second_code, _ = send(relay.port)

    assert first_code == 451
    assert second_code == 250
    assert len(next_hop.handler.messages) == 1


@pytest.mark.parametrize("fault", list(Fault))
def test_never_acknowledged_and_lost(
    fault: Fault, start_relay: RelayFactory, next_hop: RunningNextHop
) -> None:
    next_hop.handler.fault = fault
    next_hop.handler.delay = 2.0
    relay = start_relay(next_hop.port, next_hop_data_timeout=1.0)

    code, refused = send(relay.port)

    accepted = [address for address in RECIPIENTS if address not in refused]
    if code == 250:
        assert next_hop.handler.messages[0].recipients == accepted
    else:
        assert 400 <= code < 600


def test_several_messages_on_one_connection(
    start_relay: RelayFactory, next_hop: RunningNextHop
) -> None:
    relay = start_relay(next_hop.port)

    with smtplib.SMTP("127.0.0.1", relay.port, timeout=30) as client:
        for _ in range(3):
            client.sendmail(SENDER, RECIPIENTS, MESSAGE)
        client.ehlo("upstream.test")
        client.mail(SENDER)
        client.rcpt(RECIPIENTS[0])
        client.rset()
        client.sendmail(SENDER, RECIPIENTS[:1], MESSAGE)

    assert len(next_hop.handler.messages) == 4
    assert next_hop.handler.messages[3].recipients == RECIPIENTS[:1]


def test_starttls_to_next_hop(
    start_relay: RelayFactory, loop_thread: LoopThread, certificates: Certificates
) -> None:
    handler = FakeNextHop()
    server = loop_thread.run(start_fake_next_hop(handler, certificates.server_context()))
    relay = start_relay(
        server_port(server), next_hop_tls=NextHopTls.REQUIRED, next_hop_ca_path=certificates.ca
    )

    code, _ = send(relay.port)
    loop_thread.stop_server(server)

    assert code == 250
    assert handler.tls_seen == [True]


def test_starttls_required_but_not_offered(
    start_relay: RelayFactory, next_hop: RunningNextHop
) -> None:
    relay = start_relay(next_hop.port, next_hop_tls=NextHopTls.REQUIRED)

    code, _ = send(relay.port)

    assert code == 451
    assert next_hop.handler.messages == []


def test_next_hop_certificate_not_trusted(
    start_relay: RelayFactory, loop_thread: LoopThread, certificates: Certificates
) -> None:
    handler = FakeNextHop()
    server = loop_thread.run(start_fake_next_hop(handler, certificates.server_context()))
    relay = start_relay(server_port(server), next_hop_tls=NextHopTls.REQUIRED)

    code, _ = send(relay.port)
    loop_thread.stop_server(server)

    assert code == 451
    assert handler.messages == []


def test_relay_presents_client_certificate(
    start_relay: RelayFactory, loop_thread: LoopThread, certificates: Certificates
) -> None:
    handler = FakeNextHop()
    context = certificates.server_context(verify_clients=True)
    server = loop_thread.run(start_fake_next_hop(handler, context))
    relay = start_relay(
        server_port(server),
        next_hop_tls=NextHopTls.REQUIRED,
        next_hop_ca_path=certificates.ca,
        tls_cert_path=certificates.server_cert,
        tls_key_path=certificates.server_key,
    )

    code, _ = send(relay.port)
    loop_thread.stop_server(server)

    assert code == 250
    assert handler.client_cert_subjects == [((("commonName", "localhost"),),)]
