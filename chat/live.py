"""The fast path: what a socket receives about a message (``payload``, the same as the API's, and
the server's drawing of it, ``html``, see ``rendering``), and telling a conversation's sockets after
the message is stored."""

import json

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django_scopes import scope

from delivery.live import nudge_users, push_later

from .access import Members, member_ids
from .models import Conversation, Message
from .queries import answered_question
from .rendering import OWN, draw_for_readers


def group_name(conversation_id: int) -> str:
    return f"chat-{conversation_id}"


def payload(message: Message) -> dict:
    """A message as members see it; a recalled or removed one says so, without its text."""
    gone = ""
    if message.removed_at is not None:
        gone = _("removed by the teacher")
    elif message.recalled_at is not None:
        gone = _("recalled")
    quote = message.quote if message.quote_id else None
    return {
        "id": message.pk,
        "conversation": message.conversation_id,
        "sender": message.sender_id,
        "sender_name": message.sender.display_name,
        "kind": message.kind,
        "body": "" if gone else message.body,
        "gone": gone,
        "quote": {
            "id": quote.pk,
            "sender_name": quote.sender.display_name,
            "body": "" if quote.is_gone else quote.body[:80],
        }
        if quote is not None
        else None,
        "question": message.question_id,
        "visible_to_all": message.visible_to_all,
        "file": {
            "name": message.file_name,
            "url": reverse("chat:file", args=[message.conversation_id, message.pk]),
            "image": message.file_mime.startswith("image/"),
        }
        if message.file and not gone
        else None,
        "created_at": message.created_at.isoformat(),
        "quiet": message.quiet,
    }


def group_event(message: Message, kind: str, members: Members, conversation: Conversation) -> dict:
    """What the group receives: the message, who may see it now (see ``access.member_ids``), and
    for each kind of member who will (``rendering.draw_for_readers``) the very frame their socket
    sends, drawn and serialised here once, so that no socket queries the database, draws or encodes
    anything to deliver it (issue 19: encoding a drawing for each of 45 members cost the event loop
    more than the whole delivery of the bare echo). The frames share their beginning (``head``, the
    payload) and differ in their drawing (``drawings``, each already a JSON string): the event
    carries the payload once, and a socket joins the two (``frame_for``)."""
    data = payload(message)
    drawings = draw_for_readers(message, conversation, members, fresh=kind == "message")
    return {
        "type": "chat.message",
        "event": kind,
        "message": data,
        "sender": message.sender_id,
        "members": sorted(members.everyone),
        "staff": sorted(members.staff),
        "moderators": sorted(members.moderators),
        "head": _frame_head(kind, data),
        "drawings": {key: json.dumps(html, ensure_ascii=False) for key, html in drawings.items()},
    }


_END = "}}"


def _frame_head(kind: str, data: dict) -> str:
    """``frame(kind, data, html)`` up to the drawing: the JSON text ends with the drawing, then
    ``_END``."""
    text = frame(kind, data, "")
    assert text.endswith('"html": ""' + _END)
    return text[: -len('""' + _END)]


def frame(kind: str, data: dict, html: str) -> str:
    """A socket's text frame for a message: its payload with a member's drawing (UTF-8, not
    escaped: a Chinese message is half the bytes)."""
    return json.dumps({"type": kind, "message": data | {"html": html}}, ensure_ascii=False)


def frame_for(event: dict, key: str) -> str:
    """The frame of a group event for a kind of member (``rendering.reader_key``): the payload
    alone if the event has no drawing for them. The same text as ``frame``."""
    head = event.get("head")
    if head is None:  # an event of a process not yet upgraded (whole frames, one per kind)
        return event["frames"].get(key) or frame(event.get("event", "message"), event["message"], "")
    return head + event["drawings"].get(key, '""') + _END


def own_html(event: dict) -> str:
    """The sender's drawing of the message of a group event (for the sender's ``sent`` answer)."""
    own = event["drawings"].get(OWN)
    return json.loads(own) if own else ""


def broadcast(message: Message, kind: str = "message") -> None:
    """Tell every open socket of the conversation; each delivers only to a current member."""
    layer = get_channel_layer()
    if layer is None:
        return
    conversation = message.conversation
    event = group_event(message, kind, member_ids(conversation), conversation)
    async_to_sync(layer.group_send)(group_name(message.conversation_id), event)


def push_payload(message: Message) -> dict:
    """What a phone's notification shows of a chat message: who wrote, not what (a lock screen
    is seen by anyone nearby), and the conversation to open."""
    with translation.override("zh-hans"):
        return {
            "title": message.conversation.school.name,
            "body": _("%(sender)s sent you a message") % {"sender": message.sender.display_name},
            "url": reverse("chat:conversation", args=[message.conversation_id]),
            "tag": f"chat-{message.conversation_id}",
        }


def broadcast_after_send(message: Message, replies: list[Message]) -> None:
    """Once the transaction commits, tell the conversation's sockets about a message sent from a
    page or the API, its automatic replies, and the question it answered (now shown to all)."""
    if getattr(message, "duplicate", False):
        return  # a double tap: the others were told the first time

    def tell() -> None:
        broadcast(message)  # the members' open pages (ws/events) count it from this too (home.badges)
        # Their phones subscribed to push show it, unless it came in a teacher's quiet hours.
        others = set(member_ids(message.conversation).everyone) - {message.sender_id}
        if not message.quiet:
            push_later(message.conversation.school_id, others, push_payload(message))
        for reply in replies:
            broadcast(reply)
        question = answered_question(message)
        if question is not None:
            broadcast(question, kind="answered")

    transaction.on_commit(tell, robust=True)  # a channel layer that is down loses only the fast path


def tell_new_conversation(conversation: Conversation) -> None:
    """A conversation just made: once it commits, its members' open pages count again, and so
    listen to it from then on (``home.badges``: their socket joins the groups the count names)."""

    def tell() -> None:
        # After the commit the request's scope may be gone (a task, a management command): the
        # members are read in the conversation's own school.
        with scope(school=[conversation.school_id]):
            nudge_users(member_ids(conversation).everyone)

    transaction.on_commit(tell, robust=True)
