"""Reading a roster file as schools keep them, safely.

Turns an uploaded ``.xlsx``, ``.xls`` or ``.csv`` into a list of rows of cell values, each with the
row number the spreadsheet shows. Everything about the file format lives here: size limits, the
checks against zip bombs and XML entity bombs (openpyxl parses with defusedxml, checked at start-up
in core.apps), merged cells (their value is copied into every cell they cover), formulas (kept as
``Formula`` so the row can be refused), and CSV in UTF-8 (with or without BOM) or GBK/GB18030.
"""

import csv
import io
import re
import zipfile
from dataclasses import dataclass

from django.utils.translation import gettext as _

MAX_FILE_BYTES = 5 * 1024 * 1024  # a school of 3,000 students is well under 1 MB
MAX_UNCOMPRESSED_BYTES = 60 * 1024 * 1024
MAX_COMPRESSION_RATIO = 200
MAX_ZIP_ENTRIES = 500
MAX_ROWS = 20_000
MAX_COLUMNS = 60


def _ENTITY_MESSAGE() -> str:
    return _("The Excel file contains XML entity definitions, which rosters never need; it was refused for safety.")


class RosterFileError(Exception):
    """The file as a whole cannot be read; the message tells the teacher what to do."""


@dataclass(frozen=True)
class Formula:
    """A cell that holds a formula: never evaluated, never stored, the row is refused."""

    text: str


@dataclass
class SheetRow:
    number: int  # as the spreadsheet shows it (1-based)
    cells: list


def read_roster_file(data: bytes, filename: str) -> list[SheetRow]:
    if len(data) > MAX_FILE_BYTES:
        raise RosterFileError(
            _("The file is larger than %(mb)d MB. A roster is much smaller: check that it is the right file.")
            % {"mb": MAX_FILE_BYTES // (1024 * 1024)}
        )
    if not data:
        raise RosterFileError(_("The file is empty."))
    name = filename.lower()
    if data[:4] == b"PK\x03\x04":
        if name.endswith((".xlsm", ".xltm")):
            raise RosterFileError(_("Files with macros (.xlsm) are not accepted. Save the sheet as .xlsx."))
        return _read_xlsx(data)
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return _read_xls(data)
    if name.endswith((".xlsx", ".xls", ".xlsm")):
        raise RosterFileError(_("The file is not a real Excel file. Open it in Excel or WPS and save it again."))
    return _read_csv(data)


def _check_zip(data: bytes) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise RosterFileError(_("The Excel file is damaged. Open it in Excel or WPS and save it again.")) from exc
    entries = archive.infolist()
    if len(entries) > MAX_ZIP_ENTRIES:
        raise RosterFileError(_("The Excel file has an unusual structure and was refused for safety."))
    total = 0
    for entry in entries:
        total += entry.file_size
        ratio = entry.file_size / max(entry.compress_size, 1)
        if total > MAX_UNCOMPRESSED_BYTES or (entry.file_size > 1024 * 1024 and ratio > MAX_COMPRESSION_RATIO):
            raise RosterFileError(
                _("The Excel file expands to far more data than a roster holds (a “zip bomb”) and was refused.")
            )
        if entry.filename.lower().endswith("vbaproject.bin"):
            raise RosterFileError(_("Files with macros (.xlsm) are not accepted. Save the sheet as .xlsx."))
        if entry.filename.lower().startswith("xl/worksheets/") and entry.filename.lower().endswith(".xml"):
            _check_merged_ranges(archive.read(entry))
        if entry.filename.lower().endswith((".xml", ".rels")):
            # A DTD can only come before the root element: the first few KB tell.
            with archive.open(entry) as part:
                head = part.read(4096)
            if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                raise RosterFileError(_ENTITY_MESSAGE())


_MERGE_REF = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]{1,3})(\d{1,7}):([A-Z]{1,3})(\d{1,7})"')


def _column_number(letters: bytes) -> int:
    number = 0
    for ch in letters.decode():
        number = number * 26 + (ord(ch) - 64)
    return number


