"""What the community pages read, in a fixed number of queries."""

import datetime
from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q
from django.utils.translation import gettext_lazy as _

from notices.audience import AudienceKind
from schools.models import SchoolClass, Student, StudentGuardian, Term
from schools.queries import current_term

from .models import (
    ClassFund,
    Committee,
    CommitteeMember,
    CommitteeMessage,
    EntryQuestion,
    LedgerEntry,
    WorkingGroup,
    WorkingGroupMember,
    school_year_of,
    yuan,
)

# ==== Committees and working groups (section: committees) ===============================


def current_school_year(school) -> int | None:
    """The school year of the school's current term (None before there is a term)."""
    term = current_term(school)
    return school_year_of(term) if term is not None else None


def class_committee(school_class, year: int | None) -> Committee | None:
    if year is None:
        return None
    return Committee.objects.filter(level=Committee.Level.CLASS, school_class=school_class, year=year).first()


def previous_class_committee(school_class, year: int | None) -> Committee | None:
    """The latest committee of an earlier year: what "carry over" would copy."""
    if year is None:
        return None
    return (
        Committee.objects.filter(level=Committee.Level.CLASS, school_class=school_class, year__lt=year)
        .order_by("-year")
        .first()
    )


def committee_members(committee: Committee, *, current_only: bool = True) -> list[CommitteeMember]:
    """The members (current ones, or everyone who served, with their dates) with each member's
    children at school (to tell 刘小明's mother from another 刘): two queries, whatever the size."""
    members = committee.members.select_related("guardian").prefetch_related(
        Prefetch(
            "guardian__student_links",
            queryset=StudentGuardian.objects.filter(student__status=Student.Status.ACTIVE).select_related("student"),
        )
    )
    if current_only:
        members = members.filter(left_on__isnull=True)
    order = {role: i for i, role in enumerate(CommitteeMember.Role.values)}
    rows = list(members.order_by("joined_on", "pk"))
    for m in rows:
        links = list(m.guardian.student_links.all())
        if committee.level == Committee.Level.CLASS:
            links = [link for link in links if link.student.school_class_id == committee.school_class_id]
        m.children = [link.student.name for link in links]  # type: ignore[attr-defined]
    if current_only:
        rows.sort(key=lambda m: (order.get(m.role, 99), m.joined_on, m.pk))
    return rows


def committee_messages(committee: Committee, user, *, manage: bool) -> list[CommitteeMessage]:
    """The messages this user may read on the committee's page: those they sent, those written to
    them as a member, and (managers) all."""
    messages = committee.messages.select_related("member__guardian", "sender")
    if not manage:
        messages = messages.filter(Q(sender=user) | Q(member__guardian__user=user))
    return list(messages[:200])


def family_committees(roles) -> list[Committee]:
    """This school year's committees serving the user's children: their classes', grades' and
    schools'. A fixed number of queries (a term per school is read once)."""
    children = list(
        Student.objects.filter(pk__in=roles.child_ids, status=Student.Status.ACTIVE, school_class__isnull=False)
        .select_related("school_class")
        .order_by("school_id")
    )
    if not children:
        return []
    year_of = {
        t.school_id: school_year_of(t)
        for t in Term.objects.filter(school_id__in={c.school_id for c in children}, is_current=True)
    }
    condition = Q(pk__in=[])
    for c in children:
        year = year_of.get(c.school_id)
        if year is None:
            continue
        condition |= Q(school_id=c.school_id, year=year) & (
            Q(level=Committee.Level.CLASS, school_class_id=c.school_class_id)
            | Q(level=Committee.Level.GRADE, grade=c.school_class.grade if c.school_class else 0)
            | Q(level=Committee.Level.SCHOOL)
        )
    return list(
        Committee.objects.filter(condition).select_related("school_class", "school").order_by("-level", "grade")
    )


def school_committees(school, year: int | None) -> list[Committee]:
    """The school's committees of the year: the school's, each grade's, each class's, with counts."""
    if year is None:
        return []
    return list(
        Committee.objects.filter(school=school, year=year)
        .select_related("school_class")
        .annotate(n_members=Count("members", filter=Q(members__left_on__isnull=True)))
        .order_by("-level", "grade", "school_class__grade", "school_class__number")
    )


