"""Kampagnen: create and edit, time zones, https only, pause, priority and the default."""

import datetime as dt

import httpx
from sqlalchemy import select

from maltastic.campaigns.models import Campaign
from maltastic.directory.models import Department
from maltastic.runtime import Runtime
from maltastic.targeting.models import TargetGroup
from tests.web.admin import post_form


def ids_of(runtime: Runtime) -> tuple[int, int]:
    with runtime.session_factory() as session:
        department = session.scalar(select(Department.id).where(Department.name == "Support"))
        group = session.scalar(select(TargetGroup.id))
    assert department is not None
    assert group is not None
    return department, group


def campaign_named(runtime: Runtime, name: str) -> Campaign | None:
    with runtime.session_factory() as session:
        campaign = session.scalar(select(Campaign).where(Campaign.name == name))
        if campaign is not None:
            campaign.departments, campaign.target_groups  # noqa: B018 - load before closing
        return campaign


def ordered_names(runtime: Runtime) -> list[str]:
    with runtime.session_factory() as session:
        return list(session.scalars(select(Campaign.name).order_by(Campaign.priority)))


def test_create_sender_campaign_in_tenant_time(
    owner: httpx.Client, sqlite_runtime: Runtime
) -> None:
    department, _group = ids_of(sqlite_runtime)
    form = {
        "name": "Herbstaktion",
        "kind": "sender",
        "banner_id": "1",
        "target_url": "https://www.beispiel.de/herbst",
        "starts_at": "2027-03-01T09:00",
        "ends_at": "2027-07-01T18:30",
        "department_ids": [str(department)],
    }
    response = post_form(owner, "/campaigns/new", "/campaigns/new", form)
    assert response.status_code == 303
    campaign = campaign_named(sqlite_runtime, "Herbstaktion")
    assert campaign is not None
    assert campaign.starts_at is not None
    assert campaign.ends_at is not None
    # Berlin is UTC+1 in March (CET) and UTC+2 in July (CEST).
    assert campaign.starts_at.replace(tzinfo=None) == dt.datetime(2027, 3, 1, 8, 0)
    assert campaign.ends_at.replace(tzinfo=None) == dt.datetime(2027, 7, 1, 16, 30)
    assert [d.id for d in campaign.departments] == [department]
    assert ordered_names(sqlite_runtime)[-1] == "Herbstaktion"
    edit = owner.get(f"/campaigns/{campaign.id}")
    assert 'value="2027-03-01T09:00"' in edit.text


def test_http_target_and_missing_audience_are_rejected(
    owner: httpx.Client, sqlite_runtime: Runtime
) -> None:
    form = {
        "name": "Unsicher",
        "kind": "recipient",
        "banner_id": "1",
        "target_url": "http://www.beispiel.de/",
        "starts_at": "2027-05-01T10:00",
        "ends_at": "2027-04-01T10:00",
    }
    response = post_form(owner, "/campaigns/new", "/campaigns/new", form)
    assert response.status_code == 400
    assert "Die Ziel-URL muss mit https:// beginnen" in response.text
    assert "Bitte wählen Sie mindestens eine Zielgruppe aus." in response.text
    assert "Das Ende muss nach dem Start liegen." in response.text
    assert campaign_named(sqlite_runtime, "Unsicher") is None


def test_javascript_url_is_rejected(owner: httpx.Client) -> None:
    form = {"name": "X", "kind": "sender", "banner_id": "1", "target_url": "javascript:alert(1)"}
    response = post_form(owner, "/campaigns/new", "/campaigns/new", form)
    assert response.status_code == 400
    assert "muss mit https:// beginnen" in response.text


def test_recipient_campaign_with_target_group(owner: httpx.Client, sqlite_runtime: Runtime) -> None:
    _department, group = ids_of(sqlite_runtime)
    form = {
        "name": "Kundenaktion",
        "kind": "recipient",
        "banner_id": "2",
        "target_url": "https://www.beispiel.de/kunden",
        "target_group_ids": [str(group)],
    }
    assert post_form(owner, "/campaigns/new", "/campaigns/new", form).status_code == 303
    campaign = campaign_named(sqlite_runtime, "Kundenaktion")
    assert campaign is not None
    assert [g.id for g in campaign.target_groups] == [group]
    assert campaign.departments == []


def test_only_one_tenant_default(owner: httpx.Client, sqlite_runtime: Runtime) -> None:
    form = {
        "name": "Neuer Standard",
        "kind": "sender",
        "banner_id": "1",
        "target_url": "https://www.beispiel.de/",
        "is_tenant_default": "on",
    }
    assert post_form(owner, "/campaigns/new", "/campaigns/new", form).status_code == 303
    with sqlite_runtime.session_factory() as session:
        defaults = session.scalars(select(Campaign.name).where(Campaign.is_tenant_default)).all()
    assert defaults == ["Neuer Standard"]


def test_pause_and_resume_in_place(owner: httpx.Client, sqlite_runtime: Runtime) -> None:
    htmx = {"HX-Request": "true"}
    paused = post_form(owner, "/campaigns", "/campaigns/1/pause", headers=htmx)
    assert paused.status_code == 200
    assert paused.text.lstrip().startswith('<div id="campaign-table">')
    assert "Fortsetzen" in paused.text
    with sqlite_runtime.session_factory() as session:
        assert session.scalar(select(Campaign.paused).where(Campaign.id == 1)) is True
    resumed = post_form(owner, "/campaigns", "/campaigns/1/resume", headers=htmx)
    assert resumed.status_code == 200
    with sqlite_runtime.session_factory() as session:
        assert session.scalar(select(Campaign.paused).where(Campaign.id == 1)) is False


def test_move_changes_priority_order(owner: httpx.Client, sqlite_runtime: Runtime) -> None:
    before = ordered_names(sqlite_runtime)
    with sqlite_runtime.session_factory() as session:
        second = session.scalar(select(Campaign.id).where(Campaign.name == before[1]))
    response = post_form(owner, "/campaigns", f"/campaigns/{second}/up")
    assert response.status_code == 303
    after = ordered_names(sqlite_runtime)
    assert after[:2] == [before[1], before[0]]
    assert after[2:] == before[2:]
    post_form(owner, "/campaigns", f"/campaigns/{second}/down")
    assert ordered_names(sqlite_runtime) == before


def test_delete_campaign(owner: httpx.Client, sqlite_runtime: Runtime) -> None:
    with sqlite_runtime.session_factory() as session:
        name = session.scalar(select(Campaign.name).where(Campaign.id == 1))
    response = post_form(owner, "/campaigns", "/campaigns/1/delete")
    assert response.status_code == 303
    assert name not in ordered_names(sqlite_runtime)
