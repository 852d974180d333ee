"""The yearly summary (学年家校工作总结, issue 15): Tongxin drafts its sections from the year's records,
each figure with its source; the admin edits sections in the browser and issues the final .docx
and PDF, which are kept. The same draft comes from ``manage.py yearly_summary``."""

import base64
import datetime
import io
import subprocess
import tempfile
from pathlib import Path

import docx
import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from pypdf import PdfReader

from audit.models import AuditEntry
from community.models import school_year_of
from conftest import zh
from contactbook.models import ContactRecord, ContactStudent
from events.models import Attendance, Event, Reflection
from notices.models import Notice, Receipt
from plans.actions import do_adopt_template
from plans.models import PlanTask
from reports import summary as summaries
from reports.actions import do_draft_summary
from reports.models import Commendation, YearlySummary
from schools.models import Guardian, SchoolClass, Student

pytestmark = pytest.mark.usefixtures("unscoped")


def past(days: int) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=days)


def year_of(cast) -> int:
    return school_year_of(cast.term)


def recorded_year(cast) -> dict:
    """A year of records in school A: the plan adopted with class 1's first task done; ms_li's
    contact with 刘小明's family; a parent meeting alice came to (bob did not); a parent-school
    session with alice's excellent reflection; a notice both families got and alice read and
    confirmed; a commendation. School B has records too, which never show."""
    plan = do_adopt_template(cast.term, acting_user=cast.admin_zhang)
    class_task = PlanTask.objects.filter(plan=plan, school_class=cast.class1).order_by("month", "id").first()
    PlanTask.objects.filter(pk=class_task.pk).update(status=PlanTask.Status.DONE)
    record = ContactRecord.objects.create(
        school=cast.school,
        term=cast.term,
        author=cast.ms_li,
        kind="phone",
        occurred_on=timezone.localdate(),
        summary="=1+2 谈了作业",
    )
    ContactStudent.objects.create(school=cast.school, record=record, student=cast.alice_child)
    guardians = {u: Guardian.objects.get(user=u) for u in (cast.alice, cast.bob)}

    def event(kind, title, days):
        notice = Notice.objects.create(
            school=cast.school,
            author=cast.ms_li,
            title=title,
            body_html="x",
            status="published",
            published_at=past(days + 5),
        )
        e = Event.objects.create(
            school=cast.school,
            author=cast.ms_li,
            kind=kind,
            title=title,
            starts_at=past(days),
            ends_at=past(days) + datetime.timedelta(hours=1),
            notice=notice,
            minutes="讨论了期中复习",
        )
        receipts = {
            u: Receipt.objects.create(school=cast.school, notice=notice, guardian=g) for u, g in guardians.items()
        }
        return e, receipts

    meeting, receipts = event(Event.Kind.PARENT_MEETING, "期中家长会", 3)
    Attendance.objects.create(
        school=cast.school, event=meeting, receipt=receipts[cast.alice], status="present", method="code"
    )
    Attendance.objects.create(
        school=cast.school, event=meeting, receipt=receipts[cast.bob], status="absent", method="roll_call"
    )
    lecture, lecture_receipts = event(Event.Kind.PARENT_SCHOOL, "家长学校：亲子沟通", 2)
    Attendance.objects.create(
        school=cast.school, event=lecture, receipt=lecture_receipts[cast.alice], status="late", method="code"
    )
    Reflection.objects.create(
        school=cast.school, event=lecture, receipt=lecture_receipts[cast.alice], text="很有收获", excellent=True
    )
    Receipt.objects.filter(notice=meeting.notice, guardian=guardians[cast.alice]).update(
        read_at=past(1), acted_at=past(1)
    )
    Notice.objects.filter(pk=meeting.notice_id).update(action=Notice.Action.RSVP)
    Commendation.objects.create(
        school=cast.school,
        term=cast.term,
        kind="family",
        guardian=guardians[cast.alice],
        name="刘爱丽",
        award="优秀家长",
        citation="积极参与",
        created_by=cast.admin_zhang,
    )
    ContactRecord.objects.create(
        school=cast.school_b, term=cast.term, author=cast.dave, kind="phone", occurred_on=timezone.localdate()
    )
    return {"plan": plan, "class_task": class_task, "meeting": meeting}


def sections_by_key(sections) -> dict:
    return {s["key"]: s for s in sections}


def figure(section: dict, label: str) -> dict:
    return next(f for f in section["figures"] if f["label"] == zh(label))


