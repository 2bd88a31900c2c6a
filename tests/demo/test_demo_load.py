"""The demo tenant loads completely, and loading it again changes nothing."""

from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from maltastic.campaigns.models import Banner, Campaign, CampaignKind
from maltastic.db.models import Base
from maltastic.db.tenancy import open_tenant_session
from maltastic.demo import content
from maltastic.demo.loader import load_demo
from maltastic.directory.models import Employee
from maltastic.runtime import Runtime
from maltastic.targeting.models import TargetGroup, TargetLevel
from maltastic.tenants.models import DomainKind, TenantDomain
from maltastic.tenants.service import find_tenant
from maltastic.users.service import authenticate


def dump_database(session: Session) -> dict[str, list[tuple[Any, ...]]]:
    dump = {}
    for table in Base.metadata.sorted_tables:
        rows = session.execute(text(f"SELECT * FROM {table.name} ORDER BY 1")).all()
        dump[table.name] = [tuple(row) for row in rows]
    return dump


def test_second_load_changes_nothing(runtime: Runtime) -> None:
    load_demo(runtime.session_factory, runtime.secret_box)
    with runtime.session_factory() as session:
        first = dump_database(session)
    load_demo(runtime.session_factory, runtime.secret_box)
    with runtime.session_factory() as session:
        second = dump_database(session)
    assert first == second
    assert first["employees"], "the demo load wrote no employees"


def test_demo_tenant_content(runtime: Runtime) -> None:
    load_demo(runtime.session_factory, runtime.secret_box)
    with runtime.session_factory() as session:
        tenant = find_tenant(session, content.TENANT_SLUG)
        assert tenant is not None
        domains = {(d.domain, d.kind) for d in session.scalars(select(TenantDomain))}
    assert ("beispiel.de", DomainKind.OWN) in domains
    assert ("tochter.de", DomainKind.INTERNAL) in domains

    with open_tenant_session(runtime.session_factory, tenant.id) as session:
        names = set(session.scalars(select(Employee.last_name)))
        campaigns = session.scalars(select(Campaign)).all()
        groups = {g.name: g for g in session.scalars(select(TargetGroup))}
        banner_count = session.scalar(select(func.count()).select_from(Banner))

        assert {"Krüger", "Köhler"} <= names
        sender_departments = {
            d.name for c in campaigns if c.kind is CampaignKind.SENDER for d in c.departments
        }
        assert sender_departments == {"Vertrieb", "Marketing", "Support"}
        assert sum(c.is_tenant_default for c in campaigns) == 1
        assert banner_count == len(campaigns)
        accounts = groups["Schlüsselkunden"]
        assert accounts.level is TargetLevel.ACCOUNT
        assert "kunde-a.de" in {a.domain for a in accounts.accounts}
        contacts = groups["Messe-Kontakte"]
        assert contacts.level is TargetLevel.CONTACT
        assert "max.mustermann@kunde-a.de" in {c.email for c in contacts.contacts}


def test_demo_banners_are_png(runtime: Runtime) -> None:
    load_demo(runtime.session_factory, runtime.secret_box)
    with runtime.session_factory() as session:
        images = session.scalars(select(Banner.image)).all()
    assert images
    assert all(image.startswith(b"\x89PNG\r\n\x1a\n") for image in images)


def test_demo_login_works(runtime: Runtime) -> None:
    login = load_demo(runtime.session_factory, runtime.secret_box)
    with runtime.session_factory() as session:
        assert authenticate(session, login.email, login.password) is not None
        assert authenticate(session, login.email, "wrong password") is None
