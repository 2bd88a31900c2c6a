"""The demo outbox: processed messages stored as files instead of sent to a next hop.

Each message is `<queue id>.eml` with a JSON sidecar `<queue id>.json` that contains the
envelope and what the relay did. Both files are written to a temporary name, flushed to
disk and renamed, so a reader never sees a partial file. The sidecar is renamed first:
an `.eml` file therefore always has its sidecar, and readers should list `.eml` files.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass
from pathlib import Path

from maltastic.relay.models import RelayAction

MESSAGE_SUFFIX = ".eml"
SIDECAR_SUFFIX = ".json"


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """A processed message with its envelope, ready for the next hop or the outbox."""

    queue_id: str
    mail_from: str
    recipients: tuple[str, ...]
    data: bytes
    action: RelayAction
    reason: str
    received_at: dt.datetime
    tenant_id: int | None = None


def write_outbox_message(directory: Path, message: OutgoingMessage) -> Path:
    """Store one message and its sidecar atomically; return the path of the `.eml` file."""
    directory.mkdir(parents=True, exist_ok=True)
    sidecar = {
        "queue_id": message.queue_id,
        "received_at": message.received_at.isoformat(),
        "mail_from": message.mail_from,
        "recipients": list(message.recipients),
        "size_bytes": len(message.data),
        "action": message.action.value,
        "reason": message.reason,
        "tenant_id": message.tenant_id,
    }
    sidecar_bytes = json.dumps(sidecar, ensure_ascii=False, indent=2).encode("utf-8")
    _write_atomically(directory / f"{message.queue_id}{SIDECAR_SUFFIX}", sidecar_bytes)
    target = directory / f"{message.queue_id}{MESSAGE_SUFFIX}"
    _write_atomically(target, message.data)
    return target


def _write_atomically(target: Path, data: bytes) -> None:
    temporary = target.with_name(f".{target.name}.tmp")
    try:
        with open(temporary, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    _sync_directory(target.parent)


def _sync_directory(directory: Path) -> None:
    """Flush the rename to disk; some platforms cannot open a directory, which is fine."""
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
