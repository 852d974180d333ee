"""Who may see and change what in the community app: every fetch by id goes through here."""

from django.http import Http404

from schools.access import access_admin_school
from schools.roles import Roles

from .models import DutyAssignment, DutyFamily, DutyFamilyGuardian, DutyRoster, DutySwap, QuantCategory

# ==== Committees and working groups (section: committees) ===============================

# (end of section: committees)


# ==== Volunteers, activities and recognition (section: volunteers) ======================

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
