"""The community app in the JSON API: the same actions, queries and access functions as the pages."""

from datetime import date, datetime, time

from django.core.exceptions import ValidationError
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import File, Form, Router, Schema, Status, UploadedFile

from core.guardrails import GuardrailWarning
from schools.access import access_admin_school, access_class, access_staff_school
from schools.queries import current_term, require_current_term

from . import actions, queries
from . import actions as duty_actions
from . import queries as duty_queries
from .access import (
    access_activity_as_family,
    access_activity_to_manage,
    access_committee_to_manage,
    access_committee_to_see,
    access_duty_assignment_as_family,
    access_duty_assignment_to_manage,
    access_duty_family_as_member,
    access_duty_roster_to_manage,
    access_duty_swap_to_answer,
    access_entry,
    access_entry_question_to_answer,
    access_fund,
    access_member_to_manage,
    access_member_to_write_to,
    access_message_to_reply,
    access_my_guardian,
    access_my_signup,
    access_quant_category,
    access_slot_as_family,
    access_volunteer,
    access_working_group_member_to_manage,
    access_working_group_to_manage,
    access_working_group_to_see,
    family_class_ids,
    may_manage_committee,
    staff_activity_filter,
)
from .models import Committee

router = Router(tags=["community"])


# ==== Committees and working groups (section: committees) ====


class ErrorOut(Schema):
    """Every refusal of the community API: the message the page would show."""

    detail: str


def _error(exc: ValidationError) -> dict[str, str]:
    return {"detail": " ".join(exc.messages)}


class CommitteeMemberOut(Schema):
    id: int
    guardian_id: int
    name: str
    role: str
    role_label: str
    children: list[str]
    joined_on: date
    left_on: date | None


class CommitteeMessageOut(Schema):
    id: int
    member_id: int
    to: str
    sender: str
    text: str
    reply: str
    created_at: datetime
    replied_at: datetime | None


class CommitteeOut(Schema):
    id: int
    level: str
    scope: str
    year: int
    class_id: int | None
    grade: int | None
    members: list[CommitteeMemberOut]
    history: list[CommitteeMemberOut]  # everyone who served, with dates (managers only; else empty)
    messages: list[CommitteeMessageOut]
    may_manage: bool


class CommitteeItemOut(Schema):
    id: int
    level: str
    scope: str
    year: int


class CommitteeStartIn(Schema):
    carry_over: bool = False


class SchoolCommitteeStartIn(Schema):
    level: str  # "grade" or "school"
    grade: int | None = None
    carry_over: bool = False


class CommitteeStartedOut(Schema):
    id: int
    left_out: list[str]


class CommitteeMemberIn(Schema):
    guardian_id: int
    role: str = "member"
    title: str = ""
    joined_on: date | None = None


class CommitteeRoleIn(Schema):
    role: str
    title: str = ""


class CommitteeTextIn(Schema):
    text: str


def _committee_member_out(m) -> dict:
    return {
        "id": m.pk,
        "guardian_id": m.guardian_id,
        "name": m.guardian.name,
        "role": m.role,
        "role_label": m.role_label,
        "children": getattr(m, "children", []),
        "joined_on": m.joined_on,
        "left_on": m.left_on,
    }


def _committee_out(request, committee) -> dict:
    manage = may_manage_committee(request.roles, committee)
    return {
        "id": committee.pk,
        "level": committee.level,
        "scope": committee.scope_label,
        "year": committee.year,
        "class_id": committee.school_class_id,
        "grade": committee.grade,
        "members": [_committee_member_out(m) for m in queries.committee_members(committee)],
        "history": [_committee_member_out(m) for m in queries.committee_members(committee, current_only=False)]
        if manage
        else [],
        "messages": [
            {
                "id": msg.pk,
                "member_id": msg.member_id,
                "to": msg.member.guardian.name,
                "sender": msg.sender.display_name,
                "text": msg.text,
                "reply": msg.reply,
                "created_at": msg.created_at,
                "replied_at": msg.replied_at,
            }
            for msg in queries.committee_messages(committee, request.user, manage=manage)
        ],
        "may_manage": manage,
    }


@router.get("/classes/{class_id}/committee", response={200: CommitteeOut, 204: None})
def committee_of_class(request, class_id: int):
    """This school year's committee of the class (head teacher, admins); 204 before it is started."""
    school_class = access_class(request, class_id, manage=True)
    committee = queries.class_committee(school_class, queries.current_school_year(school_class.school))
    if committee is None:
        return Status(204, None)
    return _committee_out(request, committee)


@router.post("/classes/{class_id}/committee", response={201: CommitteeStartedOut, 400: ErrorOut})
def committee_start_for_class(request, class_id: int, payload: CommitteeStartIn):
    """Start the class's committee for this school year (``carry_over``: last year's members join)."""
    school_class = access_class(request, class_id, manage=True)
    try:
        committee, left_out = actions.do_start_committee(
            school_class.school,
            level=Committee.Level.CLASS,
            school_class=school_class,
            carry_over=payload.carry_over,
            acting_user=request.user,
            request=request,
        )
    except ValidationError as exc:
        return Status(400, _error(exc))
    return Status(201, {"id": committee.pk, "left_out": left_out})


@router.get("/school/committees", response=list[CommitteeItemOut])
def committee_school_list(request):
    """Admins: this school year's committees of the school."""
    school = access_admin_school(request)
    return [
        {"id": c.pk, "level": c.level, "scope": c.scope_label, "year": c.year}
        for c in queries.school_committees(school, queries.current_school_year(school))
    ]


@router.post("/school/committees", response={201: CommitteeStartedOut, 400: ErrorOut})
def committee_school_start(request, payload: SchoolCommitteeStartIn):
    school = access_admin_school(request)
    if payload.level not in (Committee.Level.GRADE, Committee.Level.SCHOOL):
        return Status(400, {"detail": _("Choose a grade or the whole school.")})
    try:
        committee, left_out = actions.do_start_committee(
            school,
            level=payload.level,
            grade=payload.grade,
            carry_over=payload.carry_over,
            acting_user=request.user,
            request=request,
        )
    except ValidationError as exc:
        return Status(400, _error(exc))
    return Status(201, {"id": committee.pk, "left_out": left_out})


