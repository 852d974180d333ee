"""The community app in the JSON API: the same actions, queries and access functions as the pages."""

from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from schools.access import access_admin_school, access_class

from . import actions, queries
from .access import (
    access_committee_to_manage,
    access_committee_to_see,
    access_member_to_manage,
    access_member_to_write_to,
    access_message_to_reply,
    may_manage_committee,
)
from .models import Committee

router = Router(tags=["community"])


# ==== Committees and working groups (section: committees) ====


class CommitteeErrorOut(Schema):
    detail: str


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


def _committee_error(exc: ValidationError) -> dict[str, str]:
    return {"detail": " ".join(exc.messages)}


@router.get("/classes/{class_id}/committee", response={200: CommitteeOut, 204: None})
def committee_of_class(request, class_id: int):
    """This school year's committee of the class (head teacher, admins); 204 before it is started."""
    school_class = access_class(request, class_id, manage=True)
    committee = queries.class_committee(school_class, queries.current_school_year(school_class.school))
    if committee is None:
        return Status(204, None)
    return _committee_out(request, committee)


@router.post("/classes/{class_id}/committee", response={201: CommitteeStartedOut, 400: CommitteeErrorOut})
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
        return Status(400, _committee_error(exc))
    return Status(201, {"id": committee.pk, "left_out": left_out})


@router.get("/school/committees", response=list[CommitteeItemOut])
def committee_school_list(request):
    """Admins: this school year's committees of the school."""
    school = access_admin_school(request)
    return [
        {"id": c.pk, "level": c.level, "scope": c.scope_label, "year": c.year}
        for c in queries.school_committees(school, queries.current_school_year(school))
    ]


@router.post("/school/committees", response={201: CommitteeStartedOut, 400: CommitteeErrorOut})
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
        return Status(400, _committee_error(exc))
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


@router.post("/committees/{committee_id}/members", response={201: CommitteeMemberOut, 400: CommitteeErrorOut})
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
        return Status(400, _committee_error(exc))
    return Status(201, _committee_member_out(member))


@router.post("/committees/members/{member_id}/role", response={200: CommitteeMemberOut, 400: CommitteeErrorOut})
def committee_member_role(request, member_id: int, payload: CommitteeRoleIn):
    """A new role: the old seat ends and a new one (the answer) starts."""
    member = access_member_to_manage(request, member_id)
    try:
        seat = actions.do_change_committee_role(
            member, role=payload.role, title=payload.title, acting_user=request.user, request=request
        )
    except ValidationError as exc:
        return Status(400, _committee_error(exc))
    return _committee_member_out(seat)


@router.post("/committees/members/{member_id}/leave", response={200: CommitteeMemberOut, 400: CommitteeErrorOut})
def committee_member_leave(request, member_id: int):
    member = access_member_to_manage(request, member_id)
    try:
        actions.do_end_committee_membership(member, acting_user=request.user, request=request)
    except ValidationError as exc:
        return Status(400, _committee_error(exc))
    return _committee_member_out(member)


@router.post("/committees/members/{member_id}/messages", response={201: CommitteeMessageOut, 400: CommitteeErrorOut})
def committee_message_send(request, member_id: int, payload: CommitteeTextIn):
    """A family writes to a member of its committee."""
    member = access_member_to_write_to(request, member_id)
    try:
        msg = actions.do_write_to_committee_member(member, text=payload.text, acting_user=request.user)
    except ValidationError as exc:
        return Status(400, _committee_error(exc))
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


@router.post("/committees/messages/{message_id}/reply", response={200: CommitteeMessageOut, 400: CommitteeErrorOut})
def committee_message_reply(request, message_id: int, payload: CommitteeTextIn):
    message = access_message_to_reply(request, message_id)
    try:
        msg = actions.do_reply_to_committee_message(message, text=payload.text, acting_user=request.user)
    except ValidationError as exc:
        return Status(400, _committee_error(exc))
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


# (end of section: committees)


# ==== Volunteers, activities and recognition (section: volunteers) ====

# (end of section: volunteers)


# ==== Duty rosters and the class quantification (section: duty) ====

# (end of section: duty)


# ==== The class fund ledger (section: fund) ====

# (end of section: fund)
