"""Coverage: the rules of the plan, checked for every student. A fixed number of queries whatever the
size of the class or the school (pinned in the tests, measured in bench/coverage.py).

A record counts for each child it names, and only for them: a talk with a family about two of its
children counts for both when the record names both (the form takes several children), and a talk
about one child does not count for a brother or sister, whose teachers may not even see it (what is
about one child travels only to the staff entitled to it). So that the page does not look wrong,
a child with no record whose brother or sister in the same class has one this term says so plainly,
instead of claiming nobody has talked with the family."""

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, DateField, Exists, Max, OuterRef, Q, QuerySet, Value
from django.utils import timezone
from django.utils.translation import gettext as _

from notices import queries as notices_queries
from schools.models import Student, Term
from schools.roles import Roles

from .models import ActionItem, CareCase, ContactRecord, ContactStudent, ConversationRequest, CoverageRules


def rules_of(school) -> CoverageRules:
    rules = CoverageRules.objects.filter(school=school).first()
    return rules or CoverageRules(school=school)


@dataclass
class StudentCoverage:
    student: Student
    contacts: int
    home_visits: int
    praise: int
    concern: int
    phone_this_month: int
    last_contact: datetime.date | None
    in_care: bool
    sibling_contacted: bool = False  # a brother or sister in the same class has a record this term
    shortfalls: list[str] = field(default_factory=list)


def _students_with_counts(students, term: Term, month_start: datetime.date):
    in_term = Q(contact_links__record__term=term)
    return students.annotate(
        contacts=Count("contact_links__record", filter=in_term, distinct=True),
        home_visits=Count(
            "contact_links__record", filter=in_term & Q(contact_links__record__kind="home_visit"), distinct=True
        ),
        praise=Count(
            "contact_links__record", filter=in_term & Q(contact_links__record__has_praise=True), distinct=True
        ),
        concern=Count(
            "contact_links__record", filter=in_term & Q(contact_links__record__has_concern=True), distinct=True
        ),
        phone_this_month=Count(
            "contact_links__record",
            filter=in_term
            & Q(contact_links__record__kind="phone", contact_links__record__occurred_on__gte=month_start),
            distinct=True,
        ),
        last_contact=Max("contact_links__record__occurred_on", filter=in_term),
        # A brother or sister (a child sharing a guardian) in the same class named on a record this term.
        sibling_contacted=Exists(
            ContactStudent.objects.filter(
                record__term=term,
                student__school_class=OuterRef("school_class"),
                student__guardian_links__guardian__student_links__student=OuterRef("pk"),
            ).exclude(student=OuterRef("pk"))
        ),
    )


def coverage(students, *, school, term: Term | None, today: datetime.date | None = None) -> list[StudentCoverage]:
    """Each student's contacts this term and what the school's rules say is missing, children nobody
    has contacted first."""
    if term is None:
        return []
    today = today or timezone.localdate()
    month_start = today.replace(day=1)
    rules = rules_of(school)
    rows = list(_students_with_counts(students.filter(status=Student.Status.ACTIVE), term, month_start))
    in_care = set(
        CareCase.objects.filter(student__in=[s.pk for s in rows], closed_at__isnull=True).values_list(
            "student_id", flat=True
        )
    )
    result = []
    for s in rows:
        row = StudentCoverage(
            student=s,
            contacts=s.contacts,
            home_visits=s.home_visits,
            praise=s.praise,
            concern=s.concern,
            phone_this_month=s.phone_this_month,
            last_contact=s.last_contact,
            in_care=s.pk in in_care,
            sibling_contacted=s.sibling_contacted,
        )
        if row.contacts == 0 and row.sibling_contacted:
            row.shortfalls.append(
                _(
                    "no record names this child yet: the family was contacted about a brother or sister, "
                    "and a record counts only for the children it names"
                )
            )
        elif row.contacts == 0:
            row.shortfalls.append(_("no contact about this child yet this term"))
        elif row.contacts < rules.min_contacts_per_term:
            row.shortfalls.append(
                _("%(n)d of %(min)d contacts this term") % {"n": row.contacts, "min": rules.min_contacts_per_term}
            )
        if row.in_care and row.phone_this_month < rules.concern_phone_per_month:
            row.shortfalls.append(_("student of concern: no phone follow-up this month"))
        if rules.require_home_visit and row.home_visits == 0:
            row.shortfalls.append(_("no home visit this term"))
        if rules.require_praise and row.concern and row.praise == 0:
            row.shortfalls.append(_("only concerns so far: tell the family something good too"))
        result.append(row)
    result.sort(key=lambda r: (r.contacts > 0, not r.shortfalls, r.contacts, r.student.name))
    return result


