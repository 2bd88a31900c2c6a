"""Read the demo outbox for the admin: list a tenant's messages and show one safely.

The relay writes `<queue id>.eml` and a JSON sidecar per message (see `outbox`). Only
messages whose sidecar names the tenant are listed, and a queue id from a URL is used
only after it matched a listed file, so it can never name a path outside the folder.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import nh3

from maltastic.relay.outbox import MESSAGE_SUFFIX, SIDECAR_SUFFIX

logger = logging.getLogger(__name__)

# Queue ids are a UTC timestamp plus random hex digits. The pattern accepts more than that,
# but never a path separator, a dot or a leading hyphen.
QUEUE_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,127}")
MAX_LISTED = 500
MAX_SHOWN_CHARS = 1_000_000  # longer HTML or text parts are cut in the viewer

# Returns the URL to show in place of an image URL, or None to keep it.
ImageSource = Callable[[str], str | None]

_TABLE_ATTRIBUTES = {"width", "height", "align", "valign", "bgcolor", "border"}
SAFE_ATTRIBUTES: dict[str, set[str]] = {
    "*": {"style", "title", "dir", "lang"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height", "align", "border"},
    "table": _TABLE_ATTRIBUTES | {"cellpadding", "cellspacing", "summary"},
    "tr": _TABLE_ATTRIBUTES,
    "td": _TABLE_ATTRIBUTES | {"colspan", "rowspan", "nowrap"},
    "th": _TABLE_ATTRIBUTES | {"colspan", "rowspan", "nowrap"},
    "font": {"color", "face", "size"},
}
SAFE_TAGS = set(nh3.ALLOWED_TAGS) | {"font"}
SAFE_URL_SCHEMES = {"http", "https", "mailto", "tel", "data"}


@dataclass(frozen=True)
class OutboxEntry:
    """One message of the outbox as its sidecar describes it."""

    queue_id: str
    received_at: dt.datetime | None
    mail_from: str
    recipients: tuple[str, ...]
    size_bytes: int
    action: str
    reason: str


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    size_bytes: int


@dataclass(frozen=True)
class MessageView:
    """The decoded parts of a message; `html` is sanitised and safe to show in a frame."""

    headers: list[tuple[str, str]]
    html: str | None
    text: str | None
    attachments: list[Attachment] = field(default_factory=list)
    truncated: bool = False


def list_outbox(directory: Path, tenant_id: int) -> list[OutboxEntry]:
    """Return the tenant's messages, newest first, at most MAX_LISTED."""
    return _read_entries(directory, tenant_id)[:MAX_LISTED]


def find_entry(directory: Path, tenant_id: int, queue_id: str) -> OutboxEntry | None:
    """Return the tenant's message with `queue_id`, or None for any unknown or foreign id."""
    if not QUEUE_ID_PATTERN.fullmatch(queue_id):
        return None
    return next((e for e in _read_entries(directory, tenant_id) if e.queue_id == queue_id), None)


def message_path(directory: Path, entry: OutboxEntry) -> Path:
    return directory / f"{entry.queue_id}{MESSAGE_SUFFIX}"


def read_message(
    directory: Path, entry: OutboxEntry, image_source: ImageSource | None = None
) -> MessageView:
    """Read and decode a message; see `sanitise_html` for `image_source`."""
    data = message_path(directory, entry).read_bytes()
    message = BytesParser(policy=policy.default).parsebytes(data)
    assert isinstance(message, EmailMessage)  # policy.default builds EmailMessage objects
    html, text = _body_text(message, "html"), _body_text(message, "plain")
    truncated = any(part is not None and len(part) > MAX_SHOWN_CHARS for part in (html, text))
    return MessageView(
        headers=_headers(message),
        html=sanitise_html(html[:MAX_SHOWN_CHARS], image_source) if html is not None else None,
        text=text[:MAX_SHOWN_CHARS] if text is not None else None,
        attachments=_attachments(message),
        truncated=truncated,
    )


def sanitise_html(html: str, image_source: ImageSource | None = None) -> str:
    """Remove scripts, event handlers, forms, frames and style sheets, but keep layout and images.

    `image_source` may replace an image URL (for example a tracking banner, which would
    count an impression when loaded) with another URL; None keeps the original.
    """

    def replace_image(element: str, attribute: str, value: str) -> str | None:
        if image_source is not None and element == "img" and attribute == "src":
            return image_source(value) or value
        return value

    return nh3.clean(
        html,
        tags=SAFE_TAGS,
        clean_content_tags={"script", "style", "title"},
        attributes=SAFE_ATTRIBUTES,
        url_schemes=SAFE_URL_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
        attribute_filter=replace_image,
    )


def _read_entries(directory: Path, tenant_id: int) -> list[OutboxEntry]:
    # NOTE: every call reads all sidecars, which suits the demo outbox but not a large one.
    if not directory.is_dir():
        return []
    entries = []
    for path in directory.glob(f"*{MESSAGE_SUFFIX}"):
        queue_id = path.name.removesuffix(MESSAGE_SUFFIX)
        if not QUEUE_ID_PATTERN.fullmatch(queue_id):
            continue
        sidecar = _read_sidecar(path.with_name(f"{queue_id}{SIDECAR_SUFFIX}"))
        if sidecar is None or sidecar.get("tenant_id") != tenant_id:
            continue
        entries.append(_entry(queue_id, sidecar))
    oldest = dt.datetime.min.replace(tzinfo=dt.UTC)
    entries.sort(key=lambda entry: (entry.received_at or oldest, entry.queue_id), reverse=True)
    return entries


def _read_sidecar(path: Path) -> dict[str, Any] | None:
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        logger.warning("outbox sidecar %s cannot be read: %s", path.name, error)
        return None
    return content if isinstance(content, dict) else None


def _entry(queue_id: str, sidecar: dict[str, Any]) -> OutboxEntry:
    recipients = sidecar.get("recipients")
    size = sidecar.get("size_bytes")
    return OutboxEntry(
        queue_id=queue_id,
        received_at=_parse_time(sidecar.get("received_at")),
        mail_from=str(sidecar.get("mail_from") or ""),
        recipients=tuple(str(r) for r in recipients) if isinstance(recipients, list) else (),
        size_bytes=size if isinstance(size, int) else 0,
        action=str(sidecar.get("action") or ""),
        reason=str(sidecar.get("reason") or ""),
    )


def _parse_time(value: object) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _headers(message: EmailMessage) -> list[tuple[str, str]]:
    shown = []
    for name in ("From", "To", "Cc", "Subject", "Date"):
        try:
            value = message.get(name)
        except (ValueError, IndexError, TypeError) as error:
            value = f"({error})"
        if value is not None:
            shown.append((name, str(value)))
    return shown


def _body_text(message: EmailMessage, subtype: str) -> str | None:
    part = message.get_body(preferencelist=(subtype,))
    if not isinstance(part, EmailMessage):
        return None
    try:
        content = part.get_content()
    except (LookupError, ValueError, AssertionError):
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    return content if isinstance(content, str) else None


def _attachments(message: EmailMessage) -> list[Attachment]:
    found = []
    for part in message.iter_attachments():
        if not isinstance(part, EmailMessage):
            continue
        payload = part.get_payload(decode=True)
        size = len(payload) if isinstance(payload, bytes) else 0
        found.append(Attachment(part.get_filename() or "", part.get_content_type(), size))
    return found
