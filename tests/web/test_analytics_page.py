"""The Auswertung page, its JSON API and the CSV export, over real HTTP."""

import datetime as dt

import httpx
import pytest
from sqlalchemy import select, update

from maltastic.campaigns.models import Campaign
from maltastic.demo.loader import DemoLogin
from maltastic.runtime import Runtime
from maltastic.targeting.models import Account, Contact
from maltastic.tenants.models import Tenant
from maltastic.tenants.service import find_tenant
from maltastic.tracking.events import PendingEvent
from maltastic.tracking.models import EventKind, TrafficClass
from maltastic.tracking.storage import write_events
from maltastic.users.models import Role
from tests.web.admin import add_tenant, add_user, logged_in

TODAY = dt.datetime.now(dt.UTC).replace(hour=9, minute=0, second=0, microsecond=0)


@pytest.fixture
def events(sqlite_runtime: Runtime, demo_login: DemoLogin) -> dict[str, int]:
    with sqlite_runtime.session_factory() as session:
        tenant = find_tenant(session, "beispiel")
        assert tenant is not None
        campaign = session.scalars(
            select(Campaign.id).where(Campaign.name == "Schlüsselkunden: Partnertag")
        ).one()
        account = session.scalars(select(Account.id).where(Account.domain == "kunde-a.de")).one()
    ids = {"tenant": tenant.id, "campaign": campaign, "account": account}

    def event(kind: EventKind, traffic: TrafficClass) -> PendingEvent:
        return PendingEvent(tenant.id, TODAY, kind, traffic, "", campaign, 1, account, None, None)

    write_events(
        sqlite_runtime.engine,
        [
            event(EventKind.IMPRESSION, TrafficClass.HUMAN),
            event(EventKind.IMPRESSION, TrafficClass.HUMAN),
            event(EventKind.IMPRESSION, TrafficClass.HUMAN),
            event(EventKind.IMPRESSION, TrafficClass.HUMAN),
            event(EventKind.CLICK, TrafficClass.HUMAN),
            event(EventKind.IMPRESSION, TrafficClass.MACHINE),
        ],
    )
    return ids


def test_api_returns_human_counts(owner: httpx.Client, events: dict[str, int]) -> None:
    body = owner.get("/api/analytics").json()
    assert body["totals"] == {"impressions": 4, "clicks": 1, "click_rate": 0.25}
    assert body["accounts"][0]["name"] == "kunde-a.de"
    assert body["campaigns"][0]["name"] == "Schlüsselkunden: Partnertag"
    assert body["series"][-1]["impressions"] == 4


def test_api_includes_machines_on_request(owner: httpx.Client, events: dict[str, int]) -> None:
    body = owner.get("/api/analytics", params={"include_machines": "1"}).json()
    assert body["totals"]["impressions"] == 5


def test_api_filters_by_campaign(owner: httpx.Client, events: dict[str, int]) -> None:
    body = owner.get("/api/analytics", params={"campaign": events["campaign"] + 1000}).json()
    assert body["totals"]["impressions"] == 0


def test_api_rejects_bad_dates(owner: httpx.Client, events: dict[str, int]) -> None:
    response = owner.get("/api/analytics", params={"start": "04.12.2026"})
    assert response.status_code == 400
    assert "start" in response.json()["errors"]


def test_page_shows_chart_and_numbers(owner: httpx.Client, events: dict[str, int]) -> None:
    page = owner.get("/analytics")
    assert page.status_code == 200
    assert 'id="analytics-chart"' in page.text
    assert '<span class="value" data-testid="impressions">4</span>' in page.text
    assert "kunde-a.de" in page.text
    assert "/static/vendor/chart.umd.min.js" in page.text


def test_contacts_hidden_without_consent(owner: httpx.Client, events: dict[str, int]) -> None:
    body = owner.get("/api/analytics").json()
    assert body["contacts"] == []


