"""Reads across the domains (events, contact book, community), which only this layer may join: the
trainings a volunteer attended, and the term's engagement for recognition (表彰)."""

import datetime
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from community.models import DutyAssignment, VolunteerSignup
from community.queries import Training
from contactbook.models import ContactRecord
from events.models import Attendance, Event, Reflection
from schools.models import StaffMember, StudentGuardian

from .models import Commendation

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# The kind of event that is a training for families: the parent school's lectures and trainings.
TRAINING_KINDS = (Event.Kind.PARENT_SCHOOL,)


def trainings_attended(guardian_ids: list[int]) -> dict[int, list[Training]]:
    """guardian id → the trainings (parent-school sessions) they signed in at, oldest first: one
    query. Named in settings.COMMUNITY_TRAININGS_SOURCE, so community's archive reads it without
    importing events."""
    found: dict[int, list[Training]] = defaultdict(list)
    if not guardian_ids:
        return found
    rows = (
        Attendance.objects.filter(
            receipt__guardian_id__in=guardian_ids,
            status__in=(Attendance.Status.PRESENT, Attendance.Status.LATE),
            event__kind__in=TRAINING_KINDS,
            event__status=Event.Status.SCHEDULED,
        )
        .order_by("event__starts_at", "event_id")
        .values_list("receipt__guardian_id", "event__starts_at", "event__title")
    )
    for guardian_id, starts_at, title in rows:
        found[guardian_id].append(Training(date=timezone.localtime(starts_at).date(), title=title))
    return found


# --- engagement, for recognition (表彰) ---------------------------------------------------------------

TEACHER, FAMILY = "teacher", "family"


@dataclass(frozen=True)
class Window:
    """The school and the term the engagement is counted in."""

    school_id: int
    term_id: int
    start: datetime.datetime
    end: datetime.datetime


# A source reads one kind of record in one query, and yields for each: the id of whom it counts for,
# one line of evidence, and how much it counts (1 a record; hours for the volunteers' time).
Rows = Iterable[tuple[int, str, float]]


@dataclass(frozen=True)
class Source:
    key: str
    label: "str | StrOrPromise"  # a lazy translation
    who: str  # TEACHER (a user id) or FAMILY (a guardian id)
    points: int  # per record (or per hour), to rank by
    rows: Callable[[Window], Rows]


def _day(moment) -> str:
    return f"{timezone.localtime(moment):%Y-%m-%d}"


def contacts_recorded(window: Window) -> Rows:
    records = ContactRecord.objects.filter(school_id=window.school_id, term_id=window.term_id).order_by("occurred_on")
    for author_id, day, kind in records.values_list("author_id", "occurred_on", "kind"):
        yield author_id, f"{day:%Y-%m-%d} {ContactRecord.Kind(kind).label}", 1


def _events_in(window: Window):
    return Event.objects.filter(
        school_id=window.school_id,
        status=Event.Status.SCHEDULED,
        starts_at__gte=window.start,
        starts_at__lt=window.end,
        starts_at__lte=timezone.now(),
    )


def meetings_held(window: Window) -> Rows:
    meetings = _events_in(window).filter(kind=Event.Kind.PARENT_MEETING).order_by("starts_at")
    for author_id, starts_at, title in meetings.values_list("author_id", "starts_at", "title"):
        yield author_id, f"{_day(starts_at)} {title}", 1


def meetings_attended(window: Window) -> Rows:
    came = Attendance.objects.filter(
        event__in=_events_in(window),
        receipt__guardian__isnull=False,
        status__in=(Attendance.Status.PRESENT, Attendance.Status.LATE),
    ).order_by("event__starts_at")
    for guardian_id, starts_at, title in came.values_list("receipt__guardian_id", "event__starts_at", "event__title"):
        yield guardian_id, f"{_day(starts_at)} {title}", 1


def staff_meetings_attended(window: Window) -> Rows:
    """Meetings a teacher was invited to as staff (a receipt of their own) and signed in at."""
    came = Attendance.objects.filter(
        event__in=_events_in(window),
        receipt__guardian__isnull=True,
        receipt__user__isnull=False,
        status__in=(Attendance.Status.PRESENT, Attendance.Status.LATE),
    ).order_by("event__starts_at")
    for user_id, starts_at, title in came.values_list("receipt__user_id", "event__starts_at", "event__title"):
        yield user_id, f"{_day(starts_at)} {title}", 1


def reflections_written(window: Window) -> Rows:
    written = Reflection.objects.filter(
        school_id=window.school_id,
        receipt__guardian__isnull=False,
        submitted_at__gte=window.start,
        submitted_at__lt=window.end,
    ).order_by("submitted_at")
    for guardian_id, at, title, excellent in written.values_list(
        "receipt__guardian_id", "submitted_at", "event__title", "excellent"
    ):
        yield guardian_id, f"{_day(at)} {title}" + ("（优秀）" if excellent else ""), 1


