"""The demo tenant with its tokens and events, shared by the tracking endpoint tests."""

from __future__ import annotations

import codecs
import datetime as dt
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from maltastic.campaigns.audience import Audience
from maltastic.campaigns.models import Banner, Campaign
from maltastic.db.tenancy import open_tenant_session
from maltastic.demo.loader import load_demo
from maltastic.directory.models import Employee
from maltastic.runtime import Runtime
from maltastic.targeting.models import Account, Contact
from maltastic.tenants.service import create_tenant, find_tenant
from maltastic.tracking.keyring import ensure_signing_key, load_keyring
from maltastic.tracking.models import EventKind, TrackingEvent, TrafficClass
from maltastic.tracking.tokens import TokenPayload, encode_token, issue_token, minutes_since_epoch

BROWSER = {
    "User-Agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/131.0 Safari/537.36"
}


@dataclass
class Demo:
    runtime: Runtime
    tenant_id: int
    anna: int
    juergen: int
    kunde_a: int
    max_contact: int

    def token(self, employee: int, audience: Audience) -> str:
        with self.runtime.session_factory() as session:
            keyring = load_keyring(session, self.runtime.secret_box)
        return issue_token(
            keyring, tenant_id=self.tenant_id, employee_id=employee, audience=audience
        )

    def banner_of(self, campaign_name: str) -> bytes:
        with self.runtime.session_factory() as session:
            return session.scalars(
                select(Banner.image)
                .join(Campaign, Campaign.banner_id == Banner.id)
                .where(Campaign.name == campaign_name)
            ).one()

    def events(self) -> list[tuple[EventKind, TrafficClass, int | None]]:
        with self.runtime.session_factory() as session:
            rows = session.execute(
                select(TrackingEvent.kind, TrackingEvent.traffic_class, TrackingEvent.campaign_id)
            )
            return [tuple(row) for row in rows]  # type: ignore[misc]


@pytest.fixture
def demo(sqlite_runtime: Runtime) -> Demo:
    load_demo(sqlite_runtime.session_factory, sqlite_runtime.secret_box)
    with sqlite_runtime.session_factory() as session:
        tenant = find_tenant(session, "beispiel")
        assert tenant is not None

        def employee(email: str) -> int:
            return session.scalars(select(Employee.id).where(Employee.email == email)).one()

        return Demo(
            runtime=sqlite_runtime,
            tenant_id=tenant.id,
            anna=employee("anna.schmidt@beispiel.de"),
            juergen=employee("juergen.koehler@beispiel.de"),
            kunde_a=session.scalars(select(Account.id).where(Account.domain == "kunde-a.de")).one(),
            max_contact=session.scalars(
                select(Contact.id).where(Contact.email == "max.mustermann@kunde-a.de")
            ).one(),
        )


def abuse_tokens(demo: Demo) -> dict[str, str]:
    good = demo.token(demo.anna, Audience.nobody())
    with demo.runtime.session_factory.begin() as session:
        other = create_tenant(session, slug="fremd", name="Fremd", own_domains=["fremd.de"])
        session.flush()
        other_id = other.id
    with open_tenant_session(demo.runtime.session_factory, other_id) as session:
        ensure_signing_key(session, demo.runtime.secret_box)
        session.commit()
        keyring = load_keyring(session, demo.runtime.secret_box)
    key_id, other_secret = keyring.active_key(other_id)
    now_minute = minutes_since_epoch(dt.datetime.now(dt.UTC))
    claims_demo = TokenPayload(demo.tenant_id, key_id, demo.anna, Audience.nobody(), now_minute)
    return {
        "forged": "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEB",
        "truncated": good[:-3],
        "rot13": codecs.encode(good, "rot13"),
        "other tenant's key": encode_token(claims_demo, other_secret),
        "garbage": "%%%..",
    }
