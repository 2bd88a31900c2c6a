"""Find a tenant's contact by address and export everything stored about it.

Every function expects a session opened with `open_tenant_session`, which scopes queries
on tenant-owned models. Statements on link tables and the rollup upsert are not scoped,
so they filter by the session's tenant explicitly.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import Text, cast, func, select
from sqlalchemy.orm import Session

from maltastic.analytics.models import DailyRollup
from maltastic.audit.models import AuditLogEntry
from maltastic.campaigns.models import Campaign
from maltastic.db.tenancy import session_tenant_id
from maltastic.i18n.catalog import gettext as _
from maltastic.relay.models import RelayLogEntry
from maltastic.targeting.addresses import normalise_address
from maltastic.targeting.models import Contact, TargetGroup, target_group_contacts
from maltastic.tenants.models import OptOutKind, TrackingOptOut
from maltastic.tracking.models import EventKind, TrackingEvent
from maltastic.validation import InvalidInputError

ADDRESS_FIELD = "address"


class ContactNotFoundError(InvalidInputError):
    """The address is valid, but the tenant stores no contact with it."""


def tenant_of(session: Session) -> int:
    """Return the session's tenant id; unscoped sessions could touch every tenant's rows."""
    tenant_id = session_tenant_id(session)
    if tenant_id is None:
        raise RuntimeError("privacy functions need a session from open_tenant_session")
    return tenant_id


def find_contact(session: Session, text: str) -> Contact:
    """Return the tenant's contact for a typed address, normalised as contacts are stored.

    Raises InvalidInputError for an empty or invalid address and ContactNotFoundError
    when the tenant has no such contact, each with a translated message for the
    `address` field.
    """
    typed = text.strip()
    if not typed:
        raise InvalidInputError({ADDRESS_FIELD: _("Please enter an email address.")})
    address = normalise_address(typed)
    if address is None:
        message = _(
            "“%(value)s” is not a valid email address. "
            "Enter exactly one address, e.g. max.mustermann@kunde-a.de."
        )
        raise InvalidInputError({ADDRESS_FIELD: message % {"value": typed}})
    tenant_id = tenant_of(session)
    contact = session.scalar(
        select(Contact).where(Contact.tenant_id == tenant_id, Contact.email == address)
    )
    if contact is None:
        message = _(
            "No contact with the address %(address)s is stored in this organisation. "
            "Check the spelling. If the contact was erased before, nothing is left to do."
        )
        raise ContactNotFoundError({ADDRESS_FIELD: message % {"address": address}})
    return contact


def export_contact(session: Session, contact: Contact) -> dict[str, Any]:
    """Collect everything stored about `contact` as a JSON-serialisable dict."""
    tenant_id = tenant_of(session)
    opt_out = find_opt_out(session, contact.email)
    return {
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "contact": {
            "id": contact.id,
            "email": contact.email,
            "first_name": contact.first_name,
            "last_name": contact.last_name,
            "external_ids": contact.external_ids or {},
            "created_at": as_utc_text(contact.created_at),
            "account_domain": contact.account.domain if contact.account else None,
        },
        "target_groups": [
            {"id": group_id, "name": name} for group_id, name in target_groups(session, contact)
        ],
        "campaign_totals": campaign_totals(session, contact),
        "raw_tracking_events": count_rows(session, TrackingEvent, tenant_id, contact.id),
        "relay_log_entries": count_rows(session, RelayLogEntry, tenant_id, contact.id),
        "audit_log_entries_naming_address": len(audit_entries_naming(session, contact.email)),
        "tracking_opt_out": None
        if opt_out is None
        else {"value": opt_out.value, "created_at": as_utc_text(opt_out.created_at)},
    }


def target_groups(session: Session, contact: Contact) -> list[tuple[int, str]]:
    statement = (
        select(TargetGroup.id, TargetGroup.name)
        .join(target_group_contacts, target_group_contacts.c.target_group_id == TargetGroup.id)
        .where(target_group_contacts.c.contact_id == contact.id)
        .order_by(TargetGroup.name)
    )
    return [(group_id, name) for group_id, name in session.execute(statement)]


def campaign_totals(session: Session, contact: Contact) -> list[dict[str, Any]]:
    """Sum the contact's rollup rows per campaign over all days and traffic classes."""
    statement = (
        select(
            DailyRollup.campaign_id,
            Campaign.name,
            DailyRollup.kind,
            func.sum(DailyRollup.count),
            func.min(DailyRollup.day),
            func.max(DailyRollup.day),
        )
        .outerjoin(Campaign, Campaign.id == DailyRollup.campaign_id)
        .where(DailyRollup.contact_id == contact.id)
        .group_by(DailyRollup.campaign_id, Campaign.name, DailyRollup.kind)
        .order_by(DailyRollup.campaign_id)
    )
    totals: dict[int, dict[str, Any]] = {}
    for campaign_id, name, kind, count, first_day, last_day in session.execute(statement):
        entry = totals.setdefault(
            campaign_id,
            {
                "campaign_id": campaign_id,
                "campaign_name": name,
                "impressions": 0,
                "clicks": 0,
                "first_day": first_day.isoformat(),
                "last_day": last_day.isoformat(),
            },
        )
        key = "impressions" if kind == EventKind.IMPRESSION else "clicks"
        entry[key] += int(count)
        entry["first_day"] = min(entry["first_day"], first_day.isoformat())
        entry["last_day"] = max(entry["last_day"], last_day.isoformat())
    return list(totals.values())


def count_rows(
    session: Session,
    model: type[TrackingEvent] | type[RelayLogEntry],
    tenant_id: int,
    contact_id: int,
) -> int:
    statement = select(func.count()).where(
        model.tenant_id == tenant_id, model.contact_id == contact_id
    )
    return session.scalar(statement) or 0


def find_opt_out(session: Session, address: str) -> TrackingOptOut | None:
    return session.scalar(
        select(TrackingOptOut).where(
            TrackingOptOut.kind == OptOutKind.ADDRESS, TrackingOptOut.value == address
        )
    )


def audit_entries_naming(session: Session, address: str) -> list[AuditLogEntry]:
    """Return the tenant's audit entries whose changes contain `address` as a value.

    Target group audit entries name a removed member by its address. The LIKE filter
    searches the stored JSON text, where non-ASCII characters appear as \\u escapes, and
    the exact check drops entries that only contain the address inside a longer value.
    """
    stored_form = json.dumps(address)[1:-1]
    candidates = session.scalars(
        select(AuditLogEntry).where(
            cast(AuditLogEntry.changes, Text).contains(stored_form, autoescape=True)
        )
    )
    return [entry for entry in candidates if contains_value(entry.changes, address)]


def contains_value(value: Any, address: str) -> bool:
    if isinstance(value, str):
        return value == address
    if isinstance(value, dict):
        return any(contains_value(item, address) for item in value.values())
    if isinstance(value, list):
        return any(contains_value(item, address) for item in value)
    return False


def as_utc_text(moment: dt.datetime | None) -> str | None:
    """Format a stored time as ISO 8601 UTC; SQLite returns naive datetimes stored as UTC."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds")
