"""Zielgruppen: create, typed members, CSV and .xlsx import with a report, all or nothing."""

import io

import httpx
from openpyxl import Workbook
from sqlalchemy import func, select

from maltastic.runtime import Runtime
from maltastic.targeting.models import (
    Account,
    Contact,
    TargetGroup,
    target_group_accounts,
    target_group_contacts,
)
from tests.web.admin import post_form


def create_group(client: httpx.Client, runtime: Runtime, name: str, level: str) -> int:
    response = post_form(client, "/target-groups", "/target-groups", {"name": name, "level": level})
    assert response.status_code == 303
    with runtime.session_factory() as session:
        group_id = session.scalar(select(TargetGroup.id).where(TargetGroup.name == name))
    assert group_id is not None
    assert response.headers["location"] == f"/target-groups/{group_id}"
    return group_id


def account_domains(runtime: Runtime, group_id: int) -> list[str]:
    with runtime.session_factory() as session:
        rows = session.scalars(
            select(Account.domain)
            .join(target_group_accounts, target_group_accounts.c.account_id == Account.id)
            .where(target_group_accounts.c.target_group_id == group_id)
            .order_by(Account.domain)
        )
        return list(rows)


def contact_count(runtime: Runtime, group_id: int) -> int:
    with runtime.session_factory() as session:
        count = (
            select(func.count())
            .select_from(target_group_contacts)
            .where(target_group_contacts.c.target_group_id == group_id)
        )
        return session.scalar(count) or 0


def test_typed_domains_are_normalised(owner: httpx.Client, sqlite_runtime: Runtime) -> None:
    group = create_group(owner, sqlite_runtime, "Bestandskunden", "account")
    members = "https://www.Kunde-B.com/produkte\nvertrieb.kunde-c.co.uk; Müller-Bau.DE"
    page = f"/target-groups/{group}"
    response = post_form(owner, page, f"{page}/members", {"members": members})
    assert response.status_code == 200
    assert "Import abgeschlossen" in response.text
    assert account_domains(sqlite_runtime, group) == [
        "kunde-b.com",
        "kunde-c.co.uk",
        "xn--mller-bau-q9a.de",
    ]


def test_freemail_account_is_rejected_with_reason(
    owner: httpx.Client, sqlite_runtime: Runtime
) -> None:
    group = create_group(owner, sqlite_runtime, "Mit Freemail", "account")
    page = f"/target-groups/{group}"
    response = post_form(owner, page, f"{page}/members", {"members": "kunde-d.de\ngmx.de"})
    assert response.status_code == 400
    assert "gmx.de ist ein Freemail-Anbieter und kann kein Account sein." in response.text
    assert "Es wurde nichts importiert" in response.text
    assert account_domains(sqlite_runtime, group) == []
    assert "kunde-d.de" in response.text  # the typed text stays in the field


def test_german_csv_contact_import_all_or_nothing(
    owner: httpx.Client, sqlite_runtime: Runtime
) -> None:
    group = create_group(owner, sqlite_runtime, "Messe 2027", "contact")
    content = (
        "Vorname;Nachname;E-Mail\r\n"
        "Jörg;Größer;joerg.groesser@kunde-a.de\r\n"
        "Zoë;Weiß;zoe@@kunde-b.de\r\n"
    ).encode("cp1252")
    page = f"/target-groups/{group}"
    files = {"file": ("kontakte.csv", content, "text/csv")}
    rejected = post_form(owner, page, f"{page}/import", files=files)
    assert rejected.status_code == 400
    assert "„zoe@@kunde-b.de“ ist keine gültige E-Mail-Adresse." in rejected.text
    assert "Zoë; Weiß; zoe@@kunde-b.de" in rejected.text
    assert contact_count(sqlite_runtime, group) == 0

    skipped = post_form(owner, page, f"{page}/import", {"skip_rejected": "on"}, files=files)
    assert skipped.status_code == 200
    assert "Neu: 1" in skipped.text
    with sqlite_runtime.session_factory() as session:
        contact = session.scalar(
            select(Contact).where(Contact.email == "joerg.groesser@kunde-a.de")
        )
    assert contact is not None
    assert contact.first_name == "Jörg"
    assert contact.last_name == "Größer"


