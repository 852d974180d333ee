"""The suggestion box in the JSON API: the same actions, queries and access functions as the pages."""

import datetime

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from schools.access import access_admin_school, access_staff_school

from . import actions, queries
from .access import (
    access_my_suggestion,
    access_rectification_to_close,
    access_suggestion_by_receipt,
    access_suggestion_to_handle,
    access_where_to_suggest,
)
from .models import Suggestion

router = Router(tags=["feedback"])


class ErrorOut(Schema):
    detail: str


def _error(exc: ValidationError) -> dict:
    return {"detail": " ".join(exc.messages)}


class PlaceOut(Schema):
    school_id: int
    class_id: int | None
    label: str


class SuggestionIn(Schema):
    school_id: int
    class_id: int | None = None
    kind: str
    text: str
    anonymous: bool = False
    public_consent: bool = False


class SubmittedOut(Schema):
    id: int
    status: str
    ack_due_at: datetime.datetime
    receipt: str  # shown once: keep it to follow the suggestion


class RectificationOut(Schema):
    id: int
    what: str
    owner: str
    due_on: datetime.date
    closed_at: datetime.datetime | None
    closing_note: str


class SuggestionOut(Schema):
    id: int
    kind: str
    class_name: str | None
    text: str
    anonymous: bool
    status: str
    created_at: datetime.datetime
    ack_due_at: datetime.datetime
    reply: str
    decision: str
    public_answer: str
    rectifications: list[RectificationOut] = []


class HandleItem(Schema):
    id: int
    kind: str
    class_name: str | None
    text: str
    anonymous: bool
    status: str
    owner: str
    department: str
    ack_due_at: datetime.datetime
    escalated: bool
    open_rectifications: int


class ReceiptIn(Schema):
    receipt: str


class StepIn(Schema):
    step: str  # acknowledge, reply, decide, rectify, close, publish
    text: str = ""
    owner_id: int | None = None
    due_on: datetime.date | None = None


class CloseIn(Schema):
    note: str


class RouteIn(Schema):
    kind: str
    head_teacher: bool = False
    owner_id: int | None = None
    department: str = ""
    ack_hours: int = actions.DEFAULT_ACK_HOURS


class RouteOut(Schema):
    kind: str
    head_teacher: bool
    owner_id: int | None
    department: str
    ack_hours: int


class ReportOut(Schema):
    year: int
    month: int
    by_kind: dict[str, int]
    total: int
    answered: int
    hours_to_first_answer: float | None
    rectifications_open: int
    rectifications_closed: int


class PublicOut(Schema):
    id: int
    school: str
    you_said: str
    we_did: str
    published_at: datetime.datetime


def _out(s: Suggestion, rects=None) -> dict:
    return {
        "id": s.pk,
        "kind": s.kind,
        "class_name": s.school_class.name if s.school_class else None,
        "text": s.text,
        "anonymous": s.anonymous,
        "status": s.status,
        "created_at": s.created_at,
        "ack_due_at": s.ack_due_at,
        "reply": s.reply,
        "decision": s.decision,
        "public_answer": s.public_answer,
        "rectifications": [
            {
                "id": r.pk,
                "what": r.what,
                "owner": r.owner.display_name,
                "due_on": r.due_on,
                "closed_at": r.closed_at,
                "closing_note": r.closing_note,
            }
            for r in (rects or [])
        ],
    }


@router.get("/feedback/places", response=list[PlaceOut])
def feedback_places(request):
    return [
        {"school_id": p["school_id"], "class_id": p["class_id"], "label": p["label"]}
        for p in queries.places(request.roles)
    ]


@router.post("/feedback/suggestions", response={201: SubmittedOut, 400: ErrorOut})
def feedback_submit(request, payload: SuggestionIn):
    school, school_class = access_where_to_suggest(request, payload.school_id, payload.class_id)
    try:
        done = actions.do_submit_suggestion(
            school,
            school_class,
            acting_user=request.user,
            kind=payload.kind,
            text=payload.text,
            anonymous=payload.anonymous,
            public_consent=payload.public_consent,
        )
    except ValidationError as exc:
        return Status(400, _error(exc))
    s = done.suggestion
    return Status(201, {"id": s.pk, "status": s.status, "ack_due_at": s.ack_due_at, "receipt": done.receipt})


@router.get("/feedback/suggestions/mine", response=list[SuggestionOut])
def feedback_mine(request):
    """Signed suggestions only: an anonymous one is followed with POST /feedback/follow."""
    return [_out(s) for s in queries.mine(request.user, [])]


