"""Every screen text has a German translation."""

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

from maltastic.i18n.catalog import LOCALE_DIR, current_locale, gettext
from tests.shared_files import REPOSITORY_ROOT


def extract_message_ids(tmp_path: Path) -> set[str]:
    template = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-o",
            str(template),
            "maltastic",
        ],
        cwd=REPOSITORY_ROOT,
        check=True,
        capture_output=True,
    )
    with template.open("rb") as template_file:
        return {message.id for message in read_po(template_file) if message.id}


def test_every_message_has_german_translation(tmp_path: Path) -> None:
    message_ids = extract_message_ids(tmp_path)
    with (LOCALE_DIR / "de" / "LC_MESSAGES" / "messages.po").open("rb") as po_file:
        catalog = read_po(po_file, locale="de")
    missing = sorted(
        message_id
        for message_id in message_ids
        if message_id not in catalog or not catalog[message_id].string
    )
    assert message_ids, "extraction found no messages"
    assert missing == []


def test_gettext_follows_current_locale() -> None:
    token = current_locale.set("de")
    assert gettext("Log in") == "Anmelden"
    current_locale.set("en")
    assert gettext("Log in") == "Log in"
    current_locale.reset(token)