@router.get("/committees", response=list[CommitteeItemOut])
def committee_mine(request):
    """Families: the committees serving their children this school year."""
    if not request.roles.is_parent:
        raise Http404
    return [
        {"id": c.pk, "level": c.level, "scope": c.scope_label, "year": c.year}
        for c in queries.family_committees(request.roles)
    ]


@router.get("/committees/{committee_id}", response=CommitteeOut)
def committee_detail(request, committee_id: int):
    return _committee_out(request, access_committee_to_see(request, committee_id))


@router.post("/committees/{committee_id}/members", response={201: CommitteeMemberOut, 400: ErrorOut})
def committee_member_add(request, committee_id: int, payload: CommitteeMemberIn):
    committee = access_committee_to_manage(request, committee_id)
    try:
        member = actions.do_add_committee_member(
            committee,
            guardian_id=payload.guardian_id,
            role=payload.role,
            title=payload.title,
            joined_on=payload.joined_on,
            acting_user=request.user,
            request=request,
        )
    except ValidationError as exc:
        return Status(400, _error(exc))
    return Status(201, _committee_member_out(member))


@router.post("/committees/members/{member_id}/role", response={200: CommitteeMemberOut, 400: ErrorOut})
def committee_member_role(request, member_id: int, payload: CommitteeRoleIn):
    """A new role: the old seat ends and a new one (the answer) starts."""
    member = access_member_to_manage(request, member_id)
    try:
        seat = actions.do_change_committee_role(
            member, role=payload.role, title=payload.title, acting_user=request.user, request=request
        )
    except ValidationError as exc:
        return Status(400, _error(exc))
    return _committee_member_out(seat)


@router.post("/committees/members/{member_id}/leave", response={200: CommitteeMemberOut, 400: ErrorOut})
def committee_member_leave(request, member_id: int):
    member = access_member_to_manage(request, member_id)
    try:
        actions.do_end_committee_membership(member, acting_user=request.user, request=request)
    except ValidationError as exc:
        return Status(400, _error(exc))
    return _committee_member_out(member)


@router.post("/committees/members/{member_id}/messages", response={201: CommitteeMessageOut, 400: ErrorOut})
def committee_message_send(request, member_id: int, payload: CommitteeTextIn):
    """A family writes to a member of its committee."""
    member = access_member_to_write_to(request, member_id)
    try:
        msg = actions.do_write_to_committee_member(member, text=payload.text, acting_user=request.user)
    except ValidationError as exc:
        return Status(400, _error(exc))
    return Status(
        201,
        {
            "id": msg.pk,
            "member_id": member.pk,
            "to": member.guardian.name,
            "sender": request.user.display_name,
            "text": msg.text,
            "reply": "",
            "created_at": msg.created_at,
            "replied_at": None,
        },
    )


@router.post("/committees/messages/{message_id}/reply", response={200: CommitteeMessageOut, 400: ErrorOut})
def committee_message_reply(request, message_id: int, payload: CommitteeTextIn):
    message = access_message_to_reply(request, message_id)
    try:
        msg = actions.do_reply_to_committee_message(message, text=payload.text, acting_user=request.user)
    except ValidationError as exc:
        return Status(400, _error(exc))
    return {
        "id": msg.pk,
        "member_id": msg.member_id,
        "to": message.member.guardian.name,
        "sender": msg.sender.display_name,
        "text": msg.text,
        "reply": msg.reply,
        "created_at": msg.created_at,
        "replied_at": msg.replied_at,
    }


# --- working groups -----------------------------------------------------------------------------


class WorkingGroupItemOut(Schema):
    id: int
    name: str


class WorkingGroupMemberOut(Schema):
    id: int
    name: str
    role: str
    is_guardian: bool
    joined_on: date


class WorkingGroupOut(Schema):
    id: int
    name: str
    purpose: str
    members: list[WorkingGroupMemberOut]
    audience: str  # the target to invite the group to an event: {"kind": "working_group", "ref_id": id}


class WorkingGroupIn(Schema):
    name: str
    purpose: str = ""


class WorkingGroupMemberIn(Schema):
    staff_member_id: int | None = None
    guardian_id: int | None = None
    role: str = "member"


class WorkingGroupChangeIn(Schema):
    role: str | None = None
    leave: bool = False


def _working_group_member_out(m) -> dict:
    return {
        "id": m.pk,
        "name": m.name,
        "role": m.role,
        "is_guardian": m.guardian_id is not None,
        "joined_on": m.joined_on,
    }


@router.get("/school/working-groups", response=list[WorkingGroupItemOut])
def working_group_list(request):
    """Admins: the school's working groups."""
    school = access_admin_school(request)
    return [{"id": g.pk, "name": g.name} for g in queries.school_working_groups(school)]


@router.post("/school/working-groups", response={201: WorkingGroupItemOut, 400: ErrorOut})
def working_group_create(request, payload: WorkingGroupIn):
    school = access_admin_school(request)
    try:
        group = actions.do_create_working_group(
            school, name=payload.name, purpose=payload.purpose, acting_user=request.user, request=request
        )
    except ValidationError as exc:
        return Status(400, _error(exc))
    return Status(201, {"id": group.pk, "name": group.name})


@router.get("/working-groups", response=list[WorkingGroupItemOut])
def working_group_mine(request):
    """The working groups the caller serves on."""
    return [{"id": g.pk, "name": g.name} for g in queries.my_working_groups(request.user, request.roles.school_ids)]


@router.get("/working-groups/{group_id}", response=WorkingGroupOut)
def working_group_detail(request, group_id: int):
    group = access_working_group_to_see(request, group_id)
    return {
        "id": group.pk,
        "name": group.name,
        "purpose": group.purpose,
        "members": [_working_group_member_out(m) for m in queries.working_group_members(group)],
        "audience": "working_group",
    }


