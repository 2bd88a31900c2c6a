"""An admin of one tenant can neither see nor change another tenant's objects by id."""

import httpx
from sqlalchemy import select

from maltastic.campaigns.models import Banner, Campaign
from maltastic.directory.models import Department, Employee
from maltastic.runtime import Runtime
from maltastic.targeting.models import TargetGroup
from maltastic.tenants.models import DomainKind, TenantDomain
from maltastic.users.models import Role
from tests.web.admin import add_tenant, add_user, logged_in, post_form


def first_ids(runtime: Runtime) -> dict[str, int]:
    """Return one id of each kind of object of the demo tenant."""
    with runtime.session_factory() as session:
        ids = {
            "employee": session.scalar(select(Employee.id)),
            "department": session.scalar(select(Department.id)),
            "banner": session.scalar(select(Banner.id)),
            "campaign": session.scalar(select(Campaign.id)),
            "group": session.scalar(select(TargetGroup.id)),
            "domain": session.scalar(
                select(TenantDomain.id).where(TenantDomain.kind == DomainKind.INTERNAL)
            ),
        }
    assert all(ids.values())
    return {name: int(value) for name, value in ids.items() if value}


def test_other_tenant_gets_404(base_url: str, sqlite_runtime: Runtime, demo_login: object) -> None:
    ids = first_ids(sqlite_runtime)
    add_tenant(sqlite_runtime, "andere", "andere.de")
    add_user(sqlite_runtime, "chefin@andere.de", Role.OWNER, tenant_slug="andere")
    pages = (
        f"/employees/{ids['employee']}",
        f"/banners/{ids['banner']}/image",
        f"/campaigns/{ids['campaign']}",
        f"/target-groups/{ids['group']}",
    )
    posts = (
        f"/employees/{ids['employee']}",
        f"/employees/{ids['employee']}/active",
        f"/departments/{ids['department']}/rename",
        f"/departments/{ids['department']}/delete",
        f"/banners/{ids['banner']}",
        f"/banners/{ids['banner']}/delete",
        f"/campaigns/{ids['campaign']}",
        f"/campaigns/{ids['campaign']}/pause",
        f"/campaigns/{ids['campaign']}/up",
        f"/campaigns/{ids['campaign']}/delete",
        f"/target-groups/{ids['group']}/rename",
        f"/target-groups/{ids['group']}/delete",
        f"/target-groups/{ids['group']}/members",
        f"/domains/{ids['domain']}/delete",
    )
    with logged_in(base_url, "chefin@andere.de") as client:
        for page in pages:
            response = client.get(page)
            assert response.status_code == 404, page
            assert "gehört zu einer anderen Organisation" in response.text, page
        for route in posts:
            response = post_form(client, "/", route, {"name": "Übernommen", "members": "x.de"})
            assert response.status_code == 404, route
    assert first_ids(sqlite_runtime) == ids
    with sqlite_runtime.session_factory() as session:
        assert (
            session.scalar(select(Campaign.paused).where(Campaign.id == ids["campaign"])) is False
        )
        names = session.scalars(select(Department.name)).all()
    assert "Übernommen" not in names


def test_lists_show_only_own_tenant(
    base_url: str, sqlite_runtime: Runtime, demo_login: object
) -> None:
    add_tenant(sqlite_runtime, "andere", "andere.de")
    add_user(sqlite_runtime, "chefin@andere.de", Role.OWNER, tenant_slug="andere")
    with logged_in(base_url, "chefin@andere.de") as client:
        assert "anna.schmidt@beispiel.de" not in client.get("/employees").text
        assert "Vertrieb" not in client.get("/departments").text
        assert "Frühjahrsaktion" not in client.get("/campaigns").text
        assert ">tochter.de<" not in client.get("/domains").text
        assert ">andere.de<" in client.get("/domains").text
        assert client.get("/banners").text.count("/image") == 0


def test_owner_client_fixture_sees_demo(owner: httpx.Client) -> None:
    assert "anna.schmidt@beispiel.de" in owner.get("/employees").text
