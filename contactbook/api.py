"""The contact book in the JSON API: the same actions, queries and access rules as the pages."""

import datetime

from django.core.exceptions import ValidationError
from django.http import Http404
from ninja import Router, Schema, Status

from audit.actions import record as audit
from audit.models import AuditEntry
from core.concurrency import EditConflict
from schools.access import access_class, access_my_child, access_staff_school
from schools.models import Student
from schools.queries import current_term

from . import actions, queries
from .access import (
    access_care_case,
    access_record,
    access_record_to_edit,
    access_shared_record_as_family,
    access_student_to_record,
    visible_records,
)

router = Router(tags=["contact book"])


class ErrorOut(Schema):
    detail: str


class ActionIn(Schema):
    description: str
    due_on: datetime.date | None = None


class ContactIn(Schema):
    kind: str
    occurred_on: datetime.date
    duration_minutes: int = 15
    participants: str = ""
    student_ids: list[int] = []
    class_id: int | None = None
    topics: list[str] = []
    summary: str
    shared: bool = False
    parent_summary: str = ""
    follow_up_on: datetime.date | None = None
    actions: list[ActionIn] = []
    idempotency_key: str = ""


class ContactEditIn(Schema):
    kind: str
    duration_minutes: int = 15
    participants: str = ""
    topics: list[str] = []
    summary: str
    shared: bool = False
    parent_summary: str = ""
    follow_up_on: datetime.date | None = None
    # The ``version`` you read (GET /contacts/{id}): a save over a newer edit is a 409.
    version: int


class ConflictOut(Schema):
    detail: str
    changed: list[str]
    version: int


class ContactOut(Schema):
    id: int
    version: int
    kind: str
    occurred_on: datetime.date
    duration_minutes: int
    participants: str
    topics: list[str]
    summary: str
    visibility: str
    parent_summary: str
    follow_up_on: datetime.date | None
    students: list[str]
    author: str


class FamilyRecordOut(Schema):
    id: int
    occurred_on: datetime.date
    kind: str
    students: list[str]
    summary: str
    acknowledged: bool


class CoverageRow(Schema):
    student_id: int
    student: str
    contacts: int
    home_visits: int
    praise: int
    in_care: bool
    last_contact: datetime.date | None
    shortfalls: list[str]


class AckIn(Schema):
    reply: str = ""


class ConversationIn(Schema):
    student_id: int
    topic: str


class ConversationCreatedOut(Schema):
    id: int


def _contact_out(contact) -> dict:
    return {
        "id": contact.pk,
        "version": contact.version,
        "kind": contact.kind,
        "occurred_on": contact.occurred_on,
        "duration_minutes": contact.duration_minutes,
        "participants": contact.participants,
        "topics": contact.topics,
        "summary": contact.summary,
        "visibility": contact.visibility,
        "parent_summary": contact.parent_summary,
        "follow_up_on": contact.follow_up_on,
        "students": [link.student.name for link in contact.student_links.all()],
        "author": contact.author.display_name,
    }


@router.post("/contacts", response={201: ContactOut, 400: ErrorOut})
def contact_create(request, payload: ContactIn):
    school = access_staff_school(request)
    try:
        contact = actions.do_record_contact(
            school,
            acting_user=request.user,
            roles=request.roles,
            kind=payload.kind,
            occurred_on=payload.occurred_on,
            duration_minutes=payload.duration_minutes,
            participants=payload.participants,
            student_ids=payload.student_ids,
            class_id=payload.class_id,
            topics=payload.topics,
            summary=payload.summary,
            shared=payload.shared,
            parent_summary=payload.parent_summary,
            follow_up_on=payload.follow_up_on,
            action_items=[actions.ActionSpec(a.description, due_on=a.due_on) for a in payload.actions],
            idempotency_key=payload.idempotency_key,
        )
    except ValidationError as exc:
        return Status(400, {"detail": " ".join(exc.messages)})
    return Status(201, _contact_out(contact))


@router.get("/contacts/{record_id}", response=ContactOut)
def contact_detail(request, record_id: int):
    return _contact_out(access_record(request, record_id))


@router.post("/contacts/{record_id}/edit", response={200: ContactOut, 400: ErrorOut, 409: ConflictOut})
def contact_edit(request, record_id: int, payload: ContactEditIn):
    """Correct a record (its author, the children's head teachers, admins). If someone saved since
    the ``version`` you read, the answer is 409 with what they changed and the current version."""
    contact = access_record_to_edit(request, record_id)
    try:
        contact = actions.do_edit_contact(
            contact,
            acting_user=request.user,
            opened_version=payload.version,
            kind=payload.kind,
            duration_minutes=payload.duration_minutes,
            participants=payload.participants,
            topics=payload.topics,
            summary=payload.summary,
            shared=payload.shared,
            parent_summary=payload.parent_summary,
            follow_up_on=payload.follow_up_on,
        )
    except EditConflict as exc:
        return Status(409, {"detail": " ".join(exc.messages), "changed": exc.changed, "version": exc.version})
    except ValidationError as exc:
        return Status(400, {"detail": " ".join(exc.messages)})
    return Status(200, _contact_out(contact))


@router.get("/classes/{class_id}/coverage", response=list[CoverageRow])
def class_coverage(request, class_id: int):
    school_class = access_class(request, class_id, manage=True)
    term = current_term(school_class.school_id)
    rows = queries.coverage(Student.objects.filter(school_class=school_class), school=school_class.school, term=term)
    return [
        {
            "student_id": r.student.pk,
            "student": r.student.name,
            "contacts": r.contacts,
            "home_visits": r.home_visits,
            "praise": r.praise,
            "in_care": r.in_care,
            "last_contact": r.last_contact,
            "shortfalls": [str(s) for s in r.shortfalls],
        }
        for r in rows
    ]


