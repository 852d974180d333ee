"""The archive of a class or a grade for one term (R32, 档案): one zip with the organisation
(committees, working groups), the term plan's tasks with their evidence, the contact book, the
parent meetings with attendance and minutes, the parent school, the surveys' results and the duty
rosters, each as .xlsx (and, for one class, the printed contact book as PDF).

Each workbook is one query over all the archive's classes together, never a loop over classes or
students (reports/tests/test_archive.py pins it from a small to a big grade). Cells are written
through core.xlsx.safe_cell: nothing a spreadsheet could run."""

import contextlib
import datetime
import io
import zipfile
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Avg, Count, OuterRef, Q, Subquery
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from community.models import CommitteeMember, DutyAssignment, WorkingGroupMember, school_year_of
from contactbook.models import ContactRecord, ContactStudent
from contactbook.pdf import class_context
from core.pdf import PdfUnavailable, render_pdf
from core.xlsx import safe_cell
from events.models import Attendance, Event
from notices.models import Receipt
from plans.models import PlanTask
from schools.models import SchoolClass, Term
from surveys.models import MIN_GROUP, Answer, Question, Response, Survey

__all__ = ["Archive", "archive_zip", "class_archive", "grade_archive"]


@dataclass(frozen=True)
class Archive:
    school_id: int
    term: Term
    class_ids: tuple[int, ...]
    grade: int | None  # a grade's archive (its committee too); None: one class
    label: str  # 三年级1班 or 三年级

    @property
    def start(self) -> datetime.datetime:
        return timezone.make_aware(datetime.datetime.combine(self.term.start_date, datetime.time.min))

    @property
    def end(self) -> datetime.datetime:
        day = self.term.end_date + datetime.timedelta(days=1)
        return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))

    @property
    def filename(self) -> str:
        return f"{self.label}{self.term.name}档案.zip"


def class_archive(school_class: SchoolClass, term: Term) -> Archive:
    return Archive(school_class.school_id, term, (school_class.pk,), None, school_class.name)


def grade_archive(school, grade: int, term: Term) -> Archive | None:
    """A grade's classes (not graduated) in one query; None when the school has no such grade."""
    ids = tuple(
        SchoolClass.objects.filter(school=school, grade=grade, graduated_at__isnull=True)
        .order_by("number")
        .values_list("pk", flat=True)
    )
    if not ids:
        return None
    label = SchoolClass(grade=grade, number=1).grade_name
    return Archive(school.pk, term, ids, grade, label)


def _day(moment) -> str:
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M}" if moment else ""


def _workbook(sheets: list[tuple[str, list[str], list[list]]]) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    for title, header, rows in sheets:
        ws = wb.create_sheet(title[:31])
        ws.append(header)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in rows:
            ws.append([safe_cell(v) for v in row])
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                if isinstance(cell.value, str):
                    cell.data_type = "s"
        ws.freeze_panes = "A2"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _class_name(grade, number) -> str:
    return SchoolClass(grade=grade, number=number).name if grade else ""


# --- the workbooks: one query each (two for the organisation) -------------------------------------


def organisation(a: Archive) -> bytes:
    year = school_year_of(a.term)
    committee = Q(committee__level="class", committee__school_class_id__in=a.class_ids)
    if a.grade is not None:
        committee |= Q(committee__level="grade", committee__grade=a.grade)
    members = (
        CommitteeMember.objects.filter(committee, school_id=a.school_id, committee__year=year)
        .order_by("committee__level", "committee__school_class__number", "role", "joined_on")
        .values_list(
            "committee__level",
            "committee__school_class__grade",
            "committee__school_class__number",
            "guardian__name",
            "role",
            "title",
            "joined_on",
            "left_on",
        )
    )
    roles = dict(CommitteeMember.Role.choices)
    committee_rows = [
        [
            _class_name(grade, number) or _("grade committee"),
            name,
            title or str(roles.get(role, role)),
            f"{joined:%Y-%m-%d}",
            f"{left:%Y-%m-%d}" if left else "",
        ]
        for level, grade, number, name, role, title, joined, left in members
    ]
    groups = (
        WorkingGroupMember.objects.filter(school_id=a.school_id, group__archived_at__isnull=True)
        .order_by("group__name", "joined_on")
        .values_list("group__name", "user__name", "guardian__name", "role", "joined_on")
    )
    group_rows = [[g, user or guardian or "", role, f"{joined:%Y-%m-%d}"] for g, user, guardian, role, joined in groups]
    return _workbook(
        [
            (_("Committee"), [_("Committee"), _("Name"), _("Role"), _("Joined on"), _("Left on")], committee_rows),
            (_("Working groups"), [_("Working group"), _("Name"), _("Role"), _("Joined on")], group_rows),
        ]
    )