@router.post("/working-groups/{group_id}/members", response={201: WorkingGroupMemberOut, 400: ErrorOut})
def working_group_member_add(request, group_id: int, payload: WorkingGroupMemberIn):
    """Admins add a staff member (their staff-member id) or a guardian of the school."""
    group = access_working_group_to_manage(request, group_id)
    try:
        member = actions.do_add_working_group_member(
            group,
            staff_member_id=payload.staff_member_id,
            guardian_id=payload.guardian_id,
            role=payload.role,
            acting_user=request.user,
            request=request,
        )
    except ValidationError as exc:
        return Status(400, _error(exc))
    return Status(201, _working_group_member_out(member))


@router.post("/working-groups/members/{member_id}", response={200: WorkingGroupMemberOut, 400: ErrorOut})
def working_group_member_change(request, member_id: int, payload: WorkingGroupChangeIn):
    """A new role, or ``leave``."""
    member = access_working_group_member_to_manage(request, member_id)
    try:
        member = actions.do_change_working_group_member(
            member, role=payload.role, leave=payload.leave, acting_user=request.user, request=request
        )
    except ValidationError as exc:
        return Status(400, _error(exc))
    return _working_group_member_out(member)


# (end of section: committees)


# ==== Volunteers, activities and recognition (section: volunteers) ====


class VolunteerIn(Schema):
    skills: str = ""
    availability: str


class VolunteerOut(Schema):
    id: int
    guardian: str
    skills: str
    availability: str
    active: bool


class VolunteerMeOut(Schema):
    volunteer: VolunteerOut | None


def _volunteer_out(v) -> dict:
    return {
        "id": v.pk,
        "guardian": v.guardian.name,
        "skills": v.skills,
        "availability": v.availability,
        "active": v.active,
    }


class SlotOut(Schema):
    id: int
    label: str
    starts_at: datetime
    ends_at: datetime
    needed: int
    taken: int
    mine: bool = False


class ActivityOut(Schema):
    id: int
    kind: str
    title: str
    place: str
    description: str
    class_name: str | None
    withdraw_until: datetime
    cancelled: bool
    slots: list[SlotOut]


class SignupOut(Schema):
    id: int
    activity_id: int
    activity: str
    slot_id: int
    slot: str
    starts_at: datetime
    ends_at: datetime
    code: str
    checked_in_at: datetime | None
    minutes: int


class FamilyActivitiesOut(Schema):
    activities: list[ActivityOut]
    signups: list[SignupOut]


def _activity_out(activity, slots, mine: set[int] | None = None) -> dict:
    return {
        "id": activity.pk,
        "kind": activity.kind,
        "title": activity.title,
        "place": activity.place,
        "description": activity.description,
        "class_name": activity.school_class.name if activity.school_class else None,
        "withdraw_until": activity.withdraw_until,
        "cancelled": activity.cancelled_at is not None,
        "slots": [
            {
                "id": s.pk,
                "label": s.label,
                "starts_at": s.starts_at,
                "ends_at": s.ends_at,
                "needed": s.needed,
                "taken": s.taken,
                "mine": s.pk in (mine or set()),
            }
            for s in slots
        ],
    }


def _signup_out(s) -> dict:
    return {
        "id": s.pk,
        "activity_id": s.slot.activity_id,
        "activity": s.slot.activity.title,
        "slot_id": s.slot_id,
        "slot": s.slot.label,
        "starts_at": s.slot.starts_at,
        "ends_at": s.slot.ends_at,
        "code": actions.volunteer_code(s),
        "checked_in_at": s.checked_in_at,
        "minutes": s.minutes,
    }


@router.get("/community/volunteer/me", response=VolunteerMeOut)
def volunteer_me(request):
    """The signed-in parent's offer to help, or null."""
    volunteer = queries.my_volunteer(access_my_guardian(request))
    return {"volunteer": _volunteer_out(volunteer) if volunteer else None}


@router.post("/community/volunteer/me", response={200: VolunteerOut, 400: ErrorOut})
def volunteer_join(request, payload: VolunteerIn):
    """Offer to help (or change the offer): skills and when."""
    guardian = access_my_guardian(request)
    try:
        volunteer = actions.do_register_volunteer(
            guardian, acting_user=request.user, skills=payload.skills, availability=payload.availability
        )
    except ValidationError as exc:
        return Status(400, _error(exc))
    return _volunteer_out(volunteer)


@router.get("/community/volunteer/activities", response=FamilyActivitiesOut)
def volunteer_activities(request):
    """The activities calling the family, and its own places with their codes for the day."""
    guardian = access_my_guardian(request)
    volunteer = queries.my_volunteer(guardian)
    signups = list(queries.my_signups(volunteer))
    mine = {s.slot_id for s in signups}
    return {
        "activities": [
            _activity_out(a, a.slots.all(), mine)
            for a in queries.family_activities(guardian, family_class_ids(guardian))
        ],
        "signups": [_signup_out(s) for s in signups],
    }


@router.get("/community/volunteer/activities/{activity_id}", response=ActivityOut)
def volunteer_activity(request, activity_id: int):
    activity, guardian = access_activity_as_family(request, activity_id)
    volunteer = queries.my_volunteer(guardian)
    mine = {s.slot_id for s in queries.my_signups(volunteer, upcoming=False)}
    return _activity_out(activity, activity.slots.order_by("starts_at", "id"), mine)


@router.post("/community/volunteer/slots/{slot_id}/signup", response={201: SignupOut, 400: ErrorOut})
def volunteer_slot_signup(request, slot_id: int):
    """Take a place on a slot: 400 when it is full (two at once for the last place: one wins)."""
    slot, guardian = access_slot_as_family(request, slot_id)
    volunteer = queries.my_volunteer(guardian)
    try:
        if volunteer is None:
            raise ValidationError(_("Sign up as a volunteer first."))
        signup = actions.do_sign_up(slot, volunteer, acting_user=request.user)
    except ValidationError as exc:
        return Status(400, _error(exc))
    return Status(201, _signup_out(signup))


@router.post("/community/volunteer/signups/{signup_id}/withdraw", response={204: None, 400: ErrorOut})
def volunteer_signup_withdraw(request, signup_id: int):
    signup = access_my_signup(request, signup_id)
    try:
        actions.do_withdraw(signup, acting_user=request.user)
    except ValidationError as exc:
        return Status(400, _error(exc))
    return Status(204, None)


class TrainingOut(Schema):
    date: date
    title: str