def _check_merged_ranges(sheet_xml: bytes) -> None:
    """openpyxl makes an object for every cell a merged range covers, so one tiny
    ``<mergeCell ref="A1:XFD1048576"/>`` would eat gigabytes. Refuse ranges a roster never has,
    before openpyxl sees the file."""
    covered = 0
    for match in _MERGE_REF.finditer(sheet_xml):
        col1, row1, col2, row2 = match.groups()
        rows = abs(int(row2) - int(row1)) + 1
        cols = abs(_column_number(col2) - _column_number(col1)) + 1
        if rows > MAX_ROWS or cols > MAX_COLUMNS:
            raise RosterFileError(_("The sheet has merged cells far larger than a roster; it was refused for safety."))
        covered += rows * cols
        if covered > MAX_ROWS * 4:
            raise RosterFileError(_("The sheet has merged cells far larger than a roster; it was refused for safety."))


def _read_xlsx(data: bytes) -> list[SheetRow]:
    import openpyxl
    from defusedxml.common import DefusedXmlException

    _check_zip(data)
    try:
        # Not read-only: merged cell ranges are only known in the full model. data_only=False keeps
        # formulas as formulas, so that we can refuse them instead of trusting a cached result.
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=False, data_only=False)
    except DefusedXmlException as exc:
        raise RosterFileError(_ENTITY_MESSAGE()) from exc
    except Exception as exc:
        if isinstance(exc.__cause__ or exc.__context__, DefusedXmlException):
            raise RosterFileError(_ENTITY_MESSAGE()) from exc
        raise RosterFileError(_("The Excel file cannot be read. Open it in Excel or WPS and save it again.")) from exc
    sheet = workbook.worksheets[0]
    if sheet.max_row > MAX_ROWS:
        raise RosterFileError(_("The sheet has more than %(n)d rows.") % {"n": MAX_ROWS})
    width = min(sheet.max_column, MAX_COLUMNS)
    merged_values = {}
    for merged in sheet.merged_cells.ranges:
        top_left = sheet.cell(merged.min_row, merged.min_col).value
        for row in range(merged.min_row, merged.max_row + 1):
            for col in range(merged.min_col, merged.max_col + 1):
                merged_values[(row, col)] = top_left
    rows = []
    for r, cells in enumerate(sheet.iter_rows(max_col=width), start=1):
        values = []
        for c, cell in enumerate(cells, start=1):
            value = merged_values.get((r, c), cell.value)
            if cell.data_type == "f":
                value = Formula(str(value))
            values.append(value)
        rows.append(SheetRow(number=r, cells=values))
    return rows


def _read_xls(data: bytes) -> list[SheetRow]:
    import xlrd

    try:
        book = xlrd.open_workbook(file_contents=data, formatting_info=True)
    except Exception as exc:
        raise RosterFileError(_("The .xls file cannot be read. Open it in Excel or WPS and save it as .xlsx.")) from exc
    sheet = book.sheet_by_index(0)
    if sheet.nrows > MAX_ROWS:
        raise RosterFileError(_("The sheet has more than %(n)d rows.") % {"n": MAX_ROWS})
    merged_values = {}
    for rlo, rhi, clo, chi in sheet.merged_cells:
        top_left = sheet.cell_value(rlo, clo)
        for row in range(rlo, min(rhi, sheet.nrows)):
            for col in range(clo, min(chi, sheet.ncols, MAX_COLUMNS)):
                merged_values[(row, col)] = top_left
    rows = []
    for r in range(sheet.nrows):
        values = []
        for c in range(min(sheet.ncols, MAX_COLUMNS)):
            value = merged_values.get((r, c), sheet.cell_value(r, c))
            values.append(None if value == "" else value)
        rows.append(SheetRow(number=r + 1, cells=values))
    return rows


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise RosterFileError(_("The CSV file's characters cannot be read. Save it as UTF-8 or as an Excel file."))


def _read_csv(data: bytes) -> list[SheetRow]:
    text = _decode(data)
    if "\x00" in text:
        raise RosterFileError(_("This is not a spreadsheet or CSV file."))
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",\t;，")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    rows = []
    for number, cells in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter), start=1):
        if number > MAX_ROWS:
            raise RosterFileError(_("The sheet has more than %(n)d rows.") % {"n": MAX_ROWS})
        values = []
        for cell in cells[:MAX_COLUMNS]:
            cell = cell.strip()
            values.append(cell or None)
        rows.append(SheetRow(number=number, cells=values))
    return rows
