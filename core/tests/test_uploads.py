"""Attachments checked from their bytes (FILE-01/02/04/05, INJ-02), with real minimal files built here."""

import io
import re
import struct
import zipfile
import zlib

import pytest
from django.utils import translation

from core.uploads import (
    DOC,
    DOCX,
    GIF,
    JPEG,
    PDF,
    PNG,
    PPT,
    PPTX,
    WEBP,
    XLS,
    XLSX,
    FileKind,
    UploadRefused,
    check_upload,
    content_disposition,
    safe_filename,
    sniff,
    strip_image_metadata,
)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


# --- building real files ------------------------------------------------------------------------


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png(*extra_chunks: bytes, trailer: bytes = b"") -> bytes:
    """A 1×1 RGB PNG that any decoder opens, with optional chunks before the image data."""
    ihdr = png_chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
    idat = png_chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
    return b"\x89PNG\r\n\x1a\n" + ihdr + b"".join(extra_chunks) + idat + png_chunk(b"IEND", b"") + trailer


def segment(marker: int, payload: bytes) -> bytes:
    return bytes((0xFF, marker)) + struct.pack(">H", len(payload) + 2) + payload


def exif_payload(orientation: int | None = 6, gps: bool = True) -> bytes:
    """Exif APP1 payload: IFD0 with Make, Orientation and a GPS IFD pointer; a GPS IFD with latitude."""
    entries = [(0x010F, 2, 4, b"ACME")]  # Make, ASCII, fits in the value field
    if orientation is not None:
        entries.append((0x0112, 3, 1, struct.pack("<HH", orientation, 0)))
    gps_offset = 8 + 2 + 12 * (len(entries) + int(gps)) + 4
    if gps:
        entries.append((0x8825, 4, 1, struct.pack("<I", gps_offset)))
    ifd0 = struct.pack("<H", len(entries))
    for tag, kind, count, value in entries:
        ifd0 += struct.pack("<HHI", tag, kind, count) + value
    ifd0 += b"\x00\x00\x00\x00"
    gps_ifd = b""
    if gps:
        # GPSLatitudeRef "N" and a marker string standing in for the coordinates.
        gps_ifd = struct.pack("<H", 1) + struct.pack("<HHI", 0x0001, 2, 2) + b"N\x00\x00\x00" + b"\x00" * 4
        gps_ifd += b"GPS 31.2304N 121.4737E"
    return b"Exif\x00\x00" + b"II*\x00" + struct.pack("<I", 8) + ifd0 + gps_ifd


DQT = segment(0xDB, b"\x00" + bytes(range(1, 65)))
SOF0 = segment(0xC0, b"\x08\x00\x01\x00\x01\x01\x01\x11\x00")
DHT = segment(0xC4, b"\x00" + b"\x01" + b"\x00" * 15 + b"\x00")
SOS = segment(0xDA, b"\x01\x01\x00\x00\x3f\x00")
ENTROPY = b"\x12\x34\xff\x00\x56\xff\xd0\x78\x9a"  # a stuffed FF00 and a restart marker inside the scan


def jpeg(*app_segments: bytes, trailer: bytes = b"") -> bytes:
    return b"\xff\xd8" + b"".join(app_segments) + DQT + SOF0 + DHT + SOS + ENTROPY + b"\xff\xd9" + trailer


JFIF = segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
ICC = segment(0xE2, b"ICC_PROFILE\x00\x01\x01" + b"profile-bytes")
XMP = segment(
    0xE1, b"http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta><exif:GPSLatitude>31,13.8N</exif:GPSLatitude></x:xmpmeta>"
)
COMMENT = segment(0xFE, b"taken at 12 Example Road")


def jpeg_segments(data: bytes) -> list[tuple[int, bytes]]:
    """(marker, payload) of every segment up to the start of scan."""
    out, i = [], 2
    while data[i] == 0xFF and data[i + 1] != 0xDA:
        length = struct.unpack(">H", data[i + 2 : i + 4])[0]
        out.append((data[i + 1], data[i + 4 : i + 2 + length]))
        i += 2 + length
    return out


