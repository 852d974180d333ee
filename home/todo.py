"""The staff member's to-do list: one list over every kind of open item the apps leave them.

The kinds live in their own apps (each app's ``queries.open_*`` says which rows are open):

- the contact book: records to follow up (``ContactRecord.follow_up_on``), agreed actions
  (``ActionItem``) and families who asked to talk (``ConversationRequest``, the head teacher's);
- events: families who missed a meeting (``FollowUp``) and meeting resolutions (``Resolution``).

Home is the layer above both apps, so the list is put together here, and the to-do page, the count
on the home page and ``GET /api/v1/contacts/todo`` all read it: they cannot disagree about what is
on the list. An item is overdue when it has a due date before today. Closing an item stays with
its app (the record page, ``events:follow_up_done``, ``events:resolution_done``, recording the talk).
"""

import datetime
from dataclasses import dataclass

from django.db.models import Prefetch
from django.utils import timezone

from contactbook import queries as contactbook_queries
from contactbook.models import ActionItem, ContactRecord, ContactStudent, ConversationRequest
from events import queries as events_queries
from events.models import FollowUp, Resolution
from schools.roles import Roles


def is_overdue(due_on: datetime.date | None, today: datetime.date) -> bool:
    return due_on is not None and due_on < today


@dataclass
class TodoList:
    """Every open item, by kind, in the order the page shows them; each item carries ``overdue``."""

    follow_ups: list[ContactRecord]
    actions: list[ActionItem]
    conversation_requests: list[ConversationRequest]
    event_follow_ups: list[FollowUp]
    event_resolutions: list[Resolution]

    @property
    def count(self) -> int:
        return (
            len(self.follow_ups)
            + len(self.actions)
            + len(self.conversation_requests)
            + len(self.event_follow_ups)
            + len(self.event_resolutions)
        )

    @property
    def overdue(self) -> int:
        items: list = [*self.follow_ups, *self.actions, *self.event_resolutions]
        return sum(1 for item in items if item.overdue)


@dataclass(frozen=True)
class TodoCount:
    open: int
    overdue: int


def todo_items(user, roles: Roles, school, *, today: datetime.date | None = None) -> TodoList:
    """The user's whole to-do list in the school: six queries whatever its length."""
    today = today or timezone.localdate()
    links = ContactStudent.objects.select_related("student")
    todo = TodoList(
        follow_ups=list(
            contactbook_queries.open_follow_ups(user, school)
            .prefetch_related(Prefetch("student_links", queryset=links))
            .order_by("follow_up_on", "pk")
        ),
        actions=list(
            contactbook_queries.open_action_items(user, school).select_related("record").order_by("due_on", "pk")
        ),
        conversation_requests=list(
            contactbook_queries.open_conversation_requests(roles, school)
            .select_related("student__school_class", "guardian")
            .order_by("created_at", "pk")
        ),
        event_follow_ups=list(
            events_queries.open_follow_ups(user, school)
            .select_related("event", "student__school_class")
            .order_by("event__starts_at", "student__name", "pk")
        ),
        event_resolutions=list(
            events_queries.open_resolutions(user, school).select_related("event").order_by("due_on", "pk")
        ),
    )
    # The page flags overdue items; the count below applies the same rule to the same rows.
    for record in todo.follow_ups:
        record.overdue = is_overdue(record.follow_up_on, today)  # type: ignore[attr-defined]
    for item in todo.actions:
        item.overdue = is_overdue(item.due_on, today)  # type: ignore[attr-defined]
    for resolution in todo.event_resolutions:
        resolution.overdue = is_overdue(resolution.due_on, today)  # type: ignore[attr-defined]
    return todo


def todo_count(user, roles: Roles, school, *, today: datetime.date | None = None) -> TodoCount:
    """How many items ``todo_items`` lists, and how many are overdue, without loading them: one
    query per app, whatever the length of the list."""
    today = today or timezone.localdate()
    due_dates = [
        *contactbook_queries.open_todo_due_dates(user, roles, school),
        *events_queries.open_todo_due_dates(user, school),
    ]
    return TodoCount(open=len(due_dates), overdue=sum(1 for due_on in due_dates if is_overdue(due_on, today)))
