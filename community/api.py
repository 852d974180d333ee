"""The community app in the JSON API: the same actions, queries and access functions as the pages."""

from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import File, Form, Router, Schema, Status, UploadedFile

from schools.access import access_admin_school, access_class

from . import actions, queries
from .access import (
    access_committee_to_manage,
    access_committee_to_see,
    access_entry,
    access_entry_question_to_answer,
    access_fund,
    access_member_to_manage,
    access_member_to_write_to,
    access_message_to_reply,
    access_working_group_member_to_manage,
    access_working_group_to_manage,
    access_working_group_to_see,
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


@router.post("/school/working-groups", response={201: WorkingGroupItemOut, 400: CommitteeErrorOut})
def working_group_create(request, payload: WorkingGroupIn):
    school = access_admin_school(request)
    try:
        group = actions.do_create_working_group(
            school, name=payload.name, purpose=payload.purpose, acting_user=request.user, request=request
        )
    except ValidationError as exc:
        return Status(400, _committee_error(exc))
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


@router.post("/working-groups/{group_id}/members", response={201: WorkingGroupMemberOut, 400: CommitteeErrorOut})
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
        return Status(400, _committee_error(exc))
    return Status(201, _working_group_member_out(member))


@router.post("/working-groups/members/{member_id}", response={200: WorkingGroupMemberOut, 400: CommitteeErrorOut})
def working_group_member_change(request, member_id: int, payload: WorkingGroupChangeIn):
    """A new role, or ``leave``."""
    member = access_working_group_member_to_manage(request, member_id)
    try:
        member = actions.do_change_working_group_member(
            member, role=payload.role, leave=payload.leave, acting_user=request.user, request=request
        )
    except ValidationError as exc:
        return Status(400, _committee_error(exc))
    return _working_group_member_out(member)


# (end of section: committees)


# ==== Volunteers, activities and recognition (section: volunteers) ====

# (end of section: volunteers)


# ==== Duty rosters and the class quantification (section: duty) ====

# (end of section: duty)


# ==== The class fund ledger (section: fund) ====


class FundErrorOut(Schema):
    detail: str


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


def _fund_error(exc: ValidationError) -> dict[str, str]:
    return {"detail": " ".join(exc.messages)}


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


@router.post("/classes/{class_id}/fund/entries", response={201: FundEntryOut, 400: FundErrorOut})
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
        return Status(400, _fund_error(exc))
    return Status(201, _fund_entry_out(entry, questions=False))


@router.post("/classes/{class_id}/fund/keeper", response={200: FundKeeperOut, 400: FundErrorOut})
def fund_keeper_name(request, class_id: int, payload: FundKeeperIn):
    """The head teacher names a guardian of the class to keep the accounts (or none: null)."""
    role = access_fund(request, class_id, need="manager")
    try:
        fund = actions.do_name_fund_keeper(
            role.school_class, guardian_id=payload.guardian_id, acting_user=request.user, request=request
        )
    except ValidationError as exc:
        return Status(400, _fund_error(exc))
    return {"class_id": role.school_class.pk, "keeper": fund.keeper.name if fund.keeper else None}


@router.post("/fund/entries/{entry_id}/countersign", response={200: FundEntryOut, 400: FundErrorOut})
def fund_entry_countersign(request, entry_id: int):
    entry, _role = access_entry(request, entry_id, need="signer")
    try:
        entry = actions.do_countersign_entry(entry, acting_user=request.user, request=request)
    except ValidationError as exc:
        return Status(400, _fund_error(exc))
    return _fund_entry_out(entry, questions=False)


@router.post("/fund/entries/{entry_id}/decline", response={200: FundEntryOut, 400: FundErrorOut})
def fund_entry_decline(request, entry_id: int, payload: FundReverseIn):
    """Send back an entry that does not count yet (``reason``): a committee member or the keeper."""
    entry, _role = access_entry(request, entry_id, need="may_decline")
    try:
        entry = actions.do_decline_entry(entry, reason=payload.reason, acting_user=request.user, request=request)
    except ValidationError as exc:
        return Status(400, _fund_error(exc))
    return _fund_entry_out(entry, questions=False)


@router.post("/fund/entries/{entry_id}/reverse", response={201: FundEntryOut, 400: FundErrorOut})
def fund_entry_reverse(request, entry_id: int, payload: FundReverseIn):
    """Correct an entry with a reversing entry that names it (entries are never changed)."""
    entry, _role = access_entry(request, entry_id, need="keeper")
    try:
        reversal = actions.do_reverse_entry(entry, reason=payload.reason, acting_user=request.user, request=request)
    except ValidationError as exc:
        return Status(400, _fund_error(exc))
    return Status(201, _fund_entry_out(reversal, questions=False))


@router.post("/fund/entries/{entry_id}/questions", response={201: FundQuestionOut, 400: FundErrorOut})
def fund_entry_ask(request, entry_id: int, payload: FundTextIn):
    """A family of the class asks about an entry."""
    entry, _role = access_entry(request, entry_id, need="family")
    try:
        question = actions.do_ask_about_entry(entry, text=payload.text, acting_user=request.user)
    except ValidationError as exc:
        return Status(400, _fund_error(exc))
    return Status(201, _fund_question_out(question))


@router.post("/fund/questions/{question_id}/answer", response={200: FundQuestionOut, 400: FundErrorOut})
def fund_question_answer(request, question_id: int, payload: FundTextIn):
    """The keeper or the head teacher answers a question, once."""
    question = access_entry_question_to_answer(request, question_id)
    try:
        question = actions.do_answer_entry_question(question, text=payload.text, acting_user=request.user)
    except ValidationError as exc:
        return Status(400, _fund_error(exc))
    return _fund_question_out(question)


# (end of section: fund)
