"""The WebSocket route ws/events/: who may NOT connect, and that a user's socket gets only their
own events. Runs on the configured channel layer (channels-redis when REDIS_URL is set)."""

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore

from delivery.consumers import user_group
from tongxin.asgi import application

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


def session_cookie(user) -> str:
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "accounts.backends.PhoneOrUsernameBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.save()
    return f"{settings.SESSION_COOKIE_NAME}={store.session_key}"


def communicator(cookie: str | None = None, origin: str = "http://127.0.0.1:8000") -> WebsocketCommunicator:
    headers = [(b"origin", origin.encode()), (b"host", b"127.0.0.1")]
    if cookie:
        headers.append((b"cookie", cookie.encode()))
    return WebsocketCommunicator(application, "/ws/events/", headers=headers)


@pytest.fixture
def live_cast(transactional_db):
    from conftest import build_cast

    return build_cast()


async def test_anonymous_socket_is_closed(live_cast):
    ws = communicator()
    connected, code = await ws.connect()
    assert not connected and code == 4401


async def test_socket_from_another_site_is_refused(live_cast):
    cookie = await sync_to_async(session_cookie)(live_cast.alice)
    ws = communicator(cookie, origin="https://evil.example")
    connected, _ = await ws.connect()
    assert not connected


async def test_user_receives_only_their_own_events(live_cast):
    alice = communicator(await sync_to_async(session_cookie)(live_cast.alice))
    bob = communicator(await sync_to_async(session_cookie)(live_cast.bob))
    assert (await alice.connect())[0] and (await bob.connect())[0]
    assert (await alice.receive_json_from(timeout=5))["type"] == "hello"
    assert (await bob.receive_json_from(timeout=5))["type"] == "hello"
    # Then each socket's own unread counts (delivery/tests/test_live_badges.py).
    assert (await alice.receive_json_from(timeout=5))["type"] == "badges"
    assert (await bob.receive_json_from(timeout=5))["type"] == "badges"
    layer = get_channel_layer()
    await layer.group_send(user_group(live_cast.alice.pk), {"type": "user.event", "payload": {"type": "badge", "n": 3}})
    assert await alice.receive_json_from(timeout=5) == {"type": "badge", "n": 3}
    assert await bob.receive_nothing(timeout=0.3)
    # Anything a client sends is refused and the socket stays usable.
    await alice.send_json_to({"subscribe": f"user-{live_cast.bob.pk}"})
    assert (await alice.receive_json_from(timeout=5))["type"] == "error"
    await layer.group_send(user_group(live_cast.bob.pk), {"type": "user.event", "payload": {"type": "badge", "n": 1}})
    assert await alice.receive_nothing(timeout=0.3)
    assert (await bob.receive_json_from(timeout=5))["n"] == 1
    await alice.disconnect()
    await bob.disconnect()


async def test_deactivated_user_cannot_connect(live_cast):
    from accounts.models import User

    cookie = await sync_to_async(session_cookie)(live_cast.carol)
    await sync_to_async(User.objects.filter(pk=live_cast.carol.pk).update)(is_active=False)
    connected, _ = await communicator(cookie).connect()
    assert not connected
