"""Reading uploaded tables: encodings, separators and Excel workbooks."""

import codecs
import io

import pytest
from openpyxl import Workbook

from maltastic.directory.imports import COLUMN_ALIASES
from maltastic.targeting.tabular import TableError, decode_text, map_columns, read_table


def test_windows_1252_with_semicolons() -> None:
    data = "Name;Straße\nMüller;Hauptstraße 1\n".encode("cp1252")
    assert read_table(data, "liste.csv") == [("Name", "Straße"), ("Müller", "Hauptstraße 1")]


def test_utf8_bom_is_removed() -> None:
    data = codecs.BOM_UTF8 + "E-Mail,Vorname\nx@y.de,Jörg\n".encode()
    assert read_table(data, "liste.csv")[0] == ("E-Mail", "Vorname")
    assert decode_text(data)[1] == "utf-8-sig"


def test_plain_utf8_is_detected() -> None:
    assert decode_text("Grüße".encode())[1] == "utf-8"
    assert decode_text("Grüße".encode("cp1252"))[1] == "cp1252"


def test_utf16_tab_separated() -> None:
    data = "E-Mail\tNachname\nx@y.de\tÖzdemir\n".encode("utf-16")
    assert read_table(data, "unicode.txt") == [("E-Mail", "Nachname"), ("x@y.de", "Özdemir")]


def test_quoted_separator_stays_in_cell() -> None:
    data = b'Firma;Domain\n"M\xfcller; S\xf6hne";mueller.de\n'
    assert read_table(data, "x.csv")[1] == ("Müller; Söhne", "mueller.de")


def test_single_column_without_separator() -> None:
    assert read_table(b"kunde-a.de\nkunde-b.de\n", "x.csv") == [("kunde-a.de",), ("kunde-b.de",)]


def test_empty_lines_are_skipped() -> None:
    assert read_table(b"a;b\n;\n\nc;d\n", "x.csv") == [("a", "b"), ("c", "d")]


def test_empty_file_is_rejected() -> None:
    with pytest.raises(TableError):
        read_table(b"  \n", "x.csv")


def test_xlsx_numbers_become_text() -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Telefon", "Anzahl"])
    sheet.append([8912345, 2.5])
    data = io.BytesIO()
    workbook.save(data)
    assert read_table(data.getvalue(), "x.xlsx") == [("Telefon", "Anzahl"), ("8912345", "2.5")]


def test_headers_match_in_german_and_english() -> None:
    header = ("E-Mail-Adresse", "first name", "NACHNAME", "Abteilung", "Unbekannt")
    assert map_columns(header, COLUMN_ALIASES) == {
        "email": 0,
        "first_name": 1,
        "last_name": 2,
        "department": 3,
    }
