"""Issue 19: on PostgreSQL the chat socket stores an everyday message from its event loop, on the
loop's own connections (``core.db``, ``ChatConsumer._store_on_the_loop``), and everything else the
usual way, on the database thread (``ChatConsumer._store``, ``do_send``). Which way a message went
is seen by counting the calls of ``_store``; what was stored and told is checked either way."""

import pytest
from asgiref.sync import sync_to_async
from django.db import connection
from django.utils import translation
from django_scopes import scopes_disabled

from chat.consumers import ChatConsumer
from chat.models import Message, Participant
from core import db

from .test_consumers import _group, _set_mode, join, socket_of

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]
POSTGRES = connection.vendor == "postgresql"


@pytest.fixture
def live_cast(transactional_db):
    from conftest import build_cast

    return build_cast()


@pytest.fixture
def usual_way(monkeypatch):
    """The messages that went the usual way (``ChatConsumer._store``), by body."""
    bodies: list[str] = []
    original = ChatConsumer.__dict__["_store"]  # database_sync_to_async's wrapper, bound below

    async def counted(self, conversation_id, content, client_key):
        bodies.append(content.get("body"))
        return await original.__get__(self, ChatConsumer)(conversation_id, content, client_key)

    monkeypatch.setattr(ChatConsumer, "_store", counted)
    return bodies


@pytest.fixture
def loop_statements(monkeypatch):
    sent: list[str] = []
    monkeypatch.setattr(db, "loop_statements", sent)
    return sent


def _stored(conversation_id, user):
    with scopes_disabled():
        messages = list(Message.objects.filter(conversation_id=conversation_id).values_list("pk", "body", "sender_id"))
        position = Participant.objects.filter(conversation_id=conversation_id, user=user).values_list(
            "last_read_id", flat=True
        )
        return messages, list(position)


async def _sent_and_delivered(sender, receiver, group_id, body, key):
    await sender.send_json_to({"type": "send", "conversation": group_id, "body": body, "client_key": key})
    answers = [await sender.receive_json_from(timeout=5) for _ in range(2)]  # its answer and its own copy
    assert sorted(a["type"] for a in answers) == ["message", "sent"], answers
    delivered = await receiver.receive_json_from(timeout=5)
    assert delivered["type"] == "message" and delivered["message"]["body"] == body
    assert body in delivered["message"]["html"]  # drawn for the receiver, as on the other way
    return delivered["message"]["id"]


async def test_an_everyday_message_is_stored_from_the_event_loop(live_cast, usual_way, loop_statements):
    group = await sync_to_async(_group)(live_cast)
    await sync_to_async(_set_mode)(group.pk, "open")
    alice, bob = await socket_of(live_cast.alice), await socket_of(live_cast.bob)
    await join(alice, group.pk)
    await join(bob, group.pk)
    first = await _sent_and_delivered(alice, bob, group.pk, "老师好，明天的手工课要带剪刀吗？", "k1")
    second = await _sent_and_delivered(alice, bob, group.pk, "谢谢老师", "k2")
    messages, position = await sync_to_async(_stored)(group.pk, live_cast.alice)
    assert [(pk, body) for pk, body, _sender in messages] == [
        (first, "老师好，明天的手工课要带剪刀吗？"),
        (second, "谢谢老师"),
    ]
    assert position == [second]  # her row made at the first message, moved at the second
    if POSTGRES:
        assert usual_way == []
        assert len(loop_statements) == 4  # per message: the reads in one text, then one statement
        assert "chat_participant" in loop_statements[0] and loop_statements[1].startswith("WITH m AS (INSERT")
    else:  # no loop connection: the usual way, every time
        assert usual_way == ["老师好，明天的手工课要带剪刀吗？", "谢谢老师"] and loop_statements == []
    await alice.disconnect()
    await bob.disconnect()