def ooxml(
    main_type: str, main_part: str, extra: dict[str, bytes] | None = None, extra_types: str = "", declared: str = ""
) -> bytes:
    content_types = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/{declared or main_part}" ContentType="{main_type}"/>{extra_types}</Types>'
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", content_types)
        archive.writestr("_rels/.rels", "<Relationships/>")
        archive.writestr(main_part, "<document/>")
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


WORD_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
EXCEL_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
POWERPOINT_MAIN = "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"


def docx() -> bytes:
    return ooxml(WORD_MAIN, "word/document.xml")


def xlsx() -> bytes:
    return ooxml(EXCEL_MAIN, "xl/workbook.xml")


def pptx() -> bytes:
    return ooxml(POWERPOINT_MAIN, "ppt/presentation.xml")


def cfb(*names: tuple[str, int]) -> bytes:
    """A Compound File (OLE2, [MS-CFB] version 3) whose directory holds these (name, type) entries."""
    entries = [("Root Entry", 5), *names]
    directory = b""
    for name, kind in entries:
        encoded = (name + "\x00").encode("utf-16-le")
        directory += encoded.ljust(64, b"\x00") + struct.pack("<HBB", len(encoded), kind, 1)
        directory += struct.pack("<III", 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF) + b"\x00" * 36
        directory += struct.pack("<II", 0xFFFFFFFE, 0) + b"\x00" * 4
    directory = directory.ljust(-(-len(directory) // 512) * 512, b"\x00")
    directory_sectors = len(directory) // 512
    fat = [0xFFFFFFFD] + [n + 2 for n in range(1, directory_sectors)] + [0xFFFFFFFE]
    fat_sector = struct.pack(f"<{len(fat)}I", *fat).ljust(512, b"\xff")
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 16
    header += struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + b"\x00" * 6
    header += struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, 0xFFFFFFFE, 0, 0xFFFFFFFE, 0)
    header += struct.pack("<I", 0) + b"\xff" * (109 * 4 - 4)
    assert len(header) == 512
    return header + fat_sector + directory


# --- recognising types --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "name", "expected"),
    [
        (png(), "照片.png", PNG),
        (jpeg(JFIF), "IMG_0001.JPG", JPEG),
        (jpeg(JFIF), "photo.jpeg", JPEG),
        (b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "动图.gif", GIF),
        (b"GIF87a\x01\x00\x01\x00\x00\x00\x00;", "old.gif", GIF),
        (b"RIFF\x1a\x00\x00\x00WEBPVP8L\x0e\x00\x00\x00\x2f\x00\x00\x00\x00" + b"\x00" * 10, "pic.webp", WEBP),
        (b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", "春游通知.pdf", PDF),
        (docx(), "家长会.docx", DOCX),
        (xlsx(), "名单.xlsx", XLSX),
        (pptx(), "课件.pptx", PPTX),
        (cfb(("WordDocument", 2), ("1Table", 2)), "旧通知.doc", DOC),
        (cfb(("Workbook", 2)), "old.xls", XLS),
        (cfb(("Book", 2)), "excel95.xls", XLS),
        (cfb(("PowerPoint Document", 2), ("Current User", 2)), "old.ppt", PPT),
    ],
)
def test_allowed_types_are_recognised_from_their_bytes(data, name, expected):
    assert sniff(data, name) == expected
    assert check_upload(data, name) == expected


def test_real_xls_written_by_xlwt_is_recognised():
    xlwt = pytest.importorskip("xlwt")
    book = xlwt.Workbook()
    book.add_sheet("名单").write(0, 0, "张三")
    buffer = io.BytesIO()
    book.save(buffer)
    assert check_upload(buffer.getvalue(), "名单.xls") == XLS


def test_file_kind_tells_images_apart():
    assert PNG.is_image and not PDF.is_image
    assert isinstance(DOCX, FileKind) and DOCX.kind == "office" and DOCX.extension == "docx"


def test_a_file_without_extension_is_judged_by_its_bytes():
    assert check_upload(png(), "微信图片") == PNG


def refusal(data: bytes, name: str, **kwargs) -> UploadRefused:
    with pytest.raises(UploadRefused) as caught:
        check_upload(data, name, **kwargs)
    assert str(caught.value) == caught.value.message
    return caught.value


def test_svg_with_script_is_refused():
    svg = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    assert refusal(svg, "logo.svg").code == "svg"
    assert refusal(svg.split(b"\n", 1)[1], "logo.png").code == "svg"


def test_html_named_jpg_is_refused():
    page = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
    error = refusal(page, "photo.jpg")
    assert error.code == "html"
    assert "HTML" in str(error)
    assert refusal(b"\xef\xbb\xbf  <script>alert(1)</script>", "a.pdf").code == "html"
    assert refusal("<html>".encode("utf-16"), "a.jpg").code == "html"


def test_gif_html_polyglot_is_refused():
    # Decision: the GIF header makes browsers treat it as an image, but an old viewer or a page
    # that loads it as HTML would run the script; a real photo never contains page markup.
    polyglot = b"GIF89a/*\x01\x00\x01\x00\x00\x00\x00;*/=1;<html><body><script>alert(1)</script></body></html>"
    assert refusal(polyglot, "smile.gif").code == "polyglot"
    assert refusal(png(png_chunk(b"tEXt", b"Comment\x00<script>alert(1)</script>")), "a.png").code == "polyglot"
    assert refusal(png(trailer=b"<html><script>alert(1)</script>"), "a.png").code == "polyglot"


def test_macro_enabled_office_files_are_refused():
    xlsm = ooxml(
        "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
        "xl/workbook.xml",
        extra={"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0vba"},
        extra_types='<Override PartName="/xl/vbaProject.bin" ContentType="application/vnd.ms-office.vbaProject"/>',
    )
    assert refusal(xlsm, "成绩.xlsm").code == "macros"
    assert refusal(xlsm, "成绩.xlsx").code == "macros"
    docm = ooxml("application/vnd.ms-word.document.macroEnabled.main+xml", "word/document.xml")
    assert refusal(docm, "a.docx").code == "macros"
    hidden = ooxml(WORD_MAIN, "word/document.xml", extra={"word/VBAPROJECT.BIN": b"x"})
    assert refusal(hidden, "a.docx").code == "macros"
    activex = ooxml(WORD_MAIN, "word/document.xml", extra={"word/activeX/activeX1.xml": b"<ax/>"})
    assert refusal(activex, "a.docx").code == "macros"
    assert refusal(cfb(("WordDocument", 2), ("Macros", 1)), "a.doc").code == "macros"
    assert refusal(cfb(("Workbook", 2), ("_VBA_PROJECT_CUR", 1)), "a.xls").code == "macros"


def test_other_ole2_files_are_refused():
    assert refusal(cfb(("\u4840\u3b3f\u4577", 2), ("SummaryInformation", 2)), "setup.doc").code == "type"  # an .msi
    assert refusal(cfb(("EncryptionInfo", 2), ("EncryptedPackage", 2)), "密码.docx").code == "encrypted"
    assert refusal(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "cut.doc").code == "damaged"


def test_archives_that_are_not_office_documents_are_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("作业/第一课.docx", b"x")
    assert refusal(buffer.getvalue(), "作业.zip").code == "archive"
    assert refusal(buffer.getvalue(), "作业.docx").code == "archive"
    assert refusal(b"Rar!\x1a\x07\x01\x00" + b"\x00" * 20, "a.rar").code == "archive"
    assert refusal(b"7z\xbc\xaf\x27\x1c" + b"\x00" * 20, "a.7z").code == "archive"
    assert refusal(b"\x1f\x8b\x08\x00" + b"\x00" * 20, "a.gz").code == "archive"
    odt = io.BytesIO()
    with zipfile.ZipFile(odt, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", "<office:document-content/>")
    assert refusal(odt.getvalue(), "a.odt").code == "type"


def test_zip_bombs_and_tricks_are_refused_before_unzipping():
    many = io.BytesIO()
    with zipfile.ZipFile(many, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        for n in range(5_001):
            archive.writestr(f"word/media/{n}.xml", b"")
    assert refusal(many.getvalue(), "a.docx").code == "zip_bomb"
    bomb = ooxml(WORD_MAIN, "word/document.xml", extra={"word/media/zeros.bin": b"\x00" * (5 * 1024 * 1024)})
    assert len(bomb) < 100_000
    assert refusal(bomb, "a.docx").code == "zip_bomb"
    no_types = ooxml(WORD_MAIN, "word/document.xml").replace(b"[Content_Types].xml", b"[Content_Types].xmX")
    assert refusal(no_types, "a.docx").code == "archive"
    dtd = io.BytesIO()
    with zipfile.ZipFile(dtd, "w") as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><!DOCTYPE t [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><Types>&b;</Types>',
        )
        archive.writestr("word/document.xml", "<document/>")
    assert refusal(dtd.getvalue(), "a.docx").code == "zip_bomb"
    assert refusal(b"PK\x03\x04" + b"\x00" * 40, "a.docx").code == "damaged"


def test_ooxml_main_part_must_live_where_its_type_says():
    misplaced = ooxml(WORD_MAIN, "xl/document.xml")
    assert refusal(misplaced, "a.docx").code == "damaged"
    missing = ooxml(WORD_MAIN, "word/document.xml", declared="word/other.xml")
    assert refusal(missing, "a.docx").code == "damaged"


def test_programs_are_refused():
    assert refusal(b"MZ\x90\x00" + b"\x00" * 60, "成绩.pdf").code == "program"
    assert refusal(b"\x7fELF\x02\x01\x01" + b"\x00" * 40, "a.png").code == "program"
    assert refusal(b"#!/bin/sh\nrm -rf /\n", "a.txt", allowed_kinds=("text",)).code == "program"


def test_heic_gets_a_helpful_refusal():
    heic = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 40
    assert refusal(heic, "IMG_0001.HEIC").code == "heic"


def test_unknown_bytes_are_refused_listing_what_is_allowed():
    error = refusal(b"\x00\x01\x02 some binary", "data.bin")
    assert error.code == "type"
    assert (
        str(error)
        == "This type of file cannot be attached. You can attach: images (JPEG, PNG, GIF, WebP), PDF, Word, Excel, PowerPoint."
    )
    only_images = refusal(b"%PDF-1.7\n", "a.pdf", allowed_kinds=("image",))
    assert str(only_images) == "This type of file cannot be attached. You can attach: images (JPEG, PNG, GIF, WebP)."


def test_empty_file_is_refused():
    assert refusal(b"", "a.pdf").code == "empty"


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b"%PDF-1.4\n%%EOF", "photo.jpg"),
        (png(), "通知.pdf"),
        (docx(), "名单.xlsx"),
        (xlsx(), "课件.pptx"),
        (png(), "setup.exe"),
        (png(), "page.html"),
        (jpeg(JFIF), "photo.svg"),
        (b"%PDF-1.4\n%%EOF", "report.pdf.exe"),
    ],
)
def test_name_that_contradicts_the_bytes_is_refused(data, name):
    error = refusal(data, name)
    assert error.code == "mismatch"
    assert "name" in str(error)


