"""Erase one contact while keeping the company-level figures that included it.

The contact's daily rollup rows are added to the matching rows without a contact
(contact_id 0), so account, campaign and tenant totals stay the same. Raw tracking events
and relay log entries keep their counts and lose the link to the contact. The address
opt-out, if any, stays, because it is the person's objection to tracking: deleting it
would track the address again if it were imported once more.

Tracking tokens in mail sent before the erasure still carry the contact id. The audit
entry written here lists the id (and whether the opt-out was kept), and the tenant index
reads it, so later loads of that mail count for the account only, or not at all.

Contact ids are never handed out twice (AUTOINCREMENT on SQLite, a sequence on
PostgreSQL), so no later contact inherits them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import CursorResult, delete, select, update
from sqlalchemy.orm import Session

from maltastic.analytics.models import NO_DIMENSION, DailyRollup
from maltastic.analytics.rollups import KEY_COLUMNS, add_counts
from maltastic.audit.service import AuditAction, record_change
from maltastic.privacy.service import audit_entries_naming, find_opt_out, tenant_of
from maltastic.relay.models import RelayLogEntry
from maltastic.targeting.models import Contact, target_group_contacts
from maltastic.tracking.models import TrackingEvent

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ErasureReport:
    """Counts of the rows an erasure changed, with the contact named by id only."""

    contact_id: int
    rollup_rows_merged: int
    tracking_events_unlinked: int
    relay_log_entries_unlinked: int
    memberships_removed: int
    audit_entries_redacted: int
    opt_out_kept: bool


def erase_contact(session: Session, actor_id: int | None, contact: Contact) -> ErasureReport:
    """Erase `contact` in the caller's transaction and record an audit entry without its address.

    The caller commits, so the erasure is applied completely or not at all.
    """
    tenant_id = tenant_of(session)
    contact_id = contact.id
    report = ErasureReport(
        contact_id=contact_id,
        rollup_rows_merged=merge_rollups(session, tenant_id, contact_id),
        tracking_events_unlinked=unlink(session, TrackingEvent, tenant_id, contact_id),
        relay_log_entries_unlinked=unlink(session, RelayLogEntry, tenant_id, contact_id),
        memberships_removed=remove_memberships(session, contact_id),
        audit_entries_redacted=redact_audit_entries(session, contact.email, contact_id),
        opt_out_kept=find_opt_out(session, contact.email) is not None,
    )
    session.delete(contact)
    record_change(
        session,
        actor_id=actor_id,
        action=AuditAction.DELETE,
        entity_type="contact",
        entity_id=contact_id,
        changes={
            "erased": (None, True),
            "opt_out_kept": (None, report.opt_out_kept),
            "rollup_rows_merged": (None, report.rollup_rows_merged),
            "tracking_events_unlinked": (None, report.tracking_events_unlinked),
            "relay_log_entries_unlinked": (None, report.relay_log_entries_unlinked),
            "memberships_removed": (None, report.memberships_removed),
            "audit_entries_redacted": (None, report.audit_entries_redacted),
        },
    )
    session.flush()
    logger.info("tenant id=%s: erased contact id=%s: %s", tenant_id, contact_id, report)
    return report


def merge_rollups(session: Session, tenant_id: int, contact_id: int) -> int:
    """Add the contact's rollup counts to the rows without a contact; return the rows merged."""
    table = DailyRollup.__table__
    key = [table.c[name] for name in KEY_COLUMNS if name != "contact_id"]
    rows = session.execute(
        select(*key, table.c.count).where(
            table.c.tenant_id == tenant_id, table.c.contact_id == contact_id
        )
    ).all()
    if not rows:
        return 0
    merged = [{**row._asdict(), "contact_id": NO_DIMENSION} for row in rows]
    add_counts(session.connection(), merged)
    session.execute(
        delete(DailyRollup)
        .where(DailyRollup.tenant_id == tenant_id, DailyRollup.contact_id == contact_id)
        .execution_options(synchronize_session=False)
    )
    return len(rows)


def unlink(
    session: Session,
    model: type[TrackingEvent] | type[RelayLogEntry],
    tenant_id: int,
    contact_id: int,
) -> int:
    """Set contact_id to NULL in the tenant's rows of `model`; return the number of rows."""
    statement = (
        update(model)
        .where(model.tenant_id == tenant_id, model.contact_id == contact_id)
        .values(contact_id=None)
        .execution_options(synchronize_session=False)
    )
    result = cast(CursorResult[Any], session.execute(statement))
    return result.rowcount or 0


def remove_memberships(session: Session, contact_id: int) -> int:
    """Delete the contact's target group memberships.

    The link table has no tenant column. The contact was loaded in the tenant's session,
    so its id belongs to that tenant.
    """
    statement = delete(target_group_contacts).where(
        target_group_contacts.c.contact_id == contact_id
    )
    result = cast(CursorResult[Any], session.execute(statement))
    return result.rowcount or 0


def redact_audit_entries(session: Session, address: str, contact_id: int) -> int:
    """Replace the address in earlier audit entries with a placeholder naming the contact id."""
    placeholder = f"erased contact #{contact_id}"
    entries = audit_entries_naming(session, address)
    for entry in entries:
        entry.changes = replace_value(entry.changes, address, placeholder)
    return len(entries)


def replace_value(value: Any, old: str, new: str) -> Any:
    if isinstance(value, str):
        return new if value == old else value
    if isinstance(value, dict):
        return {key: replace_value(item, old, new) for key, item in value.items()}
    if isinstance(value, list):
        return [replace_value(item, old, new) for item in value]
    return value
