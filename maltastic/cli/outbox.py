"""`maltastic outbox`: look at the demo outbox from the command line."""

from __future__ import annotations

import email
import json
import re
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Annotated

import typer

from maltastic.cli.output import fail
from maltastic.settings import SettingsError, load_settings

outbox_app = typer.Typer(
    help="The demo outbox, where the relay stores mail without a next hop.", no_args_is_help=True
)
TRACKING_LINK = re.compile(r"https?://[^\s\"'<>]+/[bc]/[A-Za-z0-9_-]+")


@outbox_app.command("show")
def show(
    queue_id: Annotated[
        str | None,
        typer.Argument(
            help="Queue id (the file name in the relay's 250 reply, with or without .eml); "
            "the newest message when left out"
        ),
    ] = None,
) -> None:
    """Print a stored message's envelope, the relay's action and its tracking links."""
    try:
        folder = load_settings().outbox_dir
    except SettingsError as error:
        fail(str(error))
    sidecar = find_sidecar(folder, queue_id)
    metadata = json.loads(sidecar.read_text())
    message = email.message_from_bytes(
        sidecar.with_suffix(".eml").read_bytes(), policy=policy.default
    )
    typer.echo(f"Message:    {sidecar.with_suffix('.eml')}")
    typer.echo(f"From:       {metadata.get('mail_from') or '<>'}")
    typer.echo(f"To:         {', '.join(metadata.get('recipients', []))}")
    typer.echo(f"Subject:    {message.get('Subject', '')}")
    typer.echo(f"Action:     {metadata.get('action', '?')}")
    if metadata.get("reason"):
        typer.echo(f"Reason:     {metadata['reason']}")
    for link in tracking_links(message):
        kind = "Banner" if "/b/" in link else "Click"
        typer.echo(f"{kind + ':':11} {link}")


def find_sidecar(folder: Path, queue_id: str | None) -> Path:
    sidecars = sorted(folder.glob("*.json"), key=lambda path: path.stat().st_mtime)
    if not sidecars:
        fail(f"the outbox {folder} is empty: send a message through the relay first")
    if queue_id is None:
        return sidecars[-1]
    queue_id = queue_id.removesuffix(".eml").removesuffix(".json")
    for sidecar in sidecars:
        if sidecar.stem == queue_id:
            return sidecar
    fail(f"message {queue_id!r} not found in {folder}: run `maltastic outbox show` for the newest")


def tracking_links(message: EmailMessage) -> list[str]:
    """Banner and click links in the decoded text and HTML bodies, each once, in order."""
    links: list[str] = []
    for part in message.walk():
        if part.get_content_maintype() != "text" or part.is_attachment():
            continue
        for link in TRACKING_LINK.findall(part.get_content()):
            if link not in links:
                links.append(link)
    return links