@pytest.mark.parametrize(
    ("data", "name", "expected"),
    [
        (png(), "screenshot.jpg", PNG),
        (jpeg(JFIF), "a.png", JPEG),
        (docx(), "a.doc", DOCX),
        (cfb(("Workbook", 2)), "a.xlsx", XLS),
    ],
)
def test_other_spelling_within_one_family_is_no_disguise(data, name, expected):
    # Phones and chat apps save PNG screenshots as .jpg; WPS users rename .docx to .doc. The file
    # is stored and served as what its bytes are (the returned extension and mime).
    assert check_upload(data, name) == expected


def test_text_files_only_when_asked_for_and_named_so():
    assert check_upload("姓名,电话\n张三,138\n".encode(), "名单.csv", allowed_kinds=("text",)).mime == "text/csv"
    assert check_upload("说明".encode("gb18030"), "说明.txt", allowed_kinds=("text",)).extension == "txt"
    assert refusal(b"a,b\n", "a.csv").code == "type"
    assert refusal(b"plain words", "a.jpg", allowed_kinds=("image", "text")).code == "type"
    assert refusal(b"a\x00b\x01", "a.txt", allowed_kinds=("text",)).code == "type"


def test_size_limit_names_the_limit_in_megabytes():
    limit = 20 * 1024 * 1024
    error = refusal(b"%PDF-" + b"\x00" * limit, "big.pdf")
    assert error.code == "too_large"
    assert "20 MB" in str(error)
    assert check_upload(b"%PDF-" + b"\x00" * (limit - 5), "exact.pdf") == PDF
    assert "1.5 MB" in str(refusal(png() + b"\x00" * (3 * 512 * 1024), "a.png", max_bytes=3 * 512 * 1024))


