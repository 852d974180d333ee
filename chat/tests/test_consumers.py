"""The chat socket ws/chat/: who may not join, Q&A live, a removed member stops receiving on an open
socket, a reconnecting client catches up, a double send is stored once, bad input keeps the socket
usable. Runs on the configured channel layer (channels-redis when REDIS_URL is set)."""

import pytest
from asgiref.sync import sync_to_async
from django_scopes import scopes_disabled

from chat.models import Conversation, Message
from delivery.tests.test_consumers import communicator, session_cookie

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


@pytest.fixture
def live_cast(transactional_db):
    from conftest import build_cast

    return build_cast()


def _group(cast) -> Conversation:
    from chat.actions import class_group

    with scopes_disabled():
        return class_group(cast.class1)


def _count(model, **filters) -> int:
    with scopes_disabled():
        return model.objects.filter(**filters).count()


async def count(model, **filters) -> int:
    return await sync_to_async(_count)(model, **filters)


def _recall(message_id):
    from django.utils import timezone

    with scopes_disabled():
        Message.objects.filter(pk=message_id).update(recalled_at=timezone.now())


def _set_mode(conversation_id, mode):
    with scopes_disabled():
        Conversation.objects.filter(pk=conversation_id).update(mode=mode)


async def socket_of(user):
    ws = communicator(await sync_to_async(session_cookie)(user))
    ws.path = "/ws/chat/"
    ws.scope["path"] = "/ws/chat/"
    connected, _code = await ws.connect()
    assert connected
    assert (await ws.receive_json_from(timeout=5))["type"] == "hello"
    return ws


async def join(ws, conversation_id, after=0) -> dict:
    await ws.send_json_to({"type": "join", "conversation": conversation_id, "after": after})
    return await ws.receive_json_from(timeout=5)


async def test_anonymous_socket_is_closed(live_cast):
    from channels.testing import WebsocketCommunicator

    from tongxin.asgi import application

    ws = WebsocketCommunicator(
        application, "/ws/chat/", headers=[(b"origin", b"http://127.0.0.1:8000"), (b"host", b"127.0.0.1")]
    )
    connected, code = await ws.connect()
    assert not connected and code == 4401


async def test_outsiders_and_forged_ids_are_refused_and_the_socket_stays_usable(live_cast):
    group = await sync_to_async(_group)(live_cast)
    for user in (live_cast.carol, live_cast.erin, live_cast.dave):
        ws = await socket_of(user)
        answer = await join(ws, group.pk)
        assert answer["type"] == "error" and answer["conversation"] == group.pk
        await ws.send_json_to({"type": "send", "conversation": group.pk, "body": "我也想说"})
        assert (await ws.receive_json_from(timeout=5))["type"] == "error"
        for forged in (999999, "1; DROP TABLE", None, True):
            assert (await join(ws, forged))["type"] == "error"
        await ws.send_json_to(["not", "an", "object"])
        assert (await ws.receive_json_from(timeout=5))["type"] == "error"
        await ws.disconnect()
    assert await count(Message) == 0


async def test_qa_a_parent_asks_the_teacher_sees_it_the_other_parent_only_after_the_answer(live_cast):
    group = await sync_to_async(_group)(live_cast)
    teacher, alice, bob = [await socket_of(u) for u in (live_cast.ms_li, live_cast.alice, live_cast.bob)]
    for ws in (teacher, alice, bob):
        assert (await join(ws, group.pk))["type"] == "joined"
    await alice.send_json_to(
        {"type": "send", "conversation": group.pk, "body": "明天要带水彩笔吗？", "client_key": "k1"}
    )
    sent = await alice.receive_json_from(timeout=5)
    assert sent["type"] == "sent" and sent["message"]["kind"] == "question" and not sent["message"]["visible_to_all"]
    question_id = sent["message"]["id"]
    assert (await alice.receive_json_from(timeout=5))["message"]["id"] == question_id  # her own echo
    seen = await teacher.receive_json_from(timeout=5)
    assert seen["type"] == "message" and seen["message"]["body"] == "明天要带水彩笔吗？"
    assert await bob.receive_nothing(timeout=0.3)  # an unanswered question is not shown to other families
    await teacher.send_json_to(
        {
            "type": "send",
            "conversation": group.pk,
            "body": "要带，谢谢提醒。",
            "question": question_id,
            "client_key": "a1",
        }
    )
    assert (await teacher.receive_json_from(timeout=5))["type"] == "sent"
    answer = await bob.receive_json_from(timeout=5)
    assert answer["message"]["kind"] == "answer" and answer["message"]["question"] == question_id
    answered = await bob.receive_json_from(timeout=5)
    assert answered["type"] == "answered" and answered["message"]["id"] == question_id
    assert answered["message"]["visible_to_all"]
    for ws in (teacher, alice, bob):
        await ws.disconnect()


