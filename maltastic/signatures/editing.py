"""Signature templates as admins edit them: check, create, update and delete.

A tenant with templates has exactly one default template, which the relay uses. The first
template becomes the default, marking another template as default moves the flag, and
the default template cannot be deleted or lose its flag directly.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from maltastic.audit.service import AuditAction, changed_fields, record_change
from maltastic.i18n.catalog import current_locale
from maltastic.i18n.catalog import gettext as _
from maltastic.signatures.context import (
    BannerDetails,
    BannerLinks,
    CompanyContext,
    EmployeeContext,
    banner_markup,
    banner_text,
    template_context,
)
from maltastic.signatures.errors import SignatureTemplateError
from maltastic.signatures.models import SignatureTemplate
from maltastic.signatures.sandbox import MAX_SOURCE_CHARS, compile_template
from maltastic.validation import FieldErrors, InvalidInputError

MAX_NAME_LENGTH = 200

# Values that a template is test-rendered with before it is saved, so errors that only
# appear while rendering (a bad filter argument, a forbidden attribute) are found early.
SAMPLE_EMPLOYEE = EmployeeContext(
    first_name="Max",
    last_name="Mustermann",
    title="Vertriebsleiter",
    department="Vertrieb",
    email="max.mustermann@example.com",
    phone="+49 30 1234567",
    mobile="+49 170 1234567",
    location="Berlin",
)
SAMPLE_COMPANY = CompanyContext(name="Beispiel GmbH", website="https://www.example.com")
SAMPLE_BANNER = BannerDetails("Banner", 600, 100)
SAMPLE_LINKS = BannerLinks("https://t.example.com/b/sample", "https://t.example.com/c/sample")


@dataclass(frozen=True)
class TemplateForm:
    """A submitted template form; `text_source` empty means the text is derived from HTML."""

    name: str
    html_source: str
    text_source: str
    is_default: bool


def list_templates(session: Session) -> list[SignatureTemplate]:
    order = (SignatureTemplate.is_default.desc(), func.lower(SignatureTemplate.name))
    return list(session.scalars(select(SignatureTemplate).order_by(*order)))


def template_error_message(error: SignatureTemplateError) -> str:
    """Return the error in the current UI language (German or English)."""
    if current_locale.get() == "de":
        return error.message_de
    where = f", line {error.line}" if error.line is not None else ""
    return f"Error in signature template “{error.template_name}”{where}: {error.detail}"


def check_sources(name: str, html_source: str, text_source: str) -> dict[str, str]:
    """Compile and test-render both sources; return an error message per failing field."""
    errors: dict[str, str] = {}
    sources = (("html_source", html_source, True), ("text_source", text_source, False))
    for field_name, source, is_html in sources:
        if not source.strip():
            continue
        banner: Markup | str = banner_text(SAMPLE_BANNER, SAMPLE_LINKS)
        if is_html:
            banner = banner_markup(SAMPLE_BANNER, SAMPLE_LINKS)
        try:
            compiled = compile_template(name or "?", source, html=is_html)
            compiled.render(template_context(SAMPLE_EMPLOYEE, SAMPLE_COMPANY, banner))
        except SignatureTemplateError as error:
            errors[field_name] = template_error_message(error)
    return errors


def check_template(
    session: Session, form: TemplateForm, current: SignatureTemplate | None
) -> TemplateForm:
    """Return the cleaned form, or raise InvalidInputError with a message per field."""
    errors = FieldErrors()
    name = " ".join(form.name.split())
    if not name:
        errors.add("name", _("Please enter a name."))
    elif len(name) > MAX_NAME_LENGTH:
        errors.add("name", _("The name can have at most 200 characters."))
    elif _name_taken(session, name, current):
        errors.add("name", _("A signature template with this name already exists."))

    if not form.html_source.strip():
        errors.add("html_source", _("Please enter the HTML source of the signature."))
    for field_name in ("html_source", "text_source"):
        if len(getattr(form, field_name)) > MAX_SOURCE_CHARS:
            errors.add(field_name, _("The source can have at most 65536 characters."))
    for field_name, message in check_sources(name, form.html_source, form.text_source).items():
        errors.add(field_name, message)

    if current is not None and current.is_default and not form.is_default:
        errors.add(
            "is_default",
            _("One template must be the default. Mark another template as the default instead."),
        )
    errors.raise_if_any()
    return TemplateForm(name, form.html_source, form.text_source, form.is_default)


def create_template(session: Session, actor_id: int, form: TemplateForm) -> SignatureTemplate:
    """Add a checked template; the tenant's first template always becomes the default."""
    is_default = form.is_default or session.scalar(select(SignatureTemplate.id)) is None
    if is_default:
        _clear_default(session)
    template = SignatureTemplate(
        name=form.name,
        html_source=form.html_source,
        text_source=form.text_source or None,
        is_default=is_default,
    )
    session.add(template)
    session.flush()
    _record(session, actor_id, AuditAction.CREATE, template, {"name": (None, form.name)})
    return template


def update_template(
    session: Session, actor_id: int, template: SignatureTemplate, form: TemplateForm
) -> None:
    if form.is_default and not template.is_default:
        _clear_default(session, keep_id=template.id)
    values = {
        "name": form.name,
        "html_source": form.html_source,
        "text_source": form.text_source or None,
        "is_default": form.is_default,
    }
    changes = changed_fields(template, values)
    if changes:
        _record(session, actor_id, AuditAction.UPDATE, template, changes)


def delete_template(session: Session, actor_id: int, template: SignatureTemplate) -> None:
    """Delete a template unless it is the default or the tenant's last template."""
    if template.is_default:
        raise InvalidInputError(
            {"is_default": _("The default template cannot be deleted. Mark another one first.")}
        )
    if session.scalar(select(func.count()).select_from(SignatureTemplate)) == 1:
        raise InvalidInputError({"name": _("The last template cannot be deleted.")})
    _record(session, actor_id, AuditAction.DELETE, template, {"name": (template.name, None)})
    session.delete(template)


def _name_taken(session: Session, name: str, current: SignatureTemplate | None) -> bool:
    clash = session.scalar(
        select(SignatureTemplate.id).where(func.lower(SignatureTemplate.name) == name.lower())
    )
    return clash is not None and (current is None or clash != current.id)


def _clear_default(session: Session, keep_id: int | None = None) -> None:
    """Remove the default flag from other templates first, because a unique index allows one."""
    statement = update(SignatureTemplate).where(SignatureTemplate.is_default.is_(True))
    if keep_id is not None:
        statement = statement.where(SignatureTemplate.id != keep_id)
    session.execute(statement.values(is_default=False))
    session.flush()


def _record(
    session: Session,
    actor_id: int,
    action: AuditAction,
    template: SignatureTemplate,
    changes: dict[str, tuple[object, object]],
) -> None:
    record_change(
        session,
        actor_id=actor_id,
        action=action,
        entity_type="signature_template",
        entity_id=template.id,
        changes=changes,
    )
