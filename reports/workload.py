"""Workload signals for the principal, and the per-teacher view of contacts (issue 15).

Framed as support, shown only to the school's admins: messages staff sent outside working hours,
families' questions waiting more than two working days (counted for the class's head teacher), and
teachers with many overdue follow-ups, per week and per teacher. Each figure is one aggregate query
over the school, never a loop over teachers.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.db.models.functions import Coalesce, ExtractHour, ExtractIsoWeekDay, TruncDate
from django.utils import timezone

from chat.models import Message
from contactbook.models import ContactRecord
from schools.models import StaffAssignment, StaffMember, Term

from .rhythm import overdue_follow_ups, unanswered_questions

WORK_STARTS, WORK_ENDS = 7, 21  # working hours, Shanghai: 07:00–21:00 on weekdays
WAITING_WORKING_DAYS = 2
MANY_OVERDUE = 5
WEEKS = 8


def working_days_before(moment: datetime.datetime, days: int) -> datetime.datetime:
    """The moment ``days`` working days (Monday to Friday) before ``moment``."""
    out = moment
    while days:
        out -= datetime.timedelta(days=1)
        if out.weekday() < 5:
            days -= 1
    return out


def week_of(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


@dataclass
class TeacherWeek:
    user_id: int
    name: str
    weeks: dict[datetime.date, dict[str, int]] = field(default_factory=dict)
    overdue: int = 0

    @property
    def after_hours(self) -> int:
        return sum(w.get("after_hours", 0) for w in self.weeks.values())

    @property
    def waiting(self) -> int:
        return sum(w.get("waiting", 0) for w in self.weeks.values())

    @property
    def many_overdue(self) -> bool:
        return self.overdue >= MANY_OVERDUE


def workload(
    school, term: Term, *, now: datetime.datetime | None = None
) -> tuple[list[datetime.date], list[TeacherWeek]]:
    """The last ``WEEKS`` weeks (Mondays, newest first) and per teacher with any signal: messages
    sent outside working hours per week, families' questions waiting over two working days per week
    they were asked, overdue follow-ups now. Four queries."""
    now = now or timezone.now()
    tz = timezone.get_current_timezone()
    today = timezone.localdate(now)
    since_day = week_of(today) - datetime.timedelta(weeks=WEEKS - 1)
    since = timezone.make_aware(datetime.datetime.combine(since_day, datetime.time.min))
    weeks = [week_of(today) - datetime.timedelta(weeks=i) for i in range(WEEKS)]
    staff = dict(StaffMember.objects.filter(school=school, is_active=True).values_list("user_id", "user__name"))
    people: dict[int, TeacherWeek] = {}

    def person(user_id: int) -> TeacherWeek:
        if user_id not in people:
            people[user_id] = TeacherWeek(user_id, staff.get(user_id, ""))
        return people[user_id]

    after_hours = (
        Message.objects.filter(school=school, sender_id__in=list(staff), created_at__gte=since)
        .exclude(kind=Message.Kind.AUTO_REPLY)
        .annotate(
            hour=ExtractHour("created_at", tzinfo=tz),
            weekday=ExtractIsoWeekDay("created_at", tzinfo=tz),
            day=TruncDate("created_at", tzinfo=tz),
        )
        .filter(Q(hour__lt=WORK_STARTS) | Q(hour__gte=WORK_ENDS) | Q(weekday__gte=6))
        .order_by()
        .values("sender_id", "day")
        .annotate(n=Count("pk"))
    )
    for row in after_hours:
        week = person(row["sender_id"]).weeks.setdefault(week_of(row["day"]), {})
        week["after_hours"] = week.get("after_hours", 0) + row["n"]

    heads = dict(
        StaffAssignment.objects.filter(term=term, role=StaffAssignment.Role.HEAD_TEACHER)
        .order_by("pk")
        .values_list("school_class_id", "staff__user_id")
    )
    waiting = (
        unanswered_questions(school)
        .filter(created_at__gte=since, created_at__lt=working_days_before(now, WAITING_WORKING_DAYS))
        .annotate(
            class_id=Coalesce("conversation__school_class_id", "conversation__student__school_class_id"),
            day=TruncDate("created_at", tzinfo=tz),
        )
        .order_by()
        .values("class_id", "day")
        .annotate(n=Count("pk"))
    )
    for row in waiting:
        head = heads.get(row["class_id"])
        if head is None:
            continue
        week = person(head).weeks.setdefault(week_of(row["day"]), {})
        week["waiting"] = week.get("waiting", 0) + row["n"]

    for row in overdue_follow_ups(school, today).order_by().values("author_id").annotate(n=Count("pk")):
        if row["author_id"] in staff:
            person(row["author_id"]).overdue = row["n"]
    ordered = sorted(people.values(), key=lambda p: (-p.overdue, -(p.after_hours + p.waiting), p.name))
    return weeks, ordered


@dataclass
class TeacherContacts:
    user_id: int
    name: str
    by_kind: dict[str, int]
    families: int  # distinct students named on their records this term
    total: int


def teacher_contacts(school, term: Term, *, user_id: int | None = None) -> list[TeacherContacts]:
    """Per teacher (``user_id``: only them), the contact records of the term by kind, and how many
    families (students named) they have been in touch with: two queries."""
    records = ContactRecord.objects.filter(school=school, term=term)
    if user_id is not None:
        records = records.filter(author_id=user_id)
    by_kind: dict[int, dict[str, int]] = defaultdict(dict)
    names: dict[int, str] = {}
    for row in records.order_by().values("author_id", "author__name", "kind").annotate(n=Count("pk")):
        by_kind[row["author_id"]][row["kind"]] = row["n"]
        names[row["author_id"]] = row["author__name"]
    families = dict(
        records.order_by()
        .values("author_id")
        .annotate(n=Count("student_links__student", distinct=True))
        .values_list("author_id", "n")
    )
    out = [
        TeacherContacts(uid, names[uid], kinds, families.get(uid, 0), sum(kinds.values()))
        for uid, kinds in by_kind.items()
    ]
    out.sort(key=lambda t: (-t.total, t.name))
    return out
