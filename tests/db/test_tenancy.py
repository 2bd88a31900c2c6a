"""A session opened for one tenant never reads or writes another tenant's rows."""

import pytest
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from maltastic.campaigns.models import Banner, Campaign, CampaignKind
from maltastic.db.tenancy import CrossTenantWriteError, open_tenant_session
from maltastic.directory.models import Department, Employee
from maltastic.tenants.models import Tenant


def create_tenant_with_staff(session: Session, slug: str) -> Tenant:
    tenant = Tenant(slug=slug, name=slug.title())
    session.add(tenant)
    session.flush()
    department = Department(tenant_id=tenant.id, name="Vertrieb")
    session.add(department)
    session.flush()
    for number in range(3):
        session.add(
            Employee(
                tenant_id=tenant.id,
                email=f"person{number}@{slug}.de",
                department_id=department.id,
            )
        )
    banner = Banner(
        tenant_id=tenant.id,
        name="b",
        image=b"x",
        content_type="image/png",
        byte_size=1,
        width=1,
        height=1,
        sha256="0" * 64,
    )
    session.add(banner)
    session.flush()
    campaign = Campaign(
        tenant_id=tenant.id,
        name="c",
        kind=CampaignKind.SENDER,
        banner_id=banner.id,
        target_url="https://example.com/",
        departments=[department],
    )
    session.add(campaign)
    return tenant


@pytest.fixture
def two_tenants(session_factory: sessionmaker[Session]) -> tuple[int, int]:
    with session_factory.begin() as session:
        first = create_tenant_with_staff(session, "alpha")
        second = create_tenant_with_staff(session, "beta")
        session.flush()
        return first.id, second.id


def test_select_sees_only_own_rows(
    session_factory: sessionmaker[Session], two_tenants: tuple[int, int]
) -> None:
    first, _second = two_tenants
    with open_tenant_session(session_factory, first) as session:
        emails = session.scalars(select(Employee.email)).all()
    assert sorted(emails) == [f"person{n}@alpha.de" for n in range(3)]


def test_get_by_id_of_other_tenant_returns_none(
    session_factory: sessionmaker[Session], two_tenants: tuple[int, int]
) -> None:
    first, second = two_tenants
    with session_factory() as system:
        foreign_id = system.scalars(select(Employee.id).where(Employee.tenant_id == second)).first()
    with open_tenant_session(session_factory, first) as session:
        assert session.get(Employee, foreign_id) is None


def test_join_and_aggregate_are_scoped(
    session_factory: sessionmaker[Session], two_tenants: tuple[int, int]
) -> None:
    first, _second = two_tenants
    with open_tenant_session(session_factory, first) as session:
        count = session.scalar(select(func.count()).select_from(Employee).join(Department))
        departments = session.scalars(select(Department)).all()
    assert count == 3
    assert len(departments) == 1


def test_relationship_load_is_scoped(
    session_factory: sessionmaker[Session], two_tenants: tuple[int, int]
) -> None:
    first, _second = two_tenants
    with open_tenant_session(session_factory, first) as session:
        campaigns = session.scalars(select(Campaign)).all()
        department_tenants = {d.tenant_id for c in campaigns for d in c.departments}
    assert department_tenants == {first}


def test_bulk_update_and_delete_are_scoped(
    session_factory: sessionmaker[Session], two_tenants: tuple[int, int]
) -> None:
    first, second = two_tenants
    with open_tenant_session(session_factory, first) as session:
        session.execute(update(Employee).values(active=False))
        session.execute(delete(Campaign))
        session.commit()
    with session_factory() as system:
        inactive_second = system.scalar(
            select(func.count())
            .select_from(Employee)
            .where(Employee.tenant_id == second, Employee.active.is_(False))
        )
        campaigns_second = system.scalar(
            select(func.count()).select_from(Campaign).where(Campaign.tenant_id == second)
        )
    assert inactive_second == 0
    assert campaigns_second == 1


def test_new_rows_get_session_tenant(
    session_factory: sessionmaker[Session], two_tenants: tuple[int, int]
) -> None:
    first, _second = two_tenants
    with open_tenant_session(session_factory, first) as session:
        department = Department(name="Support")
        session.add(department)
        session.commit()
        assert department.tenant_id == first


def test_writing_other_tenant_row_is_rejected(
    session_factory: sessionmaker[Session], two_tenants: tuple[int, int]
) -> None:
    first, second = two_tenants
    with open_tenant_session(session_factory, first) as session:
        session.add(Department(tenant_id=second, name="Einschleusung"))
        with pytest.raises(CrossTenantWriteError, match="tenant 2"):
            session.flush()