def test_csv_export(owner: httpx.Client, events: dict[str, int]) -> None:
    response = owner.get("/analytics.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    lines = response.text.strip().splitlines()
    assert lines[0] == "day,impressions,clicks,click_rate"
    assert lines[-1] == f"{TODAY.date().isoformat()},4,1,0.2500"


def test_marketing_and_read_only_may_view(
    sqlite_runtime: Runtime, base_url: str, events: dict[str, int]
) -> None:
    for email, role in (("m@beispiel.de", Role.MARKETING), ("r@beispiel.de", Role.READ_ONLY)):
        add_user(sqlite_runtime, email, role)
        with logged_in(base_url, email) as client:
            assert client.get("/api/analytics").json()["totals"]["impressions"] == 4


def test_other_tenant_sees_none_of_it(
    sqlite_runtime: Runtime, base_url: str, events: dict[str, int]
) -> None:
    add_tenant(sqlite_runtime, "andere", "andere.de")
    add_user(sqlite_runtime, "chef@andere.de", Role.OWNER, tenant_slug="andere")
    with logged_in(base_url, "chef@andere.de") as client:
        body = client.get("/api/analytics").json()
    assert body["totals"] == {"impressions": 0, "clicks": 0, "click_rate": 0.0}


def test_contacts_listed_with_consent(
    sqlite_runtime: Runtime, owner: httpx.Client, events: dict[str, int]
) -> None:
    with sqlite_runtime.session_factory.begin() as session:
        session.execute(update(Tenant).values(contact_analytics_enabled=True))
        contact = session.scalars(
            select(Contact.id).where(Contact.email == "max.mustermann@kunde-a.de")
        ).one()
    click = PendingEvent(
        events["tenant"],
        TODAY,
        EventKind.CLICK,
        TrafficClass.HUMAN,
        "",
        events["campaign"],
        1,
        events["account"],
        contact,
        None,
    )
    write_events(sqlite_runtime.engine, [click])

    contacts = owner.get("/api/analytics").json()["contacts"]
    assert [(row["name"], row["clicks"]) for row in contacts] == [("max.mustermann@kunde-a.de", 1)]


REVERSED_RANGE = {"start": "2026-12-10", "end": "2026-12-01"}
RANGE_OVER_A_YEAR = {"start": "2000-01-01", "end": "2026-12-01"}


def test_csv_rejects_reversed_range(owner: httpx.Client) -> None:
    response = owner.get("/analytics.csv", params=REVERSED_RANGE)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/plain")
    assert "content-disposition" not in response.headers
    assert response.text == "Das Startdatum darf nicht nach dem Enddatum liegen."


def test_csv_rejects_range_over_a_year(owner: httpx.Client) -> None:
    response = owner.get("/analytics.csv", params=RANGE_OVER_A_YEAR)
    assert response.status_code == 400
    assert response.text == "Wählen Sie einen Zeitraum von höchstens einem Jahr."


def test_csv_rejects_malformed_date(owner: httpx.Client) -> None:
    response = owner.get("/analytics.csv", params={"end": "01.12.2026"})
    assert response.status_code == 400
    assert response.text == "Geben Sie ein Datum im Format JJJJ-MM-TT ein."


def test_csv_error_follows_language(owner: httpx.Client) -> None:
    response = owner.get("/analytics.csv", params={**REVERSED_RANGE, "lang": "en"})
    assert response.status_code == 400
    assert response.text == "The start must not be after the end."


def test_page_offers_no_csv_for_invalid_range(owner: httpx.Client) -> None:
    for params in (REVERSED_RANGE, RANGE_OVER_A_YEAR):
        page = owner.get("/analytics", params=params)
        assert page.status_code == 400
        assert "/analytics.csv" not in page.text
        assert "CSV exportieren" not in page.text


def test_page_csv_link_keeps_requested_range(owner: httpx.Client) -> None:
    page = owner.get("/analytics", params={"start": "2026-11-01", "end": "2026-12-01"})
    assert page.status_code == 200
    assert 'href="/analytics.csv?start=2026-11-01&amp;end=2026-12-01"' in page.text
    export = owner.get("/analytics.csv", params={"start": "2026-11-01", "end": "2026-12-01"})
    assert export.status_code == 200
    assert "auswertung-2026-11-01-2026-12-01.csv" in export.headers["content-disposition"]
