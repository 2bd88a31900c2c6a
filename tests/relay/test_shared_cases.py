"""The fourteen shared client messages, sent over SMTP through the relay to a fake next hop."""

from __future__ import annotations

import email
import smtplib
from dataclasses import dataclass
from email.policy import default

import pytest

from maltastic.targeting import AudienceKind
from tests.relay.conftest import RelayFactory, RunningNextHop
from tests.relay.support import SIGNATURE, crlf
from tests.shared_files import shared_path

STAMP = b"X-Maltastic-Processed: true\r\n"


@dataclass(frozen=True)
class Expected:
    inserted: bool
    audience: AudienceKind | None = None
    value: str | None = None
    stamped: bool = True


CASES: dict[str, Expected] = {
    "01-outlook-desktop-reply-de.eml": Expected(
        True, AudienceKind.CONTACT, "max.mustermann@kunde-a.de"
    ),
    "02-owa-reply-de.eml": Expected(True, AudienceKind.ACCOUNT, "kunde-a.de"),
    "03-gmail-reply-de.eml": Expected(True, AudienceKind.CONTACT, "erika.beispiel@kunde-b.com"),
    "04-thunderbird-reply-de.eml": Expected(True, AudienceKind.NONE),
    "05-apple-mail-split-html.eml": Expected(True, AudienceKind.ACCOUNT, "kunde-b.com"),
    "06-text-only-latin1-qp.eml": Expected(True, AudienceKind.ACCOUNT, "companya.com"),
    "07-html-fragment-no-body.eml": Expected(True, AudienceKind.NONE),
    "08-new-mixed-alt-related-pdf.eml": Expected(True, AudienceKind.ACCOUNT, "companya.com"),
    "09-smime-signed.eml": Expected(False),
    "10-calendar-invitation.eml": Expected(False),
    "11-auto-reply.eml": Expected(False),
    "12-already-processed.eml": Expected(False, stamped=False),
    "13-forward-attached-rfc822.eml": Expected(True, AudienceKind.NONE),
    "14-base64-utf8-html.eml": Expected(True, AudienceKind.ACCOUNT, "kunde-c.co.uk"),
}


@dataclass(frozen=True)
class CaseFile:
    mail_from: str
    recipients: list[str]
    message: bytes


def read_case(name: str) -> CaseFile:
    raw = shared_path(f"cases/mail/{name}").read_bytes()
    first_end = raw.index(b"\n") + 1
    second_end = raw.index(b"\n", first_end) + 1
    mail_from = raw[:first_end].decode().split(":", 1)[1].strip()
    recipients = raw[first_end:second_end].decode().split(":", 1)[1]
    return CaseFile(
        mail_from,
        [address.strip() for address in recipients.split(",") if address.strip()],
        raw[second_end:],
    )


def test_every_case_is_listed() -> None:
    folder = shared_path("cases/mail")
    assert sorted(path.name for path in folder.glob("*.eml")) == sorted(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_case_relayed(name: str, start_relay: RelayFactory, next_hop: RunningNextHop) -> None:
    case = read_case(name)
    expected = CASES[name]
    relay = start_relay(next_hop.port)

    with smtplib.SMTP("127.0.0.1", relay.port, timeout=30) as client:
        refused = client.sendmail(case.mail_from, case.recipients, crlf(case.message))

    assert refused == {}
    assert len(next_hop.handler.messages) == 1
    received = next_hop.handler.messages[0]
    assert received.mail_from == case.mail_from
    assert received.recipients == case.recipients
    original = crlf(case.message)
    if expected.inserted:
        assert received.data.startswith(STAMP)
        assert received.data != STAMP + original
        assert received.data.count(b"X-Maltastic-Processed:") == 1
        assert len(relay.signatures.calls) == 1
        audience = relay.signatures.calls[0].audience.decision
        assert audience.kind is expected.audience
        assert audience.value == expected.value
    elif expected.stamped:
        assert received.data == STAMP + original
    else:
        assert received.data == original


@pytest.mark.parametrize("name", ["01-outlook-desktop-reply-de.eml", "06-text-only-latin1-qp.eml"])
def test_case_signature_present(
    name: str, start_relay: RelayFactory, next_hop: RunningNextHop
) -> None:
    case = read_case(name)
    relay = start_relay(next_hop.port)

    with smtplib.SMTP("127.0.0.1", relay.port, timeout=30) as client:
        client.sendmail(case.mail_from, case.recipients, crlf(case.message))

    parsed = email.message_from_bytes(next_hop.handler.messages[0].data, policy=default)
    bodies = [
        part.get_content()
        for part in parsed.walk()
        if part.get_content_maintype() == "text" and not part.is_attachment()
    ]
    assert any("Mit freundlichen Grüßen" in body for body in bodies)
    assert SIGNATURE.text.splitlines()[-1] in "\n".join(bodies)