def volunteer_hours(window: Window) -> Rows:
    """Each slot served (checked in), counted in hours."""
    served = VolunteerSignup.objects.filter(
        school_id=window.school_id, checked_in_at__gte=window.start, checked_in_at__lt=window.end
    ).order_by("checked_in_at")
    for guardian_id, at, title, minutes in served.values_list(
        "volunteer__guardian_id", "checked_in_at", "slot__activity__title", "minutes"
    ):
        yield guardian_id, f"{_day(at)} {title}（{minutes}分钟）", minutes / 60


def shifts_done(window: Window) -> Rows:
    """Each duty shift a family did (护学岗, 家长轮值), for every guardian of that family."""
    done = DutyAssignment.objects.filter(
        school_id=window.school_id,
        status=DutyAssignment.Status.DONE,
        shift__date__gte=timezone.localtime(window.start).date(),
        shift__date__lt=timezone.localtime(window.end).date(),
        family__guardians__isnull=False,
    ).order_by("shift__date", "shift__starts_at")
    for guardian_id, day, starts_at, place in done.values_list(
        "family__guardians", "shift__date", "shift__starts_at", "shift__place"
    ):
        yield guardian_id, f"{day:%Y-%m-%d} {starts_at:%H:%M} {place}", 1


# What recognition counts. Add a source in one line.
SOURCES: list[Source] = [
    Source("contacts", _("contacts recorded"), TEACHER, 1, contacts_recorded),
    Source("meetings_held", _("parent meetings held"), TEACHER, 3, meetings_held),
    Source("staff_meetings_attended", _("meetings attended as staff"), TEACHER, 1, staff_meetings_attended),
    Source("meetings_attended", _("meetings attended"), FAMILY, 2, meetings_attended),
    Source("volunteer_hours", _("volunteer hours"), FAMILY, 2, volunteer_hours),
    Source("reflections", _("reflections written"), FAMILY, 2, reflections_written),
    Source("shifts", _("duty shifts done"), FAMILY, 2, shifts_done),
]


@dataclass
class Evidence:
    key: str
    label: str
    count: float = 0
    items: list[str] = field(default_factory=list)


@dataclass
class Person:
    kind: str
    id: int
    name: str = ""
    detail: str = ""  # a family: the children and their classes
    score: float = 0
    evidence: dict[str, Evidence] = field(default_factory=dict)

    @property
    def evidence_list(self) -> list[Evidence]:
        return list(self.evidence.values())


def window_of(term) -> Window:
    def at(day: datetime.date) -> datetime.datetime:
        return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))

    return Window(
        school_id=term.school_id,
        term_id=term.pk,
        start=at(term.start_date),
        end=at(term.end_date + datetime.timedelta(days=1)),
    )


def engagement(term, *, sources: list[Source] | None = None, top: int = 20) -> dict[str, list[Person]]:
    """The teachers and the families with the most engagement in the term, each with its evidence:
    one query per source, then one for the teachers' names and one for the families' children."""
    window = window_of(term)
    people: dict[tuple[str, int], Person] = {}
    for source in SOURCES if sources is None else sources:
        for person_id, line, amount in source.rows(window):
            person = people.setdefault((source.who, person_id), Person(kind=source.who, id=person_id))
            evidence = person.evidence.setdefault(source.key, Evidence(key=source.key, label=str(source.label)))
            evidence.count = round(evidence.count + amount, 1)
            evidence.items.append(line)
            person.score = round(person.score + amount * source.points, 1)
    ranked = sorted(people.values(), key=lambda p: (-p.score, p.kind, p.id))
    teachers = [p for p in ranked if p.kind == TEACHER][:top]
    families = [p for p in ranked if p.kind == FAMILY][:top]
    # Only the school's own staff (still active) are ranked; a record's author who left is not.
    staff = dict(
        StaffMember.objects.filter(
            school_id=term.school_id, is_active=True, user_id__in=[p.id for p in teachers]
        ).values_list("user_id", "user__name")
    )
    teachers = [p for p in teachers if p.id in staff]
    for p in teachers:
        p.name = staff[p.id]
    links = (
        StudentGuardian.objects.filter(school_id=term.school_id, guardian_id__in=[p.id for p in families])
        .select_related("guardian", "student__school_class")
        .order_by("student__name")
    )
    found: dict[int, list] = defaultdict(list)
    for link in links:
        found[link.guardian_id].append(link)
    families = [p for p in families if p.id in found]
    for p in families:
        p.name = found[p.id][0].guardian.name
        p.detail = "、".join(
            f"{link.student.school_class.name if link.student.school_class else ''}{link.student.name}"
            for link in found[p.id]
        )
    return {TEACHER: teachers, FAMILY: families}


def person_engagement(term, kind: str, person_id: int) -> Person | None:
    """One person's line of the term's engagement (for the commendation's evidence)."""
    for person in engagement(term, top=10**6)[kind]:
        if person.id == person_id:
            return person
    return None


def commendations(term):
    return Commendation.objects.filter(term=term).select_related("user", "guardian").order_by("kind", "name")
