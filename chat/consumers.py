"""The chat socket. One per signed-in user; the client joins the conversations it shows.

Membership is checked when the socket joins a conversation and on every message it sends (by
``actions.do_send``). Every message the group receives carries the ids of the conversation's
members as the roster says at that moment (``access.member_ids``, computed once per message, not
once per socket), so a parent whose child leaves the class stops receiving on an open socket at
the next message, without a database query per delivery. Every message is stored first; the socket
is only the fast path, and a client that reconnects asks for what it missed (``after``).

On PostgreSQL an everyday message is stored from the event loop itself, on the loop's own
connections (``_store_on_the_loop``, ``core.db``: no trip to Channels' one database thread, issue
19); every other message, and any message whose loop connection fails, goes the usual way
(``_store``). Delivering makes no trip to that thread either (``core.sockets``).

Every message the socket sends carries ``html``: the server's drawing of it for this member
(``rendering``), the same partial the page is drawn with, so the page shows one drawing of a
message whether it came with the page or live."""

import psycopg
from channels.db import database_sync_to_async
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from core import db
from core.guardrails import GuardrailWarning
from core.sockets import JsonSocket
from guardrails.actions import counting_warnings

from . import actions, queries
from .access import FAMILY, STAFF, access_conversation, sees_message
from .live import frame_for, group_event, group_name, own_html, payload
from .rendering import OWN, draw_for_readers, live_history, reader_for, reader_key


