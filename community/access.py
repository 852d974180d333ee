"""Who may see and change what in the community app: every fetch by id goes through here."""

from dataclasses import dataclass

from django.db.models import Q
from django.http import Http404

from schools.access import access_admin_school
from schools.models import Guardian, SchoolClass, Student, StudentGuardian
from schools.queries import current_term
from schools.roles import Roles

from .models import (
    ClassFund,
    Committee,
    CommitteeMember,
    CommitteeMessage,
    DutyAssignment,
    DutyFamily,
    DutyFamilyGuardian,
    DutyRoster,
    DutySwap,
    EntryQuestion,
    LedgerEntry,
    QuantCategory,
    Volunteer,
    VolunteerActivity,
    VolunteerSignup,
    VolunteerSlot,
    WorkingGroup,
    WorkingGroupMember,
    school_year_of,
)

# ==== Committees and working groups (section: committees) ===============================


def _committee_roles(request) -> Roles:
    return getattr(request, "roles", None) or Roles()


def may_manage_committee(roles: Roles, committee: Committee) -> bool:
    """The head teacher (and the admins) manage a class's committee; admins a grade's or the school's."""
    if committee.level == Committee.Level.CLASS and committee.school_class is not None:
        return roles.can_manage_class(committee.school_class)
    return roles.is_admin_of(committee.school_id)


def is_committee_family(roles: Roles, committee: Committee) -> bool:
    """A family with a child (at school) in the class, the grade or the school the committee serves."""
    if not roles.child_ids or committee.school_id not in roles.child_school_ids:
        return False
    children = Student.objects.filter(
        pk__in=roles.child_ids, school_id=committee.school_id, status=Student.Status.ACTIVE
    )
    if committee.level == Committee.Level.CLASS:
        children = children.filter(school_class_id=committee.school_class_id)
    elif committee.level == Committee.Level.GRADE:
        children = children.filter(school_class__grade=committee.grade or 0, school_class__graduated_at__isnull=True)
    return children.exists()


def may_see_committee(roles: Roles, committee: Committee) -> bool:
    if may_manage_committee(roles, committee):
        return True
    if committee.level == Committee.Level.CLASS and committee.school_class is not None:
        if roles.can_view_class(committee.school_class):
            return True
    elif roles.is_staff_of(committee.school_id):
        return True
    return is_committee_family(roles, committee)


def _committee(committee_id: int) -> Committee | None:
    return Committee.objects.filter(pk=committee_id).select_related("school", "school_class").first()


def access_committee_to_see(request, committee_id: int) -> Committee:
    """A committee: its managers, the teachers of its class (staff of the school for a grade's or
    the school's), and the families it serves."""
    committee = _committee(committee_id)
    if committee is None or not may_see_committee(_committee_roles(request), committee):
        raise Http404
    return committee


def access_committee_to_manage(request, committee_id: int) -> Committee:
    committee = _committee(committee_id)
    if committee is None or not may_manage_committee(_committee_roles(request), committee):
        raise Http404
    return committee


def access_member_to_manage(request, member_id: int) -> CommitteeMember:
    """A current member of a committee the user manages (to change their role or end their term)."""
    member = (
        CommitteeMember.objects.filter(pk=member_id, left_on__isnull=True)
        .select_related("committee__school_class", "committee__school", "guardian")
        .first()
    )
    if member is None or not may_manage_committee(_committee_roles(request), member.committee):
        raise Http404
    return member


def access_member_to_write_to(request, member_id: int) -> CommitteeMember:
    """A current member of a committee serving one of the user's children, to write to."""
    member = (
        CommitteeMember.objects.filter(pk=member_id, left_on__isnull=True)
        .select_related("committee__school_class", "committee__school", "guardian")
        .first()
    )
    if member is None or not is_committee_family(_committee_roles(request), member.committee):
        raise Http404
    return member


def access_message_to_reply(request, message_id: int) -> CommitteeMessage:
    """A message to a committee member: the member written to answers it, or a manager of the committee."""
    message = (
        CommitteeMessage.objects.filter(pk=message_id)
        .select_related("committee__school_class", "member__guardian")
        .first()
    )
    if message is None:
        raise Http404
    if message.member.guardian.user_id == request.user.pk:
        return message
    if may_manage_committee(_committee_roles(request), message.committee):
        return message
    raise Http404


