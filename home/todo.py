"""The staff member's to-do list: one list over every kind of open item the apps leave them.

The kinds live in their own apps (each app's ``queries.open_*`` says which rows are open):

- the contact book: records to follow up (``ContactRecord.follow_up_on``), agreed actions
  (``ActionItem``) and families who asked to talk (``ConversationRequest``, the head teacher's);
- notices: the escalation ladder's call tasks (``CallTask``, the head teacher's; ``notices.ladder``);
- events: families who missed a meeting (``FollowUp``) and meeting resolutions (``Resolution``);
- plans: the term plan's tasks the user owns, their own or their class's (``PlanTask``).

Home is the layer above both apps, so the list is put together here, and the to-do page, the home
page's "to do" card (``TodoList.most_urgent``: overdue first), the tab bar's count and
``GET /api/v1/contacts/todo`` all read it: they cannot disagree about what is on the list. An item
is overdue when it has a due date before today. Closing an item stays with its app (the record
page, ``events:follow_up_done``, ``events:resolution_done``, recording the talk, ``plans:task``).
"""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from django.db.models import Prefetch
from django.utils import timezone

from contactbook import queries as contactbook_queries
from contactbook.models import ActionItem, ContactRecord, ContactStudent, ConversationRequest
from events import queries as events_queries
from events.models import FollowUp, Resolution
from notices import queries as notices_queries
from notices.models import CallTask
from plans import queries as plans_queries
from plans.models import PlanTask
from schools.roles import Roles

Item = TypeVar("Item")
_NEVER = datetime.date.max


def is_overdue(due_on: datetime.date | None, today: datetime.date) -> bool:
    return due_on is not None and due_on < today


@dataclass(frozen=True)
class Todo(Generic[Item]):
    """One open item of the list: the app's own row, its due date if its kind has one, and whether
    that date has passed."""

    item: Item
    due_on: datetime.date | None = None
    overdue: bool = False


@dataclass
class TodoList:
    """Every open item, by kind, in the order the page shows them."""

    follow_ups: list[Todo[ContactRecord]]
    actions: list[Todo[ActionItem]]
    conversation_requests: list[Todo[ConversationRequest]]
    event_follow_ups: list[Todo[FollowUp]]
    event_resolutions: list[Todo[Resolution]]
    plan_tasks: list[Todo[PlanTask]] = field(default_factory=list)
    call_tasks: list[Todo[CallTask]] = field(default_factory=list)

    def _all(self) -> list[Todo]:
        return [
            *self.follow_ups,
            *self.actions,
            *self.conversation_requests,
            *self.event_follow_ups,
            *self.event_resolutions,
            *self.call_tasks,
            *self.plan_tasks,
        ]

    def most_urgent(self) -> list[tuple[str, Todo]]:
        """Every item with its kind (``follow_up``, ``action``, ``conversation_request``,
        ``event_follow_up``, ``resolution``, ``plan_task``): the overdue ones first, then the others by due date,
        then those without one, each kind in the page's order. The home page shows the first few."""
        kinds: list[tuple[str, Sequence[Todo]]] = [
            ("follow_up", self.follow_ups),
            ("action", self.actions),
            ("conversation_request", self.conversation_requests),
            ("event_follow_up", self.event_follow_ups),
            ("resolution", self.event_resolutions),
            ("call_task", self.call_tasks),
            ("plan_task", self.plan_tasks),
        ]
        items: list[tuple[str, Todo]] = [(kind, todo) for kind, todos in kinds for todo in todos]
        # sorted() is stable: within a rank and a date, the page's order stays.
        return sorted(items, key=lambda pair: (not pair[1].overdue, pair[1].due_on is None, pair[1].due_on or _NEVER))

    @property
    def count(self) -> int:
        return len(self._all())

    @property
    def overdue(self) -> int:
        return sum(1 for todo in self._all() if todo.overdue)


@dataclass(frozen=True)
class TodoCount:
    open: int
    overdue: int


def todo_items(user, roles: Roles, school, *, today: datetime.date | None = None) -> TodoList:
    """The user's whole to-do list in the school: seven queries whatever its length (two more once
    there are call tasks: their guardians' numbers, and one for the term plan's tasks)."""
    day = today or timezone.localdate()

    def dated(item: Item, due_on: datetime.date | None) -> Todo[Item]:
        # The count below applies the same rule to the same rows.
        return Todo(item, due_on, is_overdue(due_on, day))

    links = ContactStudent.objects.select_related("student")
    follow_ups = (
        contactbook_queries.open_follow_ups(user, school)
        .prefetch_related(Prefetch("student_links", queryset=links))
        .order_by("follow_up_on", "pk")
    )
    actions = contactbook_queries.open_action_items(user, school).select_related("record").order_by("due_on", "pk")
    requests = (
        contactbook_queries.open_conversation_requests(roles, school)
        .select_related("student__school_class", "guardian")
        .order_by("created_at", "pk")
    )
    event_follow_ups = (
        events_queries.open_follow_ups(user, school)
        .select_related("event", "student__school_class")
        .order_by("event__starts_at", "student__name", "pk")
    )
    resolutions = events_queries.open_resolutions(user, school).select_related("event").order_by("due_on", "pk")
    return TodoList(
        follow_ups=[dated(r, r.follow_up_on) for r in follow_ups],
        actions=[dated(a, a.due_on) for a in actions],
        conversation_requests=[Todo(c) for c in requests],
        event_follow_ups=[Todo(f) for f in event_follow_ups],
        event_resolutions=[dated(r, r.due_on) for r in resolutions],
        call_tasks=[Todo(t) for t in notices_queries.call_tasks_to_show(roles, school)],
        plan_tasks=[dated(t, t.due_on) for t in plans_queries.open_tasks(user, roles, school)],
    )


def todo_count(user, roles: Roles, school, *, today: datetime.date | None = None) -> TodoCount:
    """How many items ``todo_items`` lists, and how many are overdue, without loading them: one
    query per app, whatever the length of the list."""
    day = today or timezone.localdate()
    due_dates = [
        *contactbook_queries.open_todo_due_dates(user, roles, school),
        *events_queries.open_todo_due_dates(user, school),
        *plans_queries.open_todo_due_dates(user, roles, school),
    ]
    return TodoCount(open=len(due_dates), overdue=sum(1 for due_on in due_dates if is_overdue(due_on, day)))
