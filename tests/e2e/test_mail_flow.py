"""End to end: mail through the running product's relay, opened in Chromium, in analytics.

The product runs as `maltastic serve` in a subprocess on the embedded SQLite database,
with the demo tenant and the local outbox as next hop, exactly as `make run` starts it.
"""

from __future__ import annotations

import email
import sqlite3
from collections.abc import Iterator
from email import policy
from email.message import EmailMessage

import pytest

from tests.e2e.product import Product, require_swaks, swaks
from tests.shared_files import shared_path

STAMP = b"X-Maltastic-Processed: true\n"
# Expected per shared case: inserted or passed through, and the audience the rules give.
CASES = {
    "01-outlook-desktop-reply-de.eml": ("inserted", "contact", "max.mustermann@kunde-a.de"),
    "02-owa-reply-de.eml": ("inserted", "account", "kunde-a.de"),
    "03-gmail-reply-de.eml": ("inserted", "contact", "erika.beispiel@kunde-b.com"),
    "04-thunderbird-reply-de.eml": ("inserted", "none", None),
    "05-apple-mail-split-html.eml": ("inserted", "account", "kunde-b.com"),
    "06-text-only-latin1-qp.eml": ("inserted", "account", "companya.com"),
    "07-html-fragment-no-body.eml": ("inserted", "none", None),
    "08-new-mixed-alt-related-pdf.eml": ("inserted", "account", "companya.com"),
    "09-smime-signed.eml": ("passed_through", None, None),
    "10-calendar-invitation.eml": ("passed_through", None, None),
    "11-auto-reply.eml": ("passed_through", None, None),
    "12-already-processed.eml": ("unchanged", None, None),
    "13-forward-attached-rfc822.eml": ("inserted", "none", None),
    "14-base64-utf8-html.eml": ("inserted", "account", "kunde-c.co.uk"),
}


@pytest.fixture(scope="module")
def product(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Product]:
    require_swaks()
    running = Product(tmp_path_factory.mktemp("product"))
    running.start()
    yield running
    running.stop()


def split_test_headers(raw: bytes) -> tuple[str, list[str], bytes]:
    """Remove the two X-Test-* lines; return envelope sender, recipients and the message."""
    first, second, message = raw.split(b"\n", 2)
    sender = first.split(b":", 1)[1].strip().decode()
    recipients = [r.strip() for r in second.split(b":", 1)[1].decode().split(",") if r.strip()]
    return sender, recipients, message


@pytest.fixture(scope="module")
def delivered(product: Product) -> dict[str, tuple[bytes, bytes]]:
    """Send every shared case with swaks; return (sent bytes, outbox bytes) per file."""
    folder = shared_path("cases/mail")
    results: dict[str, tuple[bytes, bytes]] = {}
    for name in CASES:
        sender, recipients, message = split_test_headers((folder / name).read_bytes())
        data = product.folder / name
        data.write_bytes(message)
        before = set(product.outbox.glob("*.eml"))
        transcript = swaks(product, data, sender, recipients)
        assert "<-  250 2.0.0" in transcript, f"{name}:\n{transcript}"
        (outbox_file,) = set(product.outbox.glob("*.eml")) - before
        results[name] = (message, outbox_file.read_bytes())
    return results


def body_parts(message: EmailMessage) -> Iterator[EmailMessage]:
    """Text and HTML bodies, not attachments and nothing inside an attached message."""
    if message.get_content_type() == "message/rfc822":
        return
    if message.is_multipart():
        for part in message.iter_parts():
            yield from body_parts(part)  # type: ignore[arg-type]
    elif message.get_content_type() in ("text/plain", "text/html") and not message.is_attachment():
        yield message


def click_links(message: EmailMessage, product: Product, subtype: str) -> int:
    return sum(
        part.get_content().count(f"{product.base_url}/c/")
        for part in body_parts(message)
        if part.get_content_subtype() == subtype
    )


def relay_log(product: Product) -> dict[str, tuple[str, str, str | None]]:
    """Message-ID -> (action, audience kind, contact address or account domain)."""
    database = sqlite3.connect(product.database_url.removeprefix("sqlite:///"))
    rows = database.execute(
        "SELECT r.message_id, r.action, r.audience_kind, c.email, a.domain FROM relay_log r "
        "LEFT JOIN accounts a ON a.id = r.account_id LEFT JOIN contacts c ON c.id = r.contact_id"
    ).fetchall()
    database.close()
    return {row[0]: (row[1], row[2], row[3] or row[4]) for row in rows}


def normalised(data: bytes) -> bytes:
    """LF line endings and no trailing line breaks.

    SMTP turns LF into CRLF on the wire, and swaks 1.x always sends one more CRLF before
    the terminating dot, so the last line break of a message is not the sender's.
    """
    return data.replace(b"\r\n", b"\n").rstrip(b"\n")


@pytest.mark.parametrize("name", [n for n, (action, *_) in CASES.items() if action != "inserted"])
def test_pass_through_cases_arrive_unchanged(
    name: str, delivered: dict[str, tuple[bytes, bytes]]
) -> None:
    sent, received = delivered[name]
    expected = normalised(sent) if CASES[name][0] == "unchanged" else STAMP + normalised(sent)
    assert normalised(received) == expected


@pytest.mark.parametrize("name", [n for n, (action, *_) in CASES.items() if action == "inserted"])
def test_inserted_cases_get_one_signature_per_body(
    name: str, product: Product, delivered: dict[str, tuple[bytes, bytes]]
) -> None:
    sent, received = delivered[name]
    original = email.message_from_bytes(sent, policy=policy.default)
    message = email.message_from_bytes(received, policy=policy.default)
    for subtype in ("html", "plain"):
        had_body = any(p.get_content_subtype() == subtype for p in body_parts(original))  # type: ignore[arg-type]
        assert click_links(message, product, subtype) == (1 if had_body else 0), subtype  # type: ignore[arg-type]
    assert received.startswith(b"X-Maltastic-Processed: true\r\n")


@pytest.mark.parametrize("name", [n for n, (action, *_) in CASES.items() if action == "inserted"])
def test_inserted_cases_have_expected_audience(
    name: str, product: Product, delivered: dict[str, tuple[bytes, bytes]]
) -> None:
    message = email.message_from_bytes(delivered[name][1], policy=policy.default)
    message_id = " ".join(str(message["Message-ID"]).split())
    assert relay_log(product)[message_id] == CASES[name]
