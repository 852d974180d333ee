"""Reads shaped for pages and the API: each a fixed number of queries, whatever the size."""

import datetime

from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch, Q
from django.utils.translation import gettext as _

from accounts.models import User

from .models import (
    Guardian,
    RetentionPeriod,
    School,
    SchoolClass,
    StaffAssignment,
    StaffMember,
    Student,
    StudentGuardian,
    Term,
)


def current_term(school: School | int) -> Term | None:
    """The school's current term (a school, or its id), or None before an admin has made one. The
    one way to ask: every app reads the current term through it."""
    return Term.objects.filter(school=school, is_current=True).first()


def require_current_term(school: School | int) -> Term:
    """The school's current term, for writes that cannot go on without one."""
    term = current_term(school)
    if term is None:
        raise ValidationError(_("The school has no current term yet. An admin must create one first."))
    return term


def active_student_of_class(school_class: SchoolClass, student_id: int | str) -> Student | None:
    """A student still in this class, or None (a join request is matched to one of them)."""
    return Student.objects.filter(pk=student_id, school_class=school_class, status=Student.Status.ACTIVE).first()


def term_dates_containing(day: datetime.date) -> tuple[str, datetime.date, datetime.date]:
    """The name, first and last day of the term around ``day``, the way Chinese schools name them
    (the first term runs from 1 September to 20 January, the second from 20 February to 10 July). A
    day in a holiday stretches the nearest term to it, so the term always contains the day. The demo
    and the test cast build their current term with it: neither depends on the day it runs."""
    if day.month >= 8 or day.month == 1:
        year = day.year if day.month >= 8 else day.year - 1
        name, start, end = f"{year}—{year + 1}学年第一学期", datetime.date(year, 9, 1), datetime.date(year + 1, 1, 20)
    else:
        year = day.year - 1
        name = f"{year}—{year + 1}学年第二学期"
        start, end = datetime.date(year + 1, 2, 20), datetime.date(year + 1, 7, 10)
    return name, min(start, day), max(end, day)


def _current_assignments():
    return Prefetch(
        "assignments",
        queryset=StaffAssignment.objects.filter(term__is_current=True).select_related("staff__user"),
        to_attr="current_assignments",
    )


def classes_with_teachers(school_class_qs):
    """Classes with this term's teachers and their counts of students and activated guardians."""
    return (
        school_class_qs.filter(graduated_at__isnull=True)
        .annotate(
            student_count=Count("students", filter=Q(students__status=Student.Status.ACTIVE), distinct=True),
        )
        .prefetch_related(_current_assignments())
        .order_by("grade", "number")
    )


def school_classes(school):
    return classes_with_teachers(SchoolClass.objects.filter(school=school))


def classes_of_teacher(roles):
    return classes_with_teachers(SchoolClass.objects.filter(pk__in=roles.taught_class_ids))


def head_teacher(school_class) -> StaffMember | None:
    for assignment in getattr(school_class, "current_assignments", []):
        if assignment.role == StaffAssignment.Role.HEAD_TEACHER:
            return assignment.staff
    return None


def class_roster(school_class):
    """Students of the class with their guardians (two queries)."""
    links = StudentGuardian.objects.select_related("guardian").order_by("id")
    return (
        Student.objects.filter(school_class=school_class, status=Student.Status.ACTIVE)
        .prefetch_related(Prefetch("guardian_links", queryset=links))
        .order_by("student_number", "name")
    )


def colleague_guardian_ids(students) -> set[int]:
    """The guardians of these students (with their links prefetched, ``class_roster``) who are also
    on a school's staff: only a school admin may reset their access or remove them from a child
    (``access._is_staff_somewhere``), so a head teacher's class page does not offer it. One query."""
    from django_scopes import scopes_disabled

    guardians = [link.guardian for s in students for link in s.guardian_links.all() if link.guardian.user_id]
    if not guardians:
        return set()
    with scopes_disabled():  # reviewed: whether these accounts are staff anywhere, nothing else read
        staff = set(
            StaffMember.objects.filter(user_id__in={g.user_id for g in guardians}).values_list("user_id", flat=True)
        )
    return {g.pk for g in guardians if g.user_id in staff}


