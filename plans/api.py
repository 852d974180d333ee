"""The term plan in the JSON API: the same actions, queries and access functions as the pages."""

import datetime

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from core.concurrency import EditConflict
from schools.access import access_admin_school, access_staff_school
from schools.queries import current_term

from . import actions, queries
from .access import access_plan_to_manage, access_task_to_edit, access_task_to_update
from .evidence import evidence_from_ids
from .models import PlanTask

router = Router(tags=["plans"])


class ErrorOut(Schema):
    detail: str


class ConflictOut(Schema):
    detail: str
    changed: list[str]
    version: int


class ClassTaskOut(Schema):
    id: int
    class_name: str
    status: str


class TaskOut(Schema):
    id: int
    month: datetime.date
    title: str
    description: str
    owner_kind: str
    owner: str | None
    grade: int | None
    working_group_id: int | None = None
    class_name: str | None = None
    due_on: datetime.date
    status: str
    drop_reason: str
    evidence_event_id: int | None
    evidence_notice_id: int | None
    evidence_survey_id: int | None
    evidence_roster_id: int | None
    evidence_note: str
    version: int
    classes: list[ClassTaskOut] = []


class PlanOut(Schema):
    id: int | None
    term: str | None
    issued: bool
    tasks: list[TaskOut]
    mine: list[TaskOut]


class IdOut(Schema):
    id: int


class TaskIn(Schema):
    title: str
    due_on: datetime.date
    owner_kind: str = "staff"
    owner_id: int | None = None
    grade: int | None = None
    description: str = ""
    working_group_id: int | None = None  # owner_kind "group": a working group of the school


class TaskEditIn(Schema):
    title: str
    due_on: datetime.date
    owner_id: int | None = None  # for a staff member's task
    description: str = ""
    version: int | None = None


class AdoptIn(Schema):
    source: str = "template"  # or "last": copy last term's plan


class TaskUpdateIn(Schema):
    status: str
    drop_reason: str = ""
    evidence_event_id: int | None = None
    evidence_notice_id: int | None = None
    evidence_survey_id: int | None = None
    evidence_roster_id: int | None = None
    evidence_note: str = ""
    # The ``version`` you read: if someone saved since, the answer is 409 and nothing is saved.
    version: int | None = None


def _error(exc: ValidationError) -> dict:
    return {"detail": " ".join(exc.messages)}


def _task(task: PlanTask, classes: list[PlanTask] | None = None) -> dict:
    return {
        "id": task.pk,
        "month": task.month,
        "title": task.title,
        "description": task.description,
        "owner_kind": task.owner_kind,
        "owner": task.owner.display_name if task.owner_id and task.owner else None,
        "grade": task.grade,
        "working_group_id": task.working_group_id,
        "class_name": task.school_class.name if task.school_class_id and task.school_class else None,
        "due_on": task.due_on,
        "status": task.status,
        "drop_reason": task.drop_reason,
        "evidence_event_id": task.evidence_event_id,
        "evidence_notice_id": task.evidence_notice_id,
        "evidence_survey_id": task.evidence_survey_id,
        "evidence_roster_id": task.evidence_roster_id,
        "evidence_note": task.evidence_note,
        "version": task.version,
        "classes": [
            {"id": c.pk, "class_name": c.school_class.name if c.school_class else "", "status": c.status}
            for c in classes or []
        ],
    }


@router.get("/plan", response=PlanOut)
def plan_current(request):
    """The current term's plan month by month (once issued; its admins while drafting too), and
    the caller's own open tasks."""
    school = access_staff_school(request)
    plan = queries.plan_of(current_term(school))
    tasks = []
    if plan is not None and (plan.issued_at or request.roles.is_admin_of(school.pk)):
        tasks = [_task(t, t.classes) for m in queries.plan_months(plan) for t in m["tasks"]]
    mine = [_task(t) for t in queries.open_tasks(request.user, request.roles, school).select_related("owner")[:100]]
    return {
        "id": plan.pk if plan else None,
        "term": plan.term.name if plan else None,
        "issued": bool(plan and plan.issued_at),
        "tasks": tasks,
        "mine": mine,
    }


