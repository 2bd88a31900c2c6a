"""Jinja2 environment of the admin application: autoescaped and translated."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from babel.numbers import format_decimal
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from maltastic.i18n.catalog import current_locale, gettext, ngettext
from maltastic.web.access import Area, can_edit, can_view
from maltastic.web.csrf import csrf_token
from maltastic.web.forms import pop_flash
from maltastic.web.identity import AdminIdentity

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"


def create_environment() -> Environment:
    environment = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=select_autoescape(default=True, default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.install_gettext_callables(gettext, ngettext, newstyle=True)  # type: ignore[attr-defined]
    environment.filters["decimal"] = format_number
    return environment


def format_number(value: float, digits: int = 1) -> str:
    """Format a number for the current language: 8,9 in German, 8.9 in English."""
    return format_decimal(round(value, digits), locale=current_locale.get())


_environment = create_environment()


def render(
    request: Request, template_name: str, context: dict[str, Any] | None = None, status: int = 200
) -> HTMLResponse:
    user: AdminIdentity | None = getattr(request.state, "user", None)
    values = {
        "request": request,
        "locale": current_locale.get(),
        "csrf_token": csrf_token(request),
        "current_user": user,
        "nav_items": nav_items(user, request.url.path),
        "flash": pop_flash(request) if user else None,
        "can_edit": lambda area: user is not None and can_edit(user.role, Area(area)),
        **(context or {}),
    }
    html = _environment.get_template(template_name).render(values)
    return HTMLResponse(html, status_code=status)


def N_(message: str) -> str:  # noqa: N802 - the name babel extracts by default
    """Mark a message id for extraction; it is translated later, when rendered."""
    return message


# Main navigation: path, message id and the area a user must be allowed to see.
NAVIGATION = (
    ("/", N_("Overview"), None),
    ("/campaigns", N_("Campaigns"), Area.MARKETING),
    ("/analytics", N_("Analytics"), Area.MARKETING),
    ("/banners", N_("Banners"), Area.MARKETING),
    ("/target-groups", N_("Target groups"), Area.MARKETING),
    ("/templates", N_("Signature templates"), Area.MARKETING),
    ("/employees", N_("Employees"), Area.DIRECTORY),
    ("/departments", N_("Departments"), Area.DIRECTORY),
    ("/domains", N_("Internal domains"), Area.SETTINGS),
    ("/settings", N_("Settings"), Area.SETTINGS),
    ("/privacy", N_("Privacy"), Area.PRIVACY),
    ("/outbox", N_("Outbox"), Area.SETTINGS),
    ("/setup", N_("Setup"), Area.SETTINGS),
)


def nav_items(user: AdminIdentity | None, current_path: str) -> list[tuple[str, str, bool]]:
    """Return (path, translated label, is current) for each page the user may see."""
    if user is None:
        return []
    items = []
    for path, label, area in NAVIGATION:
        if area is not None and not can_view(user.role, area):
            continue
        current = current_path == path or (path != "/" and current_path.startswith(path + "/"))
        items.append((path, gettext(label), current))
    return items
