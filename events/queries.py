"""Reading events: the school's list, today's events on the staff home page, the attendance sheet
of a meeting, the parent school's attendance per family, a user's calendar, the staff to choose
organisers from, and the open to-do items events leave. Each a fixed number of queries whatever
the number of families."""

import datetime
from collections import defaultdict

from django.db.models import (
    BooleanField,
    Case,
    Count,
    DateField,
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from notices.models import Receipt, StudentReceipt
from schools.models import SchoolClass, StaffAssignment, StaffMember, Student, StudentGuardian

from .models import Attendance, Booking, Event, EventRules, FollowUp, Reflection, Resolution, Rsvp


def _count(qs):
    """A correlated COUNT(*) of ``qs`` as a subquery (the rows share one school, so one group)."""
    counted = qs.order_by().values("school_id").annotate(n=Count("pk")).values("n")[:1]
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def staff_to_choose(school) -> list[StaffMember]:
    """The school's active staff with their assignments this term (class and subject), for the
    organiser and teacher lists (``events.forms.staff_choices``): two queries, whatever the size."""
    this_term = StaffAssignment.objects.filter(term__is_current=True).select_related("school_class")
    return list(
        StaffMember.objects.filter(school=school, is_active=True)
        .select_related("user")
        .prefetch_related(
            Prefetch(
                "assignments",
                queryset=this_term.order_by("school_class__grade", "school_class__number", "role", "subject"),
            )
        )
        .order_by("user__name", "pk")
    )


def head_classes(roles, school):
    """The classes of the school the user is head teacher of (their parent-school pages)."""
    return SchoolClass.objects.filter(pk__in=roles.head_class_ids, school=school)


def school_events(request, school, *, past: bool = False) -> list:
    """The events a staff member manages (school admins: all of the school's), with invited,
    coming and attended counts: one query."""
    roles = request.roles
    events = Event.objects.filter(school=school)
    if not roles.is_admin_of(school.pk):
        reaches_my_class = StudentReceipt.objects.filter(
            notice_id=OuterRef("notice_id"), student__school_class_id__in=roles.head_class_ids
        )
        events = events.filter(Q(author=request.user) | Q(organisers=request.user) | Exists(reaches_my_class))
    now = timezone.now()
    events = events.filter(ends_at__lt=now) if past else events.filter(ends_at__gte=now)
    invited = Receipt.objects.filter(notice_id=OuterRef("notice_id"))
    coming = Rsvp.objects.filter(event=OuterRef("pk"), answer=Rsvp.Answer.YES)
    came = Attendance.objects.filter(
        event=OuterRef("pk"), status__in=[Attendance.Status.PRESENT, Attendance.Status.LATE]
    )
    events = events.annotate(
        n_invited=_count(invited),
        n_coming=_count(coming),
        n_came=_count(came),
    ).distinct()
    return list(events.order_by("-starts_at" if past else "starts_at")[:200])


def todays_events(user, roles, school, *, day: datetime.date | None = None) -> list[Event]:
    """The staff home's "today": the school's events that take place on ``day`` (today by
    default), cancelled ones included (the teacher must know), that the user manages as
    ``access.may_manage`` says (with ``roll``: their author, their organisers, the head teachers of
    the classes they reach; a school admin: all of them) or is invited to as staff. Each carries
    ``i_manage``: whether its link is the manage page or the invitation. One query."""
    day = day or timezone.localdate()
    start = timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
    end = start + datetime.timedelta(days=1)
    events = Event.objects.filter(school=school, starts_at__lt=end, ends_at__gte=start)
    if roles.is_admin_of(school.pk):
        events = events.annotate(i_manage=Value(True))
    else:
        organised = Event.organisers.through.objects.filter(event_id=OuterRef("pk"), user_id=user.pk)
        reaches_my_class = StudentReceipt.objects.filter(
            notice_id=OuterRef("notice_id"), student__school_class_id__in=roles.head_class_ids
        )
        invited = Receipt.objects.filter(
            notice_id=OuterRef("notice_id"), notice__status="published", guardian__isnull=True, user=user
        )
        manages = Q(author=user) | Q(Exists(organised)) | Q(Exists(reaches_my_class))
        events = events.annotate(
            i_manage=Case(When(manages, then=Value(True)), default=Value(False), output_field=BooleanField())
        ).filter(manages | Q(Exists(invited)))
    return list(events.order_by("starts_at", "pk"))


def attendance_sheet(event: Event) -> dict:
    """Every invited family with the children it covers, its reply and its sign-in; totals."""
    receipts = list(
        Receipt.objects.filter(notice_id=event.notice_id or 0, guardian__isnull=False)
        .select_related("guardian")
        .order_by("guardian__name", "pk")
    )
    staff = list(Receipt.objects.filter(notice_id=event.notice_id or 0, guardian__isnull=True).select_related("user"))
    rsvps = {r.receipt_id: r for r in Rsvp.objects.filter(event=event)}
    attendance = {a.receipt_id: a for a in Attendance.objects.filter(event=event)}
    audience_students = StudentReceipt.objects.filter(notice_id=event.notice_id or 0).values("student_id")
    children: dict = defaultdict(list)
    for link in (
        StudentGuardian.objects.filter(
            guardian_id__in=[r.guardian_id for r in receipts], student_id__in=audience_students
        )
        .select_related("student__school_class")
        .order_by("student__school_class__grade", "student__school_class__number", "student__name")
    ):
        children[link.guardian_id].append(link.student)
    rows = []
    for r in receipts:
        kids = children.get(r.guardian_id, [])
        rows.append(
            {
                "receipt": r,
                "children": kids,
                "class_names": sorted({k.school_class.name for k in kids if k.school_class}),
                "rsvp": rsvps.get(r.pk),
                "attendance": attendance.get(r.pk),
            }
        )
    rows.sort(key=lambda row: (row["class_names"][:1], row["children"][0].name if row["children"] else ""))
    came = sum(1 for a in attendance.values() if a.status != Attendance.Status.ABSENT)
    return {
        "rows": rows,
        "staff": [{"receipt": r, "attendance": attendance.get(r.pk), "rsvp": rsvps.get(r.pk)} for r in staff],
        "invited": len(receipts) + len(staff),
        "coming": sum(1 for r in rsvps.values() if r.answer == Rsvp.Answer.YES),
        "not_coming": sum(1 for r in rsvps.values() if r.answer == Rsvp.Answer.NO),
        "people": sum(r.people for r in rsvps.values() if r.answer == Rsvp.Answer.YES),
        "came": came,
        "late": sum(1 for a in attendance.values() if a.status == Attendance.Status.LATE),
        "absent": sum(1 for a in attendance.values() if a.status == Attendance.Status.ABSENT),
    }


def parent_school_rule(school) -> int:
    rules = EventRules.objects.filter(school=school).first()
    return rules.parent_school_sessions_per_term if rules else 1


def parent_school_attendance(school_class, term) -> dict:
    """R27: per family of the class, the parent-school sessions attended this term, against the rule."""
    students = list(
        Student.objects.filter(school_class=school_class, status=Student.Status.ACTIVE).order_by(
            "student_number", "name"
        )
    )
    # Sessions held: begun already, and open to this class's families.
    sessions = Event.objects.filter(
        school_id=school_class.school_id,
        kind=Event.Kind.PARENT_SCHOOL,
        status=Event.Status.SCHEDULED,
        starts_at__lte=timezone.now(),
        notice__student_receipts__student__school_class=school_class,
        starts_at__date__gte=term.start_date if term else datetime.date.min,
        starts_at__date__lte=term.end_date if term else datetime.date.max,
    )
    attended = dict(
        Attendance.objects.filter(
            event__in=sessions,
            status__in=[Attendance.Status.PRESENT, Attendance.Status.LATE],
            receipt__guardian__student_links__student__school_class=school_class,
        )
        .values("receipt__guardian__student_links__student")
        .annotate(n=Count("event", distinct=True))
        .values_list("receipt__guardian__student_links__student", "n")
    )
    rule = parent_school_rule(school_class.school)
    rows = [{"student": s, "sessions": attended.get(s.pk, 0), "ok": attended.get(s.pk, 0) >= rule} for s in students]
    return {
        "rows": rows,
        "rule": rule,
        "held": sessions.distinct().count(),
        "missing": [r["student"] for r in rows if not r["ok"]],
    }


def invited_events(user, *, since=None):
    """The events whose invitation reached the user, newest first."""
    mine = Receipt.objects.filter(Q(guardian__user=user) | Q(guardian__isnull=True, user=user))
    events = Event.objects.filter(notice__status="published", notice_id__in=mine.values("notice_id"))
    if since is not None:
        events = events.filter(ends_at__gte=since)
    return events.select_related("school")


def calendar_items(user) -> dict:
    """Everything that concerns the user: events they are invited to or organise, and their
    individual conferences (booked as a family, or held as a teacher)."""
    since = timezone.now() - datetime.timedelta(days=180)
    events = list(
        (invited_events(user, since=since) | Event.objects.filter(organisers=user, ends_at__gte=since))
        .distinct()
        .select_related("school", "notice")
        .order_by("starts_at")
    )
    bookings = list(
        Booking.objects.filter(
            Q(receipt__guardian__user=user) | Q(slot__day__teachers=user), slot__starts_at__gte=since
        )
        .distinct()
        .select_related("slot__day__school_class", "receipt__guardian")
        .prefetch_related("students")
        .order_by("slot__starts_at")
    )
    return {"events": events, "bookings": bookings}


# --- the to-do list (home.todo reads these: the page, the home count and the API) -------------------


def open_follow_ups(user, school) -> QuerySet[FollowUp]:
    """Children whose family missed a meeting, for the head teacher to be in touch with (no due date)."""
    return FollowUp.objects.filter(school=school, owner=user, done_at__isnull=True)


def open_resolutions(user, school) -> QuerySet[Resolution]:
    """Resolutions of meetings the user owns, not yet done (due: ``due_on``)."""
    return Resolution.objects.filter(school=school, owner=user, done_at__isnull=True)


def open_todo_due_dates(user, school) -> list[datetime.date | None]:
    """The due date (or None) of every open item above, in one query: what the home page counts."""
    no_date = Value(None, output_field=DateField())
    return list(
        open_follow_ups(user, school)
        .order_by()
        .annotate(due=no_date)
        .values_list("due", flat=True)
        .union(open_resolutions(user, school).order_by().values_list("due_on", flat=True), all=True)
    )


def reflections_of(event: Event):
    return (
        Reflection.objects.filter(event=event)
        .select_related("receipt__guardian", "commented_by")
        .order_by("-excellent", "submitted_at")
    )


def shared_reflections(event: Event):
    return Reflection.objects.filter(event=event, shared=True).order_by("submitted_at")