# --- names --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\win.ini", "win.ini"),
        ("..\\x", "x"),
        ("C:\\Users\\老师\\Desktop\\春游通知.pdf", "春游通知.pdf"),
        ("春游通知.pdf", "春游通知.pdf"),
        ("evil.php\x00.jpg", "evil.php.jpg"),
        ("a\r\nContent-Type: text.pdf", "aContent-Type: text.pdf"),
        ("invoice\u202egpj.exe", "invoicegpj.exe"),
        ("\u2066photo\u2069\u200f.png", "photo.png"),
        ("  spaced \t\u3000 out  .docx", "spaced out.docx"),
        (".htaccess", "htaccess"),
        ("...", "file"),
        ("", "file"),
        ("../", "file"),
        ("\x00\x01", "file"),
        ("全角　名字（一）.xlsx", "全角 名字（一）.xlsx"),
        ("e\u0301cole.pdf", "\u00e9cole.pdf"),
    ],
)
def test_safe_filename(raw, clean):
    assert safe_filename(raw) == clean


def test_safe_filename_keeps_the_extension_within_100_characters():
    long = safe_filename("长" * 1000 + ".pdf")
    assert len(long) == 100 and long.endswith(".pdf") and long.startswith("长长")
    assert len(safe_filename("x" * 1000)) == 100
    weird_extension = safe_filename("a." + "b" * 500)
    assert len(weird_extension) == 100


