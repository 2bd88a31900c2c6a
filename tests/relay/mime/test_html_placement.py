"""Placement of the HTML signature above the quoted thread or at the end."""

from __future__ import annotations

import pytest

from maltastic.relay.mime.html_placement import (
    find_existing_signature,
    find_html_end,
    find_html_quote_start,
    place_html_signature,
)
from maltastic.relay.mime.model import PassThrough

NEW_TEXT = "<p>Hallo,</p><p>Gruß</p>"


@pytest.mark.parametrize(
    ("quote", "rule"),
    [
        ('<div id="appendonsend"></div><hr><div id="divRplyFwdMsg">x</div>', "outlook-on-the-web"),
        ('<hr style="x"><div id="divRplyFwdMsg">x</div>', "outlook-on-the-web-header"),
        (
            "<div>\n<div style='border:none;border-top:solid #E1E1E1 1.0pt'>"
            "<p><b>From:</b> a<br><b>Sent:</b> b<br><b>Subject:</b> c</p></div></div>",
            "outlook-desktop",
        ),
        ('<div class="gmail_quote"><blockquote class="gmail_quote">x</blockquote></div>', "gmail"),
        (
            '<div class="moz-cite-prefix">Am … schrieb X:</div><blockquote type="cite">',
            "thunderbird",
        ),
        (
            '<div>Am 3. Nov. schrieb X:</div><br><blockquote type="cite">x</blockquote>',
            "cite-blockquote",
        ),
        (
            "<p class=MsoNormal><b>Von:</b> X<br><b>Gesendet:</b> Montag<br><b>Betreff:</b> Y</p>",
            "reply-header",
        ),
    ],
)
def test_quote_start_per_client(quote: str, rule: str) -> None:
    html = f"<html><body>{NEW_TEXT}{quote}</body></html>"

    found = find_html_quote_start(html)

    assert found is not None
    assert found[1] == rule
    assert found[0] == html.index(quote)


def test_quote_start_absent_in_new_message() -> None:
    assert find_html_quote_start(f"<html><body>{NEW_TEXT}</body></html>") is None


def test_end_before_last_body_close() -> None:
    html = "<body><p>a</p></body>\n</html>\n"

    assert find_html_end(html) == (html.index("</body>"), "before-body")


def test_end_of_fragment_after_last_content() -> None:
    html = "<p>a</p>\r\n\r\n"

    assert find_html_end(html) == (len("<p>a</p>"), "end-of-part")


def test_existing_signature_above_quote_is_replaced() -> None:
    signature = (
        '<table data-maltastic-signature="1"><tr><td>'
        "<table><tr><td>x</td></tr></table>"
        "</td></tr></table>"
    )
    quoted = '<div class="gmail_quote"><table data-maltastic-signature="1"></table></div>'
    html = f"<div>hi</div>{signature}{quoted}"

    placement = place_html_signature(html)

    assert placement.rule == "existing-signature"
    assert html[placement.start : placement.end] == signature


def test_existing_signature_inside_quote_is_left_alone() -> None:
    quoted = '<div class="gmail_quote"><table data-maltastic-signature="1"></table></div>'
    html = f"<div>hi</div>{quoted}"

    placement = place_html_signature(html)

    assert placement.rule == "above-quote:gmail"
    assert placement.start == placement.end == html.index(quoted)


def test_existing_signature_not_closed_passes_through() -> None:
    with pytest.raises(PassThrough):
        find_existing_signature('<div data-maltastic-signature="1"><p>x</p>', 100)