def school_overview(school, term: Term | None) -> list[dict]:
    """Every class side by side: students, never contacted, short of the rules."""
    students = Student.objects.filter(school=school, school_class__graduated_at__isnull=True).select_related(
        "school_class"
    )
    by_class: dict[int, dict] = {}
    for row in coverage(students, school=school, term=term):
        klass = row.student.school_class
        if klass is None:
            continue
        entry = by_class.setdefault(
            klass.pk, {"school_class": klass, "students": 0, "uncontacted": 0, "short": 0, "contacts": 0}
        )
        entry["students"] += 1
        entry["contacts"] += row.contacts
        entry["uncontacted"] += row.contacts == 0
        entry["short"] += bool(row.shortfalls)
    return sorted(by_class.values(), key=lambda e: (e["school_class"].grade, e["school_class"].number))


# --- the to-do list (home.todo reads these: the page, the home count and the API) -------------------
# Each function answers one kind of open item, unordered and unjoined: home.todo orders and joins
# them for the page and counts them for the home page, so both read the same rows.


def open_follow_ups(user, school) -> QuerySet[ContactRecord]:
    """The user's records with a follow-up date not yet done (due: ``follow_up_on``)."""
    return ContactRecord.objects.filter(
        school=school, author=user, follow_up_on__isnull=False, follow_up_done_at__isnull=True
    )


def open_action_items(user, school) -> QuerySet[ActionItem]:
    """Agreed actions the user owns, not yet done (due: ``due_on``)."""
    return ActionItem.objects.filter(school=school, owner=user, done_at__isnull=True)


def open_conversation_requests(roles: Roles, school) -> QuerySet[ConversationRequest]:
    """Families of the head teacher's classes who asked to talk and have not been answered (no due
    date). The same rows as ``access_open_conversation_request`` lets them answer."""
    return ConversationRequest.objects.filter(
        school=school, status=ConversationRequest.Status.OPEN, student__school_class_id__in=roles.head_class_ids
    )


def open_todo_due_dates(user, roles: Roles, school) -> list[datetime.date | None]:
    """The due date (or None) of every open item above, in one query: what the home page counts."""
    no_date = Value(None, output_field=DateField())
    return list(
        open_follow_ups(user, school)
        .order_by()
        .values_list("follow_up_on", flat=True)
        .union(
            open_action_items(user, school).order_by().values_list("due_on", flat=True),
            open_conversation_requests(roles, school).order_by().annotate(due=no_date).values_list("due", flat=True),
            # The escalation ladder's call tasks (notices.ladder): no due date, always on the list.
            notices_queries.open_call_tasks(roles, school)
            .order_by()
            .annotate(due=no_date)
            .values_list("due", flat=True),
            all=True,
        )
    )


def open_requests(school_class):
    return (
        ConversationRequest.objects.filter(student__school_class=school_class, status=ConversationRequest.Status.OPEN)
        .select_related("student", "guardian")
        .order_by("created_at")
    )


def records_of_student(student):
    return (
        ContactRecord.objects.filter(student_links__student=student)
        .select_related("author")
        .prefetch_related("action_items", "acknowledgements__guardian", "student_links__student")
        .order_by("-occurred_on", "-pk")
    )


def shared_records_for_family(roles):
    return (
        ContactRecord.objects.filter(
            visibility=ContactRecord.Visibility.SHARED, student_links__student_id__in=roles.child_ids
        )
        .select_related("author")
        .prefetch_related("student_links__student", "acknowledgements")
        .distinct()
        .order_by("-occurred_on", "-pk")[:100]
    )


def unacknowledged_count(user, roles: Roles) -> int:
    """How many records shared with this family the signed-in guardian has not yet acknowledged:
    the contact book's badge in the bottom bar (one query). The same records as the family page
    lists (``shared_records_for_family``), the same rule as its "acknowledge" button."""
    if not roles.child_ids:
        return 0
    return (
        ContactRecord.objects.filter(
            visibility=ContactRecord.Visibility.SHARED, student_links__student_id__in=roles.child_ids
        )
        .exclude(acknowledgements__guardian__user=user)
        .values("pk")
        .distinct()
        .count()
    )


def family_numbers(student_id: int):
    """The guardians of a student with their numbers, for a call (one query)."""
    from schools.models import StudentGuardian

    return StudentGuardian.objects.filter(student_id=student_id).select_related("guardian").order_by("pk")
