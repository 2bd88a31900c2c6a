"""Banner and click endpoints over real HTTP, with the demo tenant's campaigns."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import func, select, update

from maltastic.asgi import create_product_app
from maltastic.campaigns.audience import Audience
from maltastic.campaigns.models import Campaign
from maltastic.db.tenancy import open_tenant_session
from maltastic.tracking.app import TRANSPARENT_GIF, UNAVAILABLE_PATH
from maltastic.tracking.models import EventKind, TrackingEvent, TrafficClass
from tests.live_server import serve_in_thread
from tests.tracking.conftest import BROWSER, Demo, abuse_tokens


@pytest.fixture
def client(demo: Demo) -> Iterator[httpx.Client]:
    with (
        serve_in_thread(create_product_app(demo.runtime)) as url,
        httpx.Client(base_url=url, headers=BROWSER, timeout=10) as client,
    ):
        yield client


def test_banner_shows_department_campaign(demo: Demo, client: httpx.Client) -> None:
    response = client.get(f"/b/{demo.token(demo.anna, Audience.nobody())}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert response.headers["cache-control"] == "no-cache, max-age=0"
    assert response.content == demo.banner_of("Vertrieb: Frühjahrsaktion")


def test_click_redirects_to_campaign(demo: Demo, client: httpx.Client) -> None:
    response = client.get(f"/c/{demo.token(demo.anna, Audience.nobody())}")
    assert response.status_code == 302
    assert response.headers["location"] == "https://www.beispiel.de/fruehjahrsaktion"


def test_account_audience_gets_account_campaign(demo: Demo, client: httpx.Client) -> None:
    token = demo.token(demo.anna, Audience.account(demo.kunde_a))
    assert client.get(f"/b/{token}").content == demo.banner_of("Schlüsselkunden: Partnertag")
    assert client.get(f"/c/{token}").headers["location"] == "https://www.beispiel.de/partnertag"


def test_contact_audience_gets_contact_campaign(demo: Demo, client: httpx.Client) -> None:
    token = demo.token(demo.juergen, Audience.contact(demo.max_contact, demo.kunde_a))
    assert client.get(f"/b/{token}").content == demo.banner_of("Messe-Kontakte: Standbesuch")
    assert client.get(f"/c/{token}").headers["location"] == "https://www.beispiel.de/messe"


def test_abuse_tokens_get_fallback_and_count_nothing(demo: Demo) -> None:
    tokens = abuse_tokens(demo)
    with (
        serve_in_thread(create_product_app(demo.runtime)) as url,
        httpx.Client(base_url=url, headers=BROWSER) as client,
    ):
        for name, token in tokens.items():
            banner = client.get(f"/b/{token}")
            click = client.get(f"/c/{token}")
            assert (banner.status_code, banner.content) == (200, TRANSPARENT_GIF), name
            assert click.status_code == 302, name
            assert click.headers["location"] == UNAVAILABLE_PATH, name
        assert client.get(UNAVAILABLE_PATH).status_code == 200
    assert demo.events() == []


def test_paused_campaigns_fall_back_to_website(demo: Demo) -> None:
    with open_tenant_session(demo.runtime.session_factory, demo.tenant_id) as session:
        session.execute(update(Campaign).values(paused=True))
        session.commit()
    token = demo.token(demo.anna, Audience.nobody())
    with (
        serve_in_thread(create_product_app(demo.runtime)) as url,
        httpx.Client(base_url=url, headers=BROWSER) as client,
    ):
        banner = client.get(f"/b/{token}")
        click = client.get(f"/c/{token}")
    assert banner.content == TRANSPARENT_GIF
    assert click.headers["location"] == "https://www.beispiel.de/"
    assert demo.events() == []


def test_events_are_counted_and_flushed_on_stop(demo: Demo) -> None:
    token = demo.token(demo.anna, Audience.account(demo.kunde_a))
    with (
        serve_in_thread(create_product_app(demo.runtime)) as url,
        httpx.Client(base_url=url, headers=BROWSER) as client,
    ):
        served = sum(client.get(f"/b/{token}").status_code == 200 for _ in range(30))
        client.head(f"/b/{token}")
        client.get(f"/c/{token}")
        client.get(f"/b/{token}", headers={"User-Agent": "curl/8.5.0"})
    events = demo.events()
    impressions = [e for e in events if e[0] is EventKind.IMPRESSION]
    assert served == 30
    assert len(impressions) == 31
    assert sum(e[1] is TrafficClass.HUMAN for e in impressions) == 30
    assert sum(e[1] is TrafficClass.MACHINE for e in impressions) == 1
    assert [e[:2] for e in events if e[0] is EventKind.CLICK] == [
        (EventKind.CLICK, TrafficClass.HUMAN)
    ]


def test_contact_ids_need_tenant_consent(demo: Demo) -> None:
    token = demo.token(demo.juergen, Audience.contact(demo.max_contact, demo.kunde_a))
    with serve_in_thread(create_product_app(demo.runtime)) as url:
        httpx.get(f"{url}/b/{token}", headers=BROWSER)
    with demo.runtime.session_factory() as session:
        stored = session.execute(select(TrackingEvent.account_id, TrackingEvent.contact_id)).all()
        count = session.scalar(select(func.count()).select_from(TrackingEvent))
    assert count == 1
    assert [tuple(row) for row in stored] == [(demo.kunde_a, None)]


@pytest.mark.parametrize("path", ["/b/abc", "/login"])
def test_http_1_1_without_host_gets_400(demo: Demo, path: str) -> None:
    with serve_in_thread(create_product_app(demo.runtime)) as url:
        port = int(url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
            connection.sendall(f"GET {path} HTTP/1.1\r\nUser-Agent: test\r\n\r\n".encode())
            reply = read_until_closed(connection)
        with_host = httpx.get(f"{url}{path}", follow_redirects=False)
    status_line, _, rest = reply.partition(b"\r\n")
    assert status_line == b"HTTP/1.1 400 Bad Request"
    assert b"connection: close" in rest.lower()
    assert with_host.status_code in (200, 302)
    assert demo.events() == []


def read_until_closed(connection: socket.socket) -> bytes:
    chunks = []
    while chunk := connection.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)
