"""The tenant index built from the database resolves the demo tenant's campaigns."""

import datetime as dt

import pytest
from sqlalchemy import select, update

from maltastic.campaigns.audience import Audience
from maltastic.campaigns.models import Campaign
from maltastic.campaigns.resolution import ResolutionReason
from maltastic.db.tenancy import open_tenant_session
from maltastic.demo.loader import load_demo
from maltastic.directory.models import Employee
from maltastic.runtime import Runtime
from maltastic.targeting.decision import AudienceKind
from maltastic.targeting.models import Account, Contact
from maltastic.targeting.rules import decide_audience_for_headers
from maltastic.tenants.service import find_tenant

NOW = dt.datetime.now(dt.UTC)


@pytest.fixture
def demo(runtime: Runtime) -> dict[str, int]:
    """Load the demo tenant and return the ids the tests need, by name."""
    load_demo(runtime.session_factory, runtime.secret_box)
    with runtime.session_factory() as session:
        tenant = find_tenant(session, "beispiel")
        assert tenant is not None
        ids = {"tenant": tenant.id}
        for email in ("anna.schmidt@beispiel.de", "juergen.koehler@beispiel.de"):
            ids[email] = session.scalars(select(Employee.id).where(Employee.email == email)).one()
        ids["kunde-a.de"] = session.scalars(
            select(Account.id).where(Account.domain == "kunde-a.de")
        ).one()
        ids["max"] = session.scalars(
            select(Contact.id).where(Contact.email == "max.mustermann@kunde-a.de")
        ).one()
        for name in (
            "Vertrieb: Frühjahrsaktion",
            "Schlüsselkunden: Partnertag",
            "Messe-Kontakte: Standbesuch",
            "Standard: Beispiel GmbH",
        ):
            ids[name] = session.scalars(select(Campaign.id).where(Campaign.name == name)).one()
    return ids


def resolve(runtime: Runtime, demo: dict[str, int], employee: str, audience: Audience) -> int:
    index = runtime.indexes.get(demo["tenant"])
    result = index.campaigns.resolve(demo[employee], audience, NOW)
    assert result is not None
    return result.campaign_id


def test_sender_without_audience_gets_department(runtime: Runtime, demo: dict[str, int]) -> None:
    campaign = resolve(runtime, demo, "anna.schmidt@beispiel.de", Audience.nobody())
    assert campaign == demo["Vertrieb: Frühjahrsaktion"]


def test_account_audience_gets_account_campaign(runtime: Runtime, demo: dict[str, int]) -> None:
    audience = Audience.account(demo["kunde-a.de"])
    campaign = resolve(runtime, demo, "anna.schmidt@beispiel.de", audience)
    assert campaign == demo["Schlüsselkunden: Partnertag"]


def test_contact_campaign_has_higher_priority(runtime: Runtime, demo: dict[str, int]) -> None:
    audience = Audience.contact(demo["max"], account_id=demo["kunde-a.de"])
    campaign = resolve(runtime, demo, "anna.schmidt@beispiel.de", audience)
    assert campaign == demo["Messe-Kontakte: Standbesuch"]


def test_no_department_gets_default(runtime: Runtime, demo: dict[str, int]) -> None:
    campaign = resolve(runtime, demo, "juergen.koehler@beispiel.de", Audience.nobody())
    assert campaign == demo["Standard: Beispiel GmbH"]


def test_policy_knows_demo_contacts(runtime: Runtime, demo: dict[str, int]) -> None:
    policy = runtime.indexes.get(demo["tenant"]).policy
    contact = decide_audience_for_headers(to="Max.Mustermann@Kunde-A.de", policy=policy)
    colleague = decide_audience_for_headers(to="jan.becker@tochter.de", policy=policy)
    assert contact.kind is AudienceKind.CONTACT
    assert colleague.kind is AudienceKind.NONE


def test_pausing_a_campaign_refreshes_index(runtime: Runtime, demo: dict[str, int]) -> None:
    audience = Audience.contact(demo["max"], account_id=demo["kunde-a.de"])
    assert (
        resolve(runtime, demo, "anna.schmidt@beispiel.de", audience)
        == (demo["Messe-Kontakte: Standbesuch"])
    )
    with open_tenant_session(runtime.session_factory, demo["tenant"]) as session:
        campaign = session.get(Campaign, demo["Messe-Kontakte: Standbesuch"])
        assert campaign is not None
        campaign.paused = True
        session.commit()
    runtime.indexes.wait_for_rebuilds()

    campaign_id = resolve(runtime, demo, "anna.schmidt@beispiel.de", audience)
    assert campaign_id == demo["Schlüsselkunden: Partnertag"]


def test_bulk_update_refreshes_index(runtime: Runtime, demo: dict[str, int]) -> None:
    resolve(runtime, demo, "anna.schmidt@beispiel.de", Audience.nobody())
    with open_tenant_session(runtime.session_factory, demo["tenant"]) as session:
        session.execute(update(Campaign).values(paused=True))
        session.commit()
    runtime.indexes.wait_for_rebuilds()
    index = runtime.indexes.get(demo["tenant"])
    assert index.campaigns.resolve(demo["anna.schmidt@beispiel.de"], Audience.nobody(), NOW) is None


def test_rolled_back_change_keeps_index(runtime: Runtime, demo: dict[str, int]) -> None:
    before = runtime.indexes.get(demo["tenant"])
    with open_tenant_session(runtime.session_factory, demo["tenant"]) as session:
        session.execute(update(Campaign).values(paused=True))
        session.rollback()
    runtime.indexes.wait_for_rebuilds()
    assert runtime.indexes.get(demo["tenant"]) is before


def test_reason_is_reported(runtime: Runtime, demo: dict[str, int]) -> None:
    index = runtime.indexes.get(demo["tenant"])
    result = index.campaigns.resolve(
        demo["anna.schmidt@beispiel.de"], Audience.account(demo["kunde-a.de"]), NOW
    )
    assert result is not None
    assert result.reason is ResolutionReason.ACCOUNT_GROUP


def test_unchanged_rows_do_not_rebuild(runtime: Runtime, demo: dict[str, int]) -> None:
    before = runtime.indexes.get(demo["tenant"])
    with open_tenant_session(runtime.session_factory, demo["tenant"]) as session:
        employee = session.get(Employee, demo["anna.schmidt@beispiel.de"])
        assert employee is not None
        employee.title = employee.title  # marks the row dirty without changing it
        session.merge(employee)
        session.commit()
    runtime.indexes.wait_for_rebuilds()
    assert runtime.indexes.get(demo["tenant"]) is before