async def test_a_message_that_needs_more_goes_the_usual_way(live_cast, usual_way, loop_statements):
    """A quote (read and checked by ``do_send``), a guardrail concern (a warning to count), a
    repeated key (the first message to find): on the database thread, with every rule there."""
    group = await sync_to_async(_group)(live_cast)
    await sync_to_async(_set_mode)(group.pk, "open")
    teacher, bob = await socket_of(live_cast.ms_li), await socket_of(live_cast.bob)
    await join(teacher, group.pk)
    await join(bob, group.pk)
    first = await _sent_and_delivered(teacher, bob, group.pk, "周五开家长会", "t1")
    await teacher.send_json_to(
        {"type": "send", "conversation": group.pk, "body": "地点在三楼", "client_key": "t2", "quote": first}
    )
    answers = [await teacher.receive_json_from(timeout=5) for _ in range(2)]
    assert {a["message"]["quote"]["id"] for a in answers} == {first}
    assert (await bob.receive_json_from(timeout=5))["message"]["quote"]["id"] == first
    await teacher.send_json_to({"type": "send", "conversation": group.pk, "body": "刘小明数学考了59分，全班最低。"})
    assert (await teacher.receive_json_from(timeout=5))["type"] == "warning"
    await teacher.send_json_to({"type": "send", "conversation": group.pk, "body": "周五开家长会", "client_key": "t1"})
    again = await teacher.receive_json_from(timeout=5)
    assert again["type"] == "sent" and again["message"]["id"] == first
    assert await bob.receive_nothing(timeout=0.5)  # told once, the first time
    messages, _position = await sync_to_async(_stored)(group.pk, live_cast.ms_li)
    assert len(messages) == 2
    if POSTGRES:
        # The warning and the repeated key were tried on the loop first, then went the usual way.
        assert usual_way == ["地点在三楼", "刘小明数学考了59分，全班最低。", "周五开家长会"]
    else:
        assert len(usual_way) == 4
    await teacher.disconnect()
    await bob.disconnect()


def _cut(pids):
    with connection.cursor() as cursor:
        for pid in pids:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])


@pytest.mark.skipif(not POSTGRES, reason="the event loop's own connection exists only on PostgreSQL")
async def test_a_lost_loop_connection_costs_no_message(live_cast, usual_way):
    """PostgreSQL ended the loop's connection (a restart, a network cut): the next message goes
    the usual way, and the one after has a new loop connection."""
    group = await sync_to_async(_group)(live_cast)
    await sync_to_async(_set_mode)(group.pk, "open")
    alice, bob = await socket_of(live_cast.alice), await socket_of(live_cast.bob)
    await join(alice, group.pk)
    await join(bob, group.pk)
    await _sent_and_delivered(alice, bob, group.pk, "第一条", "c1")
    pids = db.loop_backend_pids()
    assert len(pids) == 1
    await sync_to_async(_cut)(pids)
    await _sent_and_delivered(alice, bob, group.pk, "第二条", "c2")
    assert usual_way == ["第二条"]
    await _sent_and_delivered(alice, bob, group.pk, "第三条", "c3")
    assert usual_way == ["第二条"]  # the loop has a connection again
    messages, _position = await sync_to_async(_stored)(group.pk, live_cast.alice)
    assert [body for _pk, body, _sender in messages] == ["第一条", "第二条", "第三条"]
    await alice.disconnect()
    await bob.disconnect()


def _leave_class(student_id):
    from schools.models import Student

    with scopes_disabled():
        Student.objects.filter(pk=student_id).update(status=Student.Status.LEFT)


def _mute(conversation_id, user):
    with scopes_disabled():
        Participant.objects.filter(conversation_id=conversation_id, user=user).update(muted=True, muted_reason="刷屏")


