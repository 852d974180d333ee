"""Reads of the suggestion box, each a fixed number of queries."""

import datetime

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q
from django.utils import timezone

from schools.models import SchoolClass, StaffMember, Student

from .models import Rectification, Route, Suggestion


def inbox(user, roles, school) -> list[Suggestion]:
    """What this staff member handles: their own suggestions, and for an admin the whole school's."""
    qs = Suggestion.objects.filter(school=school)
    if not roles.is_admin_of(school.pk):
        qs = qs.filter(owner=user)
    return list(
        qs.select_related("school_class", "owner").annotate(
            open_rects=Count("rectifications", filter=Q(rectifications__closed_at__isnull=True))
        )
    )


def my_rectifications(user, school) -> list[Rectification]:
    """Open rectifications this staff member owns (they may not own the suggestion itself)."""
    return list(
        Rectification.objects.filter(school=school, owner=user, closed_at__isnull=True).select_related("suggestion")
    )


def mine(user, receipt_hashes: list[str]) -> list[Suggestion]:
    """The user's signed suggestions and those whose receipts this browser holds."""
    cond = Q(author=user, anonymous=False)
    if receipt_hashes:
        cond |= Q(receipt_hash__in=receipt_hashes)
    return list(Suggestion.objects.filter(cond).select_related("school", "school_class"))


def detail_rectifications(suggestion: Suggestion) -> list[Rectification]:
    return list(suggestion.rectifications.select_related("owner"))


def you_said_we_did(school_ids) -> list[Suggestion]:
    return list(
        Suggestion.objects.filter(school_id__in=school_ids, published_at__isnull=False)
        .select_related("school")
        .order_by("-published_at")[:100]
    )


def month_bounds(year: int, month: int) -> tuple[datetime.datetime, datetime.datetime]:
    tz = timezone.get_current_timezone()
    start = datetime.datetime(year, month, 1, tzinfo=tz)
    end = datetime.datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=tz)
    return start, end


def monthly_report(school, year: int, month: int) -> dict:
    """One query per figure: suggestions by kind, the mean time to first answer, rectifications
    opened in the month still open and closed."""
    start, end = month_bounds(year, month)
    month_qs = Suggestion.objects.filter(school=school, created_at__gte=start, created_at__lt=end)
    by_kind = dict(month_qs.values_list("kind").annotate(n=Count("pk")).order_by("kind"))
    first_answer = month_qs.filter(answered_at__isnull=False).aggregate(
        avg=Avg(ExpressionWrapper(F("answered_at") - F("created_at"), output_field=DurationField())),
        n=Count("pk"),
    )
    rects = Rectification.objects.filter(school=school, opened_at__gte=start, opened_at__lt=end).aggregate(
        open=Count("pk", filter=Q(closed_at__isnull=True)), closed=Count("pk", filter=Q(closed_at__isnull=False))
    )
    avg = first_answer["avg"]
    return {
        "year": year,
        "month": month,
        "by_kind": by_kind,
        "total": sum(by_kind.values()),
        "answered": first_answer["n"],
        "hours_to_first_answer": round(avg.total_seconds() / 3600, 1) if avg is not None else None,
        "rectifications_open": rects["open"],
        "rectifications_closed": rects["closed"],
    }


def places(roles) -> list[dict]:
    """Where this user may send a suggestion: each of their schools, and each class of their
    children (staff: the classes they teach). Two queries."""
    students = list(Student.objects.filter(pk__in=roles.child_ids).select_related("school_class", "school"))
    classes: dict[int, SchoolClass] = {s.school_class.pk: s.school_class for s in students if s.school_class}
    if roles.taught_class_ids:
        classes.update({c.pk: c for c in SchoolClass.objects.filter(pk__in=roles.taught_class_ids)})
    schools = {s.school_id: s.school for s in students}
    schools.update({sid: m.school for sid, m in roles.staff.items()})
    found = []
    for school in sorted(schools.values(), key=lambda s: s.pk):
        found.append({"value": f"{school.pk}:", "label": school.name, "school_id": school.pk, "class_id": None})
        for c in sorted(classes.values(), key=lambda c: (c.grade, c.number)):
            if c.school_id == school.pk:
                found.append(
                    {
                        "value": f"{school.pk}:{c.pk}",
                        "label": f"{school.name} · {c.name}",
                        "school_id": school.pk,
                        "class_id": c.pk,
                    }
                )
    return found


def staff_choices(school) -> list[tuple[int, str]]:
    return [
        (m.user_id, m.user.display_name)
        for m in StaffMember.objects.filter(school=school, is_active=True).select_related("user").order_by("pk")
    ]


def routes(school) -> dict[str, Route]:
    return {r.kind: r for r in Route.objects.filter(school=school).select_related("owner")}
