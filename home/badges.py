"""The unread badges of an open page's socket (ws/events, ``delivery.consumers``): the same two
numbers the navigation shows (``home.context_processors.top_bar``: 通知 and 消息), computed for the
socket's user when it opens (so a reconnect is right at once) and again when a notice or a chat
message may have changed them. Named in ``settings.DELIVERY_BADGES``: delivery sits below every
app that counts, so it asks here by name."""

from types import SimpleNamespace

from django_scopes import scope

from chat.access import chat_school_id
from chat.queries import unread_total
from notices.queries import wanting_count
from schools.roles import compute_roles


def badge_counts(user, session=None) -> dict:
    """``{"schools": [...], "notices": n, "messages": m}``: the user's schools (the socket joins
    their groups) and the two counts, in the school the chat list shows (the session's choice)."""
    roles = compute_roles(user)
    request = SimpleNamespace(user=user, roles=roles, session=session if session is not None else {})
    with scope(school=roles.school_ids):
        chat_school = chat_school_id(request)
        return {
            "schools": roles.school_ids,
            "notices": wanting_count(user),
            "messages": unread_total(user, roles, chat_school) if chat_school else 0,
        }
