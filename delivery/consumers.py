"""The in-app live channel: each signed-in user's socket joins the group ``user-<id>`` and the
group of each of their schools (``school-<id>``), so features push badges and messages to it after
their transaction commits. On opening, and on each ``user.badges`` event, the socket sends the
user's unread counts (``{"type": "badges", "notices": n, "messages": m}``), counted by
``settings.DELIVERY_BADGES`` (home.badges: delivery sits below the apps that count)."""

from channels.db import database_sync_to_async
from django.conf import settings
from django.utils.module_loading import import_string

from core.sockets import JsonSocket


def user_group(user_id: int) -> str:
    return f"user-{user_id}"


def school_group(school_id: int) -> str:
    return f"school-{school_id}"


class UserEventsConsumer(JsonSocket):
    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not await database_sync_to_async(lambda: user.is_active)():
            await self.close(code=4401)
            return
        self.group = user_group(user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        self.groups_joined: list[str] = []
        counts = await self._counts()
        await self.accept()
        await self.send_json({"type": "hello", "user": user.pk})
        self.last = counts
        await self.send_json({"type": "badges", **counts})

    async def _counts(self) -> dict:
        """Count for this user, and listen to the groups the count names (their schools, their chat
        conversations: a conversation started since the last count is joined, one left is left)."""
        count = database_sync_to_async(import_string(settings.DELIVERY_BADGES))
        for _attempt in range(2):
            counts = await count(self.scope["user"], self.scope.get("session"))
            wanted = [school_group(school_id) for school_id in counts.pop("schools", [])] + counts.pop("groups", [])
            self.latest = counts.pop("latest", 0)
            new = set(wanted) - set(self.groups_joined)
            for group in new:
                await self.channel_layer.group_add(group, self.channel_name)
            for group in set(self.groups_joined) - set(wanted):
                await self.channel_layer.group_discard(group, self.channel_name)
            self.groups_joined = wanted
            if not new or _attempt or not hasattr(self, "last"):
                break  # (at connect, the page drawn a moment ago counted the same)
            # A group joined just now: count once more, so that a message stored between the count
            # and the join (which the group did not bring) is counted.
        return counts

    async def disconnect(self, code):
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        # Clients only listen on this socket; anything they send is answered, never acted on.
        await self.send_json({"type": "error", "detail": "read-only channel"})

    async def user_event(self, event):
        await self.send_json(event["payload"])

    async def user_badges(self, event):
        """Something may have changed the counts: recount, and tell the page only if they did."""
        await self._tell(await self._counts())

    async def chat_message(self, event):
        """A chat conversation of the user's had news (the same event its chat sockets get): a new
        message for this user raises the 消息 count by one without a query; anything else about a
        message makes the socket count again (``settings.DELIVERY_CHAT_BADGE``)."""
        change = import_string(settings.DELIVERY_CHAT_BADGE)(self.scope["user"].pk, event, self.latest)
        if change is None:
            await self._tell(await self._counts())
        elif change:
            await self._tell({**self.last, "messages": self.last.get("messages", 0) + change})

    async def _tell(self, counts: dict) -> None:
        if counts != getattr(self, "last", None):
            self.last = counts
            await self.send_json({"type": "badges", **counts})
