"""The Datenschutz page over real HTTP: roles, CSRF, lookup, JSON export and erasure."""

from __future__ import annotations

import datetime as dt
import json
import re

import httpx
import pytest
from sqlalchemy import select

from maltastic.analytics import service as analytics
from maltastic.analytics.service import ReportFilter
from maltastic.campaigns.models import Campaign
from maltastic.demo.loader import DemoLogin
from maltastic.runtime import Runtime
from maltastic.targeting.models import Contact
from maltastic.tracking.events import PendingEvent
from maltastic.tracking.models import EventKind, TrafficClass
from maltastic.tracking.storage import write_events
from maltastic.users.models import Role
from tests.web.admin import add_user, logged_in, post_form, tenant_id

ADDRESS = "max.mustermann@kunde-a.de"
CAMPAIGN_NAME = "Messe-Kontakte: Standbesuch"
DAY = dt.datetime(2026, 11, 2, 9, 30, tzinfo=dt.UTC)
POST_ROUTES = ("/privacy", "/privacy/export", "/privacy/erase/confirm", "/privacy/erase")


def contact_id(runtime: Runtime, address: str = ADDRESS) -> int | None:
    with runtime.session_factory() as session:
        return session.scalar(select(Contact.id).where(Contact.email == address))


@pytest.fixture
def events(sqlite_runtime: Runtime, demo_login: DemoLogin) -> int:
    """Write two impressions and a click of the demo contact; return the contact id."""
    with sqlite_runtime.session_factory() as session:
        demo_tenant = tenant_id(session, "beispiel")
        campaign = session.scalars(select(Campaign.id).where(Campaign.name == CAMPAIGN_NAME)).one()
    contact = contact_id(sqlite_runtime)
    assert contact is not None
    kinds = (EventKind.IMPRESSION, EventKind.IMPRESSION, EventKind.CLICK)
    write_events(
        sqlite_runtime.engine,
        [
            PendingEvent(
                tenant_id=demo_tenant,
                occurred_at=DAY,
                kind=kind,
                traffic_class=TrafficClass.HUMAN,
                class_reason="",
                campaign_id=campaign,
                employee_id=None,
                account_id=None,
                contact_id=contact,
                token_issued_at=None,
            )
            for kind in kinds
        ],
    )
    return contact


def demo_totals(runtime: Runtime) -> analytics.Counts:
    with runtime.session_factory() as session:
        report = ReportFilter(tenant_id(session, "beispiel"), DAY.date(), DAY.date())
        return analytics.totals(session, report)


def test_page_in_navigation_for_owner_and_admin(
    owner: httpx.Client, base_url: str, sqlite_runtime: Runtime
) -> None:
    page = owner.get("/privacy")
    assert page.status_code == 200
    assert '<a href="/privacy" aria-current="page">Datenschutz</a>' in page.text
    assert "E-Mail-Adresse des Kontakts" in page.text
    assert "Privacy" in owner.get("/privacy?lang=en").text
    add_user(sqlite_runtime, "admin@beispiel.de", Role.ADMIN)
    with logged_in(base_url, "admin@beispiel.de") as admin:
        assert admin.get("/privacy").status_code == 200


@pytest.mark.parametrize("role", [Role.MARKETING, Role.READ_ONLY])
def test_marketing_and_read_only_get_403(
    role: Role, base_url: str, sqlite_runtime: Runtime, demo_login: DemoLogin
) -> None:
    add_user(sqlite_runtime, "kollege@beispiel.de", role)
    with logged_in(base_url, "kollege@beispiel.de") as client:
        page = client.get("/privacy")
        assert page.status_code == 403
        assert "Ihre Rolle erlaubt diese Seite oder Aktion nicht." in page.text
        assert 'href="/privacy"' not in client.get("/campaigns").text
        for route in POST_ROUTES:
            response = post_form(client, "/campaigns", route, {"address": ADDRESS})
            assert response.status_code == 403, route
    assert contact_id(sqlite_runtime) is not None


def test_posts_without_csrf_token_are_rejected(
    owner: httpx.Client, sqlite_runtime: Runtime
) -> None:
    for route in POST_ROUTES:
        response = owner.post(route, data={"address": ADDRESS})
        assert response.status_code == 403, route
        assert "Das Formular ist abgelaufen" in response.text, route
        assert ADDRESS not in response.text, route
    assert contact_id(sqlite_runtime) is not None


