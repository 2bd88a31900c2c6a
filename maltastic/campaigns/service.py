"""Campaigns as admins edit them: validation, priority order, pausing and the tenant default.

Start and end are entered in the tenant's time zone and stored in UTC. Lower priority
numbers win; new campaigns go to the end of the list.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from maltastic.audit.service import AuditAction, changed_fields, record_change
from maltastic.campaigns.models import Banner, Campaign, CampaignKind
from maltastic.directory.models import Department
from maltastic.i18n.catalog import gettext as _
from maltastic.targeting.models import TargetGroup
from maltastic.validation import FieldErrors

PRIORITY_STEP = 10
LOCAL_TIME_FORMAT = "%Y-%m-%dT%H:%M"


@dataclass(frozen=True)
class CampaignForm:
    """The raw text of the campaign form."""

    name: str = ""
    kind: str = ""
    banner_id: str = ""
    target_url: str = ""
    starts_at: str = ""
    ends_at: str = ""
    department_ids: tuple[str, ...] = ()
    target_group_ids: tuple[str, ...] = ()
    is_tenant_default: bool = False


@dataclass(frozen=True)
class CampaignValues:
    name: str
    kind: CampaignKind
    banner: Banner
    target_url: str
    starts_at: dt.datetime | None
    ends_at: dt.datetime | None
    departments: list[Department]
    target_groups: list[TargetGroup]
    is_tenant_default: bool


def check_campaign(session: Session, form: CampaignForm, zone: ZoneInfo) -> CampaignValues:
    """Return the checked values of `form`, or raise InvalidInputError with every problem."""
    errors = FieldErrors()
    name = " ".join(form.name.split())
    if not name:
        errors.add("name", _("Please enter a name."))
    elif len(name) > 200:
        errors.add("name", _("The name can have at most 200 characters."))
    kind = check_kind(form.kind, errors)
    banner = chosen_rows(session, Banner, (form.banner_id,))
    if len(banner) != 1:
        errors.add("banner_id", _("Please choose a banner."))
    target_url = check_target_url(form.target_url, errors)
    starts_at = parse_local_time(form.starts_at, zone, "starts_at", errors)
    ends_at = parse_local_time(form.ends_at, zone, "ends_at", errors)
    if starts_at and ends_at and ends_at <= starts_at:
        errors.add("ends_at", _("The end must be after the start."))
    departments = chosen_rows(session, Department, form.department_ids)
    groups = chosen_rows(session, TargetGroup, form.target_group_ids)
    check_audience(kind, departments, groups, form.is_tenant_default, errors)
    errors.raise_if_any()
    assert kind is not None
    return CampaignValues(
        name,
        kind,
        banner[0],
        target_url,
        starts_at,
        ends_at,
        departments if kind == CampaignKind.SENDER else [],
        groups if kind == CampaignKind.RECIPIENT else [],
        form.is_tenant_default,
    )


def check_kind(text: str, errors: FieldErrors) -> CampaignKind | None:
    try:
        return CampaignKind(text)
    except ValueError:
        errors.add("kind", _("Please choose sender-based or recipient-based."))
        return None


def check_audience(
    kind: CampaignKind | None,
    departments: list[Department],
    groups: list[TargetGroup],
    is_default: bool,
    errors: FieldErrors,
) -> None:
    if is_default:
        return
    if kind == CampaignKind.SENDER and not departments:
        errors.add("department_ids", _("Please choose at least one department."))
    if kind == CampaignKind.RECIPIENT and not groups:
        errors.add("target_group_ids", _("Please choose at least one target group."))


def check_target_url(text: str, errors: FieldErrors) -> str:
    url = text.strip()
    parts = urlsplit(url) if url else None
    if not url:
        errors.add("target_url", _("Please enter the target URL."))
    elif len(url) > 2000 or any(ch.isspace() for ch in url):
        errors.add("target_url", _("The target URL is too long or contains spaces."))
    elif parts is None or parts.scheme.lower() != "https" or not parts.hostname:
        errors.add(
            "target_url",
            _("The target URL must start with https://, e.g. https://beispiel.de/aktion."),
        )
    return url


def parse_local_time(
    text: str, zone: ZoneInfo, field: str, errors: FieldErrors
) -> dt.datetime | None:
    """Convert a `datetime-local` value in the tenant's zone to UTC."""
    if not text.strip():
        return None
    try:
        local = dt.datetime.strptime(text.strip()[:16], LOCAL_TIME_FORMAT)
    except ValueError:
        errors.add(field, _("Please enter date and time as DD.MM.YYYY HH:MM."))
        return None
    return local.replace(tzinfo=zone).astimezone(dt.UTC)


