"""Jinja2 environment of the admin application: autoescaped and translated."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from maltastic.i18n.catalog import current_locale, gettext, ngettext
from maltastic.web.csrf import csrf_token

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
    return environment


_environment = create_environment()


def render(
    request: Request, template_name: str, context: dict[str, Any] | None = None, status: int = 200
) -> HTMLResponse:
    values = {
        "request": request,
        "locale": current_locale.get(),
        "csrf_token": csrf_token(request),
        "current_user": getattr(request.state, "user", None),
        **(context or {}),
    }
    html = _environment.get_template(template_name).render(values)
    return HTMLResponse(html, status_code=status)
