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


class TodoOut(Schema):
    count: int
    overdue: int
    follow_ups: list[TodoFollowUpOut]
    actions: list[TodoActionOut]
    conversation_requests: list[TodoConversationRequestOut]
    event_follow_ups: list[TodoEventFollowUpOut]
    resolutions: list[TodoResolutionOut]


@router.get("/contacts/todo", response=TodoOut)
def todo(request):
    """Open follow-ups and agreed actions of the contact book, families who asked to talk, families
    who missed a meeting and meeting resolutions; ``count`` is what the home page shows."""
    todo_list = todo_items(request.user, request.roles, access_staff_school(request))
    return {
        "count": todo_list.count,
        "overdue": todo_list.overdue,
        "follow_ups": [{"record_id": r.pk, "on": r.follow_up_on, "overdue": r.overdue} for r in todo_list.follow_ups],
        "actions": [
            {
                "id": a.pk,
                "record_id": a.record_id,
                "description": a.description,
                "due_on": a.due_on,
                "overdue": a.overdue,
            }
            for a in todo_list.actions
        ],
        "conversation_requests": [
            {
                "id": c.pk,
                "student_id": c.student_id,
                "student": c.student.name,
                "topic": c.topic,
                "created_at": c.created_at,
            }
            for c in todo_list.conversation_requests
        ],
        "event_follow_ups": [
            {
                "id": f.pk,
                "event_id": f.event_id,
                "event": f.event.title,
                "student_id": f.student_id,
                "student": f.student.name,
            }
            for f in todo_list.event_follow_ups
        ],
        "resolutions": [
            {"id": r.pk, "event_id": r.event_id, "text": r.text, "due_on": r.due_on, "overdue": r.overdue}
            for r in todo_list.event_resolutions
        ],
    }