def test_xlsx_account_import(owner: httpx.Client, sqlite_runtime: Runtime) -> None:
    group = create_group(owner, sqlite_runtime, "Aus Excel", "account")
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Firma", "Website"])
    sheet.append(["Kunde E GmbH", "https://www.kunde-e.de"])
    sheet.append(["Kunde F AG", "kunde-f.at"])
    sheet.append(["Kunde E Vertrieb", "vertrieb.kunde-e.de"])
    data = io.BytesIO()
    workbook.save(data)
    page = f"/target-groups/{group}"
    files = {"file": ("accounts.xlsx", data.getvalue(), "application/octet-stream")}
    response = post_form(owner, page, f"{page}/import", files=files)
    assert response.status_code == 200
    assert "Neu: 2 · Aktualisiert: 0 · Unverändert: 1 · Abgelehnt: 0" in response.text
    assert account_domains(sqlite_runtime, group) == ["kunde-e.de", "kunde-f.at"]
    with sqlite_runtime.session_factory() as session:
        name = session.scalar(select(Account.name).where(Account.domain == "kunde-f.at"))
    assert name == "Kunde F AG"


def test_broken_xlsx_is_explained(owner: httpx.Client, sqlite_runtime: Runtime) -> None:
    group = create_group(owner, sqlite_runtime, "Kaputt", "account")
    page = f"/target-groups/{group}"
    files = {"file": ("kaputt.xlsx", b"PK\x03\x04 nicht wirklich", "application/octet-stream")}
    response = post_form(owner, page, f"{page}/import", files=files)
    assert response.status_code == 400
    assert "keine gültige Excel-Arbeitsmappe" in response.text


def test_member_search_and_remove(owner: httpx.Client, sqlite_runtime: Runtime) -> None:
    group = create_group(owner, sqlite_runtime, "Suchtest", "account")
    page = f"/target-groups/{group}"
    post_form(owner, page, f"{page}/members", {"members": "alpha.de\nbeta.de"})
    found = owner.get(page, params={"q": "alp"}, headers={"HX-Request": "true"})
    assert "<html" not in found.text
    assert "alpha.de" in found.text
    assert "beta.de" not in found.text
    with sqlite_runtime.session_factory() as session:
        alpha = session.scalar(select(Account.id).where(Account.domain == "alpha.de"))
    removed = post_form(owner, page, f"{page}/members/{alpha}/remove")
    assert removed.status_code == 303
    assert account_domains(sqlite_runtime, group) == ["beta.de"]


def test_group_in_use_cannot_be_deleted(owner: httpx.Client, sqlite_runtime: Runtime) -> None:
    with sqlite_runtime.session_factory() as session:
        used = session.scalar(select(TargetGroup.id))
    response = post_form(owner, f"/target-groups/{used}", f"/target-groups/{used}/delete")
    assert response.status_code == 400
    assert "wird von einer Kampagne verwendet" in response.text


def test_duplicate_group_name_is_rejected(owner: httpx.Client, sqlite_runtime: Runtime) -> None:
    create_group(owner, sqlite_runtime, "Doppelt", "account")
    response = post_form(
        owner, "/target-groups", "/target-groups", {"name": "doppelt", "level": "contact"}
    )
    assert response.status_code == 400
    assert "Eine Zielgruppe mit diesem Namen gibt es bereits." in response.text


def test_typed_contact_keeps_display_name(owner: httpx.Client, sqlite_runtime: Runtime) -> None:
    group = create_group(owner, sqlite_runtime, "Mit Namen", "contact")
    page = f"/target-groups/{group}"
    typed = "Eva Löschtest <eva.loeschtest@kunde-c.de>"
    response = post_form(owner, page, f"{page}/members", {"members": typed})
    assert response.status_code == 200
    assert contact_count(sqlite_runtime, group) == 1
    with sqlite_runtime.session_factory() as session:
        contact = session.scalar(
            select(Contact).where(Contact.email == "eva.loeschtest@kunde-c.de")
        )
    assert contact is not None
    assert contact.first_name == "Eva"
    assert contact.last_name == "Löschtest"
    assert "<td>Eva Löschtest</td>" in owner.get(page).text