@router.post("/feedback/follow", response=SuggestionOut)
def feedback_follow(request, payload: ReceiptIn):
    suggestion = access_suggestion_by_receipt(payload.receipt)
    return _out(suggestion, queries.detail_rectifications(suggestion))


@router.get("/feedback/suggestions/{suggestion_id}", response=SuggestionOut)
def feedback_detail(request, suggestion_id: int):
    suggestion = access_my_suggestion(request, suggestion_id)
    return _out(suggestion, queries.detail_rectifications(suggestion))


@router.get("/feedback/inbox", response=list[HandleItem])
def feedback_inbox(request):
    school = access_staff_school(request)
    return [
        {
            "id": s.pk,
            "kind": s.kind,
            "class_name": s.school_class.name if s.school_class else None,
            "text": s.text,
            "anonymous": s.anonymous,
            "status": s.status,
            "owner": s.owner.display_name,
            "department": s.department,
            "ack_due_at": s.ack_due_at,
            "escalated": s.escalated_at is not None,
            "open_rectifications": getattr(s, "open_rects", 0),
        }
        for s in queries.inbox(request.user, request.roles, school)
    ]


@router.get("/feedback/suggestions/{suggestion_id}/handle", response=SuggestionOut)
def feedback_handle(request, suggestion_id: int):
    suggestion = access_suggestion_to_handle(request, suggestion_id)
    return _out(suggestion, queries.detail_rectifications(suggestion))


@router.post("/feedback/suggestions/{suggestion_id}/steps", response={200: SuggestionOut, 400: ErrorOut})
def feedback_step(request, suggestion_id: int, payload: StepIn):
    suggestion = access_suggestion_to_handle(request, suggestion_id)
    user = request.user
    try:
        if payload.step == "acknowledge":
            actions.do_acknowledge(suggestion, acting_user=user)
        elif payload.step == "reply":
            actions.do_reply(suggestion, acting_user=user, reply=payload.text)
        elif payload.step == "decide":
            actions.do_decide(suggestion, acting_user=user, decision=payload.text)
        elif payload.step == "rectify":
            if payload.due_on is None:
                raise ValidationError(_("Give the deadline as a date."))
            actions.do_open_rectification(
                suggestion, acting_user=user, what=payload.text, owner_id=payload.owner_id or 0, due_on=payload.due_on
            )
        elif payload.step == "close":
            actions.do_close_suggestion(suggestion, acting_user=user)
        elif payload.step == "publish":
            actions.do_publish_answer(suggestion, acting_user=user, answer=payload.text)
        else:
            raise ValidationError(_("Unknown step."))
    except ValidationError as exc:
        return Status(400, _error(exc))
    return _out(suggestion, queries.detail_rectifications(suggestion))


@router.post("/feedback/rectifications/{rectification_id}/close", response={200: RectificationOut, 400: ErrorOut})
def feedback_rectification_close(request, rectification_id: int, payload: CloseIn):
    rect = access_rectification_to_close(request, rectification_id)
    try:
        actions.do_close_rectification(rect, acting_user=request.user, note=payload.note)
    except ValidationError as exc:
        return Status(400, _error(exc))
    return {
        "id": rect.pk,
        "what": rect.what,
        "owner": rect.owner.display_name,
        "due_on": rect.due_on,
        "closed_at": rect.closed_at,
        "closing_note": rect.closing_note,
    }


@router.get("/feedback/routes", response=list[RouteOut])
def feedback_routes(request):
    school = access_admin_school(request)
    return list(queries.routes(school).values())


@router.post("/feedback/routes", response={200: RouteOut, 400: ErrorOut})
def feedback_route_set(request, payload: RouteIn):
    school = access_admin_school(request)
    try:
        return actions.do_set_route(
            school,
            acting_user=request.user,
            kind=payload.kind,
            head_teacher=payload.head_teacher,
            owner_id=payload.owner_id,
            department=payload.department,
            ack_hours=payload.ack_hours,
        )
    except ValidationError as exc:
        return Status(400, _error(exc))


@router.get("/feedback/report", response=ReportOut)
def feedback_report(request, year: int | None = None, month: int | None = None):
    """The month's figures (this month unless ``year`` and ``month`` say otherwise)."""
    school = access_admin_school(request)
    today = timezone.localdate()
    if year is None or month is None or not (2000 <= year <= 2100 and 1 <= month <= 12):
        year, month = today.year, today.month
    return queries.monthly_report(school, year, month)


@router.get("/feedback/public", response=list[PublicOut])
def feedback_public(request):
    return [
        {
            "id": s.pk,
            "school": s.school.name,
            "you_said": s.text,
            "we_did": s.public_answer,
            "published_at": s.published_at,
        }
        for s in queries.you_said_we_did(request.roles.school_ids)
    ]