def to_local_input(value: dt.datetime | None, zone: ZoneInfo) -> str:
    if value is None:
        return ""
    if value.tzinfo is None:  # SQLite returns naive datetimes; they are stored in UTC
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(zone).strftime(LOCAL_TIME_FORMAT)


RowT = TypeVar("RowT", Banner, Department, TargetGroup)


def chosen_rows(session: Session, model: type[RowT], ids: tuple[str, ...]) -> list[RowT]:
    """Return the rows of the tenant with the given ids; unknown ids are left out."""
    numbers = [int(value) for value in ids if value.strip().isdigit()]
    if not numbers:
        return []
    return list(session.scalars(select(model).where(model.id.in_(numbers))))


def campaign_summary(values: CampaignValues) -> dict[str, Any]:
    return {
        "name": values.name,
        "kind": values.kind,
        "banner_id": values.banner.id,
        "target_url": values.target_url,
        "starts_at": values.starts_at,
        "ends_at": values.ends_at,
        "is_tenant_default": values.is_tenant_default,
    }


def create_campaign(session: Session, actor_id: int, values: CampaignValues) -> Campaign:
    if values.is_tenant_default:
        clear_tenant_default(session, actor_id, keep_id=None)
    last = session.scalar(select(func.max(Campaign.priority))) or 0
    campaign = Campaign(priority=last + PRIORITY_STEP, **campaign_summary(values))
    campaign.departments = values.departments
    campaign.target_groups = values.target_groups
    session.add(campaign)
    session.flush()
    changes = {field: (None, value) for field, value in campaign_summary(values).items()}
    changes.update(audience_changes([], values))
    record_campaign_change(session, actor_id, AuditAction.CREATE, campaign, changes)
    return campaign


def update_campaign(
    session: Session, actor_id: int, campaign: Campaign, values: CampaignValues
) -> None:
    if values.is_tenant_default and not campaign.is_tenant_default:
        clear_tenant_default(session, actor_id, keep_id=campaign.id)
    before = audience_names(campaign.departments, campaign.target_groups)
    changes = changed_fields(campaign, campaign_summary(values))
    changes.update(audience_changes(before, values))
    campaign.departments = values.departments
    campaign.target_groups = values.target_groups
    if changes:
        record_campaign_change(session, actor_id, AuditAction.UPDATE, campaign, changes)


def audience_changes(old: list[str], values: CampaignValues) -> dict[str, tuple[Any, Any]]:
    new = audience_names(values.departments, values.target_groups)
    return {"audience": (old, new)} if old != new else {}


def audience_names(departments: list[Department], groups: list[TargetGroup]) -> list[str]:
    return sorted([d.name for d in departments] + [g.name for g in groups])


def clear_tenant_default(session: Session, actor_id: int, keep_id: int | None) -> None:
    """Unset the current tenant default, so that at most one campaign is the default."""
    for campaign in session.scalars(select(Campaign).where(Campaign.is_tenant_default)):
        if campaign.id != keep_id:
            campaign.is_tenant_default = False
            record_campaign_change(
                session,
                actor_id,
                AuditAction.UPDATE,
                campaign,
                {"is_tenant_default": (True, False)},
            )
    session.flush()


def set_paused(session: Session, actor_id: int, campaign: Campaign, paused: bool) -> None:
    changes = changed_fields(campaign, {"paused": paused})
    if changes:
        record_campaign_change(session, actor_id, AuditAction.UPDATE, campaign, changes)


def move_campaign(session: Session, actor_id: int, campaign: Campaign, direction: int) -> None:
    """Swap `campaign` with its neighbour in priority order (-1 is up, 1 is down)."""
    ordered = list(session.scalars(select(Campaign).order_by(Campaign.priority, Campaign.id)))
    index = ordered.index(campaign)
    target = index + direction
    if direction not in (-1, 1) or not 0 <= target < len(ordered):
        return
    ordered[index], ordered[target] = ordered[target], ordered[index]
    for position, row in enumerate(ordered, start=1):
        changes = changed_fields(row, {"priority": position * PRIORITY_STEP})
        if changes:
            record_campaign_change(session, actor_id, AuditAction.UPDATE, row, changes)


def delete_campaign(session: Session, actor_id: int, campaign: Campaign) -> None:
    record_campaign_change(
        session, actor_id, AuditAction.DELETE, campaign, {"name": (campaign.name, None)}
    )
    session.delete(campaign)


def record_campaign_change(
    session: Session,
    actor_id: int,
    action: AuditAction,
    campaign: Campaign,
    changes: dict[str, tuple[Any, Any]],
) -> None:
    record_change(
        session,
        actor_id=actor_id,
        action=action,
        entity_type="campaign",
        entity_id=campaign.id,
        changes=changes,
    )
