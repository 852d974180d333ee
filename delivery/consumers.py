"""The in-app live channel: each signed-in user's socket joins the group ``user-<id>`` and the
group of each of their schools (``school-<id>``), so features push badges and messages to it after
their transaction commits. On opening, and on each ``user.badges`` event, the socket sends the
user's unread counts (``{"type": "badges", "notices": n, "messages": m}``), counted by
``settings.DELIVERY_BADGES`` (home.badges: delivery sits below the apps that count)."""

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.utils.module_loading import import_string


def user_group(user_id: int) -> str:
    return f"user-{user_id}"


def school_group(school_id: int) -> str:
    return f"school-{school_id}"


class UserEventsConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not await database_sync_to_async(lambda: user.is_active)():
            await self.close(code=4401)
            return
        self.group = user_group(user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        counts = await self._counts()
        self.groups_joined = [school_group(school_id) for school_id in counts.pop("schools", [])]
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        await self.send_json({"type": "hello", "user": user.pk})
        self.last = counts
        await self.send_json({"type": "badges", **counts})

    async def _counts(self) -> dict:
        count = import_string(settings.DELIVERY_BADGES)
        return await database_sync_to_async(count)(self.scope["user"], self.scope.get("session"))

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
        counts = await self._counts()
        counts.pop("schools", None)
        if counts != getattr(self, "last", None):
            self.last = counts
            await self.send_json({"type": "badges", **counts})
