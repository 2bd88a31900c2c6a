"""Read uploaded tables (CSV from Excel and other tools, or .xlsx) into rows of text.

German Excel saves CSV with `;` as separator and in windows-1252, or in UTF-8 with a
byte order mark ("CSV UTF-8"). The encoding is detected from the byte order mark, then
by trying strict UTF-8, then windows-1252. The separator is detected with `csv.Sniffer`
among `;`, `,`, tab and `|`.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from openpyxl import load_workbook

from maltastic.i18n.catalog import gettext as _

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
SEPARATORS = ";,\t|"
SNIFF_BYTES = 64 * 1024
XLSX_MAGIC = b"PK\x03\x04"


class TableError(ValueError):
    """The upload is not a readable table; the message is translated for the admin."""


@dataclass(frozen=True)
class RejectedLine:
    """A line of an import that was not taken, with its 1-based line number and the reason."""

    line: int
    content: str
    reason: str


@dataclass
class ImportReport:
    """What an import did; when `applied` is false, nothing was written."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[RejectedLine] = field(default_factory=list)
    applied: bool = False

    def reject(self, line: int, row: Sequence[str], reason: str) -> None:
        self.rejected.append(RejectedLine(line, "; ".join(row), reason))


def read_table(data: bytes, filename: str) -> list[tuple[str, ...]]:
    """Return every non-empty row of a CSV or .xlsx upload, cells stripped."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise TableError(_("The file is larger than 20 MB. Please split it into smaller files."))
    if not data.strip():
        raise TableError(_("The file is empty."))
    if data.startswith(XLSX_MAGIC) or filename.lower().endswith(".xlsx"):
        return read_xlsx(data)
    text, _encoding = decode_text(data)
    return read_csv(text)


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode CSV bytes and return the text with the name of the encoding used."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="replace"), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        # windows-1252 leaves five bytes undefined; those become U+FFFD, not an error.
        return data.decode("cp1252", errors="replace"), "cp1252"


def read_csv(text: str) -> list[tuple[str, ...]]:
    separator = sniff_separator(text[:SNIFF_BYTES])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    try:
        rows = [tuple(cell.strip() for cell in row) for row in reader]
    except csv.Error as error:
        raise TableError(
            _("The CSV file could not be read: %(error)s") % {"error": error}
        ) from None
    return [row for row in rows if any(row)]


def sniff_separator(sample: str) -> str:
    try:
        return csv.Sniffer().sniff(sample, delimiters=SEPARATORS).delimiter
    except csv.Error:
        # A file with one column has no separator to find.
        first_line = sample.splitlines()[0] if sample else ""
        return max(SEPARATORS, key=first_line.count) if first_line else ";"


def read_xlsx(data: bytes) -> list[tuple[str, ...]]:
    """Return the rows of the first worksheet of an .xlsx file."""
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError):
        raise TableError(
            _("The file is not a valid Excel workbook (.xlsx). Please save it again as .xlsx.")
        ) from None
    try:
        sheet = workbook.worksheets[0]
        return [row for row in _xlsx_rows(sheet.iter_rows(values_only=True)) if any(row)]
    finally:
        workbook.close()


def _xlsx_rows(rows: Iterator[tuple[object, ...]]) -> Iterator[tuple[str, ...]]:
    for row in rows:
        yield tuple(cell_text(cell) for cell in row)


def cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value).strip()


def header_key(name: str) -> str:
    """Normalise a column name for lookup: lower case without spaces, hyphens or underscores."""
    return "".join(ch for ch in name.casefold() if ch.isalnum())


def map_columns(header: Sequence[str], column_aliases: dict[str, frozenset[str]]) -> dict[str, int]:
    """Return the column index of each field whose alias appears in `header`."""
    positions: dict[str, int] = {}
    for index, name in enumerate(header):
        key = header_key(name)
        for field_name, names in column_aliases.items():
            if key in names and field_name not in positions:
                positions[field_name] = index
    return positions


def aliases(*names: str) -> frozenset[str]:
    return frozenset(header_key(name) for name in names)
