"""Writing the relay log: one RelayLogEntry of metadata per message of a known tenant.

Entries never contain message content or recipient addresses. The relay writes them in
batches from a worker thread after it has replied to the upstream, and a failed write is
logged and otherwise ignored, so the relay log never affects delivery.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import threading
import time
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
    """Writes relay log entries in batches, so a busy relay does not commit per message.

    A batch is written when it reaches `max_batch` entries or when the previous write is
    `max_delay` seconds old; `flush` writes whatever waits (the server calls it once a
    second and when it stops).
    """

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        *,
        max_batch: int = 200,
        max_delay: float = 1.0,
    ) -> None:
        self._session_factory = session_factory
        self.max_batch = max_batch
        self.max_delay = max_delay
        self._pending: list[RelayRecord] = []
        self._lock = threading.Lock()
        self._last_flush = time.monotonic()

    def write(self, record: RelayRecord) -> None:
        with self._lock:
            self._pending.append(record)
            due = (
                len(self._pending) >= self.max_batch
                or time.monotonic() - self._last_flush >= self.max_delay
            )
        if due:
            self.flush()

    def flush(self) -> None:
        """Store every waiting entry; log and drop failures, because delivery already happened."""
        with self._lock:
            batch, self._pending = self._pending, []
            self._last_flush = time.monotonic()
        by_tenant: dict[int, list[RelayRecord]] = {}
        for record in batch:
            by_tenant.setdefault(record.tenant_id, []).append(record)
        for tenant_id, records in by_tenant.items():
            self._write_tenant(tenant_id, records)

    def _write_tenant(self, tenant_id: int, records: list[RelayRecord]) -> None:
        try:
            with open_tenant_session(self._session_factory, tenant_id) as session:
                session.add_all([to_entry(record) for record in records])
                session.commit()
        except Exception:
            logger.exception(
                "%s: writing %d relay log entries for tenant %s failed",
                records[0].queue_id,
                len(records),
                tenant_id,
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
