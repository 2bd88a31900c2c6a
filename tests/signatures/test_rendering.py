"""Rendering without a database: CSS inlining, marker, empty labels, text forms."""

from __future__ import annotations

from maltastic.relay.mime import SIGNATURE_MARKER
from maltastic.signatures.context import (
    BannerDetails,
    BannerLinks,
    CompanyContext,
    EmployeeContext,
)
from maltastic.signatures.rendering import (
    FALLBACK_TEMPLATE,
    SignatureContent,
    TemplateSource,
    render_signature_content,
)

LINKS = BannerLinks("https://t.example/b/TOKEN", "https://t.example/c/TOKEN")
BANNER = BannerDetails("Messe: Halle 4", 600, 100)
COMPANY = CompanyContext("Müller & Söhne GmbH", "https://www.mueller.example/")
EMPLOYEE = EmployeeContext(
    first_name="Jürgen",
    last_name="Köhler",
    title="Einkauf",
    department="Finanzen",
    email="jk@mueller.example",
    mobile="+49 171 1",
)


def render(html: str, text: str | None = None) -> SignatureContent:
    return render_signature_content(
        TemplateSource("Test", html, text),
        employee=EMPLOYEE,
        company=COMPANY,
        banner=BANNER,
        links=LINKS,
    )


def test_style_block_is_inlined() -> None:
    content = render(
        "<style>.name { font-weight: bold; color: #112233; }</style>"
        '<table><tr><td class="name">{{ employee.full_name }}</td></tr></table>'
    )
    assert "<style" not in content.html
    assert "font-weight: bold" in content.html
    assert "color: #112233" in content.html


def test_marker_appears_once_even_if_template_has_it() -> None:
    content = render(f"<div {SIGNATURE_MARKER}><p>{{{{ employee.full_name }}}}</p></div>")
    assert content.html.count(SIGNATURE_MARKER) == 1
    assert content.html.startswith(f"<div {SIGNATURE_MARKER}>")


def test_empty_label_rows_disappear() -> None:
    content = render(
        "<table>"
        "<tr><td>Telefon: {{ employee.phone }}</td></tr>"
        "<tr><td>Mobil: {{ employee.mobile }}</td></tr>"
        "<tr><td>E-Mail:</td><td>{{ employee.custom.missing }}</td></tr>"
        "</table><p>Fax: {{ employee.custom.fax }}</p>"
    )
    assert "Telefon" not in content.html
    assert "E-Mail" not in content.html
    assert "Fax" not in content.html
    assert "Mobil: +49 171 1" in content.html
    assert content.text == "Mobil: +49 171 1"


def test_entities_and_umlauts_are_kept() -> None:
    content = render("<p>{{ company.name }}</p><p>{{ employee.full_name }}</p>")
    assert "Müller &amp; Söhne GmbH" in content.html
    assert "Jürgen Köhler" in content.html
    assert content.text == "Müller & Söhne GmbH\n\nJürgen Köhler"


def test_scripts_and_remote_stylesheets_are_removed() -> None:
    content = render(
        '<link rel="stylesheet" href="http://127.0.0.1:9/x.css">'
        "<script>alert(1)</script><p>{{ employee.full_name }}</p>"
    )
    assert "<script" not in content.html
    assert "<link" not in content.html
    assert "alert" not in content.text


def test_derived_text_shows_link_targets_and_banner() -> None:
    content = render(
        '<p><a href="{{ company.website }}">Website</a> '
        '<a href="mailto:{{ employee.email }}">{{ employee.email }}</a></p>'
        "<p>{{ banner }}</p>"
    )
    lines = content.text.splitlines()
    assert "Website <https://www.mueller.example/> jk@mueller.example" in lines
    assert lines[-1] == "Messe: Halle 4: https://t.example/c/TOKEN"


def test_text_source_is_used_when_given() -> None:
    content = render(
        "<p>{{ employee.full_name }}</p>",
        "{{ employee.full_name }}\nTelefon: {{ employee.phone }}\n\n\n\n"
        "{{ company.name }}\n{{ banner }}\n",
    )
    assert content.text == (
        "Jürgen Köhler\n\nMüller & Söhne GmbH\nMesse: Halle 4: https://t.example/c/TOKEN"
    )


def test_banner_without_size_has_no_size_attributes() -> None:
    content = render_signature_content(
        FALLBACK_TEMPLATE,
        employee=EMPLOYEE,
        company=COMPANY,
        banner=BannerDetails("Müller & Söhne GmbH"),
        links=LINKS,
    )
    assert 'alt="Müller &amp; Söhne GmbH"' in content.html
    assert "width=" not in content.html.partition("<img")[2].partition(">")[0]
    assert 'src="https://t.example/b/TOKEN"' in content.html
    assert 'href="https://t.example/c/TOKEN"' in content.html
