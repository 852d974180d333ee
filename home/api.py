"""The to-do list in the JSON API: the same list as the page and the home count (home.todo)."""

import datetime

from ninja import Router, Schema

from schools.access import access_staff_school

from .todo import todo_items

router = Router(tags=["to-do"])


class TodoFollowUpOut(Schema):
    record_id: int
    on: datetime.date | None
    overdue: bool


class TodoActionOut(Schema):
    id: int
    record_id: int
    description: str
    due_on: datetime.date | None
    overdue: bool


class TodoConversationRequestOut(Schema):
    id: int
    student_id: int
    student: str
    topic: str
    created_at: datetime.datetime


class TodoEventFollowUpOut(Schema):
    id: int
    event_id: int
    event: str
    student_id: int
    student: str


class TodoResolutionOut(Schema):
    id: int
    event_id: int
    text: str
    due_on: datetime.date | None
    overdue: bool


class TodoPlanTaskOut(Schema):
    id: int
    title: str
    class_name: str | None
    due_on: datetime.date
    overdue: bool


class TodoOut(Schema):
    count: int
    overdue: int
    follow_ups: list[TodoFollowUpOut]
    actions: list[TodoActionOut]
    conversation_requests: list[TodoConversationRequestOut]
    event_follow_ups: list[TodoEventFollowUpOut]
    resolutions: list[TodoResolutionOut]
    plan_tasks: list[TodoPlanTaskOut]


@router.get("/contacts/todo", response=TodoOut)
def todo(request):
    """Open follow-ups and agreed actions of the contact book, families who asked to talk, families
    who missed a meeting, meeting resolutions and term-plan tasks; ``count`` is what the home page shows."""
    todo_list = todo_items(request.user, request.roles, access_staff_school(request))
    return {
        "count": todo_list.count,
        "overdue": todo_list.overdue,
        "follow_ups": [{"record_id": t.item.pk, "on": t.due_on, "overdue": t.overdue} for t in todo_list.follow_ups],
        "actions": [
            {
                "id": t.item.pk,
                "record_id": t.item.record_id,
                "description": t.item.description,
                "due_on": t.due_on,
                "overdue": t.overdue,
            }
            for t in todo_list.actions
        ],
        "conversation_requests": [
            {
                "id": t.item.pk,
                "student_id": t.item.student_id,
                "student": t.item.student.name,
                "topic": t.item.topic,
                "created_at": t.item.created_at,
            }
            for t in todo_list.conversation_requests
        ],
        "event_follow_ups": [
            {
                "id": t.item.pk,
                "event_id": t.item.event_id,
                "event": t.item.event.title,
                "student_id": t.item.student_id,
                "student": t.item.student.name,
            }
            for t in todo_list.event_follow_ups
        ],
        "resolutions": [
            {
                "id": t.item.pk,
                "event_id": t.item.event_id,
                "text": t.item.text,
                "due_on": t.due_on,
                "overdue": t.overdue,
            }
            for t in todo_list.event_resolutions
        ],
        "plan_tasks": [
            {
                "id": t.item.pk,
                "title": t.item.title,
                "class_name": t.item.school_class.name if t.item.school_class else None,
                "due_on": t.due_on,
                "overdue": t.overdue,
            }
            for t in todo_list.plan_tasks
        ],
    }
