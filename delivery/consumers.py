"""The in-app live channel: each signed-in user's socket joins the group ``user-<id>``, so later
features push badges and messages to it after their transaction commits."""

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer


def user_group(user_id: int) -> str:
    return f"user-{user_id}"


class UserEventsConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not await database_sync_to_async(lambda: user.is_active)():
            await self.close(code=4401)
            return
        self.group = user_group(user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send_json({"type": "hello", "user": user.pk})

    async def disconnect(self, code):
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        # Clients only listen on this socket; anything they send is answered, never acted on.
        await self.send_json({"type": "error", "detail": "read-only channel"})

    async def user_event(self, event):
        await self.send_json(event["payload"])
