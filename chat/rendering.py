"""One drawing of a message: the partial ``chat/_message.html``, for the page and for the socket.

The conversation page draws its history with ``draw``, and every message the socket sends carries
the same drawing (``html``) made for the member who receives it, so what arrives live has the time,
the question or answered state, the read count and the actions (引用, 回复, 撤回, 置顶, 删除, 禁言)
that the page drew. ``static/js/chat.js`` only puts the drawing in its place.

What differs from one member to another is small, and is a ``Reader``: staff, moderators (the head
teacher, the admins) and families see different actions, families in a notice-first group cannot
quote, and the sender sees a message as their own (撤回, N 人已读). So a broadcast draws a message
once per kind of reader the conversation has (``draw_for_readers``: at most four drawings, never
one per member), on the sender's side, in the same trip to the database that stored it; each socket
then picks its own drawing (``reader_key``) without a query.

Live drawings are made in the site's language (``settings.LANGUAGE_CODE``), and their forms carry
no CSRF token (it belongs to each page's session): ``chat.js`` adds the page's own."""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import SafeString

from .access import FAMILY, STAFF, Members, can_moderate, can_post, member_ids
from .models import RECALL_WITHIN, Conversation, Message
from .queries import read_positions

NO_TOKEN = ""  # a live drawing: the partial draws no token input (chat.js adds the page's)
OWN, MODERATOR, STAFF_READER, FAMILY_READER = "own", "moderator", "staff", "family"


@dataclass(frozen=True)
class Reader:
    """Who a message is drawn for: what the partial needs to know about the member reading it."""

    role: str  # access.STAFF or access.FAMILY
    moderator: bool  # may pin, remove and mute (access.can_moderate)
    can_post: bool  # may quote (access.can_post)
    user_id: int | None = None  # set: their own messages are drawn as theirs; None: nobody's own


def reader_for(user, conversation: Conversation, role: str) -> Reader:
    """The member reading the page (or joining on the socket)."""
    return Reader(
        role=role,
        moderator=can_moderate(user, conversation),
        can_post=can_post(conversation, role),
        user_id=user.pk,
    )


def draw(
    message: Message,
    conversation: Conversation,
    reader: Reader,
    *,
    read_count: int = 0,
    now: datetime.datetime | None = None,
    csrf_token: str = NO_TOKEN,
) -> SafeString:
    """The message as this reader sees it. ``read_count``: how many others have read it (shown
    only on one's own messages); ``csrf_token``: the page's, or none for a live drawing."""
    mine = reader.user_id is not None and message.sender_id == reader.user_id
    now = now or timezone.now()
    return render_to_string(
        "chat/_message.html",
        {
            "m": message,
            "conversation_id": conversation.pk,
            "conversation_kind": conversation.kind,
            "mine": mine,
            "read_count": read_count if mine else 0,
            "recallable": mine and not message.is_gone and now - message.created_at < RECALL_WITHIN,
            "role": reader.role,
            "moderator": reader.moderator,
            "can_post": reader.can_post,
            "csrf_token": csrf_token,
        },
    )


def draw_history(
    conversation: Conversation, reader: Reader, messages: Sequence[Message], *, csrf_token: str = NO_TOKEN
) -> list[SafeString]:
    """A member's view of a list of messages (the page, the socket's catch-up), with the read count
    under their own: one query of the others' read positions, whatever the number of messages."""
    members = member_ids(conversation)  # former members' read positions do not count
    positions = read_positions(conversation, reader.user_id, members.everyone)
    now = timezone.now()
    return [
        draw(
            m,
            conversation,
            reader,
            read_count=sum(1 for p in positions if p >= m.pk) if m.sender_id == reader.user_id else 0,
            now=now,
            csrf_token=csrf_token,
        )
        for m in messages
    ]


def live_history(conversation: Conversation, reader: Reader, messages: Sequence[Message]) -> list[SafeString]:
    """``draw_history`` for the socket: in the site's language, without a CSRF token."""
    with translation.override(settings.LANGUAGE_CODE):
        return draw_history(conversation, reader, messages)


def own_reader(sender_id: int, conversation: Conversation, members: Members) -> Reader:
    role = STAFF if sender_id in members.staff else FAMILY
    return Reader(
        role=role,
        moderator=sender_id in members.moderators,
        can_post=can_post(conversation, role),
        user_id=sender_id,
    )


def draw_for_readers(message: Message, conversation: Conversation, members: Members, *, fresh: bool) -> dict[str, str]:
    """The drawings a broadcast carries: one per kind of reader among the members who will receive
    it (its sender; moderators; other staff; families, if the message is shown to all). ``fresh``:
    a message just stored, which nobody else has read yet; otherwise (an answered question, a
    recall, a removal) the sender's drawing counts who has read it (one query)."""
    sender = message.sender_id
    others = members.everyone - {sender}
    readers: dict[str, Reader] = {}
    if sender in members.everyone:
        readers[OWN] = own_reader(sender, conversation, members)
    if others & members.moderators:
        readers[MODERATOR] = Reader(role=STAFF, moderator=True, can_post=True)
    if (others & members.staff) - members.moderators:
        readers[STAFF_READER] = Reader(role=STAFF, moderator=False, can_post=True)
    if (others - members.staff) and message.visible_to_all:
        readers[FAMILY_READER] = Reader(role=FAMILY, moderator=False, can_post=can_post(conversation, FAMILY))
    read_count = 0
    if OWN in readers and not fresh:
        read_count = sum(1 for p in read_positions(conversation, sender, members.everyone) if p >= message.pk)
    now = timezone.now()
    with translation.override(settings.LANGUAGE_CODE):
        return {
            key: str(draw(message, conversation, reader, read_count=read_count if key == OWN else 0, now=now))
            for key, reader in readers.items()
        }


def reader_key(user_id: int, *, sender: int, staff: Sequence[int], moderators: Sequence[int]) -> str:
    """Which of a broadcast's drawings is this member's (``draw_for_readers``)."""
    if user_id == sender:
        return OWN
    if user_id in moderators:
        return MODERATOR
    return STAFF_READER if user_id in staff else FAMILY_READER
