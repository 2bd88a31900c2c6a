"""Writing the audit log: every change an admin makes is recorded in the same transaction."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from maltastic.audit.models import AuditLogEntry

JsonValue = str | int | float | bool | None | list[Any]


class AuditAction(enum.StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    IMPORT = "import"


def record_change(
    session: Session,
    *,
    actor_id: int | None,
    action: AuditAction,
    entity_type: str,
    entity_id: int | str,
    changes: Mapping[str, tuple[Any, Any]],
) -> AuditLogEntry:
    """Add an audit entry; `changes` maps a field name to its old and new value."""
    entry = AuditLogEntry(
        user_id=actor_id,
        action=str(action),
        entity_type=entity_type,
        entity_id=str(entity_id),
        changes={name: [to_json(old), to_json(new)] for name, (old, new) in changes.items()},
    )
    session.add(entry)
    return entry


def changed_fields(row: object, values: Mapping[str, Any]) -> dict[str, tuple[Any, Any]]:
    """Set `values` on `row` and return the fields whose value actually changed."""
    changes: dict[str, tuple[Any, Any]] = {}
    for name, new in values.items():
        old = getattr(row, name)
        if old != new:
            changes[name] = (old, new)
            setattr(row, name, new)
    return changes


def to_json(value: Any) -> JsonValue:
    """Convert a column value to what the JSON `changes` column can store."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple | set | frozenset):
        return [to_json(item) for item in value]
    return str(value)
