"""The staff home page: what happened and what waits, the first page a teacher opens on a phone.

Four cards, each read by the app that owns its rows, so the home page and the app's own pages
count the same way:

- the notices the teacher sent lately, with their read and done rates
  (``notices.queries.recent_sent``, counted as the results page counts them; a survey, a form or
  an invitation is done when answered);
- the questions and messages families wait an answer to: Q&A questions in the class groups
  (``chat.queries.waiting_questions``) and private conversations whose last word is the family's
  (``chat.queries.waiting_private``);
- today's events (``events.queries.todays_events``);
- the to-do list, overdue first (``home.todo``).

A head teacher and a subject teacher see their own classes and notices; a school admin sees the
school's. Ten queries whatever the number of notices, questions, events or items (one card each,
and the to-do list's six), pinned in ``home/tests/test_staff_home.py``."""

import datetime
from dataclasses import dataclass

from django.utils import timezone

from chat.models import Conversation, Message
from chat.queries import waiting_private, waiting_questions
from events.models import Event
from events.queries import todays_events
from notices.models import Notice
from notices.queries import recent_sent
from schools.roles import Roles

from .todo import Todo, TodoList, todo_items

SHOWN = 5  # rows per card: a phone screen, not a list


@dataclass
class StaffHome:
    notices: list[Notice]
    questions: list[Message]
    questions_waiting: int  # all of them, the card shows the first SHOWN
    private: list[Conversation]
    private_waiting: int
    events: list[Event]
    todo: TodoList
    todo_first: list[tuple[str, Todo]]  # the most urgent SHOWN

    @property
    def waiting(self) -> int:
        return self.questions_waiting + self.private_waiting


def staff_home(user, roles: Roles, school, *, today: datetime.date | None = None) -> StaffHome:
    day = today or timezone.localdate()
    questions = waiting_questions(user, roles, school, limit=SHOWN)
    private = waiting_private(user, school, limit=SHOWN)
    todo = todo_items(user, roles, school, today=day)
    return StaffHome(
        notices=recent_sent(user, roles, school, limit=SHOWN),
        questions=questions,
        questions_waiting=questions[0].waiting if questions else 0,  # type: ignore[attr-defined]
        private=private,
        private_waiting=private[0].waiting if private else 0,  # type: ignore[attr-defined]
        events=todays_events(user, roles, school, day=day),
        todo=todo,
        todo_first=todo.most_urgent()[:SHOWN],
    )
