"""Signatures taken from the content cache equal freshly rendered ones."""

import pytest

from maltastic.demo.content import SIGNATURE_HTML
from maltastic.signatures.content_cache import placeholder_token, render_with_token
from maltastic.signatures.context import (
    BannerDetails,
    BannerLinks,
    CompanyContext,
    EmployeeContext,
)
from maltastic.signatures.rendering import TemplateSource, render_signature_content
from maltastic.tracking.links import banner_url, click_url

TEMPLATE = TemplateSource("Standard", SIGNATURE_HTML)
COMPANY = CompanyContext("Beispiel GmbH", "https://www.beispiel.de/")
BANNER = BannerDetails("Frühjahrsaktion: 20 % Rabatt", 600, 100)
BASE = "https://t.maltastic.example"
ANNA = EmployeeContext(
    first_name="Anna",
    last_name="Schmidt",
    title="Key Account Managerin",
    department="Vertrieb",
    phone="+49 89 1234567-10",
    custom={"Durchwahl": "10"},
)


def fresh(employee: EmployeeContext, token: str) -> tuple[str, str]:
    links = BannerLinks(banner_url(BASE, token), click_url(BASE, token))
    content = render_signature_content(
        TEMPLATE, employee=employee, company=COMPANY, banner=BANNER, links=links
    )
    return content.html, content.text


def cached(employee: EmployeeContext, token: str) -> tuple[str, str]:
    content = render_with_token(
        TEMPLATE, employee=employee, company=COMPANY, banner=BANNER, base_url=BASE, token=token
    )
    return content.html, content.text


@pytest.mark.parametrize("token", ["AQEBAQMBAdbjPetxhYCf2oLcdy6FLw", "A" * 58, "short"])
def test_cached_equals_fresh(token: str) -> None:
    assert cached(ANNA, token) == fresh(ANNA, token)


def test_tokens_differ_per_message() -> None:
    first = cached(ANNA, "AQEBAQMBAdbjPetxhYCf2oLcdy6FLw")
    second = cached(ANNA, "AQEBAQMBAdbjPetxhYCf2oLcdy6FLx")
    assert first != second
    assert "AQEBAQMBAdbjPetxhYCf2oLcdy6FLx" in second[0]
    assert "AQEBAQMBAdbjPetxhYCf2oLcdy6FLx" in second[1]


def test_changed_field_renders_again() -> None:
    token = "AQEBAQMBAdbjPetxhYCf2oLcdy6FLw"
    moved = EmployeeContext(
        first_name="Anna",
        last_name="Schmidt",
        title="Vertriebsleiterin",
        department="Vertrieb",
        custom={"Durchwahl": "10"},
    )
    assert "Vertriebsleiterin" in cached(moved, token)[0]
    assert "Key Account Managerin" in cached(ANNA, token)[0]


def test_placeholder_has_token_length() -> None:
    for length in (25, 31, 58, 80):
        assert len(placeholder_token(length)) == length