class ServedOut(Schema):
    activity: str
    slot: str
    starts_at: datetime
    minutes: int


class ArchiveOut(Schema):
    volunteer: VolunteerOut
    activities_served: int
    hours: float
    served: list[ServedOut]
    trainings: list[TrainingOut]


@router.get("/community/volunteers/{volunteer_id}/archive", response=ArchiveOut)
def volunteer_archive(request, volunteer_id: int):
    """档案: activities served, hours, trainings attended."""
    volunteer = access_volunteer(request, volunteer_id)
    archive = queries.volunteer_archive(volunteer)
    return {
        "volunteer": _volunteer_out(volunteer),
        "activities_served": archive.activity_count,
        "hours": archive.hours,
        "served": [
            {
                "activity": s.slot.activity.title,
                "slot": s.slot.label,
                "starts_at": s.slot.starts_at,
                "minutes": s.minutes,
            }
            for s in archive.served
        ],
        "trainings": [{"date": t.date, "title": t.title} for t in archive.trainings],
    }


class ClassVolunteerOut(Schema):
    volunteer: VolunteerOut
    activities_served: int
    hours: float
    trainings: int


@router.get("/community/classes/{class_id}/volunteers", response=list[ClassVolunteerOut])
def class_volunteers(request, class_id: int):
    school_class = access_class(request, class_id)
    return [
        {
            "volunteer": _volunteer_out(r["volunteer"]),
            "activities_served": r["activities"],
            "hours": r["hours"],
            "trainings": len(r["trainings"]),
        }
        for r in queries.class_volunteer_rows(school_class)
    ]


class SlotIn(Schema):
    label: str
    starts_at: datetime
    ends_at: datetime
    needed: int


class ActivityIn(Schema):
    class_id: int | None = None  # none: the whole school (admins)
    kind: str = "class_outing"
    title: str
    place: str
    description: str = ""
    withdraw_until: datetime
    slots: list[SlotIn]
    guardrail_reason: str = ""


class SheetSignupOut(Schema):
    id: int
    guardian: str
    checked_in_at: datetime | None
    minutes: int


class SheetSlotOut(SlotOut):
    signups: list[SheetSignupOut]


class ActivitySheetOut(Schema):
    activity: ActivityOut
    slots: list[SheetSlotOut]


class ActivityItemOut(Schema):
    id: int
    kind: str
    title: str
    class_name: str | None
    needed: int
    taken: int
    cancelled: bool


@router.get("/community/volunteer-activities", response=list[ActivityItemOut])
def volunteer_activity_list(request):
    """Staff: the activities they manage (their class's, their own; an admin's whole school)."""
    access_staff_school(request)
    return [
        {
            "id": a.pk,
            "kind": a.kind,
            "title": a.title,
            "class_name": a.school_class.name if a.school_class else None,
            "needed": a.n_needed,
            "taken": a.n_taken,
            "cancelled": a.cancelled_at is not None,
        }
        for a in queries.activities_to_manage(staff_activity_filter(request))
    ]


@router.post("/community/volunteer-activities", response={201: ActivityOut, 400: ErrorOut})
def volunteer_activity_create(request, payload: ActivityIn):
    """Publish an activity needing helpers, with its slots; the class (or school) is asked by a notice."""
    school = access_staff_school(request)
    try:
        school_class = access_class(request, payload.class_id, manage=True) if payload.class_id else None
        activity = actions.do_create_activity(
            school,
            acting_user=request.user,
            roles=request.roles,
            school_class=school_class,
            fields=actions.ActivityFields(
                kind=payload.kind,
                title=payload.title,
                place=payload.place,
                description=payload.description,
                withdraw_until=payload.withdraw_until,
                slots=[actions.SlotSpec(s.label, s.starts_at, s.ends_at, s.needed) for s in payload.slots],
            ),
            guardrail_reason=payload.guardrail_reason,
            request=request,
        )
    except GuardrailWarning as exc:
        return Status(400, {"detail": " ".join(exc.messages)})
    except ValidationError as exc:
        return Status(400, _error(exc))
    return Status(201, _activity_out(activity, activity.slots.order_by("starts_at", "id")))


@router.get("/community/volunteer-activities/{activity_id}", response=ActivitySheetOut)
def volunteer_activity_sheet(request, activity_id: int):
    """Staff: each slot with who signed up and who checked in."""
    activity = access_activity_to_manage(request, activity_id)
    slots = queries.activity_sheet(activity)
    return {
        "activity": _activity_out(activity, slots),
        "slots": [
            {
                "id": s.pk,
                "label": s.label,
                "starts_at": s.starts_at,
                "ends_at": s.ends_at,
                "needed": s.needed,
                "taken": s.taken,
                "signups": [
                    {
                        "id": x.pk,
                        "guardian": x.volunteer.guardian.name,
                        "checked_in_at": x.checked_in_at,
                        "minutes": x.minutes,
                    }
                    for x in s.signups.all()
                ],
            }
            for s in slots
        ],
    }


class CheckInIn(Schema):
    code: str


@router.post("/community/volunteer-activities/{activity_id}/check-in", response={200: SheetSignupOut, 400: ErrorOut})
def volunteer_activity_checkin(request, activity_id: int, payload: CheckInIn):
    """Check a helper in by their code; the slot's length is recorded as their time."""
    activity = access_activity_to_manage(request, activity_id)
    try:
        signup = actions.do_check_in_volunteer(activity, payload.code, acting_user=request.user)
    except ValidationError as exc:
        return Status(400, _error(exc))
    return {
        "id": signup.pk,
        "guardian": signup.volunteer.guardian.name,
        "checked_in_at": signup.checked_in_at,
        "minutes": signup.minutes,
    }


@router.post("/community/volunteer-activities/{activity_id}/cancel", response={204: None})
def volunteer_activity_cancel(request, activity_id: int):
    activity = access_activity_to_manage(request, activity_id)
    actions.do_cancel_activity(activity, acting_user=request.user)
    return Status(204, None)


# (end of section: volunteers)


# ==== Duty rosters and the class quantification (section: duty) ====


class DutyRosterItem(Schema):
    id: int
    title: str
    class_id: int | None
    status: str
    shifts: int
    families: int


