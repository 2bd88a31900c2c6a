"""Mitarbeiter: list, live search, create, edit, active switch and CSV/Excel import."""

import io

import httpx
from openpyxl import Workbook
from sqlalchemy import func, select

from maltastic.audit.models import AuditLogEntry
from maltastic.directory.models import Department, Employee
from maltastic.runtime import Runtime
from tests.web.admin import post_form

# A German Excel export: ";" separator, windows-1252, umlauts, one line with a bad address.
GERMAN_EXCEL_CSV = (
    "E-Mail;Vorname;Nachname;Position;Abteilung;Telefon\r\n"
    "jürgen.müller@beispiel.de;Jürgen;Müller;Geschäftsführer;Geschäftsleitung;+49 89 1\r\n"
    "anna.schmidt@beispiel.de;Anna;Schmidt-Groß;Key Account Managerin;Vertrieb;\r\n"
    "kein-at-zeichen;Max;Mäuser;Praktikant;Vertrieb;\r\n"
    "fremd@andere-firma.de;Fritz;Fremd;;;\r\n"
).encode("cp1252")


def employee(runtime: Runtime, email: str) -> Employee | None:
    with runtime.session_factory() as session:
        return session.scalar(select(Employee).where(Employee.email == email))


def employee_count(runtime: Runtime) -> int:
    with runtime.session_factory() as session:
        return session.scalar(select(func.count()).select_from(Employee)) or 0


def test_list_and_search(owner: httpx.Client) -> None:
    page = owner.get("/employees")
    assert "anna.schmidt@beispiel.de" in page.text
    assert 'hx-get="/employees"' in page.text
    found = owner.get("/employees", params={"q": "krüger"})
    assert "tobias.krueger@beispiel.de" in found.text
    assert "anna.schmidt@beispiel.de" not in found.text


