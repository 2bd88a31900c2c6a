"""Writing the relay log: one RelayLogEntry of metadata per message of a known tenant.

Entries never contain message content or recipient addresses. The relay writes them in
a worker thread after it has replied to the upstream, and a failed write is logged and
otherwise ignored, so the relay log never affects delivery.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from maltastic.db.tenancy import open_tenant_session
from maltastic.relay.models import RelayAction, RelayLogEntry
from maltastic.relay.signature_source import TargetedAudience
from maltastic.targeting import AudienceKind

logger = logging.getLogger(__name__)

_MAX_REASON = 500
_MAX_MESSAGE_ID = 998


@dataclass(frozen=True, slots=True)
class RelayRecord:
    """The outcome of one message, ready to become a RelayLogEntry."""

    queue_id: str
    tenant_id: int
    received_at: dt.datetime
    message_id: str
    employee_id: int | None
    recipient_count: int
    audience: TargetedAudience | None
    action: RelayAction
    reason: str
    size_bytes: int
    duration_ms: int

    def with_outcome(self, action: RelayAction, reason: str, duration_ms: int) -> RelayRecord:
        return dataclasses.replace(self, action=action, reason=reason, duration_ms=duration_ms)


class RelayLogWriter:
    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._session_factory = session_factory

    def write(self, record: RelayRecord) -> None:
        """Store one entry; log and swallow any failure, because delivery already happened."""
        try:
            with open_tenant_session(self._session_factory, record.tenant_id) as session:
                session.add(to_entry(record))
                session.commit()
        except Exception:
            logger.exception(
                "%s: writing the relay log entry for tenant %s failed",
                record.queue_id,
                record.tenant_id,
            )


def to_entry(record: RelayRecord) -> RelayLogEntry:
    audience = record.audience
    decision = audience.decision if audience is not None else None
    return RelayLogEntry(
        tenant_id=record.tenant_id,
        received_at=record.received_at,
        message_id=record.message_id[:_MAX_MESSAGE_ID],
        employee_id=record.employee_id,
        recipient_count=record.recipient_count,
        audience_kind=(decision.kind if decision else AudienceKind.NONE).value,
        account_id=audience.account_id if audience else None,
        contact_id=audience.contact_id if audience else None,
        rule=decision.rule.value if decision else "",
        action=record.action,
        reason=record.reason[:_MAX_REASON],
        size_bytes=record.size_bytes,
        duration_ms=record.duration_ms,
    )
