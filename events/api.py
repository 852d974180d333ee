"""Events in the JSON API: the same actions, queries and access functions as the pages."""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from notices.actions import TargetSpec
from schools.access import access_class, access_staff_school
from schools.queries import current_term

from . import actions, queries
from .access import access_conference, access_event_as_invited, access_event_to_manage
from .models import Attendance, Event, Rsvp

router = Router(tags=["events"])


class ErrorOut(Schema):
    detail: str


class EventTargetIn(Schema):
    kind: str
    grade: int | None = None
    class_id: int | None = None
    student_id: int | None = None
    ref_id: int | None = None  # with a registered kind, e.g. "working_group": the group's id


class EventIn(Schema):
    kind: str = "parent_meeting"
    title: str
    starts_at: datetime
    ends_at: datetime
    place: str = ""
    online_link: str = ""
    capacity: int | None = None
    description: str = ""
    materials: str = ""
    speakers: str = ""
    organiser_ids: list[int] = []
    targets: list[EventTargetIn]
    guardrail_reason: str = ""
    idempotency_key: str = ""


class ChangeIn(Schema):
    title: str
    starts_at: datetime
    ends_at: datetime
    place: str = ""
    online_link: str = ""
    capacity: int | None = None
    description: str = ""
    materials: str = ""
    speakers: str = ""


class EventItem(Schema):
    id: int
    kind: str
    title: str
    starts_at: datetime
    ends_at: datetime
    place: str
    status: str
    audience: str
    invited: int
    coming: int
    came: int


class RsvpIn(Schema):
    answer: str
    people: int = 1
    note: str = ""


class CodeIn(Schema):
    code: str


class ResolutionIn(Schema):
    text: str = ""
    owner_id: int | None = None  # a staff member's user id
    due_on: str | None = None  # 2026-12-20; checked by the endpoint, which answers 400 with a message


class MinutesIn(Schema):
    minutes: str
    resolutions: list[ResolutionIn] = []
    guardrail_reason: str = ""


class ReflectionIn(Schema):
    text: str


class BookingIn(Schema):
    slot_id: int
    student_ids: list[int] = []
    note: str = ""


# --- answers ----------------------------------------------------------------------------------------


class IdOut(Schema):
    id: int


class EventCreatedOut(Schema):
    id: int
    notice_id: int | None


class EventCancelledOut(Schema):
    id: int
    status: str


class AttendanceFamilyOut(Schema):
    receipt_id: int
    guardian: str
    children: list[str]
    classes: list[str]
    rsvp: str | None
    people: int
    attendance: str | None


class AttendanceOut(Schema):
    invited: int
    coming: int
    came: int
    late: int
    absent: int
    families: list[AttendanceFamilyOut]


class CheckinOut(Schema):
    receipt_id: int
    status: str


class MinutesOut(Schema):
    id: int
    follow_ups: int


class RsvpOut(Schema):
    answer: str
    people: int


class InvitationOut(Schema):
    id: int
    kind: str
    title: str
    starts_at: datetime
    ends_at: datetime
    place: str
    online_link: str
    status: str
    rsvp: RsvpOut | None
    sign_in_code: str
    attendance: str | None
    minutes: str


class ParentSchoolStudentOut(Schema):
    id: int
    name: str
    sessions: int


class ParentSchoolOut(Schema):
    rule: int
    sessions_held: int
    students: list[ParentSchoolStudentOut]
    not_yet: list[str]


class BookingOut(Schema):
    slot_id: int
    starts_at: datetime


class CalendarItemOut(Schema):
    type: str  # "event" or "conference"
    id: int  # the event's, or the conference day's
    title: str
    starts_at: datetime
    ends_at: datetime
    status: str


def _error(exc: ValidationError) -> dict[str, str]:
    return {"detail": " ".join(exc.messages)}


def _fields(payload, kind: str) -> actions.EventFields:
    return actions.EventFields(
        kind=kind,
        title=payload.title,
        starts_at=payload.starts_at,
        ends_at=payload.ends_at,
        place=payload.place,
        online_link=payload.online_link,
        capacity=payload.capacity,
        description=payload.description,
        materials=payload.materials,
        speakers=payload.speakers,
    )