def committee_candidates(committee: Committee) -> list[tuple[int, str]]:
    """Whom the manager may add: for a class, its guardians (with their children); for a grade or
    the school, the current members of the class committees it covers (they are chosen from them).
    Two queries."""
    if committee.level == Committee.Level.CLASS:
        links = (
            StudentGuardian.objects.filter(
                student__school_class_id=committee.school_class_id, student__status=Student.Status.ACTIVE
            )
            .select_related("guardian", "student")
            .order_by("student__student_number", "student__name", "guardian__name")
        )
        seen: dict[int, str] = {}
        for link in links:
            label = f"{link.guardian.name}（{link.student.name}{link.relationship}）"
            seen[link.guardian_id] = f"{seen[link.guardian_id]}、{label}" if link.guardian_id in seen else label
        return list(seen.items())
    seats = CommitteeMember.objects.filter(
        committee__school_id=committee.school_id,
        committee__year=committee.year,
        committee__level=Committee.Level.CLASS,
        left_on__isnull=True,
    ).select_related("guardian", "committee__school_class")
    if committee.level == Committee.Level.GRADE:
        seats = seats.filter(committee__school_class__grade=committee.grade or 0)
    return sorted(
        {
            s.guardian_id: f"{s.guardian.name}（{s.committee.school_class.name} {s.role_label}）"
            for s in seats
            if s.committee.school_class is not None
        }.items(),
        key=lambda item: item[1],
    )


# --- working groups -----------------------------------------------------------------------------


def working_groups_to_address(roles, school) -> list[tuple[int, str]]:
    """The working groups a staff member may invite (to a meeting, an event): all of the school's
    for its admins, else those they are a current member of. One query."""
    groups = WorkingGroup.objects.filter(school=school, archived_at__isnull=True)
    if not roles.is_admin_of(school.pk):
        if not roles.is_staff_of(school.pk):
            return []
        groups = groups.filter(members__user_id=roles.user_id, members__left_on__isnull=True)
    return [(g.pk, g.name) for g in groups.distinct().order_by("name")]


def _open_seats(school_id: int, group_id: int):
    return WorkingGroupMember.objects.filter(
        school_id=school_id, group_id=group_id, group__archived_at__isnull=True, left_on__isnull=True
    )


def working_group_guardians(school_id: int, group_id: int):
    return _open_seats(school_id, group_id).filter(guardian__isnull=False).order_by().values("guardian_id")


def working_group_staff_users(school_id: int, group_id: int):
    return (
        _open_seats(school_id, group_id)
        .filter(
            user__isnull=False, user__staff_memberships__school_id=school_id, user__staff_memberships__is_active=True
        )
        .order_by()  # a part of a UNION (notices.audience.audience_staff_users): no ORDER BY
        .values("user_id")
    )


def working_group_audience() -> AudienceKind:
    """The working groups as an audience of notices and events (registered in ``apps.py``)."""
    return AudienceKind(
        name="working_group",
        label=_("Working group"),
        choices=working_groups_to_address,
        guardians=working_group_guardians,
        staff_users=working_group_staff_users,
    )


def school_working_groups(school) -> list[WorkingGroup]:
    return list(
        WorkingGroup.objects.filter(school=school, archived_at__isnull=True)
        .annotate(n_members=Count("members", filter=Q(members__left_on__isnull=True)))
        .order_by("name")
    )


def working_group_members(group: WorkingGroup) -> list[WorkingGroupMember]:
    """Current members, leaders first: one query."""
    order = {role: i for i, role in enumerate(WorkingGroupMember.Role.values)}
    rows = list(group.members.filter(left_on__isnull=True).select_related("user", "guardian"))
    rows.sort(key=lambda m: (order.get(m.role, 9), m.joined_on, m.pk))
    return rows


def my_working_groups(user, school_ids) -> list[WorkingGroup]:
    """The working groups the user is a current member of (as staff or as a guardian)."""
    return list(
        WorkingGroup.objects.filter(school_id__in=list(school_ids), archived_at__isnull=True)
        .filter(
            Q(members__user=user, members__left_on__isnull=True)
            | Q(members__guardian__user=user, members__left_on__isnull=True)
        )
        .distinct()
        .order_by("name")
    )