async def test_a_double_send_is_stored_once_and_a_reconnecting_client_gets_what_it_missed(live_cast):
    group = await sync_to_async(_group)(live_cast)
    await sync_to_async(_set_mode)(group.pk, "open")
    alice = await socket_of(live_cast.alice)
    await join(alice, group.pk)
    for _ in range(2):
        await alice.send_json_to(
            {"type": "send", "conversation": group.pk, "body": "谢谢老师", "client_key": "same-key"}
        )
    first = await alice.receive_json_from(timeout=5)
    received = [first]
    while not await alice.receive_nothing(timeout=0.5):
        received.append(await alice.receive_json_from(timeout=5))
    assert {r["message"]["id"] for r in received} == {first["message"]["id"]}
    assert sorted(r["type"] for r in received) == ["message", "sent", "sent"]  # one broadcast, two answers
    assert await count(Message, conversation=group) == 1
    await alice.disconnect()
    # While bob is away, the teacher writes twice; bob reconnects after the first message he saw.
    teacher = await socket_of(live_cast.ms_li)
    await join(teacher, group.pk)
    for text in ("周五运动会", "请穿校服"):
        await teacher.send_json_to({"type": "send", "conversation": group.pk, "body": text, "client_key": text})
        got = [await teacher.receive_json_from(timeout=5) for _ in range(2)]  # its answer and its own broadcast
        assert sorted(g["type"] for g in got) == ["message", "sent"]
    await sync_to_async(_recall)(first["message"]["id"])  # recalled while bob was away
    bob = await socket_of(live_cast.bob)
    caught_up = await join(bob, group.pk, after=first["message"]["id"])
    by_id = {m["id"]: m for m in caught_up["messages"]}
    assert [m["body"] for m in caught_up["messages"] if m["id"] > first["message"]["id"]] == ["周五运动会", "请穿校服"]
    assert by_id[first["message"]["id"]]["gone"] and by_id[first["message"]["id"]]["body"] == ""
    await teacher.disconnect()
    await bob.disconnect()


async def test_a_message_stored_while_a_socket_joins_reaches_it_live(live_cast, monkeypatch):
    """The socket listens before it reads the history: a message stored just after the read (the
    teacher's, from another process) comes live after ``joined``. Read first, listen second, and
    it would be in neither."""
    from chat import actions, live, queries

    group = await sync_to_async(_group)(live_cast)
    real_history = queries.history
    stored: list[int] = []

    def history_then_the_teachers_message(conversation, user, role, **kwargs):
        messages = real_history(conversation, user, role, **kwargs)
        if not stored:
            with scopes_disabled():
                message, _replies = actions.do_send(group, acting_user=live_cast.ms_li, body="明早七点半集合")
            live.broadcast(message)
            stored.append(message.pk)
        return messages

    monkeypatch.setattr(queries, "history", history_then_the_teachers_message)
    bob = await socket_of(live_cast.bob)
    joined = await join(bob, group.pk)
    assert joined["type"] == "joined" and stored
    assert stored[0] not in {m["id"] for m in joined["messages"]}
    arrived = await bob.receive_json_from(timeout=5)
    assert (arrived["type"], arrived["message"]["id"]) == ("message", stored[0])
    await bob.disconnect()


