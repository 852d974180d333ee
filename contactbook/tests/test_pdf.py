"""The 家校联系册 as PDF (R32): one student's book and a whole class's, staff-only, logged.

The PDFs are checked as a reader would meet them: the text layer (Debian's ``pdftotext``) holds the
Chinese names and what was recorded, a CJK font is embedded, and page 1 rendered to an image
(``pdftoppm``) has ink on it. Without WeasyPrint/Pango or poppler-utils those checks are skipped
with the reason, except under CI (the CI variable is set), where they must run.
"""

import datetime
import os
import re
import shutil
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.models import AuditEntry
from contactbook.models import CareCase, ContactRecord
from schools.models import Student

from .test_contactbook import record

pytestmark = pytest.mark.usefixtures("unscoped")
TODAY = timezone.localdate()


def _need(reason: str | None) -> None:
    if reason is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI is set, so the PDF export must be tested here")
    pytest.skip(reason)


def need_weasyprint() -> None:
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError) as exc:
        _need(f"WeasyPrint or Pango is not installed ({exc}): pip install -r requirements.txt")
    else:
        _need(None)


def need_poppler() -> None:
    missing = [tool for tool in ("pdftotext", "pdftoppm") if shutil.which(tool) is None]
    _need(f"{', '.join(missing)} missing: apt-get install poppler-utils" if missing else None)


