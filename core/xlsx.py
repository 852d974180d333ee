"""Writing spreadsheets people open in Excel, WPS and LibreOffice, with nothing a spreadsheet
could run: every cell is written as a string or a number, never as a formula, and text that
starts like a formula (= + - @, or a tab or return before them) gets a leading apostrophe, as
OWASP advises against CSV/formula injection."""

import io
import re
from collections.abc import Iterable

from django.http import HttpResponse
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from .uploads import download_response

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# XML 1.0 cannot hold these; a parent's comment must not make a teacher's export fail.
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_SHEET_TITLE_BAD = re.compile(r"[\[\]:*?/\\]")


def safe_cell(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int | float):
        return value
    text = _ILLEGAL.sub("", str(value))
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def workbook_bytes(title: str, header: list[str], rows: Iterable[list]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = _SHEET_TITLE_BAD.sub(" ", _ILLEGAL.sub("", title)).strip()[:31] or "Sheet1"
    ws.append(header)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    widths = [len(h) * 2 + 2 for h in header]
    for row in rows:
        values = [safe_cell(v) for v in row]
        ws.append(values)
        for i, v in enumerate(values):
            widths[i] = min(max(widths[i], len(str(v)) * 2 + 2), 40)
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # never "f", whatever the text looks like
                cell.number_format = "@"
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def xlsx_response(data: bytes, filename: str) -> HttpResponse:
    # Names come from school, class and notice titles: content_disposition keeps quotes and line
    # breaks out of the header.
    return download_response(data, filename, XLSX_TYPE)
