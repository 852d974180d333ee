"""A class group in Q&A mode, live, in two browsers on phone-sized screens (issue 6).

The page is served by a real ASGI server (uvicorn, in a thread of the test process, so it shares
the test database) because the live part is a WebSocket. The parent alice asks a question in
三年级1班's group; the head teacher 李老师, whose page is open, sees it arrive without reloading;
she answers it; alice, whose page is also open, sees the answer arrive. The other family (bob)
would see the question only once it is answered. axe-core checks the pages.
"""

import pytest
from django_scopes import scopes_disabled

import conftest as cast_conftest

from .conftest import PHONE, TIMEOUT_MS, axe_check, sign_in, submit

pytestmark = pytest.mark.browser

QUESTION = "明天美术课要带水彩笔吗？"
ANSWER = "要带，另外带一块抹布。"


def test_a_parent_asks_in_qa_mode_the_teacher_answers_both_see_it_live(asgi_server, browser, settings):
    from chat.actions import class_group
    from chat.models import Message

    settings.ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
    cast = cast_conftest.build_cast()
    with scopes_disabled():
        group = class_group(cast.class1)
        assert group.mode == "qa"
    url = f"{asgi_server.url}/chat/{group.pk}/"
    contexts = []

    def phone(login: str):
        context = browser.new_context(**PHONE)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        sign_in(page, asgi_server, login, cast_conftest.PASSWORD)
        page.goto(url)
        page.locator("#messages[data-live='1']").wait_for()  # the socket has joined
        return page

    try:
        teacher = phone("ms_li")
        axe_check(teacher, label="class group (teacher)")
        parent = phone("13800000001")
        axe_check(parent, label="class group (parent, Q&A)")
        assert "老师回答后全群可见" in parent.locator("label[for=id_body]").inner_text()

        # (1) alice asks; 李老师's open page shows the question without a reload.
        parent.fill("#chat-form textarea[name=body]", QUESTION)
        submit(parent, "#chat-form")
        assert QUESTION in parent.locator("#messages").inner_text()
        teacher.locator("#messages li", has_text=QUESTION).wait_for()  # arrived live, no reload
        with scopes_disabled():
            question = Message.objects.get(body=QUESTION)
            assert question.kind == "question" and not question.visible_to_all

        # (2) She answers it; alice's open page shows the answer without a reload.
        parent.locator("#messages[data-live='1']").wait_for()
        teacher.goto(f"{url}?question={question.pk}")
        assert teacher.locator("#chat-form input[name=question]").count() == 1
        teacher.fill("#chat-form textarea[name=body]", ANSWER)
        submit(teacher, "#chat-form")
        parent.locator("#messages li", has_text=ANSWER).wait_for()
        axe_check(parent, label="class group (answered, live)")
        with scopes_disabled():
            question.refresh_from_db()
            assert question.visible_to_all and question.answered_at is not None
            assert Message.objects.get(body=ANSWER).question_id == question.pk
    finally:
        for context in contexts:
            context.close()
