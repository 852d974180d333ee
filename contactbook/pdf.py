"""家校联系册 as a PDF that looks like a well-kept paper book (R32): one student's contacts of the
current term, or a whole class's (a cover, a table of contents, one section per student, then the
class-wide guidance).

What goes in: each contact's date, kind, duration, who took part, topics, the staff summary, the
agreed actions and the follow-up; for a shared record, the summary the family saw and, from that
student's own guardians only, when they read it and what they replied. The staff summary makes the
PDF staff-only. Care cases (个别关注) never go in, not even whether a student has one: a subject
teacher may export a student's book but may not know about a care case.

Rendering is ``core.pdf``'s (WeasyPrint on Pango, imported only when a PDF is asked for, so an
export answers 503 on a machine without Pango; Noto Serif/Sans CJK SC; nothing fetched but ``data:``
URLs, the logo).

Queries: a fixed number whatever the size of the class (students, their guardians, the records
with their students, actions and acknowledgements, the class-wide records, the head teacher).
"""

import base64
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db.models import Prefetch
from django.utils import timezone, translation

from core.pdf import PdfUnavailable, cn_date, render_pdf
from schools.models import SchoolClass, StaffAssignment, Student, StudentGuardian, Term

from .models import Acknowledgement, ActionItem, ContactRecord, ContactStudent, Topic

__all__ = ["UNAVAILABLE_MESSAGE", "PdfUnavailable", "class_context", "cn_date", "render_pdf", "student_context"]

UNAVAILABLE_MESSAGE = (
    "PDF 导出暂时不可用：服务器上没有安装 WeasyPrint 或它所需的 Pango 库。请联系学校的系统管理员；"
    "需要时可以先导出 Excel（.xlsx）。\n"
    "PDF export is unavailable: WeasyPrint, or the Pango library it needs, is not installed on the server. "
    "Please tell your administrator; the .xlsx export works meanwhile.\n"
)


@dataclass
class Reply:
    guardian: str
    relationship: str
    acknowledged_on: str
    text: str
    replied_on: str


@dataclass
class Entry:
    """One contact as it is printed in one student's book."""

    number: int
    record: ContactRecord
    date: str
    kind: str
    topics: list[str]
    others: list[str]  # other children the same record is about
    actions: list[ActionItem]
    follow_up: str
    replies: list[Reply]

    @property
    def shared(self) -> bool:
        return self.record.visibility == ContactRecord.Visibility.SHARED


@dataclass
class StudentBook:
    student: Student
    guardians: list[str]
    entries: list[Entry] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        return f"student-{self.student.pk}"

    @property
    def count(self) -> int:
        return len(self.entries)

    @property
    def tally(self) -> str:
        """家访 1 次、电话 2 次 … in the order of the kinds."""
        kinds = Counter(e.record.kind for e in self.entries)
        return "、".join(f"{label}{kinds[value]}次" for value, label in ContactRecord.Kind.choices if kinds.get(value))

    @property
    def last_contact(self) -> str:
        return cn_date(max((e.record.occurred_on for e in self.entries), default=None))


def _records():
    links = ContactStudent.objects.select_related("student").order_by("student__student_number", "student__name")
    acks = Acknowledgement.objects.select_related("guardian").order_by("acknowledged_at", "pk")
    return (
        ContactRecord.objects.select_related("author")
        .prefetch_related(
            Prefetch("student_links", queryset=links),
            Prefetch("action_items", queryset=ActionItem.objects.select_related("owner").order_by("due_on", "pk")),
            Prefetch("acknowledgements", queryset=acks),
        )
        .order_by("occurred_on", "created_at", "pk")
    )


def _students(qs):
    guardians = StudentGuardian.objects.select_related("guardian").order_by("pk")
    return list(
        qs.filter(status=Student.Status.ACTIVE)
        .select_related("school_class")
        .prefetch_related(Prefetch("guardian_links", queryset=guardians))
        .order_by("student_number", "name")
    )


