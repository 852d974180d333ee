"""One drawing of a message (``chat/rendering.py``): the page and the socket draw the same partial,
for each kind of reader the actions it may use, once per kind and not per member, from data
already loaded; and the socket delivers each member their own drawing (issue 13)."""

import json
import re

import pytest
from asgiref.sync import sync_to_async
from django.utils import translation
from django_scopes import scopes_disabled

from chat.access import FAMILY, STAFF, member_ids
from chat.actions import class_group, do_send
from chat.live import frame, frame_for, group_event, own_html
from chat.models import Conversation
from chat.rendering import MODERATOR, OWN, draw_for_readers, draw_history, reader_for, reader_key

from .test_chat import open_group, send

PIN = re.compile(r'name="op" value="pin"')
MUTE = re.compile(r'name="op" value="mute"')


def actions_in(html: str) -> set[str]:
    """The actions a drawing offers, by the forms it carries (language-independent)."""
    found = set()
    if 'name="quote"' in html:
        found.add("quote")
    if 'name="question"' in html:
        found.add("answer")
    if "/recall/" in html:
        found.add("recall")
    if PIN.search(html):
        found.add("pin")
    if "/remove/" in html:
        found.add("remove")
    if MUTE.search(html):
        found.add("mute")
    return found


def li_of(page: str, message_id: int) -> str:
    return re.search(rf'<li class="msg[^"]*" id="m{message_id}".*?</li>', page, re.S).group(0)


@pytest.mark.usefixtures("unscoped")
def test_a_question_is_drawn_once_per_kind_of_reader_with_the_actions_each_may_use(cast):
    group = open_group(cast, "qa")
    question, _ = do_send(group, acting_user=cast.alice, body="要带午饭吗？")
    members = member_ids(group)
    assert members.moderators == {cast.admin_zhang.pk, cast.ms_li.pk}  # the admin and the head teacher
    drawings = draw_for_readers(question, group, members, fresh=True)
    # Not shown to all yet: no drawing for the other families at all.
    assert set(drawings) == {"own", "moderator", "staff"}
    assert actions_in(drawings["moderator"]) == {"quote", "answer", "pin", "remove", "mute"}
    assert actions_in(drawings["staff"]) == {"quote", "answer"}  # 王老师 teaches, does not moderate
    assert actions_in(drawings["own"]) == {"quote", "recall"}
    assert 'class="msg mine question"' in drawings["own"] and "mine" not in drawings["staff"].split(">")[0]
    for html in drawings.values():
        assert "csrfmiddlewaretoken" not in html  # each page adds its own token

    do_send(group, acting_user=cast.ms_li, body="要带。", question_id=question.pk)
    question.refresh_from_db()
    answered = draw_for_readers(question, group, members, fresh=False)
    assert set(answered) == {"own", "moderator", "staff", "family"}  # now shown to the whole class
    assert actions_in(answered["family"]) == {"quote"}
    assert actions_in(answered["moderator"]) == {"quote", "pin", "remove", "mute"}  # answered: no 回复
    with translation.override("zh-hans"):
        assert all("已回答" in html for html in answered.values())


@pytest.mark.usefixtures("unscoped")
def test_each_member_gets_their_own_drawing(cast):
    group = open_group(cast, "qa")
    question, _ = do_send(group, acting_user=cast.alice, body="要带午饭吗？")
    event = group_event(question, "message", member_ids(group), group)
    key = {
        user.username: reader_key(user.pk, sender=event["sender"], staff=event["staff"], moderators=event["moderators"])
        for user in (cast.alice, cast.ms_li, cast.admin_zhang, cast.mr_wang, cast.bob)
    }
    assert key == {
        cast.alice.username: OWN,
        "ms_li": MODERATOR,
        cast.admin_zhang.username: MODERATOR,
        cast.mr_wang.username: "staff",
        cast.bob.username: "family",  # who would get nothing: the question is not shown to all yet
    }


@pytest.mark.usefixtures("unscoped")
def test_each_kind_of_member_gets_the_frame_of_its_drawing_and_the_payload_travels_once(cast):
    """The event carries the payload once and a drawing per kind of reader; the frame a socket sends
    is exactly the payload with its drawing (the payload alone for a kind with no drawing)."""
    group = open_group(cast, "qa")
    question, _ = do_send(group, acting_user=cast.alice, body='要带午饭吗？\n"雨伞"也要吗')
    event = group_event(question, "message", member_ids(group), group)
    drawings = draw_for_readers(question, group, member_ids(group), fresh=True)
    data = event["message"]
    for key, html in drawings.items():
        assert frame_for(event, key) == frame("message", data, html)
        assert json.loads(frame_for(event, key))["message"]["html"] == html
    assert frame_for(event, "family") == frame("message", data, "")  # not shown to the families yet
    assert own_html(event) == drawings[OWN]
    assert "html" not in event["message"] and "frames" not in event  # the payload once, without drawings
    # An event of a process not yet upgraded (a rolling restart) carried whole frames: still sent.
    former = {key: value for key, value in event.items() if key not in ("head", "drawings")}
    former["frames"] = {key: frame("message", data, html) for key, html in drawings.items()}
    assert all(frame_for(former, key) == frame_for(event, key) for key in (*drawings, "family"))