def access_working_group_to_manage(request, group_id: int) -> WorkingGroup:
    """A working group: its school's admins manage it."""
    group = WorkingGroup.objects.filter(pk=group_id, archived_at__isnull=True).select_related("school").first()
    if group is None or not _committee_roles(request).is_admin_of(group.school_id):
        raise Http404
    return group


def access_working_group_to_see(request, group_id: int) -> WorkingGroup:
    """A working group: its school's admins, and its current members (staff or guardians)."""
    group = WorkingGroup.objects.filter(pk=group_id, archived_at__isnull=True).select_related("school").first()
    if group is None:
        raise Http404
    if _committee_roles(request).is_admin_of(group.school_id):
        return group
    user = request.user
    is_member = (
        group.members.filter(left_on__isnull=True).filter(Q(user_id=user.pk) | Q(guardian__user_id=user.pk)).exists()
    )
    if not is_member:
        raise Http404
    return group


def access_working_group_member_to_manage(request, member_id: int) -> WorkingGroupMember:
    member = (
        WorkingGroupMember.objects.filter(pk=member_id, left_on__isnull=True, group__archived_at__isnull=True)
        .select_related("group__school")
        .first()
    )
    if member is None or not _committee_roles(request).is_admin_of(member.school_id):
        raise Http404
    return member


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


@dataclass
class FundRole:
    """What the user may do with one class's fund: keep it (record entries: the committee's
    treasurer or the guardian the head teacher named), countersign (any current member of this
    year's class committee, never for their own entry), manage it (the head teacher, admins: name
    the keeper, answer questions) and read it (those, and the class's families)."""

    school_class: SchoolClass
    keeper: bool = False
    signer: bool = False
    manager: bool = False
    family: bool = False

    @property
    def may_see(self) -> bool:
        return self.keeper or self.signer or self.manager or self.family

    @property
    def may_decline(self) -> bool:
        """Send back an entry before it counts: a committee member, or the keeper (their own slip)."""
        return self.keeper or self.signer

    def may(self, need: str | None) -> bool:
        return self.may_see if need is None else bool(getattr(self, need))


def fund_role(request, school_class: SchoolClass) -> FundRole:
    """Four queries at most, whatever the size of the class."""
    roles = _committee_roles(request)
    role = FundRole(school_class=school_class, manager=roles.can_manage_class(school_class))
    if school_class.school_id not in roles.child_school_ids:
        return role
    role.family = Student.objects.filter(
        pk__in=roles.child_ids, school_class=school_class, status=Student.Status.ACTIVE
    ).exists()
    term = current_term(school_class.school_id)
    if term is not None:
        seats = CommitteeMember.objects.filter(
            committee__level=Committee.Level.CLASS,
            committee__school_class=school_class,
            committee__year=school_year_of(term),
            left_on__isnull=True,
            guardian__user=request.user,
        ).values_list("role", flat=True)
        seat_roles = set(seats)
        role.signer = bool(seat_roles)
        role.keeper = CommitteeMember.Role.TREASURER in seat_roles
    if not role.keeper:
        role.keeper = ClassFund.objects.filter(school_class=school_class, keeper__user=request.user).exists()
    return role


def access_fund(request, class_id: int, *, need: str | None = None) -> FundRole:
    """A class's fund, for whoever may read it (``need`` None), or keep, countersign or manage it."""
    school_class = SchoolClass.objects.filter(pk=class_id, graduated_at__isnull=True).select_related("school").first()
    if school_class is None:
        raise Http404
    role = fund_role(request, school_class)
    if not role.may(need):
        raise Http404
    return role


def access_entry(request, entry_id: int, *, need: str | None = None) -> tuple[LedgerEntry, FundRole]:
    entry = (
        LedgerEntry.objects.filter(pk=entry_id)
        .select_related("school_class__school", "reverses", "recorded_by")
        .first()
    )
    if entry is None:
        raise Http404
    role = fund_role(request, entry.school_class)
    if not role.may(need):
        raise Http404
    return entry, role


def access_entry_question_to_answer(request, question_id: int) -> EntryQuestion:
    """A question on an entry: the fund's keeper or the head teacher (admins) answer it."""
    question = EntryQuestion.objects.filter(pk=question_id).select_related("entry__school_class__school").first()
    if question is None:
        raise Http404
    role = fund_role(request, question.entry.school_class)
    if not (role.keeper or role.manager):
        raise Http404
    return question


# (end of section: fund)