def test_content_disposition_with_chinese_name():
    header = content_disposition("春游通知.pdf", inline=False)
    assert header == "attachment; filename=\"file.pdf\"; filename*=UTF-8''%E6%98%A5%E6%B8%B8%E9%80%9A%E7%9F%A5.pdf"
    assert content_disposition("照片 1.jpg", inline=True).startswith("inline; filename=\"1.jpg\"; filename*=UTF-8''")


def test_content_disposition_cannot_be_broken_by_the_name():
    header = content_disposition('a"b;c%41\r\nSet-Cookie: x=1\r\n.pdf', inline=False)
    assert "\r" not in header and "\n" not in header
    found = re.search(r'filename="([^"]*)"', header)
    assert found is not None
    fallback = found.group(1)
    assert fallback == "a_b_c_41Set-Cookie_ x=1.pdf"
    assert header.count('"') == 2
    encoded = header.split("filename*=UTF-8''", 1)[1]
    assert re.fullmatch(r"[A-Za-z0-9%._~-]+", encoded)
    assert content_disposition("résumé.pdf", inline=False).startswith('attachment; filename="resume.pdf"')


# --- metadata -----------------------------------------------------------------------------------


def test_jpeg_loses_exif_gps_xmp_and_comments_but_keeps_orientation_and_colour():
    original = jpeg(
        JFIF, segment(0xE1, exif_payload(orientation=6)), XMP, ICC, COMMENT, trailer=b"\xff\xd8appended-video"
    )
    assert b"GPS 31.2304N" in original
    stripped = strip_image_metadata(original)
    assert b"GPS" not in stripped and b"ACME" not in stripped and b"xmpmeta" not in stripped
    assert b"Example Road" not in stripped and b"appended-video" not in stripped
    segments = jpeg_segments(stripped)
    assert [marker for marker, _payload in segments] == [0xE0, 0xE1, 0xE2, 0xDB, 0xC0, 0xC4]
    exif = segments[1][1]
    assert exif.startswith(b"Exif\x00\x00MM\x00*") and len(exif) == 32
    assert exif[6 + 8 : 6 + 10] == b"\x00\x01" and exif[6 + 10 : 6 + 12] == b"\x01\x12"
    assert struct.unpack(">H", exif[6 + 18 : 6 + 20])[0] == 6
    assert stripped.endswith(DQT + SOF0 + DHT + SOS + ENTROPY + b"\xff\xd9")
    assert strip_image_metadata(stripped) == stripped


