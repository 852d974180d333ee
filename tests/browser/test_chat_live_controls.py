"""The class group keeps its controls once the socket is live (issue 13).

The page draws each message with the server's partial (``chat/_message.html``): its time, its
question or answered state, the read count and the actions the viewer may use. The socket used to
redraw every message from its JSON a second after the page opened, dropping all of that, so a head
teacher on a phone could not answer a parent's question, remove, pin or mute. Now the socket sends
the same partial, drawn for the member, and this test checks, on a phone screen with axe-core:

- after the socket has joined, the head teacher's own message still has its read count and its
  actions (撤回, 置顶, 删除);
- a parent's question that arrives live has its state (问题，等待回答) and the head teacher's
  actions (引用, 回复, 置顶, 删除, 禁言);
- answering it from there works: the answer appears, and the question becomes visible to the class
  (seen live, in order, on the page of another family, bob, who could not see it before);
- removing a message that arrived live works (the live drawing's forms carry the page's CSRF
  token), and the other family sees it removed live.
"""

import re

import pytest
from django_scopes import scopes_disabled

import conftest as cast_conftest

from .conftest import PHONE, TIMEOUT_MS, axe_check, sign_in, submit

pytestmark = pytest.mark.browser

WELCOME = "欢迎各位家长加入班级群。"
QUESTION = "明天美术课要带水彩笔吗？"
ANSWER = "要带，另外带一块抹布。"
SECOND = "周五几点放学？"


def message_item(page, message_id: int):
    return page.locator(f"#messages li#m{message_id}")


def assert_moderation_actions(item, message_id: int, *, mute: bool) -> None:
    """置顶, 删除 and (for someone else's message) 禁言, as forms the head teacher can use."""
    assert item.locator("form:has(input[name=op][value=pin])").count() == 1
    assert item.locator(f"form[action$='/messages/{message_id}/remove/']").count() == 1
    assert item.locator("form:has(input[name=op][value=mute])").count() == (1 if mute else 0)


def test_the_head_teacher_keeps_the_controls_after_the_socket_joins_and_answers_a_live_question(
    asgi_server, browser, settings
):
    from chat.actions import class_group, do_send
    from chat.models import Message

    settings.ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
    cast = cast_conftest.build_cast()
    with scopes_disabled():
        group = class_group(cast.class1)
        assert group.mode == "qa"
        welcome, _replies = do_send(group, acting_user=cast.ms_li, body=WELCOME)
    url = f"{asgi_server.url}/chat/{group.pk}/"
    contexts = []

    def phone(login: str):
        context = browser.new_context(**PHONE)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        sign_in(page, asgi_server, login, cast_conftest.PASSWORD)
        page.goto(url)
        page.locator("#messages[data-live='1']").wait_for()  # the socket has joined and caught up
        return page

    try:
        # The two families open the group first (so the welcome is read by 2), then 李老师.
        alice = phone("13800000001")
        bob = phone("13800000002")
        teacher = phone("ms_li")

        # (1) After the socket joined, her own message is as the server drew it.
        mine = message_item(teacher, welcome.pk)
        assert "2 人已读" in mine.locator(".msg-head").inner_text()
        assert re.search(r"\d+月\d+日 \d\d:\d\d", mine.locator(".msg-head").inner_text())
        assert mine.locator(f"form[action$='/messages/{welcome.pk}/recall/']").count() == 1
        assert_moderation_actions(mine, welcome.pk, mute=False)
        axe_check(teacher, label="class group (head teacher, live)")

        # (2) alice asks; the question arrives live on 李老师's page with its state and her actions.
        alice.fill("#chat-form textarea[name=body]", QUESTION)
        submit(alice, "#chat-form")
        alice.locator("#messages[data-live='1']").wait_for()
        with scopes_disabled():
            question = Message.objects.get(body=QUESTION)
        item = message_item(teacher, question.pk)
        item.wait_for()  # arrived live, no reload
        assert "问题，等待回答" in item.locator(".msg-head").inner_text()
        assert item.locator("form:has(input[name=quote])").count() == 1  # 引用
        assert item.locator(f"form:has(input[name=question][value='{question.pk}'])").count() == 1  # 回复
        assert_moderation_actions(item, question.pk, mute=True)
        assert message_item(bob, question.pk).count() == 0  # not shown to other families yet
        axe_check(teacher, label="class group (a question arrived live)")

        # (3) She answers it from the live message; bob sees the question and the answer arrive.
        with teacher.expect_navigation():
            item.locator("form:has(input[name=question]) button").click()
        assert teacher.locator("#chat-form input[name=question]").get_attribute("value") == str(question.pk)
        teacher.fill("#chat-form textarea[name=body]", ANSWER)
        submit(teacher, "#chat-form")
        teacher.locator("#messages li", has_text=ANSWER).wait_for()
        assert "已回答" in message_item(teacher, question.pk).locator(".msg-head").inner_text()
        with scopes_disabled():
            answer = Message.objects.get(body=ANSWER)
            question.refresh_from_db()
            assert answer.question_id == question.pk and question.visible_to_all
        message_item(bob, answer.pk).wait_for()
        bobs_question = message_item(bob, question.pk)
        bobs_question.wait_for()
        assert QUESTION in bobs_question.inner_text() and "已回答" in bobs_question.inner_text()
        ids = [int(i) for i in bob.locator("#messages li[data-id]").evaluate_all("els => els.map(e => e.dataset.id)")]
        assert ids == sorted(ids) == [welcome.pk, question.pk, answer.pk]  # the question in its place
        assert bob.locator("#messages form:has(input[name=op])").count() == 0  # no moderation for families
        alices_question = message_item(alice, question.pk)
        alices_question.locator(".msg-head", has_text="已回答").wait_for()  # her own, updated live
        axe_check(bob, label="class group (another family, answered live)")

        # (4) bob asks too; 李老师 removes his question from its live drawing; he sees it removed.
        bob.fill("#chat-form textarea[name=body]", SECOND)
        submit(bob, "#chat-form")
        bob.locator("#messages[data-live='1']").wait_for()
        teacher.locator("#messages[data-live='1']").wait_for()
        with scopes_disabled():
            second = Message.objects.get(body=SECOND)
        live_item = message_item(teacher, second.pk)
        live_item.wait_for()
        live_item.locator("details:has(form[action$='/remove/']) summary").click()
        live_item.locator(f"input#why{second.pk}").fill("与班级无关")
        with teacher.expect_navigation():
            live_item.locator("form[action$='/remove/'] button[type=submit]").click()
        assert "已被老师移除" in message_item(teacher, second.pk).inner_text()
        message_item(bob, second.pk).locator("p", has_text="已被老师移除").wait_for()
        with scopes_disabled():
            second.refresh_from_db()
            assert second.removed_at is not None and second.removed_by_id == cast.ms_li.pk
    finally:
        for context in contexts:
            context.close()