@router.get("/events", response=list[EventItem])
def event_list(request, past: bool = False):
    school = access_staff_school(request)
    return [
        {
            "id": e.pk,
            "kind": e.kind,
            "title": e.title,
            "starts_at": e.starts_at,
            "ends_at": e.ends_at,
            "place": e.place or e.online_link,
            "status": e.status,
            "audience": e.audience_label,
            "invited": e.n_invited,
            "coming": e.n_coming,
            "came": e.n_came,
        }
        for e in queries.school_events(request, school, past=past)
    ]


@router.post("/events", response={201: EventCreatedOut, 400: ErrorOut})
def event_create(request, payload: EventIn):
    """Create the event and invite its audience (the invitation is a notice)."""
    school = access_staff_school(request)
    try:
        event = actions.do_create_event(
            school,
            acting_user=request.user,
            roles=request.roles,
            fields=_fields(payload, payload.kind),
            targets=[TargetSpec(t.kind, t.grade, t.class_id, t.student_id, t.ref_id) for t in payload.targets],
            organiser_ids=payload.organiser_ids,
            guardrail_reason=payload.guardrail_reason,
            idempotency_key=payload.idempotency_key,
            request=request,
        )
    except ValidationError as exc:
        return Status(400, _error(exc))
    return Status(201, {"id": event.pk, "notice_id": event.notice_id})


@router.post("/events/{event_id}/change", response={200: IdOut, 400: ErrorOut})
def event_change(request, event_id: int, payload: ChangeIn):
    event = access_event_to_manage(request, event_id)
    try:
        actions.do_change_event(event, acting_user=request.user, fields=_fields(payload, event.kind))
    except ValidationError as exc:
        return Status(400, _error(exc))
    return {"id": event.pk}


@router.post("/events/{event_id}/cancel", response=EventCancelledOut)
def event_cancel(request, event_id: int):
    event = access_event_to_manage(request, event_id)
    actions.do_cancel_event(event, acting_user=request.user)
    return {"id": event.pk, "status": Event.Status.CANCELLED}


@router.get("/events/{event_id}/attendance", response=AttendanceOut)
def event_attendance(request, event_id: int):
    """Every invited family with its children, reply and sign-in."""
    event = access_event_to_manage(request, event_id, roll=True)
    sheet = queries.attendance_sheet(event)
    return {
        "invited": sheet["invited"],
        "coming": sheet["coming"],
        "came": sheet["came"],
        "late": sheet["late"],
        "absent": sheet["absent"],
        "families": [
            {
                "receipt_id": row["receipt"].pk,
                "guardian": row["receipt"].guardian.name,
                "children": [c.name for c in row["children"]],
                "classes": row["class_names"],
                "rsvp": row["rsvp"].answer if row["rsvp"] else None,
                "people": row["rsvp"].people if row["rsvp"] else 0,
                "attendance": row["attendance"].status if row["attendance"] else None,
            }
            for row in sheet["rows"]
        ],
    }


@router.post("/events/{event_id}/checkin", response={200: CheckinOut, 400: ErrorOut})
def event_checkin(request, event_id: int, payload: CodeIn):
    event = access_event_to_manage(request, event_id, roll=True)
    try:
        row = actions.do_check_in_by_code(event, payload.code, acting_user=request.user)
    except ValidationError as exc:
        return Status(400, _error(exc))
    return {"receipt_id": row.receipt_id, "status": row.status}


@router.post("/events/{event_id}/minutes", response={200: MinutesOut, 400: ErrorOut})
def event_minutes(request, event_id: int, payload: MinutesIn):
    """``resolutions``: ``[{"text": …, "owner_id": <staff user id>, "due_on": "2026-12-20"}]``."""
    import datetime as dt

    event = access_event_to_manage(request, event_id)
    try:
        specs = []
        for r in payload.resolutions:
            try:
                due_on = dt.date.fromisoformat(r.due_on) if r.due_on else None
            except (TypeError, ValueError):
                raise ValidationError(_("Give the deadline as 2026-12-20.")) from None
            specs.append(actions.ResolutionSpec(text=r.text, owner_id=r.owner_id or 0, due_on=due_on))
        actions.do_publish_minutes(
            event,
            acting_user=request.user,
            roles=request.roles,
            minutes=payload.minutes,
            resolutions=specs,
            guardrail_reason=payload.guardrail_reason,
            request=request,
        )
    except ValidationError as exc:
        return Status(400, _error(exc))
    return {"id": event.pk, "follow_ups": event.follow_ups.count()}