def plan(a: Archive) -> bytes:
    """The term plan's tasks of these classes (their copies of head teachers' tasks) and the
    school's own tasks, with status and evidence."""
    tasks = (
        PlanTask.objects.filter(school_id=a.school_id, plan__term=a.term)
        .filter(Q(school_class_id__in=a.class_ids) | Q(parent__isnull=True, owner_kind=PlanTask.Owner.STAFF))
        .order_by("month", "due_on", "school_class__number", "id")
        .values_list(
            "month",
            "title",
            "school_class__grade",
            "school_class__number",
            "owner__name",
            "due_on",
            "status",
            "drop_reason",
            "evidence_event__title",
            "evidence_notice__title",
            "evidence_survey__title",
            "evidence_roster__title",
            "evidence_filename",
            "evidence_note",
        )
    )
    statuses = dict(PlanTask.Status.choices)
    rows = []
    for month, title, grade, number, owner, due, status, reason, *evidence in tasks:
        rows.append(
            [
                f"{month:%Y-%m}",
                title,
                _class_name(grade, number) or _("the whole school"),
                owner or "",
                f"{due:%Y-%m-%d}",
                str(statuses.get(status, status)),
                reason,
                "；".join(e for e in evidence if e),
            ]
        )
    header = [
        _("Month"),
        _("Task"),
        _("Class"),
        _("Owner"),
        _("Due"),
        _("Status"),
        _("Why it was dropped"),
        _("Evidence"),
    ]
    return _workbook([(_("Term plan"), header, rows)])


def contact_book(a: Archive) -> bytes:
    links = (
        ContactStudent.objects.filter(
            school_id=a.school_id, record__term=a.term, student__school_class_id__in=a.class_ids
        )
        .order_by("student__school_class__number", "student__name", "record__occurred_on", "record_id")
        .values_list(
            "student__school_class__grade",
            "student__school_class__number",
            "student__name",
            "record__occurred_on",
            "record__kind",
            "record__author__name",
            "record__duration_minutes",
            "record__participants",
            "record__summary",
            "record__follow_up_on",
        )
    )
    kinds = dict(ContactRecord.Kind.choices)
    rows = [
        [
            _class_name(g, n),
            student,
            f"{day:%Y-%m-%d}",
            str(kinds.get(kind, kind)),
            author,
            minutes,
            who,
            text,
            f"{fu:%Y-%m-%d}" if fu else "",
        ]
        for g, n, student, day, kind, author, minutes, who, text, fu in links
    ]
    header = [
        _("Class"),
        _("Student"),
        _("Date"),
        _("Kind"),
        _("Teacher"),
        _("Minutes"),
        _("Who took part"),
        _("Summary"),
        _("Follow up on"),
    ]
    return _workbook([(_("Contact book"), header, rows)])


def _events(a: Archive, kind: str):
    return Event.objects.filter(
        school_id=a.school_id,
        kind=kind,
        status=Event.Status.SCHEDULED,
        starts_at__gte=a.start,
        starts_at__lt=a.end,
    )


def meetings(a: Archive, kind: str) -> bytes:
    """The term's events of a kind seen by these classes' families: each with its minutes (one
    query), and each invited family of the classes with its attendance (one query)."""
    receipts = Receipt.objects.filter(
        notice__event__in=_events(a, kind),
        guardian__student_links__student__school_class_id__in=a.class_ids,
    )
    status = Attendance.objects.filter(event=OuterRef("notice__event"), receipt=OuterRef("pk")).values("status")[:1]
    rows = list(
        receipts.annotate(came=Subquery(status))
        .order_by(
            "notice__event__starts_at",
            "guardian__student_links__student__school_class__number",
            "guardian__student_links__student__name",
        )
        .values_list(
            "notice__event__id",
            "notice__event__starts_at",
            "notice__event__title",
            "notice__event__place",
            "notice__event__minutes",
            "guardian__student_links__student__school_class__grade",
            "guardian__student_links__student__school_class__number",
            "guardian__student_links__student__name",
            "guardian__name",
            "came",
        )
        .distinct()
    )
    labels = dict(Attendance.Status.choices)
    events: dict = {}
    counts: dict = defaultdict(lambda: [0, 0])
    attendance_rows = []
    for event_id, at, title, place, minutes, g, n, student, guardian, came in rows:
        events[event_id] = [_day(at), title, place, minutes]
        counts[event_id][0] += 1
        if came in (Attendance.Status.PRESENT, Attendance.Status.LATE):
            counts[event_id][1] += 1
        attendance_rows.append(
            [_day(at), title, _class_name(g, n), student, guardian, str(labels.get(came, _("no sign-in")))]
        )
    event_rows = [[*e[:3], counts[i][0], counts[i][1], e[3]] for i, e in events.items()]
    return _workbook(
        [
            (
                _("Events"),
                [_("When"), _("Title"), _("Place"), _("Families invited"), _("Families attended"), _("Minutes")],
                event_rows,
            ),
            (
                _("Attendance"),
                [_("When"), _("Title"), _("Class"), _("Student"), _("Guardian"), _("Attendance")],
                attendance_rows,
            ),
        ]
    )


