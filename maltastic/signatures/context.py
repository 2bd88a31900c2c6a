"""The values a signature template sees: `employee`, `company` and `banner`.

They are frozen dataclasses copied from the database rows, so a template can read fields
but never reach a session, a relationship or a method that changes anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from jinja2 import Environment, select_autoescape
from markupsafe import Markup

from maltastic.directory.models import Employee
from maltastic.tenants.models import Tenant

_BANNER_TEMPLATE = Environment(autoescape=select_autoescape(default=True)).from_string(
    '<a href="{{ click_url }}" target="_blank">'
    '<img src="{{ banner_url }}" alt="{{ alt_text }}"'
    '{% if width %} width="{{ width }}"{% endif %}{% if height %} height="{{ height }}"{% endif %}'
    ' border="0" style="display:block;border:0"></a>'
)


@dataclass(frozen=True, slots=True)
class EmployeeContext:
    """An employee as templates see it; `department` is the department's name."""

    first_name: str = ""
    last_name: str = ""
    title: str = ""
    department: str = ""
    email: str = ""
    phone: str = ""
    mobile: str = ""
    location: str = ""
    custom: Mapping[str, str] = field(default_factory=dict)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @classmethod
    def from_employee(cls, employee: Employee) -> EmployeeContext:
        return cls(
            first_name=employee.first_name,
            last_name=employee.last_name,
            title=employee.title,
            department=employee.department.name if employee.department else "",
            email=employee.email,
            phone=employee.phone,
            mobile=employee.mobile,
            location=employee.location,
            custom=_custom_fields(employee.custom_fields),
        )


@dataclass(frozen=True, slots=True)
class CompanyContext:
    """The tenant as templates see it."""

    name: str = ""
    website: str = ""

    @classmethod
    def from_tenant(cls, tenant: Tenant) -> CompanyContext:
        return cls(name=tenant.name, website=tenant.website_url or "")


@dataclass(frozen=True, slots=True)
class BannerDetails:
    """Alt text and display size of the banner a message shows at send time.

    The tracking service picks the image when the mail is opened, so these describe the
    banner expected now. Width and height are in pixels, and None leaves the size to the
    image.
    """

    alt_text: str
    width: int | None = None
    height: int | None = None


@dataclass(frozen=True, slots=True)
class BannerLinks:
    banner_url: str
    click_url: str


def banner_markup(details: BannerDetails, links: BannerLinks) -> Markup:
    """Build the `<a><img></a>` block that templates place with `{{ banner }}`."""
    # The banner template autoescapes every value, so its output is safe markup.
    return Markup(  # noqa: S704
        _BANNER_TEMPLATE.render(
            click_url=links.click_url,
            banner_url=links.banner_url,
            alt_text=details.alt_text,
            width=details.width,
            height=details.height,
        )
    )


def banner_text(details: BannerDetails, links: BannerLinks) -> str:
    """Plain-text banner line: the alt text, then the click URL."""
    if not details.alt_text:
        return links.click_url
    return f"{details.alt_text}: {links.click_url}"


def template_context(
    employee: EmployeeContext, company: CompanyContext, banner: Markup | str
) -> dict[str, Any]:
    return {"employee": employee, "company": company, "banner": banner}


def _custom_fields(values: Mapping[str, Any] | None) -> Mapping[str, str]:
    cleaned = {
        str(key): "" if value is None else str(value) for key, value in (values or {}).items()
    }
    return MappingProxyType(cleaned)
