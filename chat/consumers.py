"""The chat socket. One per signed-in user; the client joins the conversations it shows. Membership
is checked when the socket joins a conversation and again, at most every few seconds, for every
message it is about to receive: a parent whose child leaves the class stops receiving on an open
socket. Every message is stored first (``actions.do_send``); the socket is only the fast path, and
a client that reconnects asks for what it missed (``after``)."""

import time

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from notices.actions import GuardrailWarning

from . import actions, queries
from .access import STAFF, access_conversation, member_role
from .live import group_name, payload
from .models import Message

MEMBERSHIP_TTL = 5.0  # seconds a checked membership is trusted before it is checked again


class ChatConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not await database_sync_to_async(lambda: user.is_active)():
            await self.close(code=4401)
            return
        self.user = user
        self.joined: dict[int, tuple[str, float]] = {}  # conversation id → (role, checked at)
        await self.accept()
        await self.send_json({"type": "hello", "user": user.pk})

    async def disconnect(self, code):
        for conversation_id in list(getattr(self, "joined", {})):
            await self.channel_layer.group_discard(group_name(conversation_id), self.channel_name)

    async def _error(self, detail: str, **extra) -> None:
        await self.send_json({"type": "error", "detail": detail, **extra})

    async def receive_json(self, content, **kwargs):
        if not isinstance(content, dict):
            await self._error(_("Unknown request."))
            return
        kind = content.get("type")
        handler = {"join": self._join, "send": self._send, "read": self._read, "leave": self._leave}.get(kind)
        if handler is None:
            await self._error(_("Unknown request."))
            return
        conversation_id = content.get("conversation")
        try:
            await handler(conversation_id, content)
        except Http404:
            # A forged or foreign id: the same answer whether or not it exists; the socket stays open.
            await self._error(_("No such conversation."), conversation=conversation_id)

    # --- requests --------------------------------------------------------------------------------

    @database_sync_to_async
    def _access(self, conversation_id):
        return access_conversation(self.user, conversation_id)

    async def _join(self, conversation_id, content):
        conversation, role = await self._access(conversation_id)
        self.joined[conversation.pk] = (role, time.monotonic())
        await self.channel_layer.group_add(group_name(conversation.pk), self.channel_name)
        after = content.get("after") if isinstance(content.get("after"), int) else 0
        missed = await self._history(conversation, role, after)
        await self.send_json({"type": "joined", "conversation": conversation.pk, "role": role, "messages": missed})

    @database_sync_to_async
    def _history(self, conversation, role, after):
        with scopes_disabled():  # reviewed: access_conversation checked the membership
            return [payload(m) for m in queries.history(conversation, self.user, role, after=after)]

    async def _leave(self, conversation_id, content):
        if isinstance(conversation_id, int) and conversation_id in self.joined:
            del self.joined[conversation_id]
            await self.channel_layer.group_discard(group_name(conversation_id), self.channel_name)
        await self.send_json({"type": "left", "conversation": conversation_id})

    async def _send(self, conversation_id, content):
        conversation, _role = await self._access(conversation_id)
        client_key = str(content.get("client_key") or "")[:64]
        try:
            message, replies = await self._store(conversation, content, client_key)
        except GuardrailWarning as exc:
            await self.send_json(
                {
                    "type": "warning",
                    "conversation": conversation.pk,
                    "client_key": client_key,
                    "concerns": [{"reason": str(c.reason), "suggestion": str(c.suggestion)} for c in exc.concerns],
                }
            )
            return
        except ValidationError as exc:
            await self._error(" ".join(exc.messages), conversation=conversation.pk, client_key=client_key)
            return
        data = await database_sync_to_async(payload)(message)
        await self.send_json({"type": "sent", "client_key": client_key, "message": data})
        if getattr(message, "duplicate", False):
            return  # sent before with this key: the others have it already
        for item in [message, *replies]:
            item_data = data if item is message else await database_sync_to_async(payload)(item)
            await self.channel_layer.group_send(
                group_name(conversation.pk),
                {"type": "chat.message", "event": "message", "message": item_data, "sender": item.sender_id},
            )
        if message.kind == Message.Kind.ANSWER and message.question_id:
            question = await database_sync_to_async(self._message)(message.question_id)
            await self.channel_layer.group_send(
                group_name(conversation.pk),
                {"type": "chat.message", "event": "answered", "message": question, "sender": message.sender_id},
            )

    def _message(self, message_id: int) -> dict:
        with scopes_disabled():  # reviewed: the id comes from a message this member just stored
            return payload(Message.objects.select_related("sender", "quote__sender").get(pk=message_id))

    @database_sync_to_async
    def _store(self, conversation, content, client_key):
        def as_int(value):
            return value if isinstance(value, int) and not isinstance(value, bool) else None

        with scopes_disabled(), transaction.atomic():  # reviewed: do_send checks membership again
            return actions.do_send(
                conversation,
                self.user,
                body=str(content.get("body") or ""),
                quote_id=as_int(content.get("quote")),
                question_id=as_int(content.get("question")),
                client_key=client_key,
                guardrail_reason=str(content.get("guardrail_reason") or ""),
            )

    async def _read(self, conversation_id, content):
        conversation, _role = await self._access(conversation_id)
        up_to = content.get("up_to")
        if isinstance(up_to, int) and not isinstance(up_to, bool):

            def mark():
                with scopes_disabled():  # reviewed: the member's own read position
                    actions.mark_read(conversation, self.user, up_to)

            await database_sync_to_async(mark)()

    # --- group events ----------------------------------------------------------------------------

    @database_sync_to_async
    def _still_member(self, conversation_id: int) -> str | None:
        from .models import Conversation

        with scopes_disabled():  # reviewed: a membership check by the roster
            conversation = Conversation.objects.filter(pk=conversation_id).first()
            return member_role(self.user, conversation) if conversation is not None else None

    async def chat_message(self, event):
        message = event["message"]
        conversation_id = message["conversation"]
        joined = self.joined.get(conversation_id)
        if joined is None:
            return
        role, checked = joined
        if time.monotonic() - checked > MEMBERSHIP_TTL:
            role = await self._still_member(conversation_id)
            if role is None:
                del self.joined[conversation_id]
                await self.channel_layer.group_discard(group_name(conversation_id), self.channel_name)
                await self.send_json({"type": "removed", "conversation": conversation_id})
                return
            self.joined[conversation_id] = (role, time.monotonic())
        if not message["visible_to_all"] and role != STAFF and message["sender"] != self.user.pk:
            return  # someone else's unanswered question in Q&A mode
        await self.send_json({"type": event.get("event", "message"), "message": message})