@router.get("/events/{event_id}/invitation", response=InvitationOut)
def event_invitation(request, event_id: int):
    """The invited family's view: the event, the children the reply covers, its reply and its code."""
    event, receipt = access_event_as_invited(request, event_id)
    rsvp = Rsvp.objects.filter(event=event, receipt=receipt).first()
    attendance = Attendance.objects.filter(event=event, receipt=receipt).first()
    return {
        "id": event.pk,
        "kind": event.kind,
        "title": event.title,
        "starts_at": event.starts_at,
        "ends_at": event.ends_at,
        "place": event.place,
        "online_link": event.online_link,
        "status": event.status,
        "rsvp": {"answer": rsvp.answer, "people": rsvp.people} if rsvp else None,
        "sign_in_code": actions.family_code(event, receipt.pk),
        "attendance": attendance.status if attendance else None,
        "minutes": event.minutes if event.minutes_published_at else "",
    }


@router.post("/events/{event_id}/rsvp", response={200: RsvpOut, 400: ErrorOut})
def event_rsvp(request, event_id: int, payload: RsvpIn):
    event, receipt = access_event_as_invited(request, event_id)
    try:
        rsvp = actions.do_rsvp(
            event, receipt, acting_user=request.user, answer=payload.answer, people=payload.people, note=payload.note
        )
    except ValidationError as exc:
        return Status(400, _error(exc))
    return {"answer": rsvp.answer, "people": rsvp.people}


@router.post("/events/{event_id}/reflection", response={200: IdOut, 400: ErrorOut})
def event_reflection(request, event_id: int, payload: ReflectionIn):
    event, receipt = access_event_as_invited(request, event_id)
    try:
        reflection = actions.do_submit_reflection(event, receipt, payload.text, acting_user=request.user)
    except ValidationError as exc:
        return Status(400, _error(exc))
    return {"id": reflection.pk}


@router.get("/classes/{class_id}/parent-school", response=ParentSchoolOut)
def class_parent_school(request, class_id: int):
    school_class = access_class(request, class_id, manage=True)
    term = current_term(school_class.school_id)
    r = queries.parent_school_attendance(school_class, term)
    return {
        "rule": r["rule"],
        "sessions_held": r["held"],
        "students": [
            {"id": row["student"].pk, "name": row["student"].name, "sessions": row["sessions"]} for row in r["rows"]
        ],
        "not_yet": [s.name for s in r["missing"]],
    }


@router.post("/conferences/{conference_id}/book", response={200: BookingOut, 400: ErrorOut})
def conference_book(request, conference_id: int, payload: BookingIn):
    conference, receipt = access_conference(request, conference_id)
    if receipt is None:
        return Status(400, {"detail": _("Teachers do not book their own times.")})
    try:
        booking = actions.do_book(
            conference,
            receipt,
            acting_user=request.user,
            slot_id=payload.slot_id,
            student_ids=payload.student_ids,
            note=payload.note,
        )
    except ValidationError as exc:
        return Status(400, _error(exc))
    return {"slot_id": booking.slot_id, "starts_at": booking.slot.starts_at}


@router.get("/calendar", response=list[CalendarItemOut])
def my_calendar(request):
    items = queries.calendar_items(request.user)
    out = [
        {
            "type": "event",
            "id": e.pk,
            "title": e.title,
            "starts_at": e.starts_at,
            "ends_at": e.ends_at,
            "status": e.status,
        }
        for e in items["events"]
    ]
    out += [
        {
            "type": "conference",
            "id": b.slot.day_id,
            "title": b.slot.day.title,
            "starts_at": b.slot.starts_at,
            "ends_at": b.slot.ends_at,
            "status": "booked",
        }
        for b in items["bookings"]
    ]
    return sorted(out, key=lambda item: item["starts_at"])
