"""Signaturvorlagen: create, edit, one default, delete rules, roles and the live preview."""

import httpx
from sqlalchemy import func, select

from maltastic.demo.content import SIGNATURE_HTML
from maltastic.directory.models import Employee
from maltastic.runtime import Runtime
from maltastic.signatures.models import SignatureTemplate
from maltastic.targeting.models import Account
from maltastic.users.models import Role
from tests.web.admin import add_tenant, add_user, logged_in, post_form
from tests.web.forms import csrf_from

SIMPLE_HTML = "<p>{{ employee.full_name }}, {{ company.name }}</p>{{ banner }}"


def templates_by_name(runtime: Runtime) -> dict[str, SignatureTemplate]:
    with runtime.session_factory() as session:
        rows = session.scalars(select(SignatureTemplate)).all()
        return {row.name: row for row in rows}


def employee_id(runtime: Runtime, email: str = "anna.schmidt@beispiel.de") -> str:
    with runtime.session_factory() as session:
        found = session.scalar(select(Employee.id).where(Employee.email == email))
    assert found is not None
    return str(found)


def preview(
    client: httpx.Client, runtime: Runtime, to: str, html: str = SIGNATURE_HTML, text: str = ""
) -> httpx.Response:
    token = csrf_from(client.get("/templates/new"))
    form = {
        "csrf_token": token,
        "name": "Vorschau",
        "html_source": html,
        "text_source": text,
        "employee_id": employee_id(runtime),
        "to": to,
    }
    return client.post("/templates/preview", data=form, headers={"HX-Request": "true"})


def test_list_and_editor_render_in_german(owner: httpx.Client) -> None:
    listing = owner.get("/templates")
    assert listing.status_code == 200
    assert "<h1>Signaturvorlagen</h1>" in listing.text
    assert "Standard" in listing.text
    assert "Neue Vorlage" in listing.text
    editor = owner.get("/templates/1")
    assert editor.status_code == 200
    assert "Signaturvorlage bearbeiten" in editor.text
    assert 'hx-post="/templates/preview"' in editor.text
    assert "'unsafe-inline'" in editor.headers["content-security-policy"]


def test_create_template_keeps_default(owner: httpx.Client, sqlite_runtime: Runtime) -> None:
    form = {"name": "Kurz", "html_source": SIMPLE_HTML, "text_source": "{{ employee.full_name }}"}
    response = post_form(owner, "/templates/new", "/templates/new", form)
    assert response.status_code == 303
    templates = templates_by_name(sqlite_runtime)
    assert templates["Kurz"].is_default is False
    assert templates["Kurz"].text_source == "{{ employee.full_name }}"
    assert templates["Standard"].is_default is True
    assert "Signaturvorlage „Kurz“ angelegt." in owner.get("/templates").text


def test_marking_default_moves_the_flag(owner: httpx.Client, sqlite_runtime: Runtime) -> None:
    form = {"name": "Neu", "html_source": SIMPLE_HTML, "is_default": "on"}
    assert post_form(owner, "/templates/new", "/templates/new", form).status_code == 303
    templates = templates_by_name(sqlite_runtime)
    assert templates["Neu"].is_default is True
    assert templates["Standard"].is_default is False


def test_default_cannot_be_unset_directly(owner: httpx.Client, sqlite_runtime: Runtime) -> None:
    form = {"name": "Standard", "html_source": SIMPLE_HTML}
    response = post_form(owner, "/templates/1", "/templates/1", form)
    assert response.status_code == 400
    assert "Eine Vorlage muss die Standardvorlage sein" in response.text
    assert templates_by_name(sqlite_runtime)["Standard"].is_default is True


def test_edit_saves_sources(owner: httpx.Client, sqlite_runtime: Runtime) -> None:
    form = {"name": "Standard neu", "html_source": SIMPLE_HTML, "is_default": "on"}
    assert post_form(owner, "/templates/1", "/templates/1", form).status_code == 303
    template = templates_by_name(sqlite_runtime)["Standard neu"]
    assert template.html_source == SIMPLE_HTML
    assert template.text_source is None