def _entry(number: int, record: ContactRecord, student: Student | None, relationships: dict[int, str]) -> Entry:
    replies = [
        Reply(
            guardian=ack.guardian.name,
            relationship=relationships.get(ack.guardian_id, ""),
            acknowledged_on=cn_date(timezone.localdate(ack.acknowledged_at)),
            text=ack.reply,
            replied_on=cn_date(timezone.localdate(ack.replied_at)) if ack.replied_at else "",
        )
        for ack in record.acknowledgements.all()
        # A record about several children: each book shows its own family's answer only.
        if student is None or ack.guardian_id in relationships
    ]
    follow_up = ""
    if record.follow_up_on:
        follow_up = f"{cn_date(record.follow_up_on)}　" + (
            f"已回访（{cn_date(timezone.localdate(record.follow_up_done_at))}）"
            if record.follow_up_done_at
            else "待回访"
        )
    return Entry(
        number=number,
        record=record,
        date=cn_date(record.occurred_on, weekday=True),
        kind=record.get_kind_display(),
        topics=[str(Topic(t).label) for t in record.topics if t in Topic.values],
        others=[link.student.name for link in record.student_links.all() if student and link.student_id != student.pk],
        actions=list(record.action_items.all()),
        follow_up=follow_up,
        replies=replies,
    )


def _books(students: list[Student], records: list[ContactRecord]) -> list[StudentBook]:
    books = {
        s.pk: StudentBook(
            student=s,
            guardians=[
                f"{link.guardian.name}（{link.relationship}）" if link.relationship else link.guardian.name
                for link in s.guardian_links.all()
            ],
        )
        for s in students
    }
    relationships = {s.pk: {link.guardian_id: link.relationship for link in s.guardian_links.all()} for s in students}
    for record in records:
        for link in record.student_links.all():
            book = books.get(link.student_id)
            if book is not None:
                book.entries.append(_entry(book.count + 1, record, book.student, relationships[link.student_id]))
    return list(books.values())


def _head_teacher(school_class: SchoolClass | None, term: Term | None) -> str:
    if school_class is None or term is None:
        return ""
    head = (
        StaffAssignment.objects.filter(term=term, school_class=school_class, role=StaffAssignment.Role.HEAD_TEACHER)
        .select_related("staff__user")
        .first()
    )
    return head.staff.user.display_name if head else ""


def _logo() -> str:
    path = Path(settings.BASE_DIR) / "static" / "img" / "logo.svg"
    try:
        return "data:image/svg+xml;base64," + base64.b64encode(path.read_bytes()).decode()
    except OSError:
        return ""


def _common(school, term: Term | None) -> dict:
    return {
        "school": school,
        "term": term,
        "logo": _logo(),
        "exported_on": cn_date(timezone.localdate()),
    }


def student_context(student: Student, term: Term | None) -> dict:
    """One student's book for the term (the student was fetched through access_student_to_record)."""
    with translation.override("zh-hans"):
        records = list(_records().filter(term=term, student_links__student=student)) if term else []
        students = _students(Student.objects.filter(pk=student.pk)) or [student]
        books = _books(students, records)
        return {
            **_common(student.school, term),
            "book": books[0],
            "school_class": student.school_class,
            "head_teacher": _head_teacher(student.school_class, term),
            "title": f"{student.name} 家校联系册",
        }


def class_context(school_class: SchoolClass, term: Term | None) -> dict:
    """The whole class's book: every active student's contacts, then the class-wide guidance."""
    with translation.override("zh-hans"):
        students = _students(Student.objects.filter(school_class=school_class))
        records = []
        collective = []
        if term is not None:
            records = list(_records().filter(term=term, student_links__student__in=students).distinct())
            collective = [
                _entry(i, r, None, {})
                for i, r in enumerate(_records().filter(term=term, school_class=school_class), start=1)
            ]
        books = _books(students, records)
        distinct = {e.record.pk: e.record for b in books for e in b.entries}
        kinds = Counter(r.kind for r in distinct.values())
        shared = [r for r in distinct.values() if r.visibility == ContactRecord.Visibility.SHARED]
        return {
            **_common(school_class.school, term),
            "school_class": school_class,
            "head_teacher": _head_teacher(school_class, term),
            "books": books,
            "collective": collective,
            "title": f"{school_class.name} 家校联系册",
            "stats": {
                "students": len(books),
                "contacted": sum(1 for b in books if b.entries),
                "uncontacted": sum(1 for b in books if not b.entries),
                "records": len(distinct),
                "home_visits": kinds.get(ContactRecord.Kind.HOME_VISIT, 0),
                "phone": kinds.get(ContactRecord.Kind.PHONE, 0),
                "minutes": sum(r.duration_minutes for r in distinct.values()),
                "shared": len(shared),
                "acknowledged": sum(1 for r in shared if r.acknowledgements.all()),
                "collective": len(collective),
            },
        }
