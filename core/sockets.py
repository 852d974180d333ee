"""The base of Tongxin's sockets (issue 19).

Channels' consumers close the database thread's stale connections before handling any event
(``AsyncConsumer.dispatch`` awaits ``aclose_old_connections``): a trip to Channels' one thread for
database work, and a fight with the event loop for the interpreter lock, for every frame a socket
receives and every group event it delivers. A class-group message is delivered to 45 sockets, so
at 85 messages a second that was 3,800 trips a second to a thread that then did nothing; under
load each trip waits for the thread. Tongxin's sockets reach the database only through
``database_sync_to_async`` (which closes stale connections before and after each call) or the
event loop's own connections (``core.db``), so the trip is left out."""

from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncJsonWebsocketConsumer


class JsonSocket(AsyncJsonWebsocketConsumer):
    async def dispatch(self, message):
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)