async def test_who_may_not_post_is_refused_on_the_loop_too(live_cast, usual_way):
    """The loop's way checks what ``do_send`` checks, from the roster and the rows it reads: a
    parent whose child left the class while the socket was open, and a muted parent, are refused
    with a clear message, nothing is stored, and nobody is told."""
    group = await sync_to_async(_group)(live_cast)
    await sync_to_async(_set_mode)(group.pk, "open")
    alice, bob, teacher = [await socket_of(u) for u in (live_cast.alice, live_cast.bob, live_cast.ms_li)]
    for ws in (alice, bob, teacher):
        await join(ws, group.pk)
    await _sent_and_delivered(bob, teacher, group.pk, "老师好", "b1")  # bob's row exists from here
    await alice.receive_json_from(timeout=5)  # (alice got bob's message)
    await sync_to_async(_mute)(group.pk, live_cast.bob)
    await sync_to_async(_leave_class)(live_cast.alice_child.pk)
    no_longer = "You are no longer a member of this conversation."
    with translation.override("zh-hans"):
        no_longer_zh = translation.gettext(no_longer)
    for ws, said in ((bob, lambda d: "刷屏" in d), (alice, lambda d: d in (no_longer, no_longer_zh))):
        await ws.send_json_to({"type": "send", "conversation": group.pk, "body": "再说一句", "client_key": "x"})
        refused = await ws.receive_json_from(timeout=5)
        assert refused["type"] == "error" and said(refused["detail"]), refused
    assert await teacher.receive_nothing(timeout=0.5)
    messages, _position = await sync_to_async(_stored)(group.pk, live_cast.bob)
    assert [body for _pk, body, _sender in messages] == ["老师好"]
    if POSTGRES:
        assert usual_way == []  # refused on the loop, not after a second try on the thread
    for ws in (alice, bob, teacher):
        await ws.disconnect()


@pytest.mark.skipif(not POSTGRES, reason="the event loop's own connections exist only on PostgreSQL")
async def test_the_loop_uses_a_few_connections_at_most(settings):
    """Statements at once run on several of the loop's connections (a slow commit does not hold up
    every socket), never on more than ``TONGXIN_LOOP_CONNECTIONS``; one after another, on one."""
    import asyncio

    settings.TONGXIN_LOOP_CONNECTIONS = 2

    async def slow_read():
        ((pid, _slept),) = (await db.aread([("SELECT pg_backend_pid(), pg_sleep(0.05)", [])]))[0]
        return pid

    pids = await asyncio.gather(*(slow_read() for _ in range(6)))
    assert len(set(pids)) == 2  # six at once: two connections, each used three times
    assert sorted(db.loop_backend_pids()) == sorted(set(pids))  # both kept for the next ones
    db.forget_loop_connections()
    assert len({await slow_read() for _ in range(3)}) == 1  # one after another: one connection


async def test_delivering_a_message_makes_no_trip_to_the_database_thread(live_cast, monkeypatch):
    """A socket delivers a group event without a trip to Channels' database thread (``core.sockets``:
    Channels makes one before every event, 45 for a class message); the sender's store is the only
    trip, and on PostgreSQL not even that."""
    from asgiref.sync import SyncToAsync

    group = await sync_to_async(_group)(live_cast)
    await sync_to_async(_set_mode)(group.pk, "open")
    alice, bob = await socket_of(live_cast.alice), await socket_of(live_cast.bob)
    await join(alice, group.pk)
    await join(bob, group.pk)
    trips: list[str] = []
    original = SyncToAsync.__call__

    async def counted(self, *args, **kwargs):
        trips.append(getattr(self.func, "__name__", repr(self.func)))
        return await original(self, *args, **kwargs)

    monkeypatch.setattr(SyncToAsync, "__call__", counted)
    await _sent_and_delivered(alice, bob, group.pk, "明天升旗仪式，请穿校服", "k1")
    await _sent_and_delivered(bob, alice, group.pk, "收到", "k2")
    assert trips == ([] if POSTGRES else ["_store", "_store"])
    await alice.disconnect()
    await bob.disconnect()
