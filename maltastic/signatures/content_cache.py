"""Reuse rendered signatures: only the tracking token differs between most messages.

An employee who writes many messages gets the same template, fields, company and
banner details each time, and only the token in the two tracking links changes. The
content is rendered once with a placeholder token of the same length, so every line
break and padding stays identical. The real token is filled in per message.
The cache key holds the values themselves, so changed fields or templates never meet
a stale entry.
"""

from __future__ import annotations

from functools import lru_cache

from maltastic.signatures.context import (
    BannerDetails,
    BannerLinks,
    CompanyContext,
    EmployeeContext,
)
from maltastic.signatures.rendering import (
    SignatureContent,
    TemplateSource,
    render_signature_content,
)
from maltastic.tracking.links import banner_url, click_url

CACHE_SIZE = 4096
PLACEHOLDER_PREFIX = "MaltasticTokenPlaceholder"
EMPLOYEE_FIELDS = (
    "first_name",
    "last_name",
    "title",
    "department",
    "email",
    "phone",
    "mobile",
    "location",
)


def placeholder_token(length: int) -> str:
    """Return a URL-safe stand-in for a token of `length` characters."""
    return (PLACEHOLDER_PREFIX * (length // len(PLACEHOLDER_PREFIX) + 1))[:length]


def render_with_token(
    template: TemplateSource,
    *,
    employee: EmployeeContext,
    company: CompanyContext,
    banner: BannerDetails,
    base_url: str,
    token: str,
) -> SignatureContent:
    """Render like `render_signature_content`, taking the layout from the cache."""
    if len(token) < len(PLACEHOLDER_PREFIX):
        links = BannerLinks(banner_url(base_url, token), click_url(base_url, token))
        return render_signature_content(
            template, employee=employee, company=company, banner=banner, links=links
        )
    fields = tuple(getattr(employee, name) for name in EMPLOYEE_FIELDS)
    custom = tuple(sorted(employee.custom.items()))
    content = _cached(template, fields, custom, company, banner, base_url, len(token))
    placeholder = placeholder_token(len(token))
    return SignatureContent(
        html=content.html.replace(placeholder, token),
        text=content.text.replace(placeholder, token),
    )


@lru_cache(maxsize=CACHE_SIZE)
def _cached(
    template: TemplateSource,
    fields: tuple[str, ...],
    custom: tuple[tuple[str, str], ...],
    company: CompanyContext,
    banner: BannerDetails,
    base_url: str,
    token_length: int,
) -> SignatureContent:
    placeholder = placeholder_token(token_length)
    links = BannerLinks(banner_url(base_url, placeholder), click_url(base_url, placeholder))
    employee = EmployeeContext(
        **dict(zip(EMPLOYEE_FIELDS, fields, strict=True)), custom=dict(custom)
    )
    return render_signature_content(
        template, employee=employee, company=company, banner=banner, links=links
    )