class DutyRosterIn(Schema):
    title: str
    class_id: int | None = None  # empty: a roster of the whole school (admins)


class DutyCreatedOut(Schema):
    id: int


class DutyAssignmentOut(Schema):
    id: int
    family_id: int
    family: str
    status: str
    on_time: bool | None
    confirmed: bool


class DutyShiftOut(Schema):
    id: int
    date: date
    starts_at: time
    ends_at: time
    place: str
    families_needed: int
    checkin_code: str
    assignments: list[DutyAssignmentOut]


class DutyFamilyOut(Schema):
    id: int
    label: str
    shifts: int
    unavailable: list[date]


class DutySwapOut(Schema):
    id: int
    from_family: str
    to_family: str
    shift_id: int
    in_return_shift_id: int | None
    status: str


class DutyRosterOut(Schema):
    id: int
    title: str
    status: str
    notice_id: int | None
    shifts: list[DutyShiftOut]
    families: list[DutyFamilyOut]
    swaps: list[DutySwapOut]
    gaps: list[list[int]]
    clashes: list[list[int]]


class DutyShiftsIn(Schema):
    first: date
    last: date | None = None
    weekdays: list[int] = [0, 1, 2, 3, 4]
    starts_at: time
    ends_at: time
    place: str
    families_needed: int = 1


class DutyCountOut(Schema):
    count: int


class DutyProposalOut(Schema):
    families: int
    shifts: int
    placed: int
    gaps: list[list[int]]
    clashes: list[list[int]]
    spread: int


class DutyFamiliesIn(Schema):
    family_ids: list[int]


class DutyStandbyIn(Schema):
    shift_id: int
    family_id: int


class DutyAttendanceIn(Schema):
    status: str


class DutyCodeIn(Schema):
    code: str


class DutySwapIn(Schema):
    to_family_id: int | None = None
    in_return_id: int | None = None  # the other family's shift given in return


class DutyAnswerIn(Schema):
    accept: bool


class DutyDatesIn(Schema):
    dates: list[date]


class MyShiftOut(Schema):
    id: int
    shift_id: int
    date: date
    starts_at: time
    ends_at: time
    place: str
    status: str


class MyOtherFamilyOut(Schema):
    id: int
    label: str
    next_assignment_id: int | None


class MyDutyOut(Schema):
    family_id: int
    roster_id: int
    roster: str
    label: str
    notice_id: int | None
    shifts: list[MyShiftOut]
    swaps_asked_of_us: list[DutySwapOut]
    swaps_we_asked: list[DutySwapOut]
    others: list[MyOtherFamilyOut]


class QuantCategoryOut(Schema):
    id: int | None
    name: str
    kind: str
    points: int
    is_active: bool


class QuantCategoryIn(Schema):
    id: int | None = None
    name: str
    points: int
    kind: str = "other"
    active: bool = True


class QuantRowOut(Schema):
    category_id: int
    category: str
    items: int
    points: int


class QuantItemOut(Schema):
    id: int
    category: str
    points: int
    reason: str
    occurred_on: date


class ClassQuantOut(Schema):
    class_id: int
    term: str | None
    total: int
    categories: list[QuantRowOut]
    items: list[QuantItemOut]


class QuantItemIn(Schema):
    category_id: int
    reason: str
    occurred_on: date | None = None
    points: int | None = None


class QuantCompareRowOut(Schema):
    class_id: int
    class_name: str
    points: list[int]
    total: int


class QuantCompareOut(Schema):
    term: str | None
    categories: list[str]
    rows: list[QuantCompareRowOut]


def _swap_out(s) -> dict:
    return {
        "id": s.pk,
        "from_family": s.from_family.label,
        "to_family": s.to_family.label,
        "shift_id": s.assignment.shift_id,
        "in_return_shift_id": s.in_return.shift_id if s.in_return else None,
        "status": s.status,
    }


@router.get("/duty/rosters", response=list[DutyRosterItem])
def duty_rosters(request):
    """The duty rosters the user manages (head teachers: their classes'; admins: the school's)."""
    school = access_staff_school(request)
    return [
        {
            "id": r.pk,
            "title": r.title,
            "class_id": r.school_class_id,
            "status": r.status,
            "shifts": r.shift_count,  # type: ignore[attr-defined]
            "families": r.family_count,  # type: ignore[attr-defined]
        }
        for r in duty_queries.rosters_to_manage(school, request.roles)
    ]


@router.post("/duty/rosters", response={201: DutyCreatedOut, 400: ErrorOut})
def duty_roster_create(request, payload: DutyRosterIn):
    """A draft roster of a class (its head teacher, admins) or of the school (admins), with every family."""
    school = access_staff_school(request)
    klass = None
    if payload.class_id is not None:
        klass = access_class(request, payload.class_id, manage=True)
    elif not request.roles.is_admin_of(school.pk):
        raise Http404
    try:
        roster = duty_actions.do_create_roster(
            klass.school if klass else school,
            acting_user=request.user,
            term=require_current_term(klass.school if klass else school),
            title=payload.title,
            school_class=klass,
        )
    except ValidationError as exc:
        return Status(400, _error(exc))
    return Status(201, {"id": roster.pk})


@router.get("/duty/rosters/{roster_id}", response=DutyRosterOut)
def duty_roster(request, roster_id: int):
    roster = access_duty_roster_to_manage(request, roster_id)
    view = duty_queries.roster_view(roster)
    today = timezone.localdate()
    return {
        "id": roster.pk,
        "title": roster.title,
        "status": roster.status,
        "notice_id": roster.notice_id,
        "shifts": [
            {
                "id": s.pk,
                "date": s.date,
                "starts_at": s.starts_at,
                "ends_at": s.ends_at,
                "place": s.place,
                "families_needed": s.families_needed,
                "checkin_code": duty_actions.shift_code(roster, s) if s.date == today else "",
                "assignments": [
                    {
                        "id": a.pk,
                        "family_id": a.family_id,
                        "family": a.family.label,
                        "status": a.status,
                        "on_time": a.on_time,
                        "confirmed": a.family_id in view.confirmed_family_ids,
                    }
                    for a in s.assignments.all()
                ],
            }
            for s in view.shifts
        ],
        "families": [
            {
                "id": f.pk,
                "label": f.label,
                "shifts": view.counts.get(f.pk, 0),
                "unavailable": [u.date for u in f.unavailable.all()],
            }
            for f in view.families
        ],
        "swaps": [_swap_out(s) for s in view.swaps],
        "gaps": [[s.pk, n] for s, n in view.gaps],
        "clashes": [[s.pk, f.pk] for s, f in view.clashes],
    }