def pdf_text(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "book.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True, timeout=60).stdout.decode()


def pdf_objects(data: bytes) -> bytes:
    """The PDF with its compressed streams (object streams included) inflated, to look for names."""
    parts = [data]
    for match in re.finditer(rb"stream\r?\n", data):
        start = match.end()
        end = data.find(b"endstream", start)
        try:
            parts.append(zlib.decompressobj().decompress(data[start:end]))
        except zlib.error:
            continue
    return b"\n".join(parts)


def png_ink(path: Path) -> float:
    """The share of pixels of a PNG that are not near-white (PNG decoded with the standard library)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat = 8, b""
    width = height = depth = color = 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, color = struct.unpack(">IIBB", body[:10])
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    assert depth == 8 and color in (0, 2, 4, 6), (depth, color)
    bpp = {0: 1, 2: 3, 4: 2, 6: 4}[color]
    raw = zlib.decompress(idat)
    stride = width * bpp
    previous = bytearray(stride)
    inked = 0
    for y in range(height):
        kind_of_filter = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - bpp] if i >= bpp else 0
            up = previous[i]
            if kind_of_filter == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind_of_filter == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind_of_filter == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind_of_filter == 4:
                up_left = previous[i - bpp] if i >= bpp else 0
                p = left + up - up_left
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - up_left)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else up_left)) & 0xFF
        channels = 3 if color in (2, 6) else 1
        inked += sum(1 for x in range(0, stride, bpp) if min(line[x : x + channels]) < 160)
        previous = line
    return inked / (width * height)


def render_page_one(data: bytes, tmp_path: Path, name: str) -> Path:
    source = tmp_path / f"{name}.pdf"
    source.write_bytes(data)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", "-singlefile", str(source), str(tmp_path / name)],
        check=True,
        timeout=60,
    )
    return tmp_path / f"{name}.png"


def build_book(cast) -> ContactRecord:
    """A term's contacts made the way teachers and families make them: through the pages."""
    teacher = cast.client(cast.ms_li)
    response = record(
        teacher,
        students=[cast.alice_child.pk],
        shared="on",
        participants="班主任李老师、母亲刘爱丽",
        summary="数学单元测验进步明显；晚上看电视偏久，作息需要调整。",
        parent_summary="小明最近很努力，请继续保持早睡。",
        topics=["learning", "praise"],
        action="每周三电话沟通作息",
        action_due=(TODAY + datetime.timedelta(days=7)).isoformat(),
        follow_up_on=(TODAY + datetime.timedelta(days=14)).isoformat(),
    )
    assert response.status_code == 302
    shared = ContactRecord.objects.get()
    cast.client(cast.alice).post(f"/family/records/{shared.pk}/ack/", {"reply": "谢谢老师，我们会配合。"})
    record(teacher, students=[cast.bob_child.pk], kind="phone", summary="了解陈小红在家的阅读情况。")
    record(teacher, whole_class=cast.class1.pk, kind="other", summary="全班集体引导：课间安全。")
    # A care case is never in the PDF, not even that there is one.
    teacher.post(f"/students/{cast.alice_child.pk}/care/new/", {"concern": "mental_health", "description": "情绪低落"})
    assert CareCase.objects.exists()
    return shared


def test_student_and_class_books_read_like_a_paper_contact_book(cast, tmp_path):
    need_weasyprint()
    need_poppler()
    build_book(cast)
    teacher = cast.client(cast.ms_li)

    student = teacher.get(f"/students/{cast.alice_child.pk}/contactbook.pdf")
    klass = teacher.get(f"/classes/{cast.class1.pk}/contactbook.pdf")
    for response in (student, klass):
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response["Cache-Control"] == "private, no-store"
        assert response["Content-Disposition"].startswith("attachment; ")
        assert "%E5%AE%B6%E6%A0%A1%E8%81%94%E7%B3%BB%E5%86%8C" in response["Content-Disposition"]  # 家校联系册
        assert response.content.startswith(b"%PDF-")

    text = pdf_text(student.content, tmp_path)
    for expected in ("家校联系册", "阳光小学", "三年级1班", "刘小明", "刘爱丽", "李老师"):
        assert expected in text, expected
    assert re.search(r"第\s*1\s*页", text)  # the page number in the footer
    # The staff summary, the family-facing summary and the family's reply, the agreed action.
    for expected in ("作息需要调整", "请继续保持早睡", "我们会配合", "每周三电话沟通作息", "已与家长共享"):
        assert expected in text, expected
    assert "陈小红" not in text  # another child's record stays in that child's book
    assert "情绪低落" not in text and "关注" not in text  # nothing of the care case

    text = pdf_text(klass.content, tmp_path)
    cover_and_contents = ("家校联系册", "目录", "班主任", "李老师", "刘小明", "陈小红")
    for expected in (*cover_and_contents, "阅读情况", "全班集体指导", "课间安全"):
        assert expected in text, expected
    assert "情绪低落" not in text and "关注" not in text

    for response in (student, klass):
        objects = pdf_objects(response.content)
        assert re.search(rb"/FontFile[23]?\b", objects), "no embedded font program"
        assert re.search(rb"/FontName\s*/[A-Z]{6}\+Noto-S[a-z]+-CJK-SC", objects), "no embedded CJK font"

    for name, response in (("student", student), ("class", klass)):
        ink = png_ink(render_page_one(response.content, tmp_path, name))
        assert 0.005 < ink < 0.5, f"page 1 of the {name} PDF looks blank or black: {ink:.3%} inked"

    exports = AuditEntry.objects.filter(action="export", summary="contact book PDF", actor=cast.ms_li)
    assert {(e.target_type, e.target_id) for e in exports} == {
        ("student", str(cast.alice_child.pk)),
        ("schoolclass", str(cast.class1.pk)),
    }
    assert all(e.school_id == cast.school.pk and e.detail["format"] == "pdf" for e in exports)


def test_who_may_export_and_who_is_refused(cast):
    need_weasyprint()
    build_book(cast)
    student_url = f"/students/{cast.alice_child.pk}/contactbook.pdf"
    class_url = f"/classes/{cast.class1.pk}/contactbook.pdf"
    # The subject teacher may export a student of the class, not the class's book.
    # Internal summaries are for the head teacher, designated staff and admins only.
    assert cast.client(cast.mr_wang).get(student_url).status_code == 404
    assert cast.client(cast.mr_wang).get(class_url).status_code == 404
    assert cast.client(cast.admin_zhang).get(class_url).status_code == 200
    # Families (even the child's own: the book holds the staff summaries) and another school: nothing.
    for who in (cast.alice, cast.bob, cast.carol, cast.dave, cast.erin):
        for url in (student_url, class_url):
            response = cast.client(who).get(url)
            assert response.status_code == 404, (who, url)
            assert not response.content.startswith(b"%PDF")
    # Another class's head teacher's student: not ms_li's.
    assert cast.client(cast.ms_li).get(f"/students/{cast.carol_child.pk}/contactbook.pdf").status_code == 404
    assert cast.client(cast.dave).get(f"/classes/{cast.class_b.pk}/contactbook.pdf").status_code == 200
    response = cast.client().get(class_url)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    refused_ids = {cast.alice.pk, cast.bob.pk, cast.carol.pk, cast.erin.pk}
    assert not AuditEntry.objects.filter(action="export", actor_id__in=refused_ids).exists()
    assert not AuditEntry.objects.filter(action="export", actor=cast.dave, school=cast.school).exists()


def test_without_weasyprint_the_export_answers_503_and_writes_nothing(cast, monkeypatch):
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # `import weasyprint` now raises ImportError
    teacher = cast.client(cast.ms_li)
    for url in (f"/students/{cast.alice_child.pk}/contactbook.pdf", f"/classes/{cast.class1.pk}/contactbook.pdf"):
        response = teacher.get(url)
        assert response.status_code == 503
        body = response.content.decode()
        assert "PDF 导出暂时不可用" in body and "WeasyPrint" in body and "Pango" in body
    assert not AuditEntry.objects.filter(action="export").exists()
    # Refusals stay refusals: nobody learns through a 503 that an id exists.
    assert cast.client(cast.mr_wang).get(f"/classes/{cast.class1.pk}/contactbook.pdf").status_code == 404


def test_the_class_book_reads_a_fixed_number_of_queries(cast):
    from contactbook.pdf import class_context

    def queries_for_class() -> int:
        with CaptureQueriesContext(connection) as queries:
            context = class_context(cast.class1, cast.term)
            for book in context["books"]:  # everything the template reads
                for entry in book.entries:
                    _ = [entry.record.author.display_name, *(a.owner.display_name for a in entry.actions)]
        return len(queries)

    teacher = cast.client(cast.ms_li)
    build_book(cast)
    few = queries_for_class()
    for i in range(12):
        s = Student.objects.create(
            school=cast.school, name=f"学生{i}", student_number=f"X{i:03d}", school_class=cast.class1
        )
        record(
            teacher,
            students=[s.pk],
            action=f"事项{i}",
            shared="on",
            parent_summary="谢谢配合",
            summary=f"第{i}次",
        )
    assert ContactRecord.objects.count() > 12
    assert queries_for_class() == few
