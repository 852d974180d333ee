"""Who may see and change what in the community app: every fetch by id goes through here."""

from django.db.models import Q
from django.http import Http404

from schools.access import access_admin_school
from schools.models import Guardian, Student, StudentGuardian
from schools.roles import Roles

from .models import (
    DutyAssignment,
    DutyFamily,
    DutyFamilyGuardian,
    DutyRoster,
    DutySwap,
    QuantCategory,
    Volunteer,
    VolunteerActivity,
    VolunteerSignup,
    VolunteerSlot,
)

# ==== Committees and working groups (section: committees) ===============================

# (end of section: committees)


# ==== Volunteers, activities and recognition (section: volunteers) ======================


def _roles(request) -> Roles:
    return getattr(request, "roles", None) or Roles()


def _family_links(user):
    return StudentGuardian.objects.filter(guardian__user=user, student__status=Student.Status.ACTIVE)


def access_my_guardian(request) -> Guardian:
    """The signed-in parent as a guardian: of the school the staff member chose if they are also
    staff there, else the first school their children are in. Not a parent: 404."""
    roles = _roles(request)
    if not roles.is_parent or not request.user.is_authenticated:
        raise Http404
    chosen = request.session.get("school_id") if hasattr(request, "session") else None
    guardians = Guardian.objects.filter(user=request.user, school_id__in=roles.child_school_ids)
    guardian = guardians.filter(school_id=chosen).first() if chosen else None
    guardian = guardian or guardians.order_by("school_id").select_related("school").first()
    if guardian is None:
        raise Http404
    return guardian


def family_class_ids(guardian: Guardian) -> set[int]:
    return set(
        StudentGuardian.objects.filter(guardian=guardian, student__status=Student.Status.ACTIVE).values_list(
            "student__school_class_id", flat=True
        )
    )


def _reaches(activity: VolunteerActivity, guardian: Guardian) -> bool:
    if guardian.school_id != activity.school_id:
        return False
    return activity.school_class_id is None or activity.school_class_id in family_class_ids(guardian)


def access_activity_as_family(request, activity_id: int) -> tuple[VolunteerActivity, Guardian]:
    """An activity called for the parent's child's class, or the whole school of their child."""
    guardian = access_my_guardian(request)
    activity = VolunteerActivity.objects.filter(pk=activity_id).select_related("school", "school_class").first()
    if activity is None or not _reaches(activity, guardian):
        raise Http404
    return activity, guardian


def access_slot_as_family(request, slot_id: int) -> tuple[VolunteerSlot, Guardian]:
    guardian = access_my_guardian(request)
    slot = VolunteerSlot.objects.filter(pk=slot_id).select_related("activity", "school").first()
    if slot is None or not _reaches(slot.activity, guardian):
        raise Http404
    return slot, guardian


def access_my_signup(request, signup_id: int) -> VolunteerSignup:
    """One of the parent's own sign-ups."""
    if not request.user.is_authenticated:
        raise Http404
    signup = (
        VolunteerSignup.objects.filter(pk=signup_id, volunteer__guardian__user=request.user)
        .select_related("slot__activity__school")
        .first()
    )
    if signup is None:
        raise Http404
    return signup


def may_manage_activity(request, activity: VolunteerActivity) -> bool:
    """Its school's admins, its author (still on staff), and the head teacher of its class."""
    roles = _roles(request)
    if roles.is_admin_of(activity.school_id):
        return True
    if not roles.is_staff_of(activity.school_id):
        return False
    return activity.author_id == request.user.pk or activity.school_class_id in roles.head_class_ids


def access_activity_to_manage(request, activity_id: int) -> VolunteerActivity:
    activity = (
        VolunteerActivity.objects.filter(pk=activity_id).select_related("school", "school_class", "notice").first()
    )
    if activity is None or not may_manage_activity(request, activity):
        raise Http404
    return activity


def access_volunteer(request, volunteer_id: int) -> Volunteer:
    """A volunteer's archive: the guardian themself, their school's admins, and the teachers of a
    class one of their children is in."""
    volunteer = Volunteer.objects.filter(pk=volunteer_id).select_related("guardian", "school").first()
    if volunteer is None:
        raise Http404
    roles = _roles(request)
    if volunteer.guardian.user_id is not None and volunteer.guardian.user_id == request.user.pk:
        return volunteer
    if roles.is_admin_of(volunteer.school_id):
        return volunteer
    if roles.is_staff_of(volunteer.school_id) and family_class_ids(volunteer.guardian) & roles.taught_class_ids:
        return volunteer
    raise Http404


def staff_activity_filter(request) -> Q:
    """The activities a staff member manages, as a filter (for the list)."""
    roles = _roles(request)
    return (
        Q(school_id__in=roles.admin_school_ids)
        | Q(school_id__in=list(roles.staff), author=request.user)
        | Q(school_class_id__in=roles.head_class_ids)
    )


# (end of section: volunteers)


# ==== Duty rosters and the class quantification (section: duty) =========================


def _duty_roles(request) -> Roles:
    return getattr(request, "roles", None) or Roles()


def may_manage_roster(roles: Roles, roster: DutyRoster) -> bool:
    """A class roster: its head teacher and the school's admins; a school roster: the admins."""
    if roles.is_admin_of(roster.school_id):
        return True
    return roster.school_class_id is not None and roster.school_class_id in roles.head_class_ids


def access_duty_roster_to_manage(request, roster_id: int) -> DutyRoster:
    roster = DutyRoster.objects.filter(pk=roster_id).select_related("school", "school_class", "term", "notice").first()
    if roster is None or not may_manage_roster(_duty_roles(request), roster):
        raise Http404
    return roster


def access_duty_assignment_to_manage(request, assignment_id: int) -> DutyAssignment:
    assignment = (
        DutyAssignment.objects.filter(pk=assignment_id).select_related("shift__roster", "family__student").first()
    )
    if assignment is None or not may_manage_roster(_duty_roles(request), assignment.shift.roster):
        raise Http404
    return assignment


def _family_member(request):
    return DutyFamilyGuardian.objects.filter(guardian__user=request.user, family__roster__status="published")


def access_duty_assignment_as_family(request, assignment_id: int) -> DutyAssignment:
    """A shift of the user's own family, on a published roster."""
    assignment = (
        DutyAssignment.objects.filter(
            pk=assignment_id,
            family__in=_family_member(request).values("family"),
        )
        .select_related("shift__roster", "family__student")
        .first()
    )
    if assignment is None or not request.user.is_authenticated:
        raise Http404
    return assignment


def access_duty_family_as_member(request, family_id: int) -> DutyFamily:
    family = (
        DutyFamily.objects.filter(pk=family_id, pk__in=_family_member(request).values("family"))
        .select_related("roster")
        .first()
    )
    if family is None or not request.user.is_authenticated:
        raise Http404
    return family


def access_duty_swap_to_answer(request, swap_id: int) -> DutySwap:
    """A swap asked of the user's family, on a published roster."""
    swap = (
        DutySwap.objects.filter(pk=swap_id, to_family__in=_family_member(request).values("family"))
        .select_related("to_family", "from_family", "roster")
        .first()
    )
    if swap is None or not request.user.is_authenticated:
        raise Http404
    return swap


def access_quant_category(request, category_id: int) -> QuantCategory:
    """A category of the school the admin is managing."""
    school = access_admin_school(request)
    category = QuantCategory.objects.filter(school=school, pk=category_id).first()
    if category is None:
        raise Http404
    return category


# (end of section: duty)


# ==== The class fund ledger (section: fund) =============================================

# (end of section: fund)
