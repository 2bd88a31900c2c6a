"""The public entry point: results, never raising, and re-personalisation."""

from __future__ import annotations

import logging

import pytest

from maltastic.relay.mime import (
    PassThroughCode,
    Signature,
    SpliceAction,
    insert_signature,
    pipeline,
)

SIGNATURE = Signature(html='<p data-maltastic-signature="1">NEW</p>', text="-- \nNEW")
HTML_MESSAGE = (
    b"Subject: s\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
    b'<p>hi</p><div data-maltastic-signature="1"><p>OLD</p></div>'
    b'<div class="gmail_quote"><div data-maltastic-signature="1">QUOTED</div></div>\r\n'
)


def test_existing_signature_is_repersonalised() -> None:
    result = insert_signature(HTML_MESSAGE, SIGNATURE, max_size=10_000, processed_header_value="v")

    assert result.action is SpliceAction.INSERTED
    assert result.data == b"X-Maltastic-Processed: v\r\n" + HTML_MESSAGE.replace(
        b'<div data-maltastic-signature="1"><p>OLD</p></div>',
        b'<p data-maltastic-signature="1">NEW</p>',
    )


def test_too_large_passes_through_same_bytes() -> None:
    result = insert_signature(HTML_MESSAGE, SIGNATURE, max_size=10, processed_header_value="v")

    assert result.action is SpliceAction.PASSED_THROUGH
    assert result.code is PassThroughCode.TOO_LARGE
    assert result.data is HTML_MESSAGE


def test_rewrite_failure_returns_original(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def explode(*arguments: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(pipeline, "locate_bodies", explode)
    with caplog.at_level(logging.ERROR, logger=pipeline.__name__):
        result = insert_signature(
            HTML_MESSAGE, SIGNATURE, max_size=10_000, processed_header_value="v", log_id="q-17"
        )

    assert result.action is SpliceAction.PASSED_THROUGH
    assert result.code is PassThroughCode.REWRITE_FAILED
    assert result.reason == "rewrite failed: RuntimeError: boom"
    assert result.data is HTML_MESSAGE
    assert "q-17" in caplog.text


def test_invalid_stamp_value_fails_safely() -> None:
    result = insert_signature(
        HTML_MESSAGE, SIGNATURE, max_size=10_000, processed_header_value="a\nb: c"
    )

    assert result.code is PassThroughCode.REWRITE_FAILED
    assert result.data is HTML_MESSAGE


def test_empty_html_variant_signs_text_only() -> None:
    raw = (
        b"Content-Type: multipart/alternative; boundary=a\n\n"
        b"--a\nContent-Type: text/plain\n\nhi\n"
        b"--a\nContent-Type: text/html\n\n<p>hi</p>\n--a--\n"
    )

    result = insert_signature(
        raw, Signature(html="", text="-- \nT"), max_size=10_000, processed_header_value="v"
    )

    assert result.changed_sections == ("1",)
    assert b"hi\n\n-- \nT\n\n--a\n" in result.data


def test_message_without_body_passes_through() -> None:
    result = insert_signature(
        b"Content-Type: image/png\r\n\r\nPNG",
        SIGNATURE,
        max_size=10_000,
        processed_header_value="v",
    )

    assert result.code is PassThroughCode.NO_BODY