async def test_a_join_that_fails_reading_the_history_hears_nothing_live(live_cast, monkeypatch):
    """Listening first must not outlive a failed join: the socket leaves the group again, gets
    its error, and no message of a conversation it was never told it joined."""
    from django.http import Http404

    from chat import actions, live, queries

    group = await sync_to_async(_group)(live_cast)
    real_history = queries.history
    failures: list[int] = []

    def history_fails_once(*args, **kwargs):
        if not failures:
            failures.append(1)
            raise Http404
        return real_history(*args, **kwargs)

    def teacher_writes(body):
        with scopes_disabled():
            message, _replies = actions.do_send(group, acting_user=live_cast.ms_li, body=body)
        live.broadcast(message)
        return message.pk

    monkeypatch.setattr(queries, "history", history_fails_once)
    bob = await socket_of(live_cast.bob)
    assert (await join(bob, group.pk))["type"] == "error"
    await sync_to_async(teacher_writes)("第一条")
    assert await bob.receive_nothing(timeout=0.5)
    joined = await join(bob, group.pk)  # the next join works, and brings what he missed
    assert joined["type"] == "joined" and [m["body"] for m in joined["messages"]][-1] == "第一条"
    second = await sync_to_async(teacher_writes)("第二条")
    assert (await bob.receive_json_from(timeout=5))["message"]["id"] == second
    await bob.disconnect()


async def test_a_parent_whose_child_leaves_the_class_stops_receiving_on_an_open_socket(live_cast):
    group = await sync_to_async(_group)(live_cast)
    teacher, bob = await socket_of(live_cast.ms_li), await socket_of(live_cast.bob)
    await join(teacher, group.pk)
    await join(bob, group.pk)
    await teacher.send_json_to({"type": "send", "conversation": group.pk, "body": "第一条", "client_key": "1"})
    assert (await bob.receive_json_from(timeout=5))["message"]["body"] == "第一条"

    def move_bobs_child():
        from schools.models import Student

        with scopes_disabled():
            Student.objects.filter(pk=live_cast.bob_child.pk).update(school_class=live_cast.class2)

    await sync_to_async(move_bobs_child)()
    await teacher.send_json_to({"type": "send", "conversation": group.pk, "body": "第二条", "client_key": "2"})
    notice = await bob.receive_json_from(timeout=5)
    assert notice == {"type": "removed", "conversation": group.pk}
    assert await bob.receive_nothing(timeout=0.3)
    await bob.send_json_to({"type": "send", "conversation": group.pk, "body": "还能发吗"})
    assert (await bob.receive_json_from(timeout=5))["type"] == "error"  # and the socket is still open
    await teacher.disconnect()
    await bob.disconnect()


async def test_bad_messages_are_refused_with_a_clear_message_and_the_socket_stays_usable(live_cast):
    group = await sync_to_async(_group)(live_cast)
    teacher = await socket_of(live_cast.ms_li)
    await join(teacher, group.pk)
    for body in ("", "   ", "长" * 2001):
        await teacher.send_json_to({"type": "send", "conversation": group.pk, "body": body})
        assert (await teacher.receive_json_from(timeout=5))["type"] == "error"
    for kind in (["send"], {"a": 1}, 7, None):  # not a name of a request, hashable or not
        await teacher.send_json_to({"type": kind, "conversation": group.pk, "body": "x"})
        assert (await teacher.receive_json_from(timeout=5))["type"] == "error"
    await teacher.send_json_to({"type": "send", "conversation": group.pk, "body": "刘小明数学考了59分，全班最低。"})
    warning = await teacher.receive_json_from(timeout=5)
    assert warning["type"] == "warning" and warning["concerns"][0]["evidence"]
    from guardrails.models import GuardrailTally

    # Counted for the school's admins although the socket's transaction rolled back (counting_warnings).
    assert await count(GuardrailTally, code="scores", warned=1) == 1
    await teacher.send_json_to({"type": "send", "conversation": group.pk, "body": "明天见"})
    assert (await teacher.receive_json_from(timeout=5))["type"] == "sent"
    assert await count(Message) == 1
    await teacher.disconnect()
