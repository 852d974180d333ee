"""Roster files as schools really send them, built by the tests themselves."""

import io
import re
import zipfile

import openpyxl

HEADER = ["序号", "学生姓名", "学号", "性别", "班级", "家长1姓名", "与学生关系", "联系电话", "家长2姓名", "家长2电话"]


def school_xlsx() -> bytes:
    """A title row merged across the sheet, a blank row, the header, then rows with every way
    schools write things, a class cell merged down several rows, bad rows and footer lines."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["阳光小学2026学年学生花名册（三年级）"])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADER))
    ws.append([])
    ws.append(HEADER)  # row 3
    rows = [
        # row 4..6: 三年级1班, written once in a cell merged down three rows
        [1, "王小明", "00123", "男", "三(1)班", "王大明", "父亲", 13812345678, "李秀英", "138 1234 5679"],
        [2, "王小红", "00124", "女", None, "王大明", "爸爸", 13812345678.0, None, None],  # twin: same father
        [3, "张 三", "00125", "男", None, "张父", "父亲", "+86 139-0000-1111", None, None],
        [4, "赵小雨", "00126", "女", "3年级2班", "赵妈妈", "母亲", "１３７００００２２２２", None, None],  # row 7
        [5, "王小刚", "00127", "男", "三年级2班", "王大明", "父亲", "13812345678", None, None],  # row 8: sibling
        [],  # row 9: blank
        [6, "", "00128", "男", "三年级1班", "无名家长", "父亲", "13600000000", None, None],  # row 10: no name
        [7, "钱多多", "00129", "男", "三年级1班", "钱家长", "父亲", "1381234", None, None],  # row 11: bad phone
        [8, "孙悟空", "00123", "男", "三年级1班", "孙家长", "父亲", "13600000001", None, None],  # row 12: dup number
        [9, "周公式", "00130", "男", "三年级1班", "周家长", "父亲", "=1+1", None, None],  # row 13: formula
        [10, "吴注入", "00131", "男", "三年级1班", "@SUM(A1)", "父亲", "13600000002", None, None],  # row 14
        [11, "郑班级", "00132", "男", "初三(9)班", "郑家长", "父亲", "13600000003", None, None],  # row 15
    ]
    for row in rows:
        ws.append(row)
    ws.merge_cells("E4:E6")
    ws["H13"] = "=1+1"  # a real formula cell
    ws.append(["班主任：李老师", None, None, None, None, None, None, "联系电话：0371-1234567"])  # row 16
    ws.append(["合计：5人"])  # row 17
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def csv_bytes(encoding: str) -> bytes:
    text = (
        "三年级2班学生名单\n"
        "姓名,学籍号,班级,家长姓名,关系,手机号\n"
        "陈一,G2019001,三(2)班,陈父,父亲,13911112222\n"
        "林二,G2019002,三(2)班,林母,母亲,139-1111-3333\n"
        "合计,2人,,,,\n"
    )
    return text.encode(encoding)


def zip_bomb_xlsx() -> bytes:
    """A valid-looking xlsx whose sheet expands to about 100 MB of nothing."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(school_xlsx())) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            if item.filename == "xl/worksheets/sheet1.xml":
                dst.writestr(item.filename, b"<" + b" " * (100 * 1024 * 1024))
            else:
                dst.writestr(item, src.read(item.filename))
    return out.getvalue()


def entity_bomb_xlsx() -> bytes:
    """A billion-laughs entity definition inside the sheet XML."""
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
        b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol3;</t></is></c></row></sheetData></worksheet>'
    )
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(school_xlsx())) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = bomb if item.filename == "xl/worksheets/sheet1.xml" else src.read(item.filename)
            dst.writestr(item.filename, data)
    return out.getvalue()


def big_school_xlsx(rows: int, *, classes_per_grade: int = 2) -> bytes:
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet()
    ws.append(["学生姓名", "学号", "班级", "家长姓名", "关系", "联系电话", "家长2姓名", "家长2电话"])
    for i in range(rows):
        grade = i % 6 + 1
        number = i // 6 % classes_per_grade + 1
        ws.append(
            [
                f"学生{i:05d}",
                f"S{i:06d}",
                f"{grade}({number})班",
                f"家长{i:05d}",
                "母亲",
                f"135{i:08d}",
                f"家长B{i:05d}",
                f"136{i:08d}",
            ]
        )
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def legacy_xls() -> bytes:
    """An old .xls (Excel 97–2003), as many school offices still save: title row merged across,
    numbers stored as numbers."""
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("名单")
    sheet.write_merge(0, 0, 0, 4, "三年级2班名单")
    for col, title in enumerate(["姓名", "学号", "班级", "家长姓名", "联系电话"]):
        sheet.write(1, col, title)
    sheet.write(2, 0, "旧表一")
    sheet.write(2, 1, 301.0)
    sheet.write_merge(2, 3, 2, 2, "三(2)班")
    sheet.write(2, 3, "旧父")
    sheet.write(2, 4, 13911119999.0)
    sheet.write(3, 0, "旧表二")
    sheet.write(3, 1, 302.0)
    sheet.write(3, 3, "旧母")
    sheet.write(3, 4, "139 1111 8888")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def merged_cell_bomb_xlsx() -> bytes:
    """A few KB whose one merged range covers 60 columns × 19,000 rows."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(school_xlsx())) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                # openpyxl writes "<mergeCell ref=.../>" with lxml installed (python-docx brings it)
                # and "<mergeCell ref=... />" without: either way.
                data = re.sub(rb'<mergeCell ref="E4:E6"\s*/>', b'<mergeCell ref="A30:BH19000" />', data)
                assert b"A30:BH19000" in data
            dst.writestr(item.filename, data)
    return out.getvalue()
