"""What the community pages read, in a fixed number of queries."""

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, Exists, Max, OuterRef, Prefetch, Q, Sum
from django.utils import timezone
from django.utils.module_loading import import_string

from schools.models import Guardian, Student, StudentGuardian

from .models import Volunteer, VolunteerActivity, VolunteerSignup, VolunteerSlot

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

# (end of section: duty)


# ==== The class fund ledger (section: fund) =============================================

# (end of section: fund)