@router.post("/plan/adopt", response={200: IdOut, 400: ErrorOut})
def plan_adopt(request, payload: AdoptIn):
    """Give the current term a plan: the built-in template, or a copy of last term's."""
    school = access_admin_school(request)
    term = current_term(school)
    if term is None:
        return Status(400, {"detail": _("Make the current term first.")})
    try:
        if payload.source == "last":
            plan = actions.do_copy_last_plan(term, acting_user=request.user)
        else:
            plan = actions.do_adopt_template(term, acting_user=request.user)
    except ValidationError as exc:
        return Status(400, _error(exc))
    return Status(200, {"id": plan.pk})


@router.post("/plan/{plan_id}/tasks", response={201: IdOut, 400: ErrorOut})
def plan_add_task(request, plan_id: int, payload: TaskIn):
    plan = access_plan_to_manage(request, plan_id)
    fields = actions.TaskFields(**payload.dict())
    try:
        task = actions.do_add_task(plan, fields, acting_user=request.user)
    except ValidationError as exc:
        return Status(400, _error(exc))
    return Status(201, {"id": task.pk})


@router.post("/plan/{plan_id}/issue", response={200: IdOut, 400: ErrorOut})
def plan_issue(request, plan_id: int):
    plan = access_plan_to_manage(request, plan_id)
    try:
        actions.do_issue_plan(plan, acting_user=request.user)
    except ValidationError as exc:
        return Status(400, _error(exc))
    return Status(200, {"id": plan.pk})


@router.post("/plan/tasks/{task_id}/edit", response={200: TaskOut, 400: ErrorOut, 409: ConflictOut})
def plan_task_edit(request, task_id: int, payload: TaskEditIn):
    """Edit a school task (admins): title, description, due date, a staff task's owner. Its classes'
    tasks follow. Send the ``version`` you read: a save over a newer edit is a 409."""
    task = access_task_to_edit(request, task_id)
    fields = actions.TaskFields(
        title=payload.title, due_on=payload.due_on, owner_id=payload.owner_id, description=payload.description
    )
    try:
        task = actions.do_edit_task(task, fields, version=payload.version, acting_user=request.user)
    except EditConflict as exc:
        return Status(409, {"detail": " ".join(exc.messages), "changed": exc.changed, "version": exc.version})
    except ValidationError as exc:
        return Status(400, _error(exc))
    return Status(200, _task(access_task_to_update(request, task.pk)))


@router.get("/plan/tasks/{task_id}", response=TaskOut)
def plan_task(request, task_id: int):
    return _task(access_task_to_update(request, task_id))


@router.post("/plan/tasks/{task_id}", response={200: TaskOut, 400: ErrorOut, 409: ConflictOut})
def plan_task_update(request, task_id: int, payload: TaskUpdateIn):
    """Set the status and evidence of a task you own (or your class's). Evidence: an event you
    manage or take the roll of; anything else is refused with 400."""
    task = access_task_to_update(request, task_id)
    try:
        evidence = evidence_from_ids(
            request,
            event_id=payload.evidence_event_id,
            notice_id=payload.evidence_notice_id,
            survey_id=payload.evidence_survey_id,
            roster_id=payload.evidence_roster_id,
        )
        task = actions.do_update_task(
            task,
            status=payload.status,
            drop_reason=payload.drop_reason,
            **evidence,
            evidence_note=payload.evidence_note,
            version=payload.version,
            acting_user=request.user,
        )
    except EditConflict as exc:
        return Status(409, {"detail": " ".join(exc.messages), "changed": exc.changed, "version": exc.version})
    except ValidationError as exc:
        return Status(400, _error(exc))
    return Status(200, _task(access_task_to_update(request, task.pk)))
