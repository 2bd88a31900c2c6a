"""Postausgang: only the tenant's messages, shown safely, and no path outside the folder."""

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from maltastic.campaigns.audience import Audience
from maltastic.db.migrate import upgrade_database
from maltastic.db.tenancy import open_tenant_session
from maltastic.demo.loader import DemoLogin, load_demo
from maltastic.directory.models import Employee
from maltastic.relay.models import RelayAction
from maltastic.relay.outbox import OutgoingMessage, write_outbox_message
from maltastic.runtime import Runtime
from maltastic.settings import Settings
from maltastic.tracking.keyring import ensure_signing_key, load_keyring
from maltastic.tracking.links import banner_url
from maltastic.tracking.models import TrackingEvent
from maltastic.tracking.tokens import issue_token
from maltastic.users.models import Role
from maltastic.web.app import create_app
from tests.conftest import TEST_SECRET_KEY
from tests.live_server import serve_in_thread
from tests.web.admin import add_tenant, add_user, logged_in, tenant_id

HTML_MAIL = (
    b"From: =?utf-8?q?Anna_Schm=C3=BCdt?= <anna.schmidt@beispiel.de>\r\n"
    b"To: Max Mustermann <max.mustermann@kunde-a.de>\r\n"
    b"Subject: =?utf-8?q?Angebot_f=C3=BCr_K=C3=B6ln?=\r\n"
    b"Date: Tue, 03 Mar 2026 10:00:00 +0100\r\n"
    b"MIME-Version: 1.0\r\n"
    b'Content-Type: multipart/alternative; boundary="b1"\r\n\r\n'
    b"--b1\r\nContent-Type: text/plain; charset=utf-8\r\n"
    b"Content-Transfer-Encoding: 8bit\r\n\r\n"
    b"Gr\xc3\xbc\xc3\x9fe aus M\xc3\xbcnchen <b>nicht fett</b>\r\n"
    b"--b1\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
    b'<p style="color: #0b5394" onclick="steal()">Gr\xc3\xbc\xc3\x9fe</p>'
    b'<script>alert(1)</script><form action="https://evil.example"><input></form>'
    b'<img src="https://t.example.com/b/abc" onerror="steal()" alt="Banner">\r\n'
    b"--b1--\r\n"
)


def outgoing(queue_id: str, tenant_id: int | None, minute: int, data: bytes) -> OutgoingMessage:
    return OutgoingMessage(
        queue_id=queue_id,
        mail_from="anna.schmidt@beispiel.de",
        recipients=("max.mustermann@kunde-a.de",),
        data=data,
        action=RelayAction.INSERTED,
        reason="signature inserted",
        received_at=dt.datetime(2026, 3, 3, 9, minute, tzinfo=dt.UTC),
        tenant_id=tenant_id,
    )


@pytest.fixture
def outbox(tmp_path: Path) -> Path:
    return tmp_path / "outbox"


@pytest.fixture
def outbox_runtime(sqlite_url: str, outbox: Path) -> Iterator[Runtime]:
    settings = Settings(database_url=sqlite_url, secret_key=TEST_SECRET_KEY, outbox_dir=outbox)
    runtime = Runtime.from_settings(settings)
    upgrade_database(runtime.engine)
    yield runtime
    runtime.close()


@pytest.fixture
def server(outbox_runtime: Runtime, outbox: Path) -> Iterator[tuple[str, DemoLogin, int]]:
    login = load_demo(outbox_runtime.session_factory, outbox_runtime.secret_box)
    other = add_tenant(outbox_runtime, "andere", "andere.de")
    add_user(outbox_runtime, "chefin@andere.de", Role.OWNER, tenant_slug="andere")
    with outbox_runtime.session_factory() as session:
        own = tenant_id(session, "beispiel")
    write_outbox_message(outbox, outgoing("20260303T090100-aaaa0001", own, 1, HTML_MAIL))
    write_outbox_message(outbox, outgoing("20260303T090500-aaaa0002", own, 5, HTML_MAIL))
    write_outbox_message(outbox, outgoing("20260303T090300-bbbb0001", other, 3, HTML_MAIL))
    write_outbox_message(outbox, outgoing("20260303T090400-cccc0001", None, 4, HTML_MAIL))
    (outbox / "secret.txt").write_text("geheim")
    with serve_in_thread(create_app(outbox_runtime)) as url:
        yield url, login, other


@pytest.fixture
def owner_client(server: tuple[str, DemoLogin, int]) -> Iterator[httpx.Client]:
    url, login, _other = server
    with logged_in(url, login.email, login.password) as client:
        yield client


def test_list_shows_own_messages_newest_first(owner_client: httpx.Client) -> None:
    page = owner_client.get("/outbox")
    assert page.status_code == 200
    assert "<h1>Postausgang</h1>" in page.text
    assert "Signatur eingefügt" in page.text
    newer = page.text.index("20260303T090500-aaaa0002")
    older = page.text.index("20260303T090100-aaaa0001")
    assert newer < older
    assert "bbbb0001" not in page.text
    assert "cccc0001" not in page.text
    assert "2026-03-03 10:05:00" in page.text  # Europe/Berlin


