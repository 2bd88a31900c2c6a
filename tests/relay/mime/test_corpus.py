"""Every message of the shared corpus of public email-library fixtures survives the rewrite."""

from __future__ import annotations

import email
from email.policy import compat32
from pathlib import Path

import pytest

from maltastic.relay.mime import Signature, SpliceAction, insert_signature
from tests.relay.mime.support import (
    GERMAN_SIGNATURE_HTML,
    GERMAN_SIGNATURE_TEXT,
    STAMP_VALUE,
    assert_only_parts_changed,
    decoded_text,
    normalise_newlines,
    parts_by_section,
    split_insertion,
    stamp_line,
)
from tests.shared_files import SHARED_DIR, shared_path

NOT_MESSAGES = {"LICENSE", "README.md", ".gitattributes"}
SIGNED_OR_ENCRYPTED_TYPES = {
    "multipart/signed",
    "multipart/encrypted",
    "application/pkcs7-mime",
    "application/x-pkcs7-mime",
}
SIGNATURE = Signature(html=GERMAN_SIGNATURE_HTML, text=GERMAN_SIGNATURE_TEXT)


def corpus_files() -> list[str]:
    root = SHARED_DIR / "corpus"
    if not root.exists():
        return ["(corpus missing)"]
    return sorted(
        str(path.relative_to(root))
        for path in root.rglob("*")
        if path.is_file() and path.name not in NOT_MESSAGES
    )


def content_types(raw: bytes) -> list[str]:
    return [part.get_content_type() for part in email.message_from_bytes(raw).walk()]


@pytest.mark.parametrize("relative", corpus_files())
def test_corpus_message(relative: str) -> None:
    path: Path = shared_path(f"corpus/{relative}")
    original = path.read_bytes()

    result = insert_signature(
        original, SIGNATURE, max_size=10 * 1024 * 1024, processed_header_value=STAMP_VALUE
    )

    if result.action is SpliceAction.PASSED_THROUGH:
        assert result.data == original
        return
    if SIGNED_OR_ENCRYPTED_TYPES & set(content_types(original)):
        pytest.fail(f"signed or encrypted message was rewritten: {result.changed_sections}")

    stamp = stamp_line(original)
    assert result.data.startswith(stamp)
    output = result.data[len(stamp) :]
    changed = list(result.changed_sections)
    assert_only_parts_changed(original, output, changed)

    message = email.message_from_bytes(result.data, policy=compat32)
    assert message["X-Maltastic-Processed"] == STAMP_VALUE
    assert content_types(output) == content_types(original)

    before, after = parts_by_section(original), parts_by_section(output)
    for section in changed:
        old, new = decoded_text(before[section]), decoded_text(after[section])
        is_html = before[section].get_content_type() == "text/html"
        signature = SIGNATURE.html if is_html else SIGNATURE.text
        split_insertion(old, new, normalise_newlines(signature).strip("\n"))
