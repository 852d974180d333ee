"""The archive of a class or a grade for a term (R32, issue 15): one zip with the organisation, the
plan and its tasks with evidence, the contact book, the meetings with attendance and minutes, the
parent school, the surveys' results and the duty rosters, as .xlsx (and the class's contact book
as PDF)."""

import base64
import datetime
import io
import subprocess
import tempfile
import zipfile

import openpyxl
import pytest
from django.utils import timezone

from audit.models import AuditEntry
from community.models import (
    Committee,
    CommitteeMember,
    DutyAssignment,
    DutyFamily,
    DutyRoster,
    DutyShift,
    school_year_of,
)
from conftest import zh
from contactbook.models import ContactRecord, ContactStudent
from events.models import Attendance, Event
from notices.models import Notice, Receipt
from plans.actions import do_adopt_template
from plans.models import PlanTask
from reports import archive
from schools.models import Guardian, SchoolClass, Student, StudentGuardian

pytestmark = pytest.mark.usefixtures("unscoped")


def past(days: int) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=days)


def class_records(cast) -> dict:
    """Class 1's term: alice chairs its committee; its plan task is done with the meeting as
    evidence; ms_li's contact with 刘小明's family (a summary that looks like a formula); a parent
    meeting alice came to and bob missed; a duty shift alice's family did."""
    alice, bob = Guardian.objects.get(user=cast.alice), Guardian.objects.get(user=cast.bob)
    committee = Committee.objects.create(
        school=cast.school, level="class", school_class=cast.class1, year=school_year_of(cast.term)
    )
    CommitteeMember.objects.create(
        school=cast.school, committee=committee, guardian=alice, role="chair", joined_on=cast.term.start_date
    )
    notice = Notice.objects.create(
        school=cast.school,
        author=cast.ms_li,
        title="期中家长会",
        body_html="x",
        status="published",
        published_at=past(5),
    )
    meeting = Event.objects.create(
        school=cast.school,
        author=cast.ms_li,
        kind=Event.Kind.PARENT_MEETING,
        title="期中家长会",
        starts_at=past(3),
        ends_at=past(3) + datetime.timedelta(hours=1),
        notice=notice,
        minutes="讨论了期中复习安排",
    )
    came = Receipt.objects.create(school=cast.school, notice=notice, guardian=alice)
    Receipt.objects.create(school=cast.school, notice=notice, guardian=bob)
    Attendance.objects.create(school=cast.school, event=meeting, receipt=came, status="present", method="code")
    plan = do_adopt_template(cast.term, acting_user=cast.admin_zhang)
    task = PlanTask.objects.filter(plan=plan, school_class=cast.class1).order_by("month", "id").first()
    PlanTask.objects.filter(pk=task.pk).update(status=PlanTask.Status.DONE, evidence_event=meeting)
    record = ContactRecord.objects.create(
        school=cast.school,
        term=cast.term,
        author=cast.ms_li,
        kind="phone",
        occurred_on=timezone.localdate(),
        summary='=HYPERLINK("http://x") 谈了作业',
    )
    ContactStudent.objects.create(school=cast.school, record=record, student=cast.alice_child)
    # Class 2's contact: not in class 1's archive.
    other = ContactRecord.objects.create(
        school=cast.school,
        term=cast.term,
        author=cast.admin_zhang,
        kind="phone",
        occurred_on=timezone.localdate(),
        summary="二班",
    )
    ContactStudent.objects.create(school=cast.school, record=other, student=cast.carol_child)
    roster = DutyRoster.objects.create(
        school=cast.school,
        term=cast.term,
        school_class=cast.class1,
        title="护学岗",
        status="published",
        checkin_secret="s",
    )
    shift = DutyShift.objects.create(
        school=cast.school,
        roster=roster,
        date=timezone.localdate(),
        starts_at=datetime.time(7, 30),
        ends_at=datetime.time(8, 0),
        place="东门",
    )
    family = DutyFamily.objects.create(
        school=cast.school, roster=roster, student=cast.alice_child, student_ids=[cast.alice_child.pk], label="刘小明"
    )
    DutyAssignment.objects.create(school=cast.school, shift=shift, family=family, status="done")
    return {"task": task, "meeting": meeting}


def open_zip(content: bytes) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(content))


def sheet_rows(archive_zip: zipfile.ZipFile, name_part: str, sheet: int = 0) -> list[list]:
    name = next(n for n in archive_zip.namelist() if name_part in n and n.endswith(".xlsx"))
    wb = openpyxl.load_workbook(io.BytesIO(archive_zip.read(name)))
    return [list(r) for r in wb.worksheets[sheet].iter_rows(values_only=True)]


