"""The admin application in Chromium: German login, forms, live preview, charts, security."""

from __future__ import annotations

from playwright.sync_api import ConsoleMessage, Page, expect

from maltastic.demo.loader import DemoLogin
from maltastic.runtime import Runtime
from maltastic.users.models import Role
from tests.browser.conftest import log_in, screenshot
from tests.web.admin import PASSWORD, add_tenant, add_user

# A German Excel export: semicolons, windows-1252, umlauts in names.
EXCEL_CSV = "E-Mail;Vorname;Nachname\r\njürgen.groß@kunde-d.de;Jürgen;Groß\r\n".encode(
    "cp1252"
) + "änne.köhler@kunde-e.de;Änne;Köhler\r\n".encode("cp1252")
MAIN_PAGES = ("/", "/campaigns", "/target-groups", "/templates", "/outbox", "/setup", "/analytics")


def test_login_in_german_and_main_pages(page: Page, demo: DemoLogin) -> None:
    page.goto("/login")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.locator("button[type=submit]")).to_have_text("Anmelden")
    log_in(page, demo.email, demo.password)
    expect(page.locator("nav.mainnav")).to_contain_text("Signaturvorlagen")
    expect(page.locator("nav.mainnav")).to_contain_text("Postausgang")
    expect(page.locator("nav.mainnav")).to_contain_text("Einrichtung")
    for path in MAIN_PAGES:
        response = page.goto(path)
        assert response is not None
        assert response.status == 200, path
        screenshot(page, path.strip("/") or "overview")