def test_live_search_returns_rows_only(owner: httpx.Client) -> None:
    response = owner.get("/employees", params={"q": "support"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "<html" not in response.text
    assert "tobias.krueger@beispiel.de" in response.text
    assert "anna.schmidt@beispiel.de" not in response.text


def test_search_treats_percent_literally(owner: httpx.Client) -> None:
    response = owner.get("/employees", params={"q": "%"})
    assert "Keine Mitarbeiter passen zu Ihrer Suche." in response.text


def test_create_and_edit(owner: httpx.Client, sqlite_runtime: Runtime) -> None:
    form = {"email": "Lena.Vogel@Beispiel.DE", "first_name": "Lena", "last_name": "Vogel"}
    created = post_form(owner, "/employees/new", "/employees/new", {**form, "active": "on"})
    assert created.status_code == 303
    saved = employee(sqlite_runtime, "lena.vogel@beispiel.de")
    assert saved is not None
    assert saved.active

    changed = {**form, "email": "lena.vogel@beispiel.de", "title": "Designerin"}
    updated = post_form(owner, f"/employees/{saved.id}", f"/employees/{saved.id}", changed)
    assert updated.status_code == 303
    edited = employee(sqlite_runtime, "lena.vogel@beispiel.de")
    assert edited is not None
    assert edited.title == "Designerin"
    assert not edited.active
    with sqlite_runtime.session_factory() as session:
        entry = session.scalar(
            select(AuditLogEntry)
            .where(AuditLogEntry.entity_type == "employee", AuditLogEntry.action == "update")
            .order_by(AuditLogEntry.id.desc())
        )
    assert entry is not None
    assert entry.changes["title"] == ["", "Designerin"]
    assert entry.changes["active"] == [True, False]


def test_invalid_input_shows_errors_and_keeps_data(
    owner: httpx.Client, sqlite_runtime: Runtime
) -> None:
    before = employee_count(sqlite_runtime)
    response = post_form(
        owner,
        "/employees/new",
        "/employees/new",
        {"email": "max@gmail.com", "first_name": "Max", "department_id": "99999"},
    )
    assert response.status_code == 400
    assert "Die Adresse muss zu einer Domain Ihrer Organisation gehören." in response.text
    assert "Bitte wählen Sie eine Abteilung aus der Liste." in response.text
    assert 'value="Max"' in response.text
    assert employee_count(sqlite_runtime) == before


def test_duplicate_address_is_rejected(owner: httpx.Client) -> None:
    response = post_form(
        owner, "/employees/new", "/employees/new", {"email": "anna.schmidt@beispiel.de"}
    )
    assert response.status_code == 400
    assert "Einen Mitarbeiter mit dieser E-Mail-Adresse gibt es bereits." in response.text


def test_active_switch_in_place(owner: httpx.Client, sqlite_runtime: Runtime) -> None:
    anna = employee(sqlite_runtime, "anna.schmidt@beispiel.de")
    assert anna is not None
    response = post_form(
        owner, "/employees", f"/employees/{anna.id}/active", headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert response.text.startswith(f'<tr id="employee-{anna.id}">')
    assert "Inaktiv" in response.text
    switched = employee(sqlite_runtime, "anna.schmidt@beispiel.de")
    assert switched is not None
    assert not switched.active


def test_german_excel_csv_is_rejected_as_a_whole(
    owner: httpx.Client, sqlite_runtime: Runtime
) -> None:
    before = employee_count(sqlite_runtime)
    files = {"file": ("mitarbeiter.csv", GERMAN_EXCEL_CSV, "text/csv")}
    response = post_form(owner, "/employees/import", "/employees/import", files=files)
    assert response.status_code == 400
    assert "Es wurde nichts importiert" in response.text
    assert "„kein-at-zeichen“ ist keine gültige E-Mail-Adresse." in response.text
    assert "fremd@andere-firma.de gehört zu keiner Domain Ihrer Organisation." in response.text
    assert "<td>4</td>" in response.text
    assert "<td>5</td>" in response.text
    assert employee_count(sqlite_runtime) == before
    assert employee(sqlite_runtime, "jürgen.müller@beispiel.de") is None


def test_german_excel_csv_with_skipped_lines(owner: httpx.Client, sqlite_runtime: Runtime) -> None:
    files = {"file": ("mitarbeiter.csv", GERMAN_EXCEL_CSV, "text/csv")}
    response = post_form(
        owner, "/employees/import", "/employees/import", {"skip_rejected": "on"}, files=files
    )
    assert response.status_code == 200
    assert "Import abgeschlossen" in response.text
    assert "Neu: 1 · Aktualisiert: 1 · Unverändert: 0 · Abgelehnt: 2" in response.text
    juergen = employee(sqlite_runtime, "jürgen.müller@beispiel.de")
    assert juergen is not None
    assert juergen.last_name == "Müller"
    assert juergen.title == "Geschäftsführer"
    anna = employee(sqlite_runtime, "anna.schmidt@beispiel.de")
    assert anna is not None
    assert anna.last_name == "Schmidt-Groß"
    with sqlite_runtime.session_factory() as session:
        department = session.scalar(select(Department).where(Department.name == "Geschäftsleitung"))
    assert department is not None
    assert juergen.department_id == department.id


def test_utf8_bom_csv_with_english_headers(owner: httpx.Client, sqlite_runtime: Runtime) -> None:
    content = "\ufeffEmail,First name,Last name,Active\nsophie.koenig@beispiel.de,Sophie,König,no\n"
    files = {"file": ("staff.csv", content.encode("utf-8"), "text/csv")}
    response = post_form(owner, "/employees/import", "/employees/import", files=files)
    assert response.status_code == 200
    sophie = employee(sqlite_runtime, "sophie.koenig@beispiel.de")
    assert sophie is not None
    assert sophie.last_name == "König"
    assert not sophie.active


def test_xlsx_import(owner: httpx.Client, sqlite_runtime: Runtime) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["E-Mail-Adresse", "Vorname", "Nachname", "Mobil"])
    sheet.append(["paul.bäcker@beispiel.de", "Paul", "Bäcker", 1701234567])
    data = io.BytesIO()
    workbook.save(data)
    files = {"file": ("liste.xlsx", data.getvalue(), "application/octet-stream")}
    response = post_form(owner, "/employees/import", "/employees/import", files=files)
    assert response.status_code == 200
    paul = employee(sqlite_runtime, "paul.bäcker@beispiel.de")
    assert paul is not None
    assert paul.mobile == "1701234567"


def test_file_without_address_column_is_explained(owner: httpx.Client) -> None:
    files = {"file": ("x.csv", b"Name;Ort\nMax;Berlin\n", "text/csv")}
    response = post_form(owner, "/employees/import", "/employees/import", files=files)
    assert response.status_code == 400
    assert "Die Datei hat keine Spalte für die E-Mail-Adresse." in response.text


def test_employee_at_internal_domain_can_be_saved(owner: httpx.Client) -> None:
    form = {"email": "neu@tochter.de", "first_name": "Nina", "active": "on"}
    response = post_form(owner, "/employees/new", "/employees/new", form)
    assert response.status_code == 303


# The help text of the import page lists these header names in pairs, English and German.
IMPORT_COLUMNS = (
    ("Email", "E-Mail"),
    ("First name", "Vorname"),
    ("Last name", "Nachname"),
    ("Title", "Position"),
    ("Phone", "Telefon"),
    ("Mobile", "Mobil"),
    ("Location", "Standort"),
    ("Department", "Abteilung"),
    ("Active", "Aktiv"),
)


def test_import_help_lists_both_column_names(owner: httpx.Client) -> None:
    english = owner.get("/employees/import", params={"lang": "en"}).text
    german = owner.get("/employees/import", params={"lang": "de"}).text
    for english_name, german_name in IMPORT_COLUMNS:
        assert f"{english_name}/{german_name}" in english, english_name
        assert f"{german_name}/{english_name}" in german, german_name


def test_import_accepts_listed_column_names(owner: httpx.Client, sqlite_runtime: Runtime) -> None:
    english_names, german_names = zip(*IMPORT_COLUMNS, strict=True)
    for header, address in (
        (english_names, "lena.vogt@beispiel.de"),
        (german_names, "jonas.vogt@beispiel.de"),
    ):
        line = (
            address,
            "Lena",
            "Vogt",
            "Einkauf",
            "+49 89 2",
            "+49 170 3",
            "München",
            "IT",
            "nein",
        )
        content = f"{';'.join(header)}\n{';'.join(line)}\n"
        files = {"file": ("liste.csv", content.encode("utf-8"), "text/csv")}
        response = post_form(owner, "/employees/import", "/employees/import", files=files)
        assert response.status_code == 200, header
        imported = employee(sqlite_runtime, address)
        assert imported is not None, header
        assert imported.first_name == "Lena", header
        assert imported.last_name == "Vogt", header
        assert imported.title == "Einkauf", header
        assert imported.phone == "+49 89 2", header
        assert imported.mobile == "+49 170 3", header
        assert imported.location == "München", header
        assert imported.department_id is not None, header
        assert not imported.active, header
