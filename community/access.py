"""Who may see and change what in the community app: every fetch by id goes through here."""

from dataclasses import dataclass

from django.db.models import Q
from django.http import Http404

from schools.models import SchoolClass, Student
from schools.queries import current_term
from schools.roles import Roles

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

# (end of section: volunteers)


# ==== Duty rosters and the class quantification (section: duty) =========================

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
