"""What the community pages read, in a fixed number of queries."""

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, Exists, Max, OuterRef, Prefetch, Q, Sum
from django.utils import timezone
from django.utils.module_loading import import_string

from notices.models import Receipt
from schools.models import Guardian, SchoolClass, Student, StudentGuardian

from .models import (
    DutyAssignment,
    DutyFamily,
    DutyFamilyGuardian,
    DutyRoster,
    DutyShift,
    DutySwap,
    QuantCategory,
    QuantItem,
    Volunteer,
    VolunteerActivity,
    VolunteerSignup,
    VolunteerSlot,
)

# ==== Committees and working groups (section: committees) ===============================

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

# (end of section: fund)