def test_invalid_input_is_shown_next_to_fields(owner: httpx.Client) -> None:
    form = {"name": "standard", "html_source": "<p>{{ employee.full_name </p>"}
    response = post_form(owner, "/templates/new", "/templates/new", form)
    assert response.status_code == 400
    assert "Eine Signaturvorlage mit diesem Namen gibt es schon." in response.text
    assert 'id="html_source-error"' in response.text
    assert "Fehler in der Signaturvorlage „standard“, Zeile 1" in response.text


def test_template_error_in_english(owner: httpx.Client) -> None:
    owner.get("/templates?lang=en")
    form = {"name": "Broken", "html_source": "{% for x in y %}"}
    response = post_form(owner, "/templates/new", "/templates/new", form)
    assert response.status_code == 400
    assert "Error in signature template “Broken”, line 1" in response.text


def test_default_template_cannot_be_deleted(owner: httpx.Client, sqlite_runtime: Runtime) -> None:
    response = post_form(owner, "/templates/1", "/templates/1/delete")
    assert response.status_code == 303
    assert "Standard" in templates_by_name(sqlite_runtime)
    assert "kann nicht gelöscht werden" in owner.get("/templates/1").text


def test_last_template_cannot_be_deleted(owner: httpx.Client, sqlite_runtime: Runtime) -> None:
    with sqlite_runtime.session_factory.begin() as session:
        template = session.get(SignatureTemplate, 1)
        assert template is not None
        template.is_default = False  # a tenant whose only template lost its default flag
    response = post_form(owner, "/templates/1", "/templates/1/delete")
    assert response.status_code == 303
    assert "Standard" in templates_by_name(sqlite_runtime)
    assert "Die letzte Vorlage kann nicht gelöscht werden." in owner.get("/templates/1").text


def test_other_template_can_be_deleted(owner: httpx.Client, sqlite_runtime: Runtime) -> None:
    form = {"name": "Alt", "html_source": SIMPLE_HTML}
    post_form(owner, "/templates/new", "/templates/new", form)
    template_id = templates_by_name(sqlite_runtime)["Alt"].id
    response = post_form(owner, f"/templates/{template_id}", f"/templates/{template_id}/delete")
    assert response.status_code == 303
    assert "Alt" not in templates_by_name(sqlite_runtime)


def test_preview_explains_contact_audience(owner: httpx.Client, sqlite_runtime: Runtime) -> None:
    response = preview(owner, sqlite_runtime, "Max Mustermann <max.mustermann@kunde-a.de>")
    assert response.status_code == 200
    assert "Warum dieses Banner?" in response.text
    assert 'Kontakt: <span class="mono">max.mustermann@kunde-a.de</span>' in response.text
    assert "ist ein bekannter Kontakt" in response.text
    assert "Messe-Kontakte: Standbesuch" in response.text
    assert "Kontakt-Ebene" in response.text
    assert '<iframe class="signature-frame" sandbox="" srcdoc="' in response.text
    assert "data:image/png;base64," in response.text
    assert "Anna Schmidt" in response.text
    assert '<pre class="signature-text">' in response.text


def test_preview_explains_account_and_none(owner: httpx.Client, sqlite_runtime: Runtime) -> None:
    account = preview(owner, sqlite_runtime, "einkauf@kunde-a.de, chef@kunde-a.de")
    assert 'Account: <span class="mono">kunde-a.de</span>' in account.text
    assert "Schlüsselkunden" in account.text or "Account-Ebene" in account.text
    several = preview(owner, sqlite_runtime, "a@kunde-a.de, b@kunde-b.com")
    assert "Keine" in several.text
    assert "Abteilung" in several.text


