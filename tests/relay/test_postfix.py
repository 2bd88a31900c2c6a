"""A customer's Postfix relays outgoing mail through the Maltastic relay (smarthost setup)."""

from __future__ import annotations

import smtplib
import time

from tests.postfix_instance import PostfixInstance, postfix_instance
from tests.relay.conftest import RelayFactory, RunningNextHop


def test_postfix_relays_through_maltastic(
    start_relay: RelayFactory, next_hop: RunningNextHop
) -> None:
    relay = start_relay(next_hop.port)
    original = (
        b"From: Anna Schmidt <anna.schmidt@beispiel.de>\r\n"
        b"To: max.mustermann@kunde-a.de\r\n"
        b"Subject: Angebot via Postfix\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n"
        b"\r\n"
        b"Hallo Max,\r\nanbei das Angebot.\r\n"
    )
    with postfix_instance(relay.port) as postfix:
        with smtplib.SMTP("127.0.0.1", postfix.port, timeout=30) as client:
            client.sendmail("anna.schmidt@beispiel.de", ["max.mustermann@kunde-a.de"], original)
        wait_for_messages(next_hop, postfix)

    received = next_hop.handler.messages[0]
    assert received.mail_from == "anna.schmidt@beispiel.de"
    assert received.recipients == ["max.mustermann@kunde-a.de"]
    assert received.data.startswith(b"X-Maltastic-Processed: true\r\n")
    assert b"Subject: Angebot via Postfix" in received.data
    assert b"https://t.maltastic.example/c/T1" in received.data


def wait_for_messages(next_hop: RunningNextHop, postfix: PostfixInstance) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not next_hop.handler.messages:
        time.sleep(0.2)
    if not next_hop.handler.messages:
        log = postfix.maillog()
        raise AssertionError(f"the message did not arrive through Postfix; maillog:\n{log}")