def roster_summary(students) -> dict:
    """Students, guardians (位家长) and families (家): a family is the household of guardians a
    child has, so siblings who share a guardian are one family, and the two parents of one child
    are one family, not two. A family has joined when one of its guardians has signed in."""
    guardians: dict[int, Guardian] = {}
    household: dict[int, int] = {}  # guardian id → a representative guardian id (union-find)

    def root(g: int) -> int:
        while household[g] != g:
            household[g] = household[household[g]]
            g = household[g]
        return g

    for student in students:
        ids = [link.guardian_id for link in student.guardian_links.all()]
        for link in student.guardian_links.all():
            guardians[link.guardian_id] = link.guardian
            household.setdefault(link.guardian_id, link.guardian_id)
        for other in ids[1:]:
            household[root(other)] = root(ids[0])
    families: dict[int, bool] = {}
    for g in guardians.values():
        families[root(g.pk)] = families.get(root(g.pk), False) or g.is_activated
    activated = sum(1 for g in guardians.values() if g.is_activated)
    return {
        "students": len(students),
        "guardians": len(guardians),
        "activated": activated,
        "families": len(families),
        "families_joined": sum(families.values()),
    }


ROSTER_FILTERS = ("not_signed_in", "not_joined")


def filter_roster(students, *, q: str = "", show: str = "") -> list:
    """The class page's search and filter, over the roster already loaded (no query): ``q`` matches
    a student's name or number, or a guardian's name or phone; ``show`` keeps the students with a
    guardian who has not signed in yet (not_signed_in) or none who has (not_joined: the family has
    not joined)."""
    q = q.strip()
    kept = []
    for student in students:
        guardians = [link.guardian for link in student.guardian_links.all()]
        if q and not (
            q in student.name
            or q in (student.student_number or "")
            or any(q in g.name or q in (g.phone or "") for g in guardians)
        ):
            continue
        if show == "not_signed_in" and all(g.is_activated for g in guardians):
            continue
        if show == "not_joined" and any(g.is_activated for g in guardians):
            continue
        kept.append(student)
    return kept


def staff_of_school(school):
    return (
        StaffMember.objects.filter(school=school)
        .select_related("user")
        .prefetch_related(
            Prefetch(
                "assignments",
                queryset=StaffAssignment.objects.filter(term__is_current=True).select_related("school_class"),
                to_attr="current_assignments",
            )
        )
        .order_by("-is_active", "-is_school_admin", "user__name")
    )


def children_of(roles):
    """A parent's children across classes and schools, with their class and school (one query)
    and this term's head teacher (one more)."""
    children = list(
        Student.objects.filter(pk__in=roles.child_ids)
        .select_related("school", "school_class")
        .order_by("school__name", "school_class__grade", "name")
    )
    class_ids = [c.school_class_id for c in children if c.school_class_id]
    heads: dict[int | None, User] = {
        a.school_class_id: a.staff.user
        for a in StaffAssignment.objects.filter(
            school_class_id__in=class_ids, term__is_current=True, role=StaffAssignment.Role.HEAD_TEACHER
        ).select_related("staff__user")
    }
    for child in children:
        child.head_teacher = heads.get(child.school_class_id)  # type: ignore[attr-defined]  # for the page
    return children


def retention_periods(school: School) -> dict[str, int]:
    """How many days the school keeps each kind of record: its own setting, else the default. One query."""
    days = {str(kind): value for kind, value in RetentionPeriod.DEFAULT_DAYS.items()}
    days.update(RetentionPeriod.objects.filter(school=school).values_list("kind", "days"))
    return days
