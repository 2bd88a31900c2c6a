"""The pipeline steps on their own, with a fake directory: skips, failures, stamping."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from maltastic.directory.models import Employee
from maltastic.relay.config import RelayConfig
from maltastic.relay.models import RelayAction
from maltastic.relay.pipeline import (
    InboundMessage,
    PipelineServices,
    add_processed_header,
    has_processed_header,
    message_id_of,
    process_message,
)
from maltastic.relay.senders import AudienceIds, KnownSender
from maltastic.targeting import AudienceDecision, AudienceKind, TargetingPolicy
from tests.relay.support import FakeSignatureSource

MESSAGE = (
    b"From: anna.schmidt@beispiel.de\r\n"
    b"To: Max <max.mustermann@kunde-a.de>\r\n"
    b"Cc: jan.becker@tochter.de\r\n"
    b"Message-ID: <pipeline-1@beispiel.de>\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"\r\n"
    b"Hallo Max\r\n"
)
STAMP = b"X-Maltastic-Processed: true\r\n"


@dataclass
class FakeDirectory:
    failing: bool = False

    def find_sender(self, address: str) -> KnownSender | None:
        raise AssertionError("the pipeline must not look up senders again")

    def targeting_policy(self, tenant_id: int) -> TargetingPolicy:
        if self.failing:
            raise RuntimeError("database is down")
        return TargetingPolicy(
            own_domains=frozenset({"beispiel.de"}),
            internal_domains=frozenset({"tochter.de"}),
            known_contacts=frozenset({"max.mustermann@kunde-a.de"}),
        )

    def audience_ids(self, tenant_id: int, decision: AudienceDecision) -> AudienceIds:
        return AudienceIds(account_id=7, contact_id=11)


def employee(active: bool = True) -> Employee:
    return Employee(id=3, email="anna.schmidt@beispiel.de", active=active, tenant_id=1)


def inbound(
    data: bytes = MESSAGE, sender: KnownSender | None = None, mail_from: str = "x"
) -> InboundMessage:
    if sender is None and mail_from:
        sender = KnownSender("anna.schmidt@beispiel.de", 1, employee())
    return InboundMessage("Q1", mail_from, ("max.mustermann@kunde-a.de",), data, sender)


def services(
    source: FakeSignatureSource | None = None, directory: FakeDirectory | None = None
) -> PipelineServices:
    return PipelineServices(
        RelayConfig(max_rewrite_size=10_000),
        directory or FakeDirectory(),
        source or FakeSignatureSource(),
    )


def test_signature_inserted_with_audience() -> None:
    source = FakeSignatureSource()

    result = process_message(inbound(), services(source))

    assert result.action is RelayAction.INSERTED
    assert result.data.startswith(STAMP)
    assert b"Mit freundlichen Gr" in result.data
    assert result.message_id == "<pipeline-1@beispiel.de>"
    assert result.audience is not None
    assert result.audience.decision.kind is AudienceKind.CONTACT
    assert result.audience.contact_id == 11
    assert source.calls[0].audience.decision.value == "max.mustermann@kunde-a.de"


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        (inbound(mail_from=""), "null sender"),
        (
            InboundMessage("Q1", "info@beispiel.de", ("a@b.de",), MESSAGE, None),
            "sender belongs to no tenant",
        ),
        (
            inbound(sender=KnownSender("info@beispiel.de", 1, None)),
            "sender not found among the tenant's employees",
        ),
        (
            inbound(sender=KnownSender("anna.schmidt@beispiel.de", 1, employee(active=False))),
            "inactive",
        ),
        (inbound(data=MESSAGE + b"x" * 20_000), "message too large"),
    ],
)
def test_skip_passes_through_with_stamp(message: InboundMessage, reason: str) -> None:
    source = FakeSignatureSource()

    result = process_message(message, services(source))

    assert result.action is RelayAction.PASSED_THROUGH
    assert reason in result.reason
    assert result.data == STAMP + message.data
    assert source.calls == []


def test_already_processed_unchanged() -> None:
    data = b"x-maltastic-processed: true\r\n" + MESSAGE

    result = process_message(inbound(data=data), services())

    assert result.action is RelayAction.PASSED_THROUGH
    assert result.data is data


def test_no_signature_passes_through() -> None:
    result = process_message(inbound(), services(FakeSignatureSource(signature=None)))

    assert result.action is RelayAction.PASSED_THROUGH
    assert result.data == STAMP + MESSAGE


def test_signature_error_relays_original() -> None:
    source = FakeSignatureSource(error=RuntimeError("renderer crashed"))

    result = process_message(inbound(), services(source))

    assert result.action is RelayAction.REWRITE_FAILED
    assert result.failed_step == "fetch_signature"
    assert "renderer crashed" in result.reason
    assert result.data == STAMP + MESSAGE


def test_targeting_error_relays_original() -> None:
    result = process_message(inbound(), services(directory=FakeDirectory(failing=True)))

    assert result.action is RelayAction.REWRITE_FAILED
    assert result.failed_step == "resolve_targeting"
    assert result.data == STAMP + MESSAGE


def test_mime_pass_through_reason_kept() -> None:
    data = MESSAGE.replace(b"Content-Type: text/plain", b"Auto-Submitted: auto-replied\r\nX-A: b")

    result = process_message(inbound(data=data), services())

    assert result.action is RelayAction.PASSED_THROUGH
    assert "auto-replied" in result.reason
    assert result.data == STAMP + data


def test_processed_header_keeps_lf_style() -> None:
    assert (
        add_processed_header(b"A: b\n\nbody\n", "true")
        == b"X-Maltastic-Processed: true\nA: b\n\nbody\n"
    )


def test_processed_header_only_in_top_headers() -> None:
    assert not has_processed_header(b"A: b\r\n\r\nX-Maltastic-Processed: true\r\n")
    assert has_processed_header(b"A: b\r\nX-MALTASTIC-PROCESSED:true\r\n\r\nbody")


def test_message_id_missing() -> None:
    assert message_id_of(b"Subject: x\r\n\r\nbody") == ""
