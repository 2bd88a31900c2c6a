"""A customer's Postfix hands outgoing mail to the running product, as in production."""

from __future__ import annotations

import email
import time
from collections.abc import Iterator
from email import policy
from pathlib import Path

import pytest

from tests.e2e.product import Product, require_swaks, swaks
from tests.e2e.test_mail_flow import body_parts, split_test_headers
from tests.postfix_instance import postfix_instance
from tests.shared_files import shared_path


@pytest.fixture
def product(tmp_path: Path) -> Iterator[Product]:
    require_swaks()
    running = Product(tmp_path)
    running.start()
    yield running
    running.stop()


def test_reply_through_postfix_gets_signature(product: Product) -> None:
    raw = shared_path("cases/mail/01-outlook-desktop-reply-de.eml").read_bytes()
    sender, recipients, message = split_test_headers(raw)
    data = product.folder / "reply.eml"
    data.write_bytes(message)

    with postfix_instance(product.smtp_port) as postfix:
        upstream = Product(product.folder, smtp_port=postfix.port)
        transcript = swaks(upstream, data, sender, recipients)
        assert "<-  250 2.0.0 Ok: queued" in transcript, transcript
        deadline = time.monotonic() + 60
        while not product.outbox_entries() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert product.outbox_entries(), postfix.maillog()

    (entry,) = product.outbox_entries()
    assert entry["mail_from"] == sender
    assert entry["recipients"] == recipients
    delivered = email.message_from_bytes(Path(entry["path"]).read_bytes(), policy=policy.default)
    html = [p.get_content() for p in body_parts(delivered) if p.get_content_subtype() == "html"]  # type: ignore[arg-type]
    assert html[0].count(f"{product.base_url}/c/") == 1
    assert "Besuchen Sie uns auf der Messe" in html[0]
