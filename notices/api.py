"""Notices in the JSON API: the same actions, queries and access functions as the pages."""

from datetime import datetime

from django.core.exceptions import ValidationError
from ninja import Router, Schema, Status

from core.concurrency import EditConflict
from schools.access import access_staff_school

from . import actions, queries
from .access import access_notice_to_manage, access_notice_to_read
from .ladder import steps_of

router = Router(tags=["notices"])


class ConcernOut(Schema):
    code: str
    reason: str
    suggestion: str
    evidence: str = ""  # the words that triggered it
    channel: str = ""  # where it belongs instead: private_message, survey, class_fund, duty_roster, nowhere
    channel_label: str = ""


class ErrorOut(Schema):
    detail: str
    concerns: list[ConcernOut] = []


class FeedItem(Schema):
    id: int
    title: str
    school: str
    action: str
    options: list[str]
    deadline: datetime | None
    published_at: datetime | None
    pinned: bool
    to_do: bool
    read: bool
    acted: bool
    answer: str


class NoticeOut(Schema):
    id: int
    title: str
    body_html: str
    body_text: str
    school: str
    author: str
    action: str
    options: list[str]
    allow_comment: bool
    deadline: datetime | None
    published_at: datetime | None
    edited_at: datetime | None
    version: int
    my_read_at: datetime | None
    my_acted_at: datetime | None
    my_answer: str


class TargetIn(Schema):
    kind: str
    grade: int | None = None
    class_id: int | None = None
    student_id: int | None = None


class NoticeIn(Schema):
    title: str
    body_html: str = ""
    action: str = "read"
    options: list[str] = []
    allow_comment: bool = False
    every_guardian: bool = False
    deadline: datetime | None = None
    publish_at: datetime | None = None
    expires_at: datetime | None = None
    pinned: bool = False
    targets: list[TargetIn]
    guardrail_reason: str = ""
    idempotency_key: str = ""
    kind: str = "general"  # "class_update" (班级动态): information only, with photos
    themed: bool = False  # the month's themed discussion (counted by the class rhythm)


class CreatedOut(Schema):
    id: int
    status: str


class RespondIn(Schema):
    answer: str = ""
    comment: str = ""


class SentItem(Schema):
    id: int
    title: str
    status: str
    audience: str
    total: int
    read: int
    acted: int


class GuardianResult(Schema):
    name: str
    relationship: str
    read: bool
    acted: bool
    answer: str
    comment: str


class ResultRow(Schema):
    student_id: int
    student: str
    class_name: str
    done: bool
    guardians: list[GuardianResult]


class RemindedOut(Schema):
    reminded: int


class ResultsOut(Schema):
    id: int
    version: int  # what an edit sends back (POST /notices/{id}/edit)
    total: int
    read: int
    acted: int
    students: int
    students_done: int
    tally: dict[str, int]
    rows: list[ResultRow]


def _error(exc: ValidationError) -> dict:
    concerns = [c.as_dict() for c in getattr(exc, "concerns", [])]
    return {"detail": " ".join(exc.messages), "concerns": concerns}


@router.get("/notices", response=list[FeedItem])
def notice_feed(request, child: int | None = None):
    """The family's notices across all children: what needs action first, newest first."""
    child_id = child if child in request.roles.child_ids else None
    return [
        {
            "id": n.pk,
            "title": n.title,
            "school": n.school.name,
            "action": n.action,
            "options": n.options,
            "deadline": n.deadline,
            "published_at": n.published_at,
            "pinned": n.pinned,
            "to_do": n.to_do,
            "read": n.my_read_at is not None,
            "acted": n.my_acted_at is not None,
            "answer": n.my_answer or "",
        }
        for n in queries.parent_feed(request.user, child_id=child_id)
    ]


@router.get("/notices/sent", response=list[SentItem])
def notice_sent(request):
    school = access_staff_school(request)
    return [
        {
            "id": n.pk,
            "title": n.title,
            "status": n.status,
            "audience": n.audience_label,
            "total": n.total,
            "read": n.read,
            "acted": n.acted,
        }
        for n in queries.staff_notices(request, school)
    ]


@router.post("/notices", response={201: CreatedOut, 400: ErrorOut})
def notice_create(request, payload: NoticeIn):
    """Compose and publish. A guardrail warning answers 400 with ``concerns``; send again with a
    ``guardrail_reason`` to go ahead (logged)."""
    school = access_staff_school(request)
    try:
        notice = actions.do_create_notice(
            school,
            acting_user=request.user,
            roles=request.roles,
            title=payload.title,
            body_html=payload.body_html,
            action=payload.action,
            options=payload.options,
            allow_comment=payload.allow_comment,
            every_guardian=payload.every_guardian,
            deadline=payload.deadline,
            publish_at=payload.publish_at,
            expires_at=payload.expires_at,
            pinned=payload.pinned,
            targets=[actions.TargetSpec(t.kind, t.grade, t.class_id, t.student_id) for t in payload.targets],
            guardrail_reason=payload.guardrail_reason,
            idempotency_key=payload.idempotency_key,
            request=request,
            kind=payload.kind,
            themed=payload.themed,
        )
    except ValidationError as exc:
        return Status(400, _error(exc))
    return Status(201, {"id": notice.pk, "status": notice.status})


