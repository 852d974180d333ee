"""What the community pages read, in a fixed number of queries."""

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, Exists, Max, OuterRef, Prefetch, Q, Sum
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from notices.audience import AudienceKind
from notices.models import Receipt
from schools.models import Guardian, SchoolClass, Student, StudentGuardian, Term
from schools.queries import current_term

from .models import (
    ClassFund,
    Committee,
    CommitteeMember,
    CommitteeMessage,
    DutyAssignment,
    DutyFamily,
    DutyFamilyGuardian,
    DutyRoster,
    DutyShift,
    DutySwap,
    EntryQuestion,
    LedgerEntry,
    QuantCategory,
    QuantItem,
    Volunteer,
    VolunteerActivity,
    VolunteerSignup,
    VolunteerSlot,
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


@dataclass(frozen=True)
class Training:
    """A training a guardian attended, as the layer that knows trainings reports it."""

    date: object  # datetime.date
    title: str


# guardian ids → their trainings: a function a higher layer provides (events' parent-school
# sessions are read by reports.queries.trainings_attended, named in settings), since community
# may not read events, its peer.
TrainingsSource = Callable[[list[int]], dict[int, list[Training]]]


def trainings_source() -> TrainingsSource:
    """The function named by ``settings.COMMUNITY_TRAININGS_SOURCE`` (as accounts reads
    ``ACCOUNTS_DIRECTORY``), or one that knows no trainings when none is named."""
    name = getattr(settings, "COMMUNITY_TRAININGS_SOURCE", "")
    if not name:
        return lambda guardian_ids: {}
    return import_string(name)


def my_volunteer(guardian: Guardian) -> Volunteer | None:
    return Volunteer.objects.filter(guardian=guardian).first()


def _signups_with_slots():
    return VolunteerSignup.objects.select_related("slot__activity").order_by("slot__starts_at")


def family_activities(guardian: Guardian, class_ids: set[int]):
    """Activities calling this family (its children's classes, or the whole school) with a slot
    still to come, with their slots (two queries)."""
    now = timezone.now()
    return (
        VolunteerActivity.objects.filter(school_id=guardian.school_id, cancelled_at__isnull=True)
        .filter(Q(school_class__isnull=True) | Q(school_class_id__in=class_ids))
        .filter(Exists(VolunteerSlot.objects.filter(activity=OuterRef("pk"), starts_at__gt=now)))
        .select_related("school_class")
        .prefetch_related(Prefetch("slots", queryset=VolunteerSlot.objects.order_by("starts_at", "id")))
        .order_by("created_at", "id")
    )


def my_signups(volunteer: Volunteer | None, *, upcoming: bool = True):
    if volunteer is None:
        return VolunteerSignup.objects.none()
    signups = _signups_with_slots().filter(volunteer=volunteer)
    if upcoming:
        signups = signups.filter(slot__ends_at__gt=timezone.now(), slot__activity__cancelled_at__isnull=True)
    return signups


@dataclass
class Archive:
    volunteer: Volunteer
    served: list[VolunteerSignup] = field(default_factory=list)  # checked in
    upcoming: list[VolunteerSignup] = field(default_factory=list)
    trainings: list[Training] = field(default_factory=list)

    @property
    def minutes(self) -> int:
        return sum(s.minutes for s in self.served)

    @property
    def hours(self) -> float:
        return round(self.minutes / 60, 1)

    @property
    def activity_count(self) -> int:
        return len({s.slot.activity_id for s in self.served})


def volunteer_archive(volunteer: Volunteer, trainings: TrainingsSource | None = None) -> Archive:
    """档案: activities served (checked in) with their hours, what is still to come, and the trainings
    attended as the given source reports them (two queries plus the source's)."""
    archive = Archive(volunteer=volunteer)
    now = timezone.now()
    for signup in _signups_with_slots().filter(volunteer=volunteer):
        if signup.checked_in_at is not None:
            archive.served.append(signup)
        elif signup.slot.ends_at > now and signup.slot.activity.cancelled_at is None:
            archive.upcoming.append(signup)
    source = trainings if trainings is not None else trainings_source()
    archive.trainings = source([volunteer.guardian_id]).get(volunteer.guardian_id, [])
    return archive


def class_volunteers(school_class):
    """The volunteers among the class's families, with their totals (one query)."""
    in_class = StudentGuardian.objects.filter(
        guardian=OuterRef("guardian"), student__school_class=school_class, student__status=Student.Status.ACTIVE
    )
    served = Q(signups__checked_in_at__isnull=False)
    return (
        Volunteer.objects.filter(school_id=school_class.school_id)
        .filter(Exists(in_class))
        .select_related("guardian")
        .annotate(
            minutes_served=Sum("signups__minutes", filter=served, default=0),
            activities_served=Count("signups__slot__activity", filter=served, distinct=True),
        )
        .order_by("-active", "guardian__name", "pk")
    )


def class_volunteer_rows(school_class, trainings: TrainingsSource | None = None) -> list[dict]:
    """The class's volunteers with their totals and trainings (one query plus the source's)."""
    volunteers = list(class_volunteers(school_class))
    source = trainings if trainings is not None else trainings_source()
    attended = source([v.guardian_id for v in volunteers]) if volunteers else {}
    return [
        {
            "volunteer": v,
            "hours": round(v.minutes_served / 60, 1),
            "activities": v.activities_served,
            "trainings": attended.get(v.guardian_id, []),
        }
        for v in volunteers
    ]


_RECENT = datetime.timedelta(days=60)  # the staff list keeps activities for two months after


def activities_to_manage(activity_filter: Q):
    now = timezone.now()
    return (
        VolunteerActivity.objects.filter(activity_filter)
        .select_related("school_class")
        .annotate(
            n_needed=Sum("slots__needed", default=0),
            n_taken=Sum("slots__taken", default=0),
            last_end=Max("slots__ends_at"),
        )
        .order_by("-created_at", "-id")
        .filter(Q(last_end__gt=now - _RECENT) | Q(last_end__isnull=True))
    )


def activity_sheet(activity: VolunteerActivity) -> list[VolunteerSlot]:
    """The slots with who signed up and who checked in (two queries)."""
    signups = VolunteerSignup.objects.select_related("volunteer__guardian").order_by("created_at", "id")
    return list(
        VolunteerSlot.objects.filter(activity=activity)
        .prefetch_related(Prefetch("signups", queryset=signups))
        .order_by("starts_at", "id")
    )


# (end of section: volunteers)


# ==== Duty rosters and the class quantification (section: duty) =========================


def rosters_to_manage(school, roles) -> list[DutyRoster]:
    """The rosters a head teacher (their classes') or an admin (all the school's) manages, newest
    first, with their counts: two queries."""
    rosters = DutyRoster.objects.filter(school=school)
    if not roles.is_admin_of(school.pk):
        rosters = rosters.filter(school_class_id__in=roles.head_class_ids)
    return list(
        rosters.select_related("school_class").annotate(
            shift_count=Count("shifts", distinct=True), family_count=Count("families", distinct=True)
        )
    )


@dataclass
class RosterView:
    roster: DutyRoster
    shifts: list[DutyShift]
    families: list[DutyFamily]
    swaps: list[DutySwap]
    confirmed_family_ids: set[int]
    counts: dict[int, int]  # family id → shifts (on duty, done or missed)
    gaps: list[tuple[DutyShift, int]]
    clashes: list[tuple[DutyShift, DutyFamily]]
    upcoming: list[DutyShift]  # the shifts not over yet (to adjust, or to ask a standby family for)


LIVE = (DutyAssignment.Status.ASSIGNED, DutyAssignment.Status.DONE, DutyAssignment.Status.NO_SHOW)


def roster_view(roster: DutyRoster) -> RosterView:
    """Everything the roster's page shows, in a fixed number of queries (five)."""
    shifts = list(
        roster.shifts.prefetch_related(
            Prefetch("assignments", queryset=DutyAssignment.objects.select_related("family").order_by("family__label"))
        )
    )
    families = list(roster.families.prefetch_related("unavailable"))
    swaps = list(roster.swaps.select_related("from_family", "to_family", "assignment__shift", "in_return__shift"))
    confirmed: set[int] = set()
    if roster.notice_id:
        confirmed = set(
            DutyFamilyGuardian.objects.filter(
                family__roster=roster,
                guardian__in=Receipt.objects.filter(notice_id=roster.notice_id, acted_at__isnull=False).values(
                    "guardian"
                ),
            ).values_list("family_id", flat=True)
        )
    counts = dict.fromkeys((f.pk for f in families), 0)
    for shift in shifts:
        for a in shift.assignments.all():
            if a.status in LIVE:
                counts[a.family_id] = counts.get(a.family_id, 0) + 1
    for f in families:
        f.shift_count = counts.get(f.pk, 0)  # type: ignore[attr-defined]
    by_shift = {s.pk: s for s in shifts}
    by_family = {f.pk: f for f in families}
    report = roster.report or {}
    # Gaps as they are now (after adjustments, swaps and declined standbys), for shifts still to come.
    today = timezone.localdate()
    gaps = []
    for shift in shifts:
        filled = sum(1 for a in shift.assignments.all() if a.status in LIVE)
        proposed = bool(report) or roster.status == DutyRoster.Status.PUBLISHED
        if proposed and shift.date >= today and filled < shift.families_needed:
            gaps.append((shift, shift.families_needed - filled))
    clashes = [(by_shift[s], by_family[f]) for s, f in report.get("clashes", []) if s in by_shift and f in by_family]
    now = timezone.localtime()
    upcoming = [s for s in shifts if s.date > now.date() or (s.date == now.date() and s.ends_at > now.time())]
    return RosterView(roster, shifts, families, swaps, confirmed, counts, gaps, clashes, upcoming)


@dataclass
class FamilyDuty:
    family: DutyFamily
    assignments: list[DutyAssignment]
    swaps_asked_of_us: list[DutySwap]
    swaps_we_asked: list[DutySwap]
    others: list[tuple[DutyFamily, DutyAssignment | None]]  # the roster's other families, next shift


def my_duty(user) -> list[FamilyDuty]:
    """A guardian's families on published rosters with their shifts, the swaps asked of them and by
    them, and the other families to swap with: five queries whatever the number of rosters."""
    families = list(
        DutyFamily.objects.filter(members__guardian__user=user, roster__status=DutyRoster.Status.PUBLISHED)
        .select_related("roster__school_class")
        .distinct()
        .order_by("-roster__published_at")
    )
    ids = [f.pk for f in families]
    roster_ids = {f.roster_id for f in families}
    today = timezone.localdate()
    assignments: dict[int, list[DutyAssignment]] = {}
    for a in (
        DutyAssignment.objects.filter(family_id__in=ids)
        .select_related("shift")
        .exclude(status=DutyAssignment.Status.DECLINED)
    ):
        assignments.setdefault(a.family_id, []).append(a)
    asked: dict[int, list[DutySwap]] = {}
    mine: dict[int, list[DutySwap]] = {}
    for swap in DutySwap.objects.filter(Q(to_family_id__in=ids) | Q(from_family_id__in=ids)).select_related(
        "from_family", "to_family", "assignment__shift", "in_return__shift"
    ):
        if swap.to_family_id in ids:
            asked.setdefault(swap.to_family_id, []).append(swap)
        if swap.from_family_id in ids:
            mine.setdefault(swap.from_family_id, []).append(swap)
    now = timezone.localtime()
    next_shift: dict[int, DutyAssignment] = {}  # the other families' next shift still to begin
    for a in (
        DutyAssignment.objects.filter(
            Q(shift__date__gt=today) | Q(shift__date=today, shift__starts_at__gt=now.time()),
            shift__roster_id__in=roster_ids,
            status=DutyAssignment.Status.ASSIGNED,
        )
        .exclude(family_id__in=ids)
        .select_related("shift")
        .order_by("shift__date", "shift__starts_at")
    ):
        next_shift.setdefault(a.family_id, a)
    others: dict[int, list] = {}
    for f in DutyFamily.objects.filter(roster_id__in=roster_ids).exclude(pk__in=ids).order_by("label"):
        others.setdefault(f.roster_id, []).append((f, next_shift.get(f.pk)))
    return [
        FamilyDuty(f, assignments.get(f.pk, []), asked.get(f.pk, []), mine.get(f.pk, []), others.get(f.roster_id, []))
        for f in families
    ]


@dataclass
class ClassQuant:
    categories: list[tuple[QuantCategory, int, int]]  # category, items, points
    items: list[QuantItem]
    total: int


def class_quant(school_class, term) -> ClassQuant:
    """A class's quantification for a term: per category and its items (three queries). Items name
    the date and the reason, never a child or a family."""
    items = list(
        QuantItem.objects.filter(school_class=school_class, term=term)
        .select_related("category")
        .order_by("-occurred_on", "-id")
    )
    sums: dict[int, tuple[int, int]] = {}
    for item in items:
        n, points = sums.get(item.category_id, (0, 0))
        sums[item.category_id] = (n + 1, points + item.points)
    categories = list(QuantCategory.objects.filter(school_id=school_class.school_id))
    rows = [(c, *sums.get(c.pk, (0, 0))) for c in categories if c.is_active or c.pk in sums]
    return ClassQuant(rows, items, sum(i.points for i in items))


def compare_classes(school, term) -> tuple[list[QuantCategory], list[dict]]:
    """Every class of the school with its points per category and in all, highest first (admins
    compare classes among staff): three queries."""
    categories = list(QuantCategory.objects.filter(school=school))
    sums = (
        QuantItem.objects.filter(school=school, term=term)
        .values("school_class_id", "category_id")
        .annotate(points=Sum("points"))
    )
    table: dict[int, dict[int, int]] = {}
    for row in sums:
        table.setdefault(row["school_class_id"], {})[row["category_id"]] = row["points"]
    rows: list[dict] = []
    for klass in SchoolClass.objects.filter(school=school, graduated_at__isnull=True):
        points = table.get(klass.pk, {})
        rows.append(
            {
                "school_class": klass,
                "points": [points.get(c.pk, 0) for c in categories],
                "total": sum(points.values()),
            }
        )
    rows.sort(key=lambda r: (-r["total"], r["school_class"].grade, r["school_class"].number))
    return categories, rows


def quant_categories(school) -> list[QuantCategory]:
    """The school's categories, with (unsaved, ``pk`` None) the two duty categories at their default
    points when the school has not set them yet: one query."""
    from .actions import DEFAULT_QUANT

    categories = list(QuantCategory.objects.filter(school=school))
    kinds = {c.kind for c in categories}
    for kind, (name, points) in DEFAULT_QUANT.items():
        if kind not in kinds:
            categories.insert(0, QuantCategory(school=school, kind=kind, name=str(name), points=points))
    return categories


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
