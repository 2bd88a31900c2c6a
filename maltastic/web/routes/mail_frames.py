"""Content Security Policy for pages that show mail HTML in sandboxed `srcdoc` frames.

A `srcdoc` frame inherits the policy of its page, and mail HTML styles itself with
`style` attributes, which the default policy blocks. Pages that show mail therefore
allow inline styles, and images from the tracking service. The frames carry
`sandbox=""`, so scripts, forms, popups and navigation stay blocked inside them.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.responses import Response


def mail_frame_policy(tracking_base_url: str) -> str:
    parts = urlsplit(tracking_base_url)
    tracking_origin = f"{parts.scheme}://{parts.netloc}" if parts.netloc else ""
    return (
        f"default-src 'self'; img-src 'self' data: {tracking_origin}".rstrip()
        + "; style-src 'self' 'unsafe-inline'; script-src 'self'; frame-src 'self'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'"
    )


def allow_mail_styles(response: Response, tracking_base_url: str) -> Response:
    """Give `response` the policy for mail frames instead of the application's default."""
    response.headers["content-security-policy"] = mail_frame_policy(tracking_base_url)
    return response