def survey_results(a: Archive) -> bytes:
    """Surveys sent in the term: responses per class (one query), and the mean of each scale
    question per class, shown from MIN_GROUP answers up (one query), as the survey pages do."""
    surveys = Survey.objects.filter(
        school_id=a.school_id,
        status=Survey.Status.SENT,
        opens_at__gte=a.start,
        opens_at__lt=a.end,
    )
    counts = (
        Response.objects.filter(survey__in=surveys, school_class_id__in=a.class_ids, submitted_at__isnull=False)
        .values("survey__title", "school_class__grade", "school_class__number")
        .annotate(n=Count("id"))
        .order_by("survey__title", "school_class__number")
    )
    count_rows = [
        [c["survey__title"], _class_name(c["school_class__grade"], c["school_class__number"]), c["n"]] for c in counts
    ]
    means = (
        Answer.objects.filter(
            survey__in=surveys, response__school_class_id__in=a.class_ids, question__kind__in=list(Question.SCALE)
        )
        .values(
            "survey__title",
            "question__position",
            "question__text",
            "question__options",
            "row",
            "response__school_class__grade",
            "response__school_class__number",
        )
        .annotate(mean=Avg("number"), n=Count("response", distinct=True))
        .order_by("survey__title", "question__position", "row", "response__school_class__number")
    )
    mean_rows = []
    for m in means:
        if m["n"] < MIN_GROUP:
            continue  # too few answers to show without pointing at the families who gave them
        question = m["question__text"]
        if m["row"] is not None and m["question__options"] and m["row"] < len(m["question__options"]):
            question = f"{question} · {m['question__options'][m['row']]}"
        mean_rows.append(
            [
                m["survey__title"],
                question,
                _class_name(m["response__school_class__grade"], m["response__school_class__number"]),
                round(m["mean"], 2),
                m["n"],
            ]
        )
    return _workbook(
        [
            (_("Responses"), [_("Survey"), _("Class"), _("Responses")], count_rows),
            (_("Results"), [_("Survey"), _("Question"), _("Class"), _("Mean"), _("Answers")], mean_rows),
        ]
    )


def duty_rosters(a: Archive) -> bytes:
    assignments = (
        DutyAssignment.objects.filter(
            school_id=a.school_id, shift__roster__term=a.term, family__student__school_class_id__in=a.class_ids
        )
        .order_by("shift__date", "shift__starts_at", "family__label")
        .values_list(
            "shift__roster__title",
            "shift__date",
            "shift__starts_at",
            "shift__ends_at",
            "shift__place",
            "family__student__school_class__grade",
            "family__student__school_class__number",
            "family__label",
            "status",
            "is_standby",
        )
    )
    statuses = dict(DutyAssignment.Status.choices)
    rows = [
        [
            title,
            f"{day:%Y-%m-%d}",
            f"{start:%H:%M}—{end:%H:%M}",
            place,
            _class_name(g, n),
            family,
            str(statuses.get(status, status)),
            standby,
        ]
        for title, day, start, end, place, g, n, family, status, standby in assignments
    ]
    header = [_("Roster"), _("Date"), _("Time"), _("Place"), _("Class"), _("Family"), _("Status"), _("Standby")]
    return _workbook([(_("Duty rosters"), header, rows)])


def _readme(a: Archive, files: list[str]) -> str:
    lines = [
        _("Archive of %(label)s, %(term)s") % {"label": a.label, "term": a.term.name},
        _("Made by Tongxin on %(day)s from the records as they were then.")
        % {"day": f"{timezone.localdate():%Y-%m-%d}"},
        "",
        *files,
    ]
    return "\r\n".join(lines) + "\r\n"


def archive_zip(a: Archive, *, with_pdf: bool = True) -> bytes:
    """The archive as zip bytes. A fixed number of queries for the workbooks, whatever the number
    of classes and students; the class contact book's PDF (one class only) adds the contact book's
    own fixed number."""
    with translation.override("zh-hans"):
        files: list[tuple[str, bytes]] = [
            ("01_" + _("organisation") + ".xlsx", organisation(a)),
            ("02_" + _("term plan") + ".xlsx", plan(a)),
            ("03_" + _("contact book") + ".xlsx", contact_book(a)),
            ("04_" + _("parent meetings") + ".xlsx", meetings(a, Event.Kind.PARENT_MEETING)),
            ("05_" + _("parent school") + ".xlsx", meetings(a, Event.Kind.PARENT_SCHOOL)),
            ("06_" + _("survey results") + ".xlsx", survey_results(a)),
            ("07_" + _("duty rosters") + ".xlsx", duty_rosters(a)),
        ]
        if with_pdf and len(a.class_ids) == 1:
            school_class = SchoolClass.objects.select_related("school").get(pk=a.class_ids[0])
            # Without a PDF renderer the workbook still holds the same records.
            with contextlib.suppress(PdfUnavailable):
                files.append(
                    (
                        "03_" + _("contact book") + ".pdf",
                        render_pdf("contactbook/pdf_class.html", class_context(school_class, a.term)),
                    )
                )
        names = [name for name, _data in files]
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("00_README.txt", _readme(a, names))
            for name, data in files:
                archive.writestr(name, data)
    return buffer.getvalue()