def test_preview_creates_no_account(owner: httpx.Client, sqlite_runtime: Runtime) -> None:
    with sqlite_runtime.session_factory() as session:
        before = session.scalar(select(func.count()).select_from(Account))
    response = preview(owner, sqlite_runtime, "neu@ganz-neue-firma.de")
    assert response.status_code == 200
    assert "ganz-neue-firma.de" in response.text
    assert "kann keine Account-Kampagne passen" in response.text
    with sqlite_runtime.session_factory() as session:
        after = session.scalar(select(func.count()).select_from(Account))
        created = session.scalar(select(Account.id).where(Account.domain == "ganz-neue-firma.de"))
    assert after == before
    assert created is None


def test_preview_in_english(owner: httpx.Client, sqlite_runtime: Runtime) -> None:
    owner.get("/templates?lang=en")
    response = preview(owner, sqlite_runtime, "max.mustermann@kunde-a.de")
    assert "Why this banner?" in response.text
    assert "The only external recipient, max.mustermann@kunde-a.de, is a known contact." in (
        response.text
    )


def test_preview_shows_template_error(owner: httpx.Client, sqlite_runtime: Runtime) -> None:
    response = preview(owner, sqlite_runtime, "x@kunde-b.com", html="<p>ok</p>", text="{{ 1 / 0 }}")
    assert response.status_code == 200
    assert 'id="text_source-live-error" aria-live="polite" hx-swap-oob="true"><p' in response.text
    assert "Fehler in der Signaturvorlage" in response.text
    assert '<div id="html_source-live-error" aria-live="polite" hx-swap-oob="true"></div>' in (
        response.text
    )


def test_marketing_views_but_cannot_save(base_url: str, sqlite_runtime: Runtime) -> None:
    add_user(sqlite_runtime, "marketing@beispiel.de", Role.MARKETING)
    with logged_in(base_url, "marketing@beispiel.de") as client:
        page = client.get("/templates/1")
        assert page.status_code == 200
        assert "Speichern" not in page.text
        assert "Neue Vorlage" not in client.get("/templates").text
        assert client.get("/templates/new").status_code == 403
        assert preview(client, sqlite_runtime, "max.mustermann@kunde-a.de").status_code == 200
        form = {"name": "Fremd", "html_source": SIMPLE_HTML}
        assert post_form(client, "/templates/1", "/templates/1", form).status_code == 403
        assert post_form(client, "/templates/1", "/templates/1/delete").status_code == 403
    assert "Fremd" not in templates_by_name(sqlite_runtime)


def test_preview_needs_csrf_token(owner: httpx.Client, sqlite_runtime: Runtime) -> None:
    form = {"html_source": SIMPLE_HTML, "employee_id": employee_id(sqlite_runtime), "to": ""}
    response = owner.post("/templates/preview", data=form)
    assert response.status_code == 403


def test_other_tenant_gets_404(base_url: str, sqlite_runtime: Runtime) -> None:
    add_tenant(sqlite_runtime, "andere", "andere.de")
    add_user(sqlite_runtime, "chefin@andere.de", Role.OWNER, tenant_slug="andere")
    with logged_in(base_url, "chefin@andere.de") as client:
        assert client.get("/templates/1").status_code == 404
        form = {"name": "Übernommen", "html_source": SIMPLE_HTML, "is_default": "on"}
        assert post_form(client, "/templates", "/templates/1", form).status_code == 404
        assert post_form(client, "/templates", "/templates/1/delete").status_code == 404
        token = csrf_from(client.get("/templates"))
        stolen = {"csrf_token": token, "html_source": SIMPLE_HTML, "employee_id": "1", "to": ""}
        assert client.post("/templates/preview", data=stolen).status_code == 404
    assert "Standard" in templates_by_name(sqlite_runtime)


def test_preview_names_invalid_recipient(owner: httpx.Client, sqlite_runtime: Runtime) -> None:
    response = preview(owner, sqlite_runtime, "kaputt@@, max.mustermann@kunde-a.de")
    assert response.status_code == 200
    assert "„kaputt@@“ ist keine gültige E-Mail-Adresse" in response.text
    valid_only = preview(owner, sqlite_runtime, "max.mustermann@kunde-a.de")
    assert "keine gültige E-Mail-Adresse" not in valid_only.text