def test_the_head_teacher_downloads_the_class_archive_with_every_record(school_day, cast):
    records = class_records(cast)
    response = cast.client(cast.ms_li).get(f"/reports/archive/classes/{cast.class1.pk}.zip")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert "attachment" in response["Content-Disposition"]
    z = open_zip(response.content)
    names = z.namelist()
    assert names[0] == "00_README.txt" and "三年级1班" in z.read("00_README.txt").decode()
    assert any(n.endswith(".pdf") for n in names)  # the printed contact book
    # The organisation: alice chairs the class committee.
    assert any("刘爱丽" in (row[1] or "") for row in sheet_rows(z, "01_")[1:])
    # The plan: class 1's task done, with the meeting as its evidence.
    plan_rows = sheet_rows(z, "02_")
    done = next(r for r in plan_rows if r[1] == records["task"].title and r[2] == "三年级1班")
    assert done[7] == "期中家长会"
    assert not any(r[2] == "三年级2班" for r in plan_rows)
    # The contact book: 刘小明's record only (not class 2's), the formula neutralised.
    contacts = sheet_rows(z, "03_")[1:]
    assert [(r[0], r[1]) for r in contacts] == [("三年级1班", "刘小明")]
    assert contacts[0][7].startswith("'=HYPERLINK")
    # The meeting, with minutes and attendance: alice came, bob did not sign in.
    events = sheet_rows(z, "04_")
    assert events[1][1:6] == ["期中家长会", None, 2, 1, "讨论了期中复习安排"]  # no place given
    attendance = {r[3]: r[5] for r in sheet_rows(z, "04_", sheet=1)[1:]}
    assert attendance == {"刘小明": zh("present"), "陈小红": zh("no sign-in")}
    duty = sheet_rows(z, "07_")[1:]
    assert duty[0][3:7] == ["东门", "三年级1班", "刘小明", zh("done")]
    pdf = next(n for n in names if n.endswith(".pdf"))
    with tempfile.NamedTemporaryFile(suffix=".pdf") as fh:
        fh.write(z.read(pdf))
        fh.flush()
        text = subprocess.run(["pdftotext", fh.name, "-"], capture_output=True, text=True, check=True).stdout
    assert "刘小明" in text and "家校联系册" in text
    assert AuditEntry.objects.filter(action=AuditEntry.Action.ARCHIVE_EXPORTED, actor=cast.ms_li).count() == 1


def test_the_grade_archive_holds_every_class_of_the_grade_for_admins_only(school_day, cast):
    class_records(cast)
    response = cast.client(cast.admin_zhang).get(f"/api/v1/reports/archive/classes/{cast.class2.pk}/grade")
    assert response.status_code == 200
    data = response.json()
    assert data["filename"].startswith("三年级") and data["mime"] == "application/zip"
    z = open_zip(base64.b64decode(data["content_base64"]))
    assert sorted(r[1] for r in sheet_rows(z, "03_")[1:]) == ["刘小明", "周小刚"]
    assert not any(n.endswith(".pdf") for n in z.namelist())
    for user in (cast.ms_li, cast.mr_wang, cast.alice, cast.dave):
        assert cast.client(user).get(f"/reports/archive/classes/{cast.class1.pk}/grade.zip").status_code == 404
    # Another school's admin gets their own school's grade, none of school A's records.
    own = cast.client(cast.dave).get(f"/reports/archive/classes/{cast.class_b.pk}/grade.zip")
    assert own.status_code == 200
    assert not any("刘小明" in r[1] for r in sheet_rows(open_zip(own.content), "03_")[1:])


def test_a_head_teacher_gets_only_their_own_classes_archive(school_day, cast):
    class_records(cast)
    assert cast.client(cast.ms_li).get(f"/reports/archive/classes/{cast.class2.pk}.zip").status_code == 404
    assert cast.client(cast.mr_wang).get(f"/reports/archive/classes/{cast.class1.pk}.zip").status_code == 404
    assert cast.client(cast.dave).get(f"/api/v1/reports/archive/classes/{cast.class1.pk}").status_code == 404
    # Another school's term: 404, nothing.
    from schools.models import Term

    other_term = Term.objects.get(school=cast.school_b)
    response = cast.client(cast.ms_li).get(f"/reports/archive/classes/{cast.class1.pk}.zip?term={other_term.pk}")
    assert response.status_code == 404
    page = cast.client(cast.ms_li).get("/reports/archive/").content.decode()
    assert "三年级1班" in page and "三年级2班" not in page


def test_the_archive_takes_the_same_queries_for_a_small_and_a_big_grade(school_day, cast, django_assert_num_queries):
    class_records(cast)
    small = archive.grade_archive(cast.school, 3, cast.term)
    assert small is not None
    with django_assert_num_queries(9):
        archive.archive_zip(small, with_pdf=False)
    new = SchoolClass.objects.bulk_create([SchoolClass(school=cast.school, grade=3, number=n) for n in range(3, 15)])
    students = Student.objects.bulk_create(
        [
            Student(school=cast.school, name=f"学生{c.number}-{i}", student_number=f"S{c.number}-{i}", school_class=c)
            for c in new
            for i in range(40)
        ]
    )
    guardians = Guardian.objects.bulk_create(
        [
            Guardian(school=cast.school, name=f"家长{s.student_number}", phone=f"139{i:08d}")
            for i, s in enumerate(students)
        ]
    )
    StudentGuardian.objects.bulk_create(
        [
            StudentGuardian(school=cast.school, student=s, guardian=g, relationship="母亲")
            for s, g in zip(students, guardians, strict=True)
        ]
    )
    meeting = Event.objects.get(title="期中家长会")
    Receipt.objects.bulk_create([Receipt(school=cast.school, notice=meeting.notice, guardian=g) for g in guardians])
    big = archive.grade_archive(cast.school, 3, cast.term)
    assert big is not None and len(big.class_ids) == 14
    with django_assert_num_queries(9):
        data = archive.archive_zip(big, with_pdf=False)
    attendance = sheet_rows(open_zip(data), "04_", sheet=1)
    assert len(attendance) == 1 + 2 + 480
