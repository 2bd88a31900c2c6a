"""Every message of the shared corpus of public email-library fixtures, relayed over SMTP."""

from __future__ import annotations

import smtplib

import pytest

from tests.relay.conftest import RelayFactory, RunningNextHop
from tests.relay.mime.test_corpus import corpus_files
from tests.relay.support import crlf
from tests.shared_files import shared_path

STAMP = b"X-Maltastic-Processed: true\r\n"
SENDER = "katrin.vogel@beispiel.de"
RECIPIENT = "oliver.hughes@kunde-c.co.uk"


def test_corpus_relayed_without_loss(start_relay: RelayFactory, next_hop: RunningNextHop) -> None:
    files = corpus_files()
    if files == ["(corpus missing)"]:
        shared_path("corpus")
    relay = start_relay(next_hop.port)
    outcomes: dict[str, str] = {}

    with smtplib.SMTP("127.0.0.1", relay.port, timeout=60) as client:
        for relative in files:
            original = crlf(shared_path(f"corpus/{relative}").read_bytes())
            if not original.endswith(b"\r\n"):
                original += b"\r\n"  # SMTP ends every message with a line break
            before = len(next_hop.handler.messages)
            refused = client.sendmail(SENDER, [RECIPIENT], original)
            assert refused == {}, relative
            assert len(next_hop.handler.messages) == before + 1, relative
            received = next_hop.handler.messages[-1].data
            if received in (STAMP + original, original):
                outcomes[relative] = "unchanged"
            else:
                assert received.startswith(STAMP), relative
                assert received.count(b"\nX-Maltastic-Processed:") == 0, relative
                outcomes[relative] = "inserted"

    assert len(outcomes) == len(files)
    assert "inserted" in outcomes.values()
    assert "unchanged" in outcomes.values()


@pytest.mark.parametrize("relative", ["python-cpython/msg_47.txt", "python-cpython/msg_26.txt"])
def test_corpus_edge_file_unchanged_outside_signature(
    relative: str, start_relay: RelayFactory, next_hop: RunningNextHop
) -> None:
    original = crlf(shared_path(f"corpus/{relative}").read_bytes())
    relay = start_relay(next_hop.port)

    with smtplib.SMTP("127.0.0.1", relay.port, timeout=60) as client:
        client.sendmail(SENDER, [RECIPIENT], original)

    received = next_hop.handler.messages[0].data
    header_end = original.index(b"\r\n\r\n")
    assert received.startswith(STAMP + original[:header_end])
