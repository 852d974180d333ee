"""Issue 19: a chat message sent over the chat socket raises the 消息 badge of every open Tongxin
page of the members (ws/events), not only of the open conversation: not the sender's, not a
non-member's; a conversation started after the page opened counts too; and a page that
reconnects starts with the right count. The real ASGI application (origin check, session, both
consumers, home.badges), on the configured channel layer."""

import pytest
from asgiref.sync import sync_to_async
from django_scopes import scopes_disabled

from chat.models import Conversation
from chat.tests.test_consumers import join, socket_of
from delivery.tests.test_consumers import communicator, session_cookie

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


@pytest.fixture
def live_cast(transactional_db):
    from conftest import build_cast

    return build_cast()


async def events_of(user):
    ws = communicator(await sync_to_async(session_cookie)(user))
    connected, _ = await ws.connect()
    assert connected
    assert (await ws.receive_json_from(timeout=5))["type"] == "hello"
    return ws


def _open_group(cast) -> int:
    from chat.actions import class_group

    with scopes_disabled():
        group = class_group(cast.class1)
        Conversation.objects.filter(pk=group.pk).update(mode=Conversation.Mode.OPEN)
    return group.pk


def _private(cast) -> int:
    from chat.actions import private_conversation

    with scopes_disabled():
        return private_conversation(cast.ms_li, cast.alice_child).pk


async def say(ws, conversation_id, body, key):
    await ws.send_json_to({"type": "send", "conversation": conversation_id, "body": body, "client_key": key})
    answer = await ws.receive_json_from(timeout=5)
    assert answer["type"] == "sent", answer
    # then its own copy, as every member's socket gets it
    assert (await ws.receive_json_from(timeout=5))["message"]["id"] == answer["message"]["id"]


async def badges(ws) -> int:
    answer = await ws.receive_json_from(timeout=5)
    assert answer["type"] == "badges", answer
    return answer["messages"]


async def test_a_socket_message_raises_the_members_badges_on_every_open_page(live_cast):
    group = await sync_to_async(_open_group)(live_cast)
    alice_page = await events_of(live_cast.alice)
    bob_page = await events_of(live_cast.bob)
    carol_page = await events_of(live_cast.carol)  # same school, another class: not a member
    for page in (alice_page, bob_page, carol_page):
        assert await badges(page) == 0

    teacher = await socket_of(live_cast.ms_li)
    assert (await join(teacher, group))["type"] == "joined"
    await say(teacher, group, "明天春游，请带水壶。", "t1")
    assert await badges(alice_page) == 1
    assert await badges(bob_page) == 1
    assert await carol_page.receive_nothing(timeout=0.3)

    alice = await socket_of(live_cast.alice)
    assert (await join(alice, group))["type"] == "joined"
    await say(alice, group, "收到，谢谢老师。", "a1")
    assert await badges(bob_page) == 2
    # Sending moved her read position past the teacher's message: her pages count again.
    assert await badges(alice_page) == 0
    assert (await teacher.receive_json_from(timeout=5))["message"]["body"] == "收到，谢谢老师。"

    # A private conversation started after her page opened: the page starts listening to it.
    private = await sync_to_async(_private)(live_cast)
    assert await alice_page.receive_nothing(timeout=0.3)  # counted again, nothing changed yet
    assert (await join(teacher, private))["type"] == "joined"
    await say(teacher, private, "王小明今天有点咳嗽，请留意。", "t2")
    assert await badges(alice_page) == 1
    assert await bob_page.receive_nothing(timeout=0.3)

    # A page that reconnects starts with the right count.
    await alice_page.disconnect()
    again = await events_of(live_cast.alice)
    assert await badges(again) == 1
    for ws in (again, bob_page, carol_page, teacher, alice):
        await ws.disconnect()