@router.post("/duty/rosters/{roster_id}/shifts", response={201: DutyCountOut, 400: ErrorOut})
def duty_add_shifts(request, roster_id: int, payload: DutyShiftsIn):
    roster = access_duty_roster_to_manage(request, roster_id)
    try:
        n = duty_actions.do_add_shifts(roster, acting_user=request.user, **payload.dict())
    except ValidationError as exc:
        return Status(400, _error(exc))
    return Status(201, {"count": n})


@router.post("/duty/rosters/{roster_id}/propose", response={200: DutyProposalOut, 400: ErrorOut})
def duty_propose(request, roster_id: int):
    """Tongxin's fair rotation for a draft roster, with its gaps and clashes."""
    roster = access_duty_roster_to_manage(request, roster_id)
    try:
        return duty_actions.do_propose_rotation(roster, acting_user=request.user)
    except ValidationError as exc:
        return Status(400, _error(exc))


@router.post("/duty/rosters/{roster_id}/shifts/{shift_id}/families", response={204: None, 400: ErrorOut})
def duty_set_families(request, roster_id: int, shift_id: int, payload: DutyFamiliesIn):
    """The head teacher's adjustment: exactly these families on this shift."""
    roster = access_duty_roster_to_manage(request, roster_id)
    try:
        duty_actions.do_set_shift_families(
            roster, acting_user=request.user, shift_id=shift_id, family_ids=payload.family_ids
        )
    except ValidationError as exc:
        return Status(400, _error(exc))
    return Status(204, None)


@router.post("/duty/rosters/{roster_id}/publish", response={200: DutyCreatedOut, 400: ErrorOut})
def duty_publish(request, roster_id: int):
    """Publish as a notice the families confirm; answers the notice's id."""
    roster = access_duty_roster_to_manage(request, roster_id)
    try:
        notice = duty_actions.do_publish_roster(roster, acting_user=request.user, roles=request.roles, request=request)
    except ValidationError as exc:
        return Status(400, _error(exc))
    return {"id": notice.pk}


@router.post("/duty/rosters/{roster_id}/standby", response={201: DutyCreatedOut, 400: ErrorOut})
def duty_standby(request, roster_id: int, payload: DutyStandbyIn):
    roster = access_duty_roster_to_manage(request, roster_id)
    try:
        a = duty_actions.do_ask_standby(
            roster,
            acting_user=request.user,
            shift_id=payload.shift_id,
            family_id=payload.family_id,
            roles=request.roles,
        )
    except ValidationError as exc:
        return Status(400, _error(exc))
    return Status(201, {"id": a.pk})


@router.post("/duty/assignments/{assignment_id}/attendance", response={204: None, 400: ErrorOut})
def duty_attendance(request, assignment_id: int, payload: DutyAttendanceIn):
    """The head teacher records a shift done or a no-show."""
    assignment = access_duty_assignment_to_manage(request, assignment_id)
    try:
        duty_actions.do_record_attendance(assignment, acting_user=request.user, status=payload.status)
    except ValidationError as exc:
        return Status(400, _error(exc))
    return Status(204, None)


@router.get("/duty/mine", response=list[MyDutyOut])
def duty_mine(request):
    """The user's families on published rosters: their shifts, swaps and the families to swap with."""
    return [
        {
            "family_id": d.family.pk,
            "roster_id": d.family.roster_id,
            "roster": d.family.roster.title,
            "label": d.family.label,
            "notice_id": d.family.roster.notice_id,
            "shifts": [
                {
                    "id": a.pk,
                    "shift_id": a.shift_id,
                    "date": a.shift.date,
                    "starts_at": a.shift.starts_at,
                    "ends_at": a.shift.ends_at,
                    "place": a.shift.place,
                    "status": a.status,
                }
                for a in d.assignments
            ],
            "swaps_asked_of_us": [_swap_out(s) for s in d.swaps_asked_of_us],
            "swaps_we_asked": [_swap_out(s) for s in d.swaps_we_asked],
            "others": [{"id": f.pk, "label": f.label, "next_assignment_id": a.pk if a else None} for f, a in d.others],
        }
        for d in duty_queries.my_duty(request.user)
    ]


@router.post("/duty/assignments/{assignment_id}/checkin", response={204: None, 400: ErrorOut})
def duty_checkin(request, assignment_id: int, payload: DutyCodeIn):
    """A family on duty checks in with the code the post shows that day."""
    assignment = access_duty_assignment_as_family(request, assignment_id)
    try:
        duty_actions.do_check_in(assignment, acting_user=request.user, code=payload.code)
    except ValidationError as exc:
        return Status(400, _error(exc))
    return Status(204, None)


@router.post("/duty/assignments/{assignment_id}/swap", response={201: DutyCreatedOut, 400: ErrorOut})
def duty_swap(request, assignment_id: int, payload: DutySwapIn):
    assignment = access_duty_assignment_as_family(request, assignment_id)
    try:
        swap = duty_actions.do_request_swap(
            assignment, acting_user=request.user, to_family_id=payload.to_family_id, in_return_id=payload.in_return_id
        )
    except ValidationError as exc:
        return Status(400, _error(exc))
    return Status(201, {"id": swap.pk})


@router.post("/duty/swaps/{swap_id}/answer", response={204: None, 400: ErrorOut})
def duty_swap_answer(request, swap_id: int, payload: DutyAnswerIn):
    swap = access_duty_swap_to_answer(request, swap_id)
    try:
        duty_actions.do_answer_swap(swap, acting_user=request.user, accept=payload.accept)
    except ValidationError as exc:
        return Status(400, _error(exc))
    return Status(204, None)