@router.get("/notices/{notice_id}", response=NoticeOut)
def notice_detail(request, notice_id: int):
    """Opening marks read."""
    notice, receipt = access_notice_to_read(request, notice_id)
    actions.do_mark_read(notice, acting_user=request.user)
    receipt.refresh_from_db()
    return {
        "id": notice.pk,
        "title": notice.title,
        "body_html": notice.body_html,
        "body_text": notice.body_text,
        "school": notice.school.name,
        "author": notice.sender_name,
        "action": notice.action,
        "options": notice.options,
        "allow_comment": notice.allow_comment,
        "deadline": notice.deadline,
        "published_at": notice.published_at,
        "edited_at": notice.edited_at,
        "version": notice.version,
        "my_read_at": receipt.read_at,
        "my_acted_at": receipt.acted_at,
        "my_answer": receipt.answer,
    }


@router.post("/notices/{notice_id}/respond", response={204: None, 400: ErrorOut})
def notice_respond(request, notice_id: int, payload: RespondIn):
    notice, _receipt = access_notice_to_read(request, notice_id)
    try:
        actions.do_respond(
            notice,
            actions.my_receipts(notice, request.user),
            acting_user=request.user,
            answer=payload.answer,
            comment=payload.comment,
        )
    except ValidationError as exc:
        return Status(400, _error(exc))
    return Status(204, None)


@router.get("/notices/{notice_id}/results", response=ResultsOut)
def notice_results(request, notice_id: int):
    notice = access_notice_to_manage(request, notice_id)
    r = queries.notice_results(notice)
    return {
        "id": notice.pk,
        "version": notice.version,
        "total": r["total"],
        "read": r["read"],
        "acted": r["acted"],
        "students": r["students"],
        "students_done": r["students_done"],
        "tally": {option: count for option, count, _pct in r["tally"]},
        "rows": [
            {
                "student_id": row["student"].pk,
                "student": row["student"].name,
                "class_name": row["student"].school_class.name if row["student"].school_class else "",
                "done": row["done_at"] is not None,
                "guardians": [
                    {
                        "name": receipt.guardian.name,
                        "relationship": relationship,
                        "read": receipt.read_at is not None,
                        "acted": receipt.acted_at is not None,
                        "answer": receipt.answer,
                        "comment": receipt.comment,
                    }
                    for receipt, relationship in row["guardians"]
                ],
            }
            for row in r["rows"]
        ],
    }


@router.post("/notices/{notice_id}/remind", response={200: RemindedOut, 400: ErrorOut})
def notice_remind(request, notice_id: int):
    notice = access_notice_to_manage(request, notice_id)
    try:
        count = actions.do_remind_notice(notice, acting_user=request.user)
    except ValidationError as exc:
        return Status(400, _error(exc))
    return Status(200, {"reminded": count})


@router.post("/notices/{notice_id}/recall", response={204: None})
def notice_recall(request, notice_id: int):
    notice = access_notice_to_manage(request, notice_id)
    actions.do_recall_notice(notice, acting_user=request.user)
    return Status(204, None)


class EditIn(Schema):
    title: str
    body_html: str = ""
    guardrail_reason: str = ""
    # The ``version`` the editor read (GET /notices/{id}): a save over a newer edit is a 409.
    version: int | None = None


class ConflictOut(Schema):
    detail: str
    changed: list[str]
    version: int


class PinIn(Schema):
    pinned: bool


@router.post("/notices/{notice_id}/edit", response={200: CreatedOut, 400: ErrorOut, 409: ConflictOut})
def notice_edit(request, notice_id: int, payload: EditIn):
    """Edit after publishing: families see that it was edited and what changed. Send the
    ``version`` you read: if someone saved since, the answer is 409 with what they changed and the
    current version, and nothing is saved."""
    notice = access_notice_to_manage(request, notice_id)
    try:
        notice = actions.do_edit_notice(
            notice,
            acting_user=request.user,
            title=payload.title,
            body_html=payload.body_html,
            guardrail_reason=payload.guardrail_reason,
            opened_version=payload.version,
        )
    except EditConflict as exc:
        return Status(409, {"detail": " ".join(exc.messages), "changed": exc.changed, "version": exc.version})
    except ValidationError as exc:
        return Status(400, _error(exc))
    return Status(200, {"id": notice.pk, "status": notice.status})


@router.post("/notices/{notice_id}/pin", response={204: None})
def notice_pin(request, notice_id: int, payload: PinIn):
    notice = access_notice_to_manage(request, notice_id)
    actions.do_set_pinned(notice, pinned=payload.pinned, acting_user=request.user)
    return Status(204, None)


# --- The escalation ladder (notices.ladder): where each family stands --------------------------


class LadderMessageOut(Schema):
    guardian: str
    channel: str  # push / wecom / sms
    status: str  # pending / sent / failed
    sent_at: datetime | None
    report: str  # "", delivered, undelivered (SMS delivery reports)
    problem: str  # the sender's plain words for a failure, "" if none


class LadderFamilyOut(Schema):
    student_id: int
    student: str
    class_name: str
    done: bool
    read: bool  # somebody of the family has read it
    messages: list[LadderMessageOut]
    call_task_id: int | None
    call_outcome: str  # "", reached, not_reached, wrong_number


class LadderOut(Schema):
    id: int
    urgent: bool
    sms_after_minutes: int | None
    call_after_minutes: int | None
    families: list[LadderFamilyOut]


@router.get("/notices/{notice_id}/ladder", response=LadderOut)
def notice_ladder(request, notice_id: int):
    """The notice's ladder, family by family, for those who manage the notice (its author, the
    school's admins): done or read, the ladder's messages with what went wrong in plain words,
    and the call task. Names only: the numbers are on the call task (its class's staff)."""
    notice = access_notice_to_manage(request, notice_id)
    sms, call = steps_of(notice)
    return {
        "id": notice.pk,
        "urgent": notice.urgent,
        "sms_after_minutes": sms,
        "call_after_minutes": call,
        "families": queries.ladder_state(notice),
    }