def test_lookup_shows_stored_data(owner: httpx.Client, events: int) -> None:
    response = post_form(owner, "/privacy", "/privacy", {"address": " Max.Mustermann@KUNDE-A.de "})
    assert response.status_code == 200
    summary = response.text.split('data-testid="privacy-summary"')[1]
    assert f"#{events} · {ADDRESS}" in summary
    assert "Max Mustermann" in summary
    assert "Messe-Kontakte" in summary
    assert f"<td>{CAMPAIGN_NAME}</td><td>2</td><td>1</td>" in summary
    assert "<dt>Tracking-Ereignisse (Rohdaten)</dt><dd>3</dd>" in summary
    assert 'action="/privacy/export"' in summary
    assert 'action="/privacy/erase/confirm"' in summary


def test_lookup_names_invalid_value(owner: httpx.Client) -> None:
    response = post_form(owner, "/privacy", "/privacy", {"address": "max.mustermann-kunde-a.de"})
    assert response.status_code == 400
    assert "„max.mustermann-kunde-a.de“ ist keine gültige E-Mail-Adresse" in response.text
    assert "privacy-summary" not in response.text


def test_lookup_names_unknown_address(owner: httpx.Client) -> None:
    response = post_form(owner, "/privacy", "/privacy", {"address": "Niemand@Kunde-A.de"})
    assert response.status_code == 404
    assert "kein Kontakt mit der Adresse niemand@kunde-a.de gespeichert" in response.text


def test_export_downloads_json_named_by_id(owner: httpx.Client, events: int) -> None:
    response = post_form(owner, "/privacy", "/privacy/export", {"address": ADDRESS})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    disposition = response.headers["content-disposition"]
    assert disposition == f'attachment; filename="maltastic-contact-{events}.json"'
    assert response.headers["cache-control"] == "no-store"
    export = json.loads(response.content)
    assert export["contact"]["email"] == ADDRESS
    assert export["target_groups"][0]["name"] == "Messe-Kontakte"
    totals = export["campaign_totals"][0]
    assert (totals["campaign_name"], totals["impressions"], totals["clicks"]) == (
        CAMPAIGN_NAME,
        2,
        1,
    )
    assert export["raw_tracking_events"] == 3


def test_erase_after_confirmation(
    owner: httpx.Client, sqlite_runtime: Runtime, events: int
) -> None:
    totals_before = demo_totals(sqlite_runtime)
    confirmation = post_form(owner, "/privacy", "/privacy/erase/confirm", {"address": ADDRESS})
    assert confirmation.status_code == 200
    assert f"{ADDRESS} löschen?" in confirmation.text
    assert "Das lässt sich nicht rückgängig machen." in confirmation.text
    assert contact_id(sqlite_runtime) == events, "the confirmation step must not erase"

    erased = post_form(owner, "/privacy", "/privacy/erase", {"address": ADDRESS})
    assert erased.status_code == 303
    assert erased.headers["location"] == "/privacy"
    notice = owner.get("/privacy").text
    match = re.search(r'<p class="notice" role="status">([^<]*)</p>', notice)
    assert match is not None
    assert f"Kontakt #{events} gelöscht." in match.group(1)
    assert "Vom Kontakt getrennte Tracking-Ereignisse: 3." in match.group(1)
    assert ADDRESS not in match.group(1)
    assert contact_id(sqlite_runtime) is None
    assert demo_totals(sqlite_runtime) == totals_before

    again = post_form(owner, "/privacy", "/privacy/erase", {"address": ADDRESS})
    assert again.status_code == 404
    assert f"kein Kontakt mit der Adresse {ADDRESS} gespeichert" in again.text


def test_german_texts_call_relay_rerouting(owner: httpx.Client, events: int) -> None:
    lookup = post_form(owner, "/privacy", "/privacy", {"address": ADDRESS})
    confirmation = post_form(owner, "/privacy", "/privacy/erase/confirm", {"address": ADDRESS})
    post_form(owner, "/privacy", "/privacy/erase", {"address": ADDRESS})
    notice = owner.get("/privacy")
    assert "<dt>Einträge im Rerouting-Protokoll</dt>" in lookup.text
    assert "Einträge im Rerouting-Protokoll bleiben ohne Bezug" in confirmation.text
    assert "getrennte Einträge im Rerouting-Protokoll: 0." in notice.text
    for response in (lookup, confirmation, notice):
        assert "Relay-Protokoll" not in response.text


def test_english_lookup_names_relay_log(owner: httpx.Client, events: int) -> None:
    owner.get("/privacy", params={"lang": "en"})
    lookup = post_form(owner, "/privacy", "/privacy", {"address": ADDRESS})
    assert "<dt>Relay log entries</dt>" in lookup.text
