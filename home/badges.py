"""The unread badges of an open page's socket (ws/events, ``delivery.consumers``): the same two
numbers the navigation shows (``home.context_processors.top_bar``: 通知 and 消息), computed for the
socket's user when it opens (so a reconnect is right at once) and again when a notice or a chat
message may have changed them. Named in ``settings.DELIVERY_BADGES``: delivery sits below every
app that counts, so it asks here by name.

Chat messages (issue 19) are not recounted one by one: the count also names the user's
conversations, whose groups (``chat-<id>``) the socket joins, and the newest message id of the
school when it counted. Every new message a conversation receives (the chat socket's and the
page's alike, ``chat.live.group_event``) then reaches the page's socket with its members, and
``chat_badge_change`` says, without a query, whether it adds one to this user's count: a message
newer than the count, from someone else, that this member sees. Anything else about a message
(answered, recalled, removed) makes the socket count again."""

from types import SimpleNamespace

from django_scopes import scope

from chat.access import FAMILY, STAFF, chat_school_id, sees_message
from chat.live import group_name
from chat.queries import unread_summary
from notices.queries import wanting_count
from schools.roles import compute_roles

RECOUNT = None


def badge_counts(user, session=None) -> dict:
    """``{"schools": [...], "groups": [...], "latest": id, "notices": n, "messages": m}``: the
    user's schools and chat conversations (the socket joins their groups), the newest chat message
    counted, and the two counts, in the school the chat list shows (the session's choice)."""
    roles = compute_roles(user)
    request = SimpleNamespace(user=user, roles=roles, session=session if session is not None else {})
    with scope(school=roles.school_ids):
        chat_school = chat_school_id(request)
        messages, conversations, latest = unread_summary(user, roles, chat_school) if chat_school else (0, [], 0)
        return {
            "schools": roles.school_ids,
            "groups": [group_name(pk) for pk in conversations],
            "latest": latest,
            "notices": wanting_count(user),
            "messages": messages,
        }


def chat_badge_change(user_id: int, event: dict, latest: int) -> int | None:
    """What a chat group's event does to this user's 消息 count: ``1`` (a new message for them),
    ``0`` (nothing: one they do not see, one counted already) or ``RECOUNT`` (None: their own
    message, which moved their read position; a message answered, recalled or removed; the user no
    longer a member: count again)."""
    message = event.get("message") or {}
    if event.get("event", "message") != "message" or user_id not in event.get("members", ()):
        return RECOUNT
    if message.get("sender") == user_id:
        return RECOUNT  # sending moved their read position in that conversation to this message
    if not isinstance(message.get("id"), int) or message["id"] <= latest:
        return 0
    role = STAFF if user_id in event.get("staff", ()) else FAMILY
    visible = sees_message(
        role, user_id, visible_to_all=bool(message.get("visible_to_all")), sender_id=message.get("sender")
    )
    return 1 if visible and not message.get("gone") else 0