def test_detail_decodes_and_sanitises(owner_client: httpx.Client) -> None:
    page = owner_client.get("/outbox/20260303T090100-aaaa0001")
    assert page.status_code == 200
    assert "Angebot für Köln" in page.text
    assert "Anna Schmüdt" in page.text
    assert '<iframe class="mail-frame" sandbox="" srcdoc="' in page.text
    srcdoc = page.text.split('srcdoc="', 1)[1].split('"', 1)[0]
    assert "script" not in srcdoc
    assert "onclick" not in srcdoc
    assert "onerror" not in srcdoc
    assert "form" not in srcdoc
    assert "style=&#34;color: #0b5394&#34;" in srcdoc
    assert "https://t.example.com/b/abc" in srcdoc
    assert "Grüße aus München &lt;b&gt;nicht fett&lt;/b&gt;" in page.text
    assert "'unsafe-inline'" in page.headers["content-security-policy"]


def test_download_returns_raw_bytes(owner_client: httpx.Client) -> None:
    response = owner_client.get("/outbox/20260303T090100-aaaa0001/raw")
    assert response.status_code == 200
    assert response.content == HTML_MAIL
    assert response.headers["content-type"].startswith("message/rfc822")
    assert "attachment" in response.headers["content-disposition"]


def test_other_tenant_message_is_not_found(owner_client: httpx.Client) -> None:
    for path in ("/outbox/20260303T090300-bbbb0001", "/outbox/20260303T090300-bbbb0001/raw"):
        response = owner_client.get(path)
        assert response.status_code == 404, path
    assert owner_client.get("/outbox/20260303T090400-cccc0001").status_code == 404


def test_path_traversal_is_not_found(owner_client: httpx.Client) -> None:
    attempts = (
        "/outbox/..%2F..%2Fetc%2Fpasswd",
        "/outbox/..%2Fsecret.txt/raw",
        "/outbox/%2e%2e/raw",
        "/outbox/secret",
        "/outbox/.20260303T090100-aaaa0001",
        "/outbox/20260303T090100-aaaa0001.eml/raw",
        "/outbox/20260303T090100-aaaa0001%00/raw",
    )
    for path in attempts:
        response = owner_client.get(path)
        assert response.status_code == 404, path
        assert "geheim" not in response.text, path


def test_second_tenant_sees_only_its_message(server: tuple[str, DemoLogin, int]) -> None:
    url, _login, _other = server
    with logged_in(url, "chefin@andere.de") as client:
        page = client.get("/outbox")
        assert "bbbb0001" in page.text
        assert "aaaa0001" not in page.text
        assert client.get("/outbox/20260303T090100-aaaa0001/raw").status_code == 404


def test_marketing_cannot_open_outbox(
    server: tuple[str, DemoLogin, int], outbox_runtime: Runtime
) -> None:
    url, _login, _other = server
    add_user(outbox_runtime, "marketing@beispiel.de", Role.MARKETING)
    with logged_in(url, "marketing@beispiel.de") as client:
        assert client.get("/outbox").status_code == 403
        assert client.get("/outbox/20260303T090100-aaaa0001/raw").status_code == 403
        assert 'href="/outbox"' not in client.get("/").text


def test_empty_outbox_explains_itself(outbox_runtime: Runtime) -> None:
    login = load_demo(outbox_runtime.session_factory, outbox_runtime.secret_box)
    with (
        serve_in_thread(create_app(outbox_runtime)) as url,
        logged_in(url, login.email, login.password) as client,
    ):
        page = client.get("/outbox")
    assert page.status_code == 200
    assert "Der Postausgang ist leer." in page.text


def banner_mail(image_url: str) -> bytes:
    return (
        b"From: Anna Schmidt <anna.schmidt@beispiel.de>\r\n"
        b"To: Max Mustermann <max.mustermann@kunde-a.de>\r\n"
        b"Subject: Banner\r\n"
        b"Content-Type: text/html; charset=utf-8\r\n\r\n"
        b'<p>Hallo</p><img src="' + image_url.encode() + b'" alt="Banner">\r\n'
    )


def demo_banner_url(runtime: Runtime, slug: str) -> str:
    with runtime.session_factory() as session:
        owner = tenant_id(session, slug)
    with open_tenant_session(runtime.session_factory, owner) as session:
        ensure_signing_key(session, runtime.secret_box)
        session.commit()
    with runtime.session_factory() as session:
        employee = session.scalars(
            select(Employee.id).where(Employee.tenant_id == owner).order_by(Employee.id)
        ).first()
        keyring = load_keyring(session, runtime.secret_box)
    token = issue_token(
        keyring, tenant_id=owner, employee_id=employee or 1, audience=Audience.nobody()
    )
    return banner_url(runtime.settings.public_base_url, token)


def test_detail_embeds_tracking_banners_without_loading_them(
    outbox_runtime: Runtime, outbox: Path, server: tuple[str, DemoLogin, int]
) -> None:
    url, login, _other = server
    own_banner = demo_banner_url(outbox_runtime, "beispiel")
    foreign_banner = demo_banner_url(outbox_runtime, "andere")
    with outbox_runtime.session_factory() as session:
        own = tenant_id(session, "beispiel")
    mail = banner_mail(own_banner) + banner_mail(foreign_banner).split(b"\r\n\r\n", 1)[1]
    write_outbox_message(outbox, outgoing("20260303T090600-dddd0001", own, 6, mail))

    with logged_in(url, login.email, login.password) as client:
        page = client.get("/outbox/20260303T090600-dddd0001")

    srcdoc = page.text.split('srcdoc="', 1)[1].split('"', 1)[0]
    assert page.status_code == 200
    assert "data:image/png;base64," in srcdoc
    assert own_banner not in srcdoc  # the tracking service is never asked for it
    assert foreign_banner in srcdoc  # another tenant's token is not resolved
    with outbox_runtime.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(TrackingEvent)) == 0
