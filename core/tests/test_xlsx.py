import io
import zipfile

import openpyxl

from core.xlsx import safe_cell, workbook_bytes


def test_xlsx_download_header_cannot_be_broken_by_a_name():
    from core.xlsx import xlsx_response

    response = xlsx_response(b"x", '三年级"2班\r\nX-Evil: 1花名册.xlsx')
    header = response["Content-Disposition"]
    assert "\r" not in header and "\n" not in header and header.count('"') == 2
    assert "filename*=UTF-8''" in header


def test_cells_that_start_like_formulas_are_neutralised_and_never_formulas():
    data = workbook_bytes("t", ["a", "b"], [["=1+1", "+86 138"], ["@SUM(A1)", 42]])
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert "<f>" not in archive.read("xl/worksheets/sheet1.xml").decode()
    rows = list(openpyxl.load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))
    assert rows[1] == ("'=1+1", "'+86 138") and rows[2] == ("'@SUM(A1)", 42)
    assert safe_cell(None) == "" and safe_cell("正常") == "正常"
