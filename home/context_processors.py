"""What every page's navigation needs: the user's roles (set by ``schools.middleware``) and the
badges of the bottom tab bar (a phone) and the top menu (a wider screen).

The badges: 消息 (chat messages waiting, ``chat.queries.unread_total``), 通知 (notices that still
want something of the user, unread or not yet answered: ``notices.queries.wanting_count``, so a
survey opened but not answered still counts), the contact book's records to acknowledge (a
parent's, ``contactbook.queries.unacknowledged_count``) and the to-do list (staff,
``home.todo.todo_count``). A fixed number of queries on every page, whatever the size of the
school: pinned by ``home/tests/test_nav.py``. It lives in home, the layer that reads every app."""

from django.http import HttpRequest

from chat.access import chat_school_id
from chat.queries import unread_total
from contactbook.queries import unacknowledged_count
from notices.queries import wanting_count
from schools.access import access_staff_school

from .todo import todo_count


def top_bar(request: HttpRequest) -> dict[str, object]:
    roles = getattr(request, "roles", None)
    context: dict[str, object] = {"roles": roles}
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or roles is None:
        return context
    unread_notices = context["unread_notices"] = wanting_count(user)  # the name the templates read
    chat_school = chat_school_id(request)  # the school whose conversations the chat list shows
    context["unread_messages"] = unread_total(user, roles, chat_school) if chat_school else 0
    to_acknowledge = context["to_acknowledge"] = unacknowledged_count(user, roles) if roles.is_parent else 0
    if roles.is_staff:
        # The school the to-do page shows (no query: the roles hold it).
        context["todo_open"] = todo_count(user, roles, access_staff_school(request)).open
        # A staff member's bar has no family tabs: what waits for them as a reader (notices sent
        # to staff, or to them as a parent) shows on 我的, where those pages are listed.
        context["me_waiting"] = unread_notices + to_acknowledge
    return context