@router.post("/duty/assignments/{assignment_id}/standby", response={204: None, 400: ErrorOut})
def duty_standby_answer(request, assignment_id: int, payload: DutyAnswerIn):
    assignment = access_duty_assignment_as_family(request, assignment_id)
    try:
        duty_actions.do_answer_standby(assignment, acting_user=request.user, accept=payload.accept)
    except ValidationError as exc:
        return Status(400, _error(exc))
    return Status(204, None)


@router.post("/duty/families/{family_id}/unavailable", response={200: DutyCountOut, 400: ErrorOut})
def duty_unavailable(request, family_id: int, payload: DutyDatesIn):
    """The dates the family cannot do (replacing what it said before)."""
    family = access_duty_family_as_member(request, family_id)
    try:
        return {"count": duty_actions.do_set_unavailable(family, acting_user=request.user, dates=payload.dates)}
    except ValidationError as exc:
        return Status(400, _error(exc))


@router.get("/quant/classes/{class_id}", response=ClassQuantOut)
def quant_class(request, class_id: int):
    """A class's quantification this term (its teachers and the admins): never a child or a family."""
    klass = access_class(request, class_id)
    term = current_term(klass.school)
    if term is None:
        return {"class_id": klass.pk, "term": None, "total": 0, "categories": [], "items": []}
    q = duty_queries.class_quant(klass, term)
    return {
        "class_id": klass.pk,
        "term": term.name,
        "total": q.total,
        "categories": [{"category_id": c.pk, "category": c.name, "items": n, "points": p} for c, n, p in q.categories],
        "items": [
            {
                "id": i.pk,
                "category": i.category.name,
                "points": i.points,
                "reason": i.reason,
                "occurred_on": i.occurred_on,
            }
            for i in q.items
        ],
    }


@router.post("/quant/classes/{class_id}/items", response={201: DutyCreatedOut, 400: ErrorOut})
def quant_add_item(request, class_id: int, payload: QuantItemIn):
    """Its head teacher or an admin adds an item with a reason."""
    klass = access_class(request, class_id, manage=True)
    try:
        item = duty_actions.do_add_quant_item(
            klass,
            acting_user=request.user,
            term=require_current_term(klass.school),
            category_id=payload.category_id,
            reason=payload.reason,
            occurred_on=payload.occurred_on,
            points=payload.points,
        )
    except ValidationError as exc:
        return Status(400, _error(exc))
    return Status(201, {"id": item.pk})


@router.get("/quant/compare", response=QuantCompareOut)
def quant_compare(request):
    """Admins compare the classes' points this term."""
    school = access_admin_school(request)
    term = current_term(school)
    if term is None:
        return {"term": None, "categories": [], "rows": []}
    categories, rows = duty_queries.compare_classes(school, term)
    return {
        "term": term.name,
        "categories": [c.name for c in categories],
        "rows": [
            {
                "class_id": r["school_class"].pk,
                "class_name": r["school_class"].name,
                "points": r["points"],
                "total": r["total"],
            }
            for r in rows
        ],
    }


@router.get("/quant/categories", response=list[QuantCategoryOut])
def quant_categories(request):
    school = access_admin_school(request)
    return [
        {"id": c.pk, "name": c.name, "kind": c.kind, "points": c.points, "is_active": c.is_active}
        for c in duty_queries.quant_categories(school)
    ]


@router.post("/quant/categories", response={200: DutyCreatedOut, 400: ErrorOut})
def quant_category_save(request, payload: QuantCategoryIn):
    """Admins add a category, or change one (``id``)."""
    school = access_admin_school(request)
    category = access_quant_category(request, payload.id) if payload.id else None
    try:
        saved = duty_actions.do_save_quant_category(
            school,
            acting_user=request.user,
            name=payload.name,
            points=payload.points,
            category=category,
            kind=payload.kind,
            active=payload.active,
        )
    except ValidationError as exc:
        return Status(400, _error(exc))
    return {"id": saved.pk}


# (end of section: duty)


# ==== The class fund ledger (section: fund) ====


class FundQuestionOut(Schema):
    id: int
    asked_by: str
    text: str
    answer: str
    answered_by: str | None
    answered_at: datetime | None


class FundEntryOut(Schema):
    id: int
    number: int
    kind: str
    amount_fen: int
    amount: str  # yuan and fen, "12.50"
    occurred_on: date
    purpose: str
    receipt_url: str | None  # the receipt's photo or PDF (a page route: signed-in session)
    recorded_by: str
    countersigned_by: str | None
    countersigned_at: datetime | None
    counts: bool
    declined_by: str | None  # sent back before it counted: never counts
    decline_reason: str
    reverses: int | None  # the number of the entry it corrects
    reversed_by: int | None  # the number of the entry that corrects it
    questions: list[FundQuestionOut]


class FundMonthOut(Schema):
    month: str  # 2026-11
    income_fen: int
    expense_fen: int
    closing_fen: int


class FundMayOut(Schema):
    keep: bool
    countersign: bool
    manage: bool
    ask: bool


class FundLedgerOut(Schema):
    class_id: int
    class_name: str
    balance_fen: int
    balance: str
    pending: int
    keepers: list[str]
    months: list[FundMonthOut]
    entries: list[FundEntryOut]
    may: FundMayOut


class FundClassOut(Schema):
    id: int
    name: str


class FundEntryIn(Schema):
    kind: str
    amount: str  # "12.5", "12.50", "¥12.50"
    occurred_on: date
    purpose: str
    idempotency_key: str = ""


class FundReverseIn(Schema):
    reason: str


class FundTextIn(Schema):
    text: str


class FundKeeperIn(Schema):
    guardian_id: int | None = None


class FundKeeperOut(Schema):
    class_id: int
    keeper: str | None


def _fund_question_out(q) -> dict:
    return {
        "id": q.pk,
        "asked_by": q.asked_by.display_name,
        "text": q.text,
        "answer": q.answer,
        "answered_by": q.answered_by.display_name if q.answered_by else None,
        "answered_at": q.answered_at,
    }


