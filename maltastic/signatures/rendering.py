"""Render a signature template to the HTML block and the plain text that mail carries."""

from __future__ import annotations

from dataclasses import dataclass

from maltastic.signatures.context import (
    BannerDetails,
    BannerLinks,
    CompanyContext,
    EmployeeContext,
    banner_markup,
    banner_text,
    template_context,
)
from maltastic.signatures.markup import build_signature_block, serialise_block
from maltastic.signatures.plaintext import clean_text, html_to_text
from maltastic.signatures.sandbox import compile_template

# Used when a tenant has no signature template yet, so mail still gets a banner.
FALLBACK_TEMPLATE_NAME = "Maltastic-Standard"
FALLBACK_HTML = """\
<table cellpadding="0" cellspacing="0" border="0" style="font-family: Arial, sans-serif; \
font-size: 13px; color: #333333;">
  <tr><td style="font-weight: bold;">{{ employee.full_name }}</td></tr>
  {% if employee.title %}<tr><td>{{ employee.title }}</td></tr>{% endif %}
  <tr><td>{{ company.name }}</td></tr>
  <tr><td style="padding-top: 8px;">{{ banner }}</td></tr>
</table>
"""


@dataclass(frozen=True, slots=True)
class TemplateSource:
    """The sources of one signature template; `text_source` None derives text from HTML."""

    name: str
    html_source: str
    text_source: str | None = None


FALLBACK_TEMPLATE = TemplateSource(FALLBACK_TEMPLATE_NAME, FALLBACK_HTML)


@dataclass(frozen=True, slots=True)
class SignatureContent:
    html: str
    text: str


def render_signature_content(
    template: TemplateSource,
    *,
    employee: EmployeeContext,
    company: CompanyContext,
    banner: BannerDetails,
    links: BannerLinks,
) -> SignatureContent:
    """Render both forms of a signature.

    Raises SignatureTemplateError naming the template and line when the template does not
    compile or fails while rendering.
    """
    html_template = compile_template(template.name, template.html_source, html=True)
    rendered = html_template.render(
        template_context(employee, company, banner_markup(banner, links))
    )
    root = build_signature_block(rendered)
    html = serialise_block(root)

    line = banner_text(banner, links)
    if template.text_source and template.text_source.strip():
        text_template = compile_template(template.name, template.text_source, html=False)
        text = clean_text(text_template.render(template_context(employee, company, line)))
    else:
        text = html_to_text(root, click_url=links.click_url, banner_line=line)
    return SignatureContent(html=html, text=text)