def test_jpeg_without_orientation_gets_no_exif_at_all():
    stripped = strip_image_metadata(jpeg(segment(0xE1, exif_payload(orientation=None)), JFIF))
    assert [marker for marker, _payload in jpeg_segments(stripped)] == [0xE0, 0xDB, 0xC0, 0xC4]
    assert b"Exif" not in stripped
    upright = strip_image_metadata(jpeg(JFIF, segment(0xE1, exif_payload(orientation=1))))
    assert b"Exif" not in upright


def test_jpeg_metadata_after_the_first_scan_is_found_too():
    progressive = jpeg(JFIF).removesuffix(b"\xff\xd9") + COMMENT + SOS + b"\x01\x02" + b"\xff\xd9"
    stripped = strip_image_metadata(progressive)
    assert b"Example Road" not in stripped
    assert stripped.endswith(SOS + b"\x01\x02\xff\xd9")


def test_damaged_jpeg_is_refused_rather_than_passed_on():
    broken = b"\xff\xd8" + b"\xff\xe1\xff\xff" + b"Exif\x00\x00short"
    with pytest.raises(UploadRefused):
        strip_image_metadata(broken)
    with pytest.raises(UploadRefused):
        strip_image_metadata(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00garbage")


def test_png_loses_exif_and_text_chunks_and_keeps_the_rest_byte_for_byte():
    exif = png_chunk(b"eXIf", exif_payload()[6:])
    texts = [
        png_chunk(b"tEXt", b"Location\x00Example Primary School"),
        png_chunk(b"iTXt", b"XML:com.adobe.xmp\x00\x00\x00\x00\x00<x:xmpmeta>GPS</x:xmpmeta>"),
        png_chunk(b"zTXt", b"Comment\x00\x00" + zlib.compress(b"secret")),
        png_chunk(b"tIME", b"\x07\xe8\x06\x01\x0c\x00\x00"),
    ]
    gamma = png_chunk(b"gAMA", struct.pack(">I", 45455))
    original = png(exif, *texts, gamma, trailer=b"after the end")
    stripped = strip_image_metadata(original)
    assert stripped == png(gamma)
    assert strip_image_metadata(stripped) == stripped


def test_truncated_png_is_refused():
    with pytest.raises(UploadRefused):
        strip_image_metadata(png()[:-20])


def test_webp_loses_exif_and_xmp_chunks():
    def chunk(fourcc: bytes, data: bytes) -> bytes:
        return fourcc + struct.pack("<I", len(data)) + data + (b"\x00" if len(data) % 2 else b"")

    body = chunk(b"VP8X", b"\x0c\x00\x00\x00" + b"\x00" * 6) + chunk(b"VP8L", b"\x2f\x00\x00\x00\x00")
    body += chunk(b"EXIF", exif_payload()[6:]) + chunk(b"XMP ", b"<x:xmpmeta>GPS</x:xmpmeta>")
    original = b"RIFF" + struct.pack("<I", len(body) + 4) + b"WEBP" + body
    stripped = strip_image_metadata(original)
    assert b"GPS" not in stripped and b"EXIF" not in stripped
    assert stripped[20] == 0x00  # the VP8X flags no longer announce EXIF or XMP
    assert struct.unpack("<I", stripped[4:8])[0] == len(stripped) - 8
    assert check_upload(stripped, "a.webp") == WEBP


def test_other_data_is_returned_unchanged():
    assert strip_image_metadata(b"GIF89a...") == b"GIF89a..."
    assert strip_image_metadata(b"%PDF-1.4") == b"%PDF-1.4"