@router.get("/students/{student_id}/contacts", response=list[ContactOut])
def student_contacts(request, student_id: int):
    student = access_student_to_record(request, student_id)
    records = visible_records(request.roles, request.user, student, queries.records_of_student(student))
    return [_contact_out(c) for c in records]


@router.get("/family/records", response=list[FamilyRecordOut])
def family_records(request):
    if not request.roles.is_parent:
        raise Http404
    records = list(queries.shared_records_for_family(request.roles))
    acked = set(
        request.user.guardianships.filter(acknowledgement__record__in=records).values_list(
            "acknowledgement__record_id", flat=True
        )
    )
    return [
        {
            "id": r.pk,
            "occurred_on": r.occurred_on,
            "kind": r.kind,
            "students": [
                link.student.name for link in r.student_links.all() if link.student_id in request.roles.child_ids
            ],
            "summary": r.parent_summary,
            "acknowledged": r.pk in acked,
        }
        for r in records
    ]


@router.post("/family/records/{record_id}/ack", response={204: None})
def family_acknowledge(request, record_id: int, payload: AckIn):
    contact, child_ids = access_shared_record_as_family(request, record_id)
    actions.do_acknowledge(contact, child_ids, acting_user=request.user, reply=payload.reply)
    return Status(204, None)


@router.post("/family/conversations", response={201: ConversationCreatedOut, 400: ErrorOut})
def family_conversation(request, payload: ConversationIn):
    student = access_my_child(request, payload.student_id)
    try:
        req = actions.do_request_conversation(student, payload.topic, acting_user=request.user)
    except ValidationError as exc:
        return Status(400, {"detail": " ".join(exc.messages)})
    return Status(201, {"id": req.pk})


class CareReviewOut(Schema):
    on: datetime.date
    progress: str
    author: str


class CareOut(Schema):
    id: int
    student: str
    concern: str
    description: str
    goals: str
    measures: str
    next_review_on: datetime.date | None
    closed: bool
    reviews: list[CareReviewOut]


@router.get("/care/{case_id}", response=CareOut)
def care_case(request, case_id: int):
    """A care case; like the page, every read is written to the audit log."""
    case = access_care_case(request, case_id)
    audit(
        AuditEntry.Action.SENSITIVE_VIEW,
        actor=request.user,
        school=case.school,
        target=case,
        summary="care case viewed (API)",
        request=request,
    )
    return {
        "id": case.pk,
        "student": case.student.name,
        "concern": case.concern,
        "description": case.description,
        "goals": case.goals,
        "measures": case.measures,
        "next_review_on": case.next_review_on,
        "closed": case.closed_at is not None,
        "reviews": [
            {"on": r.reviewed_on, "progress": r.progress, "author": r.author.display_name}
            for r in case.reviews.select_related("author").order_by("-reviewed_on", "-pk")
        ],
    }


# --- The escalation ladder's call tasks (notices.ladder): whom to call, and how it went ----------


class CallNumberOut(Schema):
    guardian: str
    relationship: str
    phone: str


class CallTaskOut(Schema):
    id: int
    notice_id: int
    notice: str
    student_id: int
    student: str
    class_name: str
    urgent: bool
    created_at: datetime.datetime
    outcome: str  # "", reached, not_reached, wrong_number
    numbers: list[CallNumberOut]


class CallIn(Schema):
    outcome: str  # reached / not_reached / wrong_number
    note: str = ""


class CallRecordedOut(Schema):
    contact_id: int


def _call_out(task, links) -> dict:
    return {
        "id": task.pk,
        "notice_id": task.notice_id,
        "notice": task.notice.title,
        "student_id": task.student_id,
        "student": task.student.name,
        "class_name": task.school_class.name if task.school_class else "",
        "urgent": task.urgent,
        "created_at": task.created_at,
        "outcome": task.outcome,
        "numbers": [
            {"guardian": link.guardian.name, "relationship": link.relationship, "phone": link.guardian.phone}
            for link in links
        ],
    }


@router.get("/calls", response=list[CallTaskOut])
def call_tasks(request):
    """The head teacher's open call tasks in their school (urgent and oldest first), with the
    family's numbers: the same list as the to-do list's."""
    from notices.queries import call_tasks_to_show

    school = access_staff_school(request)
    return [_call_out(task, task.student.guardian_links.all()) for task in call_tasks_to_show(request.roles, school)]


@router.get("/calls/{task_id}", response=CallTaskOut)
def call_task(request, task_id: int):
    """One call task with the family's numbers: the staff of the child's class and admins."""
    from notices.access import access_call_task

    task = access_call_task(request, task_id)
    return _call_out(task, queries.family_numbers(task.student_id))


@router.post("/calls/{task_id}", response={201: CallRecordedOut, 400: ErrorOut})
def call_record(request, task_id: int, payload: CallIn):
    """Record how the call went: a contact-book entry of kind phone, and the family's
    reachability. A second recording is refused (400)."""
    from notices.access import access_call_task

    task = access_call_task(request, task_id)
    try:
        contact = actions.do_record_call(
            task, acting_user=request.user, roles=request.roles, outcome=payload.outcome, note=payload.note[:1000]
        )
    except ValidationError as exc:
        return Status(400, {"detail": " ".join(exc.messages)})
    return Status(201, {"contact_id": contact.pk})
