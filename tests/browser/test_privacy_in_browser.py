"""The Datenschutz page in Chromium: look up a contact, download its export, erase it."""

from __future__ import annotations

import json
from pathlib import Path

from playwright.sync_api import Page, expect
from sqlalchemy import select

from maltastic.demo.loader import DemoLogin
from maltastic.runtime import Runtime
from maltastic.targeting.models import Contact
from tests.browser.conftest import log_in, screenshot

ADDRESS = "max.mustermann@kunde-a.de"


def test_export_and_erase_contact(
    page: Page, demo: DemoLogin, sqlite_runtime: Runtime, tmp_path: Path
) -> None:
    with sqlite_runtime.session_factory() as session:
        contact_id = session.scalar(select(Contact.id).where(Contact.email == ADDRESS))
    assert contact_id is not None

    log_in(page, demo.email, demo.password)
    page.locator("nav.mainnav").get_by_role("link", name="Datenschutz").click()
    page.wait_for_url("**/privacy")
    page.fill("#address", "Max.Mustermann@Kunde-A.de")
    page.get_by_role("button", name="Gespeicherte Daten anzeigen").click()
    summary = page.locator("[data-testid=privacy-summary]")
    expect(summary).to_contain_text(f"Gespeichert zu {ADDRESS}")
    expect(summary).to_contain_text("Messe-Kontakte")
    screenshot(page, "privacy-summary")

    with page.expect_download() as download_info:
        page.get_by_role("button", name="Export herunterladen (JSON)").click()
    download = download_info.value
    assert download.suggested_filename == f"maltastic-contact-{contact_id}.json"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    assert json.loads(saved.read_text(encoding="utf-8"))["contact"]["email"] == ADDRESS

    page.get_by_role("button", name="Kontakt löschen …").click()
    confirmation = page.locator("[data-testid=erase-confirmation]")
    expect(confirmation).to_contain_text(f"{ADDRESS} löschen?")
    expect(confirmation).to_contain_text("Das lässt sich nicht rückgängig machen.")
    screenshot(page, "privacy-erase-confirmation")
    page.get_by_role("button", name=f"{ADDRESS} endgültig löschen").click()
    page.wait_for_url("**/privacy")
    expect(page.locator(".notice")).to_contain_text(f"Kontakt #{contact_id} gelöscht.")

    page.fill("#address", ADDRESS)
    page.get_by_role("button", name="Gespeicherte Daten anzeigen").click()
    expect(page.locator(".field-error")).to_contain_text(
        f"kein Kontakt mit der Adresse {ADDRESS} gespeichert"
    )