def _fund_entry_out(e, *, questions: bool = True) -> dict:
    reversed_by = getattr(e, "reversed_by", None) if questions else None
    return {
        "id": e.pk,
        "number": e.number,
        "kind": e.kind,
        "amount_fen": e.amount_fen,
        "amount": e.amount,
        "occurred_on": e.occurred_on,
        "purpose": e.purpose,
        "receipt_url": reverse("community:fund_receipt", args=[e.pk]) if e.receipt else None,
        "recorded_by": e.recorded_by.display_name,
        "countersigned_by": e.countersigned_by.display_name if e.countersigned_by else None,
        "countersigned_at": e.countersigned_at,
        "counts": e.counts,
        "declined_by": e.declined_by.display_name if e.declined_by else None,
        "decline_reason": e.decline_reason,
        "reverses": e.reverses.number if e.reverses else None,
        "reversed_by": reversed_by.number if reversed_by else None,
        "questions": [_fund_question_out(q) for q in e.questions.all()] if questions else [],
    }


@router.get("/classes/{class_id}/fund", response=FundLedgerOut)
def fund_ledger(request, class_id: int):
    """The class fund's ledger, balance and monthly statement (countersigned entries count)."""
    role = access_fund(request, class_id)
    ledger = queries.fund_ledger(role.school_class)
    return {
        "class_id": role.school_class.pk,
        "class_name": role.school_class.name,
        "balance_fen": ledger.balance_fen,
        "balance": ledger.balance,
        "pending": ledger.pending,
        "keepers": ledger.keepers,
        "months": [
            {
                "month": m.month.strftime("%Y-%m"),
                "income_fen": m.income_fen,
                "expense_fen": m.expense_fen,
                "closing_fen": m.closing_fen,
            }
            for m in ledger.months
        ],
        "entries": [_fund_entry_out(e) for e in ledger.entries],
        "may": {"keep": role.keeper, "countersign": role.signer, "manage": role.manager, "ask": role.family},
    }


@router.get("/fund", response=list[FundClassOut])
def fund_mine(request):
    """Families: the classes of their children, whose funds they read."""
    if not request.roles.is_parent:
        raise Http404
    return [{"id": c.pk, "name": c.name} for c in queries.family_fund_classes(request.roles)]


@router.post("/classes/{class_id}/fund/entries", response={201: FundEntryOut, 400: ErrorOut})
def fund_entry_create(request, class_id: int, payload: Form[FundEntryIn], receipt: UploadedFile | None = File(None)):  # noqa: B008
    """The keeper records income or an expense (multipart: the fields and, for an expense, the
    ``receipt`` photo or PDF). It counts once another committee member countersigns it."""
    role = access_fund(request, class_id, need="keeper")
    try:
        entry = actions.do_record_entry(
            role.school_class,
            kind=payload.kind,
            amount=payload.amount,
            occurred_on=payload.occurred_on,
            purpose=payload.purpose,
            receipt=actions.accept_receipt(receipt) if receipt is not None else None,
            acting_user=request.user,
            idempotency_key=payload.idempotency_key,
            request=request,
        )
    except ValidationError as exc:
        return Status(400, _error(exc))
    return Status(201, _fund_entry_out(entry, questions=False))


@router.post("/classes/{class_id}/fund/keeper", response={200: FundKeeperOut, 400: ErrorOut})
def fund_keeper_name(request, class_id: int, payload: FundKeeperIn):
    """The head teacher names a guardian of the class to keep the accounts (or none: null)."""
    role = access_fund(request, class_id, need="manager")
    try:
        fund = actions.do_name_fund_keeper(
            role.school_class, guardian_id=payload.guardian_id, acting_user=request.user, request=request
        )
    except ValidationError as exc:
        return Status(400, _error(exc))
    return {"class_id": role.school_class.pk, "keeper": fund.keeper.name if fund.keeper else None}


@router.post("/fund/entries/{entry_id}/countersign", response={200: FundEntryOut, 400: ErrorOut})
def fund_entry_countersign(request, entry_id: int):
    entry, _role = access_entry(request, entry_id, need="signer")
    try:
        entry = actions.do_countersign_entry(entry, acting_user=request.user, request=request)
    except ValidationError as exc:
        return Status(400, _error(exc))
    return _fund_entry_out(entry, questions=False)


@router.post("/fund/entries/{entry_id}/decline", response={200: FundEntryOut, 400: ErrorOut})
def fund_entry_decline(request, entry_id: int, payload: FundReverseIn):
    """Send back an entry that does not count yet (``reason``): a committee member or the keeper."""
    entry, _role = access_entry(request, entry_id, need="may_decline")
    try:
        entry = actions.do_decline_entry(entry, reason=payload.reason, acting_user=request.user, request=request)
    except ValidationError as exc:
        return Status(400, _error(exc))
    return _fund_entry_out(entry, questions=False)


@router.post("/fund/entries/{entry_id}/reverse", response={201: FundEntryOut, 400: ErrorOut})
def fund_entry_reverse(request, entry_id: int, payload: FundReverseIn):
    """Correct an entry with a reversing entry that names it (entries are never changed)."""
    entry, _role = access_entry(request, entry_id, need="keeper")
    try:
        reversal = actions.do_reverse_entry(entry, reason=payload.reason, acting_user=request.user, request=request)
    except ValidationError as exc:
        return Status(400, _error(exc))
    return Status(201, _fund_entry_out(reversal, questions=False))


@router.post("/fund/entries/{entry_id}/questions", response={201: FundQuestionOut, 400: ErrorOut})
def fund_entry_ask(request, entry_id: int, payload: FundTextIn):
    """A family of the class asks about an entry."""
    entry, _role = access_entry(request, entry_id, need="family")
    try:
        question = actions.do_ask_about_entry(entry, text=payload.text, acting_user=request.user)
    except ValidationError as exc:
        return Status(400, _error(exc))
    return Status(201, _fund_question_out(question))


@router.post("/fund/questions/{question_id}/answer", response={200: FundQuestionOut, 400: ErrorOut})
def fund_question_answer(request, question_id: int, payload: FundTextIn):
    """The keeper or the head teacher answers a question, once."""
    question = access_entry_question_to_answer(request, question_id)
    try:
        question = actions.do_answer_entry_question(question, text=payload.text, acting_user=request.user)
    except ValidationError as exc:
        return Status(400, _error(exc))
    return _fund_question_out(question)


# (end of section: fund)