def test_the_draft_holds_the_years_figures_each_with_its_source(school_day, cast):
    recorded_year(cast)
    client = cast.client(cast.admin_zhang)
    response = client.post("/api/v1/reports/summaries", {"year": year_of(cast)}, content_type="application/json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["label"] == f"{year_of(cast)}—{year_of(cast) + 1}学年"
    s = sections_by_key(data["sections"])
    assert list(s) == ["plan", "contacts", "rhythm", "meetings", "parent_school", "evaluation", "notices", "highlights"]
    tasks = (
        PlanTask.objects.filter(plan__term=cast.term)
        .exclude(school_class__isnull=True, owner_kind__in=["all_heads", "grade_heads"])
        .count()
    )
    assert figure(s["plan"], "Plan tasks")["value"] == str(tasks)
    assert figure(s["plan"], "Done")["value"].startswith("1（")
    assert "学期计划" in figure(s["plan"], "Plan tasks")["source"]
    # Per class: class 1 has its one task done; class 2 none.
    classes = {row[0]: row for row in s["plan"]["table"]["classes"]}
    assert classes["三年级1班"][2] == 1 and classes["三年级2班"][2] == 0
    # Contact coverage: 1 of 2 students of class 1, 0 of 1 of class 2; school B's record is not counted.
    assert figure(s["contacts"], "Students reached")["value"] == "1 / 3（33%）"
    coverage = {row[0]: row for row in s["contacts"]["table"]["rows"]}
    assert coverage["三年级1班"][1:4] == [2, 1, "50%"]
    assert coverage["三年级2班"][1:4] == [1, 0, "0%"]
    assert figure(s["meetings"], "Held")["value"] == "1"
    assert figure(s["meetings"], "Families invited")["value"] == "2"
    assert figure(s["meetings"], "Families attended")["value"] == "1（50%）"
    assert figure(s["parent_school"], "Reflections written (excellent)")["value"] == "1（1）"
    assert figure(s["notices"], "Notices")["value"] == "2"
    assert figure(s["notices"], "Read")["value"] == "1 / 4（25%）"
    assert figure(s["notices"], "Confirmed or answered")["value"] == "1 / 2（50%）"
    assert figure(s["highlights"], "Commendations")["value"] == "1"
    assert s["highlights"]["table"]["rows"][-1][1:] == ["优秀家长", "刘爱丽"]
    assert all(f["source"] for section in data["sections"] for f in section["figures"])
    assert AuditEntry.objects.filter(action=AuditEntry.Action.SUMMARY_DRAFTED, school=cast.school).count() == 1


def test_the_admin_edits_a_section_in_the_browser_and_issues_the_final_version(school_day, cast):
    recorded_year(cast)
    client = cast.client(cast.admin_zhang)
    response = client.post("/reports/summary/draft/", {"year": year_of(cast)})
    summary = YearlySummary.objects.get(school=cast.school)
    assert response.status_code == 302 and response["Location"] == f"/reports/summary/{summary.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert zh("The contact book: coverage per class") in page and "三年级1班" in page
    response = client.post(
        f"/reports/summary/{summary.pk}/sections/contacts/",
        {"text": "本学年班主任普遍开展了电话家访。\n下学期要覆盖全体学生。", "version": summary.version},
    )
    assert response.status_code == 302
    summary.refresh_from_db()
    assert sections_by_key(summary.sections)["contacts"]["text"].startswith("本学年班主任")
    # A second admin who opened the old version is told, and nothing is written.
    stale = summary.version - 1
    response = client.post(
        f"/api/v1/reports/summaries/{summary.pk}/sections/contacts",
        {"text": "覆盖别人的文字", "version": stale},
        content_type="application/json",
    )
    assert response.status_code == 409
    summary.refresh_from_db()
    assert "覆盖别人" not in sections_by_key(summary.sections)["contacts"]["text"]

    response = client.post(f"/reports/summary/{summary.pk}/issue/")
    assert response.status_code == 302
    summary.refresh_from_db()
    assert summary.is_issued and summary.issued_by == cast.admin_zhang
    # The kept .docx holds the admin's words and the figures with their sources.
    kept = client.get(f"/reports/summary/{summary.pk}/summary.docx")
    assert kept.status_code == 200
    document = docx.Document(io.BytesIO(b"".join(kept.streaming_content)))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "本学年班主任普遍开展了电话家访。" in text and "下学期要覆盖全体学生。" in text
    assert "阳光小学" in document.paragraphs[0].text
    assert "1 / 3（33%）" in text and "家校联系册" in text
    rows = [[c.text for c in r.cells] for t in document.tables for r in t.rows]
    assert ["三年级1班", "2", "1", "50%", "1"] in rows
    pdf = client.get(f"/reports/summary/{summary.pk}/summary.pdf")
    pdf_text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(b"".join(pdf.streaming_content))).pages)
    assert "本学年班主任普遍开展了电话家访" in pdf_text.replace("\n", "")
    # Issued: kept as it was; no more edits, no redraft.
    response = client.post(
        f"/api/v1/reports/summaries/{summary.pk}/sections/contacts", {"text": "改"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["detail"] == zh("The summary of this year has been issued; it is kept as it was issued.")
    response = client.post("/api/v1/reports/summaries", {"year": year_of(cast)}, content_type="application/json")
    assert response.status_code == 400
    assert AuditEntry.objects.filter(action=AuditEntry.Action.SUMMARY_ISSUED).count() == 1


def test_the_draft_documents_download_before_issuing(school_day, cast):
    recorded_year(cast)
    summary = do_draft_summary(cast.school, year_of(cast), acting_user=cast.admin_zhang)
    client = cast.client(cast.admin_zhang)
    response = client.get(f"/api/v1/reports/summaries/{summary.pk}/documents/pdf")
    assert response.status_code == 200
    with tempfile.NamedTemporaryFile(suffix=".pdf") as fh:
        fh.write(base64.b64decode(response.json()["content_base64"]))
        fh.flush()
        text = subprocess.run(["pdftotext", fh.name, "-"], capture_output=True, text=True, check=True).stdout
    assert "草稿" in text and "期中家长会" not in text  # figures, not the events' list
    assert "1（50%）" in text
    response = client.get(f"/reports/summary/{summary.pk}/summary.docx")
    assert response.status_code == 200 and response["Cache-Control"] == "private, no-store"
    assert docx.Document(io.BytesIO(response.content)).paragraphs[0].text.endswith("学年家校工作总结")


def test_a_year_with_no_records_gets_a_clear_message_and_nothing_is_written(school_day, cast):
    client = cast.client(cast.admin_zhang)
    year = year_of(cast)
    response = client.post("/api/v1/reports/summaries", {"year": year}, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["detail"] == zh(
        "There are no records in %(year)s—%(next)s yet (plan tasks, contacts, meetings, notices, evaluations): nothing to summarise."
    ) % {"year": year, "next": year + 1}
    response = client.post("/api/v1/reports/summaries", {"year": 2001}, content_type="application/json")
    assert response.json()["detail"] == zh(
        "The school has no term in %(year)s—%(next)s: there is nothing to summarise."
    ) % {
        "year": 2001,
        "next": 2002,
    }
    response = client.post("/reports/summary/draft/", {"year": "去年"}, follow=True)
    assert zh("Give the school year as the year it starts in, e.g. 2026 for 2026—2027.") in response.content.decode()
    assert not YearlySummary.objects.exists()
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.SUMMARY_DRAFTED).exists()


def test_an_empty_summary_is_not_issued(school_day, cast):
    recorded_year(cast)
    summary = do_draft_summary(cast.school, year_of(cast), acting_user=cast.admin_zhang)
    for section in summary.sections:
        section["text"] = ""
    summary.save()
    response = cast.client(cast.admin_zhang).post(f"/api/v1/reports/summaries/{summary.pk}/issue")
    assert response.status_code == 400
    assert response.json()["detail"] == zh("The summary is empty: write at least one section before issuing it.")
    summary.refresh_from_db()
    assert not summary.is_issued and not summary.docx_file and not summary.pdf_file


def test_only_the_schools_admins_see_its_summary(school_day, cast):
    recorded_year(cast)
    summary = do_draft_summary(cast.school, year_of(cast), acting_user=cast.admin_zhang)
    for user in (cast.ms_li, cast.alice, cast.dave):
        client = cast.client(user)
        assert client.get(f"/reports/summary/{summary.pk}/").status_code == 404
        assert client.get(f"/api/v1/reports/summaries/{summary.pk}/documents/docx").status_code == 404
    assert cast.client(cast.dave).get("/api/v1/reports/summaries").json() == []


def _bigger(cast, classes: int, per_class: int) -> None:
    """More classes, students and records in school A: the figures grow, the queries must not."""
    new = SchoolClass.objects.bulk_create(
        [SchoolClass(school=cast.school, grade=4 + i // 9, number=1 + i % 9) for i in range(classes)]
    )
    students = Student.objects.bulk_create(
        [
            Student(school=cast.school, name=f"学生{c.pk}-{n}", student_number=f"X{c.pk}-{n}", school_class=c)
            for c in new
            for n in range(per_class)
        ]
    )
    records = ContactRecord.objects.bulk_create(
        [
            ContactRecord(
                school=cast.school, term=cast.term, author=cast.ms_li, kind="phone", occurred_on=timezone.localdate()
            )
            for _ in students[::3]
        ]
    )
    ContactStudent.objects.bulk_create(
        [ContactStudent(school=cast.school, record=r, student=s) for r, s in zip(records, students[::3], strict=True)]
    )


def test_gathering_takes_the_same_queries_for_a_small_and_a_big_school(school_day, cast, django_assert_num_queries):
    recorded_year(cast)
    year = year_of(cast)
    # 13 for the records' sections, 16 for the rhythm (the year's terms begun, then reports.rhythm's
    # 15 aggregates for the one term).
    with django_assert_num_queries(29):
        small = summaries.gather(cast.school, year)
    _bigger(cast, classes=20, per_class=30)
    with django_assert_num_queries(29):
        big = summaries.gather(cast.school, year)
    assert small is not None and big is not None
    assert {s.key: s.records for s in big}["contacts"] > {s.key: s.records for s in small}["contacts"]
    table = next(s for s in big if s.key == "contacts").table
    assert table is not None and len(table["rows"]) == 22


def test_the_rhythm_section_gives_each_class_its_rules_met_behind_or_missed(school_day, cast):
    """The summary carries the class rhythm of each term of the year that has begun (reports.rhythm):
    a row per class with each rule's figure and state, and per rule how many classes met it."""
    from reports import rhythm

    recorded_year(cast)
    found = summaries.year_of(cast.school, year_of(cast))
    assert found is not None
    section = summaries.rhythm_section(cast.school, found)
    assert section is not None and section.key == "rhythm"
    expected = rhythm.class_rhythm(cast.school, cast.term)
    table = section.table
    assert table is not None
    assert [row[1] for row in table["rows"]] == [row.school_class.name for row in expected]
    assert len(table["header"]) == 2 + len(rhythm.RULES) + 1
    first = expected[0]
    assert table["rows"][0][-1] == f"{first.met}/{len(rhythm.RULES)}"
    states = {str(label) for label in rhythm.STATE_LABELS.values()}
    assert all(any(state in cell for state in states) for cell in table["rows"][0][2:-1])
    assert len(section.figures) == len(rhythm.RULES)
    assert all(f.source for f in section.figures)
    assert [s.key for s in summaries.gather(cast.school, year_of(cast))][2] == "rhythm"


def test_the_command_writes_the_same_draft_as_a_docx(school_day, cast, tmp_path):
    recorded_year(cast)
    out = tmp_path / "总结.docx"
    call_command("yearly_summary", "--school", "a", "--year", str(year_of(cast)), "--output", str(out), "--pdf")
    document = docx.Document(str(out))
    text = "\n".join(p.text for p in document.paragraphs)
    assert text.startswith(f"阳光小学{year_of(cast)}—{year_of(cast) + 1}学年家校工作总结")
    assert "1 / 3（33%）" in text
    assert out.with_suffix(".pdf").read_bytes().startswith(b"%PDF")
    assert not YearlySummary.objects.exists()  # the command drafts; it stores nothing


def test_the_command_refuses_bad_input_and_writes_nothing(school_day, cast, tmp_path):
    out = tmp_path / "s.docx"
    with pytest.raises(CommandError, match="no records"):
        call_command("yearly_summary", "--school", "a", "--year", str(year_of(cast)), "--output", str(out))
    with pytest.raises(CommandError, match="No school"):
        call_command("yearly_summary", "--school", "nope", "--year", "2026", "--output", str(out))
    with pytest.raises(CommandError, match=r"\.docx"):
        call_command("yearly_summary", "--school", "a", "--year", "2026", "--output", str(tmp_path / "s.txt"))
    assert not out.exists()


def test_the_command_works_on_the_demo_school(school_day, db, tmp_path, settings):
    """``make run`` loads the demo school; the command drafts its summary."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    call_command("load_demo", stdout=io.StringIO())
    from django_scopes import scopes_disabled

    from schools.demo import DEMO_CODE
    from schools.models import School

    with scopes_disabled():
        school = School.objects.get(code=DEMO_CODE)
        year = school_year_of(school.terms.get(is_current=True))
    out = Path(tmp_path) / "demo.docx"
    call_command(
        "yearly_summary", "--school", DEMO_CODE, "--year", str(year), "--output", str(out), stdout=io.StringIO()
    )
    text = "\n".join(p.text for p in docx.Document(str(out)).paragraphs)
    assert "阳光小学" in text and zh("The plan: tasks done and not done") in text
