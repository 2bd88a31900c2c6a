"""End to end: mail through the running product's relay, opened in Chromium, in analytics.

The product runs as `maltastic serve` in a subprocess on the embedded SQLite database,
with the demo tenant and the local outbox as next hop, exactly as `make run` starts it.
"""

from __future__ import annotations

import email
import sqlite3
import time
from collections.abc import Iterator
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Route

from tests.conftest import BROWSER_USER_AGENT
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
    # The relay writes its log in batches, at the latest a second after the message.
    deadline = time.monotonic() + 10
    while message_id not in relay_log(product) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert relay_log(product).get(message_id) == CASES[name]


def html_of(raw: bytes) -> str:
    message = email.message_from_bytes(raw, policy=policy.default)
    html = [p for p in body_parts(message) if p.get_content_subtype() == "html"]  # type: ignore[arg-type]
    assert len(html) == 1
    content: str = html[0].get_content()
    return content


def wait_for_report(product: Product, expected: dict[str, int], timeout: float = 15) -> dict:  # type: ignore[type-arg]
    """Poll the analytics API until the totals match; events are written about once a second."""
    deadline = time.monotonic() + timeout
    with product.admin_client() as client:
        while True:
            report = client.get("/api/analytics").json()
            totals = {key: report["totals"][key] for key in expected}
            if totals == expected or time.monotonic() > deadline:
                return report  # type: ignore[no-any-return]
            time.sleep(0.3)


def test_opened_and_clicked_banner_reaches_analytics(
    product: Product, delivered: dict[str, tuple[bytes, bytes]], chromium: Browser
) -> None:
    html = html_of(delivered["01-outlook-desktop-reply-de.eml"][1])
    context = chromium.new_context(user_agent=BROWSER_USER_AGENT)
    landing_pages: list[str] = []

    def campaign_site(route: Route) -> None:
        landing_pages.append(route.request.url)
        route.fulfill(status=200, content_type="text/html", body="<h1>Messe</h1>")

    context.route("https://www.beispiel.de/**", campaign_site)
    page = context.new_page()
    page.set_content(html, wait_until="load")
    banner = page.locator(f'img[src^="{product.base_url}/b/"]')
    assert banner.evaluate("image => image.complete && image.naturalWidth") == 600

    with context.expect_page() as opened:
        page.locator(f'a[href^="{product.base_url}/c/"]').click()
    opened.value.wait_for_url("https://www.beispiel.de/**")
    context.close()

    assert landing_pages == ["https://www.beispiel.de/messe"]
    report = wait_for_report(product, {"impressions": 1, "clicks": 1})
    assert report["totals"]["impressions"] == 1
    assert report["totals"]["clicks"] == 1
    assert [row["name"] for row in report["campaigns"]] == ["Messe-Kontakte: Standbesuch"]
    assert [(row["name"], row["clicks"]) for row in report["accounts"]] == [("kunde-a.de", 1)]
    with product.admin_client() as client:
        everything = client.get("/api/analytics", params={"include_machines": "1"}).json()
        page_html = client.get("/analytics").text
    assert everything["totals"]["impressions"] == 1
    assert '<span class="value" data-testid="impressions">1</span>' in page_html


def corpus_sample() -> list[Path]:
    """Every seventh corpus message, so the sample covers each source and stays fast."""
    folder = shared_path("corpus")
    messages = sorted(
        path
        for path in folder.rglob("*")
        if path.is_file()
        and path.name not in ("LICENSE", "README.md", ".gitattributes")
        and path.suffix != ".mbox"
    )
    return messages[::7]


def test_corpus_sample_arrives_without_loss(product: Product) -> None:
    for path in corpus_sample():
        before = set(product.outbox.glob("*.eml"))
        transcript = swaks(product, path, "anna.schmidt@beispiel.de", ["info@kunde-z.de"])
        assert "<-  250 2.0.0" in transcript, f"{path.name}:\n{transcript[-800:]}"
        (outbox_file,) = set(product.outbox.glob("*.eml")) - before
        received = outbox_file.read_bytes()
        assert received.startswith(b"X-Maltastic-Processed: ") or normalised(received) == (
            normalised(path.read_bytes())
        ), path.name
        parsed = email.message_from_bytes(received, policy=policy.default)
        assert parsed.get("From") is not None or b"From:" not in path.read_bytes()[:4000], path
