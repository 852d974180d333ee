"""Live badges over ws/events (issue 17): a new notice and a new chat message update the unread
counts of every open page of the member, only theirs, and a socket that reconnects starts with
the right counts. channels' WebsocketCommunicator against the real ASGI application (the whole
stack: origin check, session, the consumer, home.badges)."""

import pytest
from asgiref.sync import sync_to_async
from django_scopes import scopes_disabled

from delivery.tests.test_consumers import communicator, session_cookie

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


@pytest.fixture
def live_cast(transactional_db):
    from conftest import build_cast

    return build_cast()


async def open_socket(user):
    ws = communicator(await sync_to_async(session_cookie)(user))
    connected, _ = await ws.connect()
    assert connected
    assert (await ws.receive_json_from(timeout=5))["type"] == "hello"
    return ws


def _publish(cast):
    data = {
        "title": "春游通知",
        "body": "周五春游。",
        "action": "confirm",
        "classes": [cast.class1.pk],
        "idempotency_key": "",
    }
    assert cast.client(cast.ms_li).post("/notices/new/", data).status_code == 302


def _say(cast, body):
    from chat.actions import class_group

    with scopes_disabled():
        group = class_group(cast.class1)
    response = cast.client(cast.ms_li).post(
        f"/api/v1/conversations/{group.pk}/messages", {"body": body}, content_type="application/json"
    )
    assert response.status_code == 201, response.content


async def test_new_notice_and_message_update_the_members_badges_only(live_cast):
    alice = await open_socket(live_cast.alice)
    alice_tab2 = await open_socket(live_cast.alice)  # a second open page of hers
    carol = await open_socket(live_cast.carol)  # same school, another class
    erin = await open_socket(live_cast.erin)  # school B
    for ws in (alice, alice_tab2, carol, erin):
        assert await ws.receive_json_from(timeout=5) == {"type": "badges", "notices": 0, "messages": 0}

    await sync_to_async(_publish)(live_cast)
    for ws in (alice, alice_tab2):
        assert await ws.receive_json_from(timeout=5) == {"type": "badges", "notices": 1, "messages": 0}
    assert await carol.receive_nothing(timeout=0.3)  # told to recount, nothing changed: nothing sent
    assert await erin.receive_nothing(timeout=0.3)

    await sync_to_async(_say)(live_cast, "明天请带水壶。")
    assert await alice.receive_json_from(timeout=5) == {"type": "badges", "notices": 1, "messages": 1}
    assert await alice_tab2.receive_json_from(timeout=5) == {"type": "badges", "notices": 1, "messages": 1}
    assert await carol.receive_nothing(timeout=0.3)
    assert await erin.receive_nothing(timeout=0.3)

    # A page that lost its socket and reconnects starts with the right counts.
    await alice.disconnect()
    again = await open_socket(live_cast.alice)
    assert await again.receive_json_from(timeout=5) == {"type": "badges", "notices": 1, "messages": 1}
    for ws in (again, alice_tab2, carol, erin):
        await ws.disconnect()


async def test_reading_then_reconnecting_shows_the_lower_count(live_cast):
    await sync_to_async(_publish)(live_cast)

    def read_it():
        from notices.models import Notice

        with scopes_disabled():
            notice = Notice.objects.get(title="春游通知")
        live_cast.client(live_cast.alice).post(f"/notices/{notice.pk}/")  # read and confirmed

    ws = await open_socket(live_cast.alice)
    assert (await ws.receive_json_from(timeout=5))["notices"] == 1
    await ws.disconnect()
    await sync_to_async(read_it)()
    ws = await open_socket(live_cast.alice)
    assert (await ws.receive_json_from(timeout=5))["notices"] == 0
    await ws.disconnect()
