"""Selection of the HTML body and the plain-text body in a MIME tree."""

from __future__ import annotations

from maltastic.relay.mime.bodies import locate_bodies
from maltastic.relay.mime.scanner import scan_message


def multipart(subtype: str, boundary: str, *parts: str) -> str:
    body = "".join(f"--{boundary}\r\n{part}\r\n" for part in parts)
    return f"Content-Type: multipart/{subtype}; boundary={boundary}\r\n\r\n{body}--{boundary}--"


def leaf(content_type: str, body: str = "x", extra: str = "") -> str:
    return f"Content-Type: {content_type}\r\n{extra}\r\n{body}"


def sections(raw: str) -> tuple[str | None, str | None]:
    bodies = locate_bodies(scan_message(raw.encode()))
    html = bodies.html.section if bodies.html else None
    text = bodies.text.section if bodies.text else None
    return html, text


def test_bodies_alternative_with_related_root() -> None:
    related = multipart("related", "r", leaf("text/html"), leaf("image/png"))
    raw = multipart("alternative", "a", leaf("text/plain"), related)

    assert sections(raw) == ("2.1", "1")


def test_bodies_apple_split_html_uses_last_part() -> None:
    mixed = multipart(
        "mixed",
        "m",
        leaf("text/html"),
        leaf("application/pdf", extra="Content-Disposition: inline; filename=a.pdf\r\n"),
        leaf("text/html"),
    )
    raw = multipart("alternative", "a", leaf("text/plain"), mixed)

    assert sections(raw) == ("2.3", "1")


def test_bodies_skip_text_attachments() -> None:
    attachment = leaf("text/plain", extra="Content-Disposition: attachment\r\n")
    raw = multipart("mixed", "m", leaf("text/html"), attachment)

    assert sections(raw) == ("1", None)


def test_bodies_never_inside_attached_message() -> None:
    attached = "Content-Type: message/rfc822\r\n\r\nContent-Type: text/plain\r\n\r\ninner"
    raw = multipart("mixed", "m", leaf("image/png"), attached)

    assert sections(raw) == (None, None)


def test_bodies_footer_after_alternative_is_ignored() -> None:
    alternative = multipart("alternative", "a", leaf("text/plain"), leaf("text/html"))
    raw = multipart("mixed", "m", alternative, leaf("text/plain", "footer"))

    assert sections(raw) == ("1.2", "1.1")


def test_bodies_related_start_parameter() -> None:
    raw = (
        'Content-Type: multipart/related; boundary=r; start="<root@x>"\r\n\r\n'
        "--r\r\nContent-Type: image/png\r\n\r\npng\r\n"
        "--r\r\nContent-Type: text/html\r\nContent-ID: <root@x>\r\n\r\n<p>x</p>\r\n"
        "--r--\r\n"
    )

    assert sections(raw) == ("2", None)
