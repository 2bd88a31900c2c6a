"""Stopping the product under load loses no accepted message and no served impression."""

from __future__ import annotations

import email
import re
import smtplib
import sqlite3
import threading
import time
from email import policy
from pathlib import Path

import httpx

from tests.conftest import BROWSER_USER_AGENT
from tests.e2e.product import Product

MESSAGE = (
    b"From: Anna Schmidt <anna.schmidt@beispiel.de>\r\n"
    b"To: info@kunde-z.de\r\n"
    b"Subject: Lasttest\r\n"
    b"Content-Type: text/html; charset=utf-8\r\n"
    b"\r\n"
    b"<p>Guten Tag,</p><p>viele Gr\xc3\xbc\xc3\x9fe</p>\r\n"
)


class Load:
    """Mail senders and banner fetchers that run until stopped or refused."""

    def __init__(self, product: Product, banner_url: str) -> None:
        self.product = product
        self.banner_url = banner_url
        self.accepted = 0
        self.images_served = 0
        self.stopping = threading.Event()
        self.lock = threading.Lock()

    def send_mail(self) -> None:
        while not self.stopping.is_set():
            try:
                with smtplib.SMTP("127.0.0.1", self.product.smtp_port, timeout=30) as client:
                    client.sendmail("anna.schmidt@beispiel.de", ["info@kunde-z.de"], MESSAGE)
            except (OSError, smtplib.SMTPException):
                time.sleep(0.05)  # refused or cut off while stopping: not accepted
                continue
            with self.lock:
                self.accepted += 1

    def fetch_banners(self) -> None:
        with httpx.Client(headers={"User-Agent": BROWSER_USER_AGENT}, timeout=30) as client:
            while not self.stopping.is_set():
                try:
                    response = client.get(self.banner_url)
                except httpx.TransportError:
                    time.sleep(0.05)
                    continue
                if response.status_code == 200 and response.headers["content-type"] == "image/png":
                    with self.lock:
                        self.images_served += 1


def first_banner_url(product: Product) -> str:
    with smtplib.SMTP("127.0.0.1", product.smtp_port, timeout=30) as client:
        client.sendmail("anna.schmidt@beispiel.de", ["info@kunde-z.de"], MESSAGE)
    (entry,) = product.outbox_entries()
    message = email.message_from_bytes(Path(entry["path"]).read_bytes(), policy=policy.default)
    html = message.get_content()
    match = re.search(r'src="(http://[^"]+/b/[^"]+)"', html)
    assert match, f"no banner link in the first message: {html}"
    return match.group(1)


def stored_impressions(product: Product) -> int:
    database = sqlite3.connect(product.database_url.removeprefix("sqlite:///"))
    (count,) = database.execute(
        "SELECT count(*) FROM tracking_events WHERE kind = 'impression'"
    ).fetchone()
    database.close()
    return int(count)


def test_stop_under_load_loses_nothing(tmp_path: Path) -> None:
    product = Product(tmp_path)
    product.start()
    load = Load(product, first_banner_url(product))
    workers = [threading.Thread(target=load.send_mail) for _ in range(2)]
    workers += [threading.Thread(target=load.fetch_banners) for _ in range(3)]
    for worker in workers:
        worker.start()

    time.sleep(3)
    status = product.stop()  # SIGTERM while the load goes on
    load.stopping.set()
    for worker in workers:
        worker.join(timeout=60)

    assert status == 0, product.log()
    assert load.accepted > 0
    assert load.images_served > 0
    assert len(product.outbox_entries()) == load.accepted + 1  # plus the first message
    assert stored_impressions(product) == load.images_served