@pytest.mark.usefixtures("unscoped")
def test_a_broadcast_draws_without_asking_the_database_again(cast, django_assert_num_queries):
    """A new message is drawn from what sending loaded (the sender, the quote and its sender): no
    query, whatever the number of members; a changed one counts its readers in one query."""
    group = open_group(cast, "open")
    first, _ = do_send(group, acting_user=cast.ms_li, body="周五开运动会")
    quoting, _ = do_send(group, acting_user=cast.alice, body="收到", quote_id=first.pk)
    members = member_ids(group)
    with django_assert_num_queries(0):
        drawings = draw_for_readers(quoting, group, members, fresh=True)
    assert "周五开运动会" in drawings["family"]
    with django_assert_num_queries(1):
        draw_for_readers(first, group, members, fresh=False)


@pytest.mark.usefixtures("unscoped")
def test_the_sender_sees_the_read_count_in_every_drawing_of_their_message(cast):
    group = open_group(cast, "open")
    li = cast.client(cast.ms_li)
    message = send(li, group, "周五开运动会").json()
    for family in (cast.alice, cast.bob):
        cast.client(family).get(f"/chat/{group.pk}/")  # opening the page reads it
    with translation.override("zh-hans"):
        page = li.get(f"/chat/{group.pk}/").content.decode()
        assert "2 人已读" in li_of(page, message["id"])
        reader = reader_for(cast.ms_li, group, STAFF)
        from chat.models import Message

        stored = Message.objects.select_related("sender").get(pk=message["id"])
        assert "2 人已读" in draw_history(group, reader, [stored])[0]
        assert "2 人已读" in draw_for_readers(stored, group, member_ids(group), fresh=False)["own"]
        assert "人已读" not in draw_history(group, reader_for(cast.alice, group, FAMILY), [stored])[0]


@pytest.mark.usefixtures("unscoped")
def test_the_page_and_the_socket_draw_a_message_the_same_way(cast):
    """The page's drawing is the live one plus the page's CSRF token: nothing else differs."""
    group = open_group(cast, "qa")
    question, _ = do_send(group, acting_user=cast.alice, body="要带午饭吗？")
    page = cast.client(cast.ms_li).get(f"/chat/{group.pk}/").content.decode()
    on_page = li_of(page, question.pk)
    assert on_page.count("csrfmiddlewaretoken") == 4  # 置顶, 主题讨论, 删除, 禁言 post with the page's token
    live = draw_for_readers(question, group, member_ids(group), fresh=True)["moderator"].strip()
    assert re.sub(r'<input type="hidden" name="csrfmiddlewaretoken" value="[^"]+">', "", on_page) == live


@pytest.mark.usefixtures("unscoped")
def test_families_in_a_notice_first_group_are_offered_no_quote(cast):
    group = open_group(cast, "notice_first")
    message, _ = do_send(group, acting_user=cast.ms_li, body="明天停课")
    drawings = draw_for_readers(message, group, member_ids(group), fresh=True)
    assert actions_in(drawings["family"]) == set()
    assert "quote" in actions_in(drawings["own"])


@pytest.mark.usefixtures("unscoped")
def test_live_drawings_are_in_the_sites_language_whatever_the_senders(cast):
    group = open_group(cast, "open")
    message, _ = do_send(group, acting_user=cast.ms_li, body="hello")
    with translation.override("en"):
        drawings = draw_for_readers(message, group, member_ids(group), fresh=True)
    assert "引用" in drawings["family"] and "Quote" not in drawings["family"]


# --- on the socket ---------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_the_socket_sends_each_member_the_servers_drawing(transactional_db):
    from conftest import build_cast

    from .test_consumers import join, socket_of

    cast = await sync_to_async(build_cast)()

    def make_group():
        with scopes_disabled():
            group = class_group(cast.class1)
            welcome, _ = do_send(group, acting_user=cast.ms_li, body="欢迎")
            return group, welcome

    group, welcome = await sync_to_async(make_group)()
    assert group.mode == Conversation.Mode.QA
    teacher, alice, bob = [await socket_of(u) for u in (cast.ms_li, cast.alice, cast.bob)]
    joined = await join(teacher, group.pk)
    assert [m["id"] for m in joined["messages"]] == [welcome.pk]
    assert actions_in(joined["messages"][0]["html"]) == {"quote", "recall", "pin", "remove"}  # her own
    await join(alice, group.pk)
    await join(bob, group.pk)

    await alice.send_json_to({"type": "send", "conversation": group.pk, "body": "要带午饭吗？", "client_key": "q"})
    sent = await alice.receive_json_from(timeout=5)
    assert sent["type"] == "sent" and actions_in(sent["message"]["html"]) == {"quote", "recall"}
    assert actions_in((await alice.receive_json_from(timeout=5))["message"]["html"]) == {"quote", "recall"}
    arrived = await teacher.receive_json_from(timeout=5)
    assert arrived["type"] == "message"
    assert actions_in(arrived["message"]["html"]) == {"quote", "answer", "pin", "remove", "mute"}
    assert await bob.receive_nothing(timeout=0.3)

    question_id = arrived["message"]["id"]
    await teacher.send_json_to(
        {"type": "send", "conversation": group.pk, "body": "要带。", "question": question_id, "client_key": "a"}
    )
    assert (await teacher.receive_json_from(timeout=5))["type"] == "sent"
    answer = await bob.receive_json_from(timeout=5)
    assert answer["type"] == "message" and actions_in(answer["message"]["html"]) == {"quote"}
    answered = await bob.receive_json_from(timeout=5)
    assert answered["type"] == "answered" and answered["message"]["id"] == question_id
    assert f'id="m{question_id}"' in answered["message"]["html"] and actions_in(answered["message"]["html"]) == {
        "quote"
    }
    for ws in (teacher, alice, bob):
        await ws.disconnect()