def working_group_candidates(school) -> dict[str, list[tuple[int, str]]]:
    """Whom an admin may add: the school's active staff, and the guardians on its committees this
    school year (the seed's "committee representatives"). Two queries."""
    from schools.models import StaffMember

    staff = [
        (m.pk, m.user.display_name + (f"（{m.title}）" if m.title else ""))
        for m in StaffMember.objects.filter(school=school, is_active=True).select_related("user").order_by("user__name")
    ]
    year = current_school_year(school)
    seats = CommitteeMember.objects.filter(
        committee__school=school, committee__year=year or 0, left_on__isnull=True
    ).select_related("guardian", "committee__school_class")
    guardians = {s.guardian_id: f"{s.guardian.name}（{s.committee.scope_label} {s.role_label}）" for s in seats}
    return {"staff": staff, "guardians": sorted(guardians.items(), key=lambda item: item[1])}


# (end of section: committees)


# ==== Volunteers, activities and recognition (section: volunteers) ======================

# (end of section: volunteers)


# ==== Duty rosters and the class quantification (section: duty) =========================

# (end of section: duty)


# ==== The class fund ledger (section: fund) =============================================


@dataclass
class MonthLine:
    month: datetime.date  # the first of the month
    income_fen: int = 0
    expense_fen: int = 0
    closing_fen: int = 0

    @property
    def income(self) -> str:
        return yuan(self.income_fen)

    @property
    def expense(self) -> str:
        return yuan(self.expense_fen)

    @property
    def closing(self) -> str:
        return yuan(self.closing_fen)


@dataclass
class Ledger:
    entries: list[LedgerEntry]  # newest first, each with its questions
    balance_fen: int  # countersigned entries only
    pending: int  # entries waiting for a countersignature
    months: list[MonthLine]  # the monthly statement, newest first (countersigned entries)
    keepers: list[str]  # who keeps the accounts: the committee's treasurer(s), the named keeper

    @property
    def balance(self) -> str:
        return yuan(self.balance_fen)


def fund_ledger(school_class) -> Ledger:
    """A class's whole ledger with its questions, its balance and its monthly statement, which
    are computed from the same rows: four queries, whatever the number of entries."""
    entries = list(
        LedgerEntry.objects.filter(school_class=school_class)
        .select_related("recorded_by", "countersigned_by", "declined_by", "reverses", "reversed_by")
        .prefetch_related(
            Prefetch("questions", queryset=EntryQuestion.objects.select_related("asked_by", "answered_by"))
        )
        .order_by("-number")
    )
    months: dict[datetime.date, MonthLine] = {}
    balance = 0
    for e in sorted((e for e in entries if e.counts), key=lambda e: (e.occurred_on, e.number)):
        line = months.setdefault(e.occurred_on.replace(day=1), MonthLine(e.occurred_on.replace(day=1)))
        if e.kind == LedgerEntry.Kind.INCOME:
            line.income_fen += e.amount_fen
        else:
            line.expense_fen += e.amount_fen
        balance += e.signed_fen
        line.closing_fen = balance
    keepers = [
        m.guardian.name
        for m in CommitteeMember.objects.filter(
            committee__level=Committee.Level.CLASS,
            committee__school_class=school_class,
            committee__year=current_school_year(school_class.school_id) or 0,
            role=CommitteeMember.Role.TREASURER,
            left_on__isnull=True,
        ).select_related("guardian")
    ]
    named = ClassFund.objects.filter(school_class=school_class, keeper__isnull=False).select_related("keeper").first()
    if named is not None and named.keeper is not None and named.keeper.name not in keepers:
        keepers.append(named.keeper.name)
    return Ledger(
        entries=entries,
        balance_fen=balance,
        pending=sum(1 for e in entries if e.is_pending),
        months=sorted(months.values(), key=lambda m: m.month, reverse=True),
        keepers=keepers,
    )


def family_fund_classes(roles) -> list:
    """The classes of the user's children (at school), whose funds they may read: one query."""
    return list(
        SchoolClass.objects.filter(
            students__pk__in=roles.child_ids, students__status=Student.Status.ACTIVE, graduated_at__isnull=True
        )
        .distinct()
        .order_by("grade", "number")
    )


def class_guardian_choices(school_class) -> list[tuple[int, str]]:
    """The class's guardians, each with their children, for the head teacher to name a keeper."""
    links = (
        StudentGuardian.objects.filter(student__school_class=school_class, student__status=Student.Status.ACTIVE)
        .select_related("guardian", "student")
        .order_by("student__student_number", "student__name", "guardian__name")
    )
    seen: dict[int, str] = {}
    for link in links:
        label = f"{link.guardian.name}（{link.student.name}{link.relationship}）"
        seen[link.guardian_id] = f"{seen[link.guardian_id]}、{label}" if link.guardian_id in seen else label
    return list(seen.items())


# (end of section: fund)