class ChatConsumer(JsonSocket):
    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not await database_sync_to_async(lambda: user.is_active)():
            await self.close(code=4401)
            return
        self.user = user
        self.joined: dict = {}  # conversation id → the Conversation this socket joined
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
        handlers = {"join": self._join, "send": self._send, "read": self._read, "leave": self._leave}
        handler = handlers.get(kind) if isinstance(kind, str) else None
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

    @database_sync_to_async
    def _catch_up(self, conversation, role, after):
        with scopes_disabled():  # reviewed: access_conversation checked the membership
            messages = queries.history(conversation, self.user, role, after=after)
            if after:
                # The page's last messages as they are now: recalled, removed or answered while away.
                messages = queries.history(conversation, self.user, role, before=after + 1) + messages
            drawn = live_history(conversation, reader_for(self.user, conversation, role), messages)
            return [payload(m) | {"html": html} for m, html in zip(messages, drawn, strict=True)]

    async def _join(self, conversation_id, content):
        after = content.get("after") if isinstance(content.get("after"), int) else 0
        conversation, role = await self._access(conversation_id)
        # Listen first, then read the history: a message stored in between is in the history or
        # comes live after ``joined`` (events wait until this request is handled), and the page
        # puts each id once. Read first and it would be in neither.
        self.joined[conversation.pk] = conversation
        await self.channel_layer.group_add(group_name(conversation.pk), self.channel_name)
        try:
            missed = await self._catch_up(conversation, role, after)
        except BaseException:
            # Not joined after all: no live event without the ``joined`` that comes first.
            del self.joined[conversation.pk]
            await self.channel_layer.group_discard(group_name(conversation.pk), self.channel_name)
            raise
        await self.send_json({"type": "joined", "conversation": conversation.pk, "role": role, "messages": missed})

    async def _leave(self, conversation_id, content):
        if isinstance(conversation_id, int) and conversation_id in self.joined:
            del self.joined[conversation_id]
            await self.channel_layer.group_discard(group_name(conversation_id), self.channel_name)
        await self.send_json({"type": "left", "conversation": conversation_id})

    async def _send(self, conversation_id, content):
        client_key = str(content.get("client_key") or "")[:64]
        try:
            stored = await self._store_on_the_loop(conversation_id, content, client_key)
            reply, events = stored or await self._store(conversation_id, content, client_key)
        except GuardrailWarning as exc:
            await self.send_json(
                {
                    "type": "warning",
                    "conversation": conversation_id,
                    "client_key": client_key,
                    "concerns": [c.as_dict() for c in exc.concerns],
                }
            )
            return
        except ValidationError as exc:
            await self._error(" ".join(exc.messages), conversation=conversation_id, client_key=client_key)
            return
        await self.send_json(reply)
        for event in events:
            await self.channel_layer.group_send(group_name(event["message"]["conversation"]), event)

    async def _store_on_the_loop(self, conversation_id, content, client_key) -> tuple[dict, list] | None:
        """An everyday message stored from the event loop, on its own PostgreSQL connections
        (``core.db``: no trip to the database thread, whose every wait is a fight for the
        interpreter lock under load): its reads in one trip, the message and the sender's read
        position in one statement. The same checks as ``do_send`` (``actions.plain_message``).
        ``None``: this message goes the usual way (``_store``): a conversation not joined on this
        socket, a quote, an answer, an override, a guardrail concern, a family writing privately,
        a repeated key, SQLite, or any failure of the loop's connection (the usual way then finds
        what the loop stored, if anything; a message stored but never told to the others, by a
        connection lost between its commit and its answer, reaches them at their next
        reconnection or page, as every message does)."""
        conversation = self.joined.get(conversation_id) if isinstance(conversation_id, int) else None
        if conversation is None or not db.loop_connection_available():
            return None
        if content.get("quote") or content.get("question") or content.get("guardrail_reason"):
            return None
        body = str(content.get("body") or "")
        with scopes_disabled():  # reviewed: plain_message checks the membership against the roster read here
            statements = actions.send_facts_statements(conversation, self.user, body)
            try:
                rows = await db.aread(statements)
            except psycopg.Error:
                return None
            facts = actions.send_facts_from_rows(conversation, body, rows)
            message = actions.plain_message(
                conversation, acting_user=self.user, body=body, client_key=client_key, facts=facts
            )
            if message is None:
                return None
            try:
                ((pk,),) = await db.awrite(actions.insert_with_read_position(message, conversation, self.user))
            except psycopg.Error:
                return None
            db.adopt_inserted(message, pk)
            event = group_event(message, "message", facts.members, conversation)
        reply = {"type": "sent", "client_key": client_key, "message": event["message"] | {"html": own_html(event)}}
        return reply, [event]

    @database_sync_to_async
    def _store(self, conversation_id, content, client_key):
        """The usual way (see ``_store_on_the_loop``), one trip to the database thread: store the
        message (``do_send`` checks the membership) and prepare what the group is told, with the
        members as the roster says now.

        On Channels' one thread for the process's database work, as every other call: running it on
        a pool of threads instead (tried for issue 19) made the threads and the event loop fight for
        the interpreter, and the chat's median went from 30 to 350 ms (docs/benchmarks.md)."""

        def as_int(value):
            return value if isinstance(value, int) and not isinstance(value, bool) else None

        conversation = self.joined.get(conversation_id) if isinstance(conversation_id, int) else None
        if conversation is None:
            conversation, _role = access_conversation(self.user, conversation_id)
        with counting_warnings(), scopes_disabled():  # reviewed: do_send checks membership
            # The roster as it is now, read once with the rest of what storing the message needs:
            # do_send checks the sender against it, and the group event carries it so that every
            # socket checks its own user (no query there).
            body = str(content.get("body") or "")
            facts = actions.read_send_facts(conversation, self.user, body)
            members = facts.members
            message, replies = actions.do_send(
                conversation,
                acting_user=self.user,
                body=body,
                quote_id=as_int(content.get("quote")),
                question_id=as_int(content.get("question")),
                client_key=client_key,
                guardrail_reason=str(content.get("guardrail_reason") or ""),
                facts=facts,
            )
            if getattr(message, "duplicate", False):
                # Sent before with this key: the others have it already; the sender gets it again.
                own = draw_for_readers(message, conversation, members, fresh=False).get(OWN, "")
                return {"type": "sent", "client_key": client_key, "message": payload(message) | {"html": own}}, []
            events = [group_event(item, "message", members, conversation) for item in [message, *replies]]
            question = queries.answered_question(message)
            if question is not None:
                events.append(group_event(question, "answered", members, conversation))
            reply = {
                "type": "sent",
                "client_key": client_key,
                "message": events[0]["message"] | {"html": own_html(events[0])},
            }
        return reply, events

    async def _read(self, conversation_id, content):
        up_to = content.get("up_to")
        if not isinstance(up_to, int) or isinstance(up_to, bool):
            return

        def mark():
            conversation = self.joined.get(conversation_id) if isinstance(conversation_id, int) else None
            if conversation is None:
                conversation, _role = access_conversation(self.user, conversation_id)
            with scopes_disabled():  # reviewed: the member's own read position
                actions.mark_read(conversation, self.user, up_to)

        await database_sync_to_async(mark)()

    # --- group events ----------------------------------------------------------------------------

    async def chat_message(self, event):
        message = event["message"]
        conversation_id = message["conversation"]
        if conversation_id not in self.joined:
            return
        if self.user.pk not in event.get("members", ()):
            # No longer a member by the roster (a child left the class, a teacher was reassigned).
            del self.joined[conversation_id]
            await self.channel_layer.group_discard(group_name(conversation_id), self.channel_name)
            await self.send_json({"type": "removed", "conversation": conversation_id})
            return
        staff = event.get("staff", ())
        role = STAFF if self.user.pk in staff else FAMILY
        if not sees_message(role, self.user.pk, visible_to_all=message["visible_to_all"], sender_id=message["sender"]):
            return  # someone else's unanswered question in Q&A mode
        # The frame of the message drawn for this kind of member, sent as it came (``live.group_event``).
        key = reader_key(self.user.pk, sender=event["sender"], staff=staff, moderators=event.get("moderators", ()))
        await self.send(text_data=frame_for(event, key))