def test_icon_and_pages_log_no_errors(page: Page, demo: DemoLogin) -> None:
    errors: list[str] = []

    def keep_error(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(f"{page.url}: {message.text}")

    page.on("console", keep_error)
    # Chromium fetches the icon after the page load and logs a console error when it is missing.
    with page.expect_response("**/static/favicon.svg") as icon:
        page.goto("/login")
    assert icon.value.status == 200
    log_in(page, demo.email, demo.password)
    for path in MAIN_PAGES:
        page.goto(path)
        page.wait_for_load_state("networkidle")
    assert errors == []


def test_create_recipient_campaign(page: Page, demo: DemoLogin) -> None:
    log_in(page, demo.email, demo.password)
    page.goto("/campaigns/new")
    page.fill("#name", "Messe Köln 2027")
    page.check("input[name=kind][value=recipient]")
    page.select_option("#banner_id", index=1)
    page.fill("#target_url", "https://www.beispiel.de/messe-koeln")
    page.get_by_label("Messe-Kontakte").check()
    screenshot(page, "campaign-form")
    page.click("button.primary[type=submit]")
    page.wait_for_url("**/campaigns")
    expect(page.locator(".notice")).to_contain_text("Messe Köln 2027")
    expect(page.locator("#campaign-table")).to_contain_text("Empfängerbasiert")


def test_import_german_excel_csv(page: Page, demo: DemoLogin) -> None:
    log_in(page, demo.email, demo.password)
    page.goto("/target-groups")
    page.fill("#name", "Messe-Interessenten")
    page.check("input[name=level][value=contact]")
    page.click("text=Zielgruppe anlegen")
    page.wait_for_url("**/target-groups/*")
    page.set_input_files(
        "#file", files=[{"name": "export.csv", "mimeType": "text/csv", "buffer": EXCEL_CSV}]
    )
    page.click("form[action$='/import'] button[type=submit]")
    expect(page.locator(".report")).to_contain_text("Neu: 2")
    members = page.locator("#member-list")
    expect(members).to_contain_text("jürgen.groß@kunde-d.de")
    expect(members).to_contain_text("Jürgen Groß")
    expect(members).to_contain_text("Änne Köhler")
    screenshot(page, "target-group-import")


def test_template_preview_explains_banner(page: Page, demo: DemoLogin) -> None:
    log_in(page, demo.email, demo.password)
    page.goto("/templates/1")
    page.select_option("#employee_id", label="Anna Schmidt (Vertrieb)")
    page.fill("#to", "max.mustermann@kunde-a.de")
    why = page.locator("[data-testid=why-banner]")
    expect(page.locator("[data-testid=audience]")).to_contain_text(
        "Kontakt: max.mustermann@kunde-a.de"
    )
    expect(page.locator("[data-testid=rule]")).to_contain_text("ist ein bekannter Kontakt")
    expect(page.locator("[data-testid=campaign]")).to_contain_text("Messe-Kontakte: Standbesuch")
    expect(why).to_contain_text("Warum dieses Banner?")
    frame = page.frame_locator("iframe.signature-frame")
    expect(frame.locator("body")).to_contain_text("Anna Schmidt")
    image_width = frame.locator("img").first.evaluate("image => image.naturalWidth")
    assert image_width > 1
    screenshot(page, "template-preview")

    page.click(".langswitch a[href='?lang=en']")
    expect(page.locator("h1")).to_have_text("Edit signature template")
    page.fill("#to", "max.mustermann@kunde-a.de")
    expect(page.locator("[data-testid=rule]")).to_contain_text(
        "The only external recipient, max.mustermann@kunde-a.de, is a known contact."
    )
    expect(why).to_contain_text("Why this banner?")
    expect(page.locator("[data-testid=audience]")).to_contain_text("Contact:")
    screenshot(page, "template-preview-en")


def test_template_error_next_to_field(page: Page, demo: DemoLogin) -> None:
    log_in(page, demo.email, demo.password)
    page.goto("/templates/1")
    page.fill("#html_source", "<p>{{ employee.full_name </p>")
    error = page.locator("#html_source-live-error [data-testid=template-error]")
    expect(error).to_contain_text("Fehler in der Signaturvorlage „Standard“, Zeile 1")


def test_analytics_chart_is_drawn(page: Page, demo: DemoLogin) -> None:
    log_in(page, demo.email, demo.password)
    page.goto("/analytics")
    page.wait_for_function("typeof window.Chart !== 'undefined'")
    canvas = page.locator("#analytics-chart")
    width = canvas.evaluate("canvas => canvas.width")
    assert width > 0
    drawn = canvas.evaluate("canvas => window.Chart.getChart(canvas) !== undefined")
    assert drawn is True


def post_department_with_token(page: Page, token: str) -> int:
    page.goto("/departments")
    page.locator("form[action='/departments'] input[name=csrf_token]").evaluate(
        "(input, token) => { input.value = token; }", token
    )
    page.fill("#name", "Einkauf")
    with page.expect_response("**/departments") as answer:
        page.click("form[action='/departments'] button[type=submit]")
    return answer.value.status


def test_wrong_csrf_token_gets_german_403(page: Page, demo: DemoLogin) -> None:
    log_in(page, demo.email, demo.password)
    assert post_department_with_token(page, "abgelaufenes-token") == 403
    expect(page.locator("main")).to_contain_text("Das Formular ist abgelaufen")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    screenshot(page, "csrf-403")


def test_non_ascii_csrf_token_gets_403(page: Page, demo: DemoLogin) -> None:
    log_in(page, demo.email, demo.password)
    assert post_department_with_token(page, "gefälscht") == 403


def test_read_only_user_sees_no_edit_buttons(
    page: Page, sqlite_runtime: Runtime, demo: DemoLogin
) -> None:
    add_user(sqlite_runtime, "lesend@beispiel.de", Role.READ_ONLY)
    log_in(page, "lesend@beispiel.de", PASSWORD)
    page.goto("/campaigns")
    expect(page.locator("h1")).to_have_text("Kampagnen")
    expect(page.get_by_text("Neue Kampagne")).to_have_count(0)
    expect(page.locator("#campaign-table button")).to_have_count(0)
    page.goto("/templates/1")
    expect(page.locator("button[type=submit].primary")).to_have_count(0)
    expect(page.locator("#html_source")).to_have_attribute("readonly", "")
    page.goto("/target-groups")
    expect(page.get_by_text("Zielgruppe anlegen")).to_have_count(0)


def test_other_tenant_gets_404(page: Page, sqlite_runtime: Runtime, demo: DemoLogin) -> None:
    add_tenant(sqlite_runtime, "andere", "andere.de")
    add_user(sqlite_runtime, "chefin@andere.de", Role.OWNER, tenant_slug="andere")
    log_in(page, "chefin@andere.de", PASSWORD)
    response = page.goto("/campaigns/1")
    assert response is not None
    assert response.status == 404
    expect(page.locator("main")).to_contain_text("gehört zu einer anderen Organisation")
