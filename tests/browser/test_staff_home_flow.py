"""The teacher's home on a phone (issue 13): what happened and what waits, not three buttons.

李老师, head teacher of 三年级1班, has sent a notice (one family of two has read and confirmed
it), a parent asked a question in the class group, another wrote to her privately, a meeting is
held today and an agreed action is overdue. She opens the home page on her phone: the quick
actions sit in one row, each card has its line, nothing scrolls sideways at 390 px, and axe-core
finds nothing serious. She taps the question and lands on it in the class group.
"""

import datetime

import pytest
from django.utils import timezone
from django_scopes import scope, scopes_disabled

import conftest as cast_conftest

from .conftest import axe_check, sign_in

pytestmark = pytest.mark.browser


def test_a_head_teacher_sees_what_waits_on_her_phone(live_server, live_cast, phone_page):
    from chat.actions import class_group, do_send, private_conversation
    from contactbook.models import ActionItem, ContactRecord
    from events.models import Event
    from notices.actions import do_create_notice
    from notices.audience import TargetSpec
    from notices.fanout import fan_out
    from notices.models import Receipt, StudentReceipt
    from schools.roles import compute_roles

    cast = live_cast
    with scope(school=[cast.school.pk]):
        notice = do_create_notice(
            cast.school,
            acting_user=cast.ms_li,
            roles=compute_roles(cast.ms_li),
            title="春季运动会通知",
            body_html="<p>周五上午举行运动会，请穿校服。</p>",
            action="confirm",
            targets=[TargetSpec("class", class_id=cast.class1.pk)],
        )
        fan_out(notice)
        question, _ = do_send(class_group(cast.class1), acting_user=cast.alice, body="请问周五几点到校？")
        do_send(private_conversation(cast.ms_li, cast.bob_child), acting_user=cast.bob, body="老师，孩子明天请假一天")
    with scopes_disabled():
        now = timezone.now()
        Receipt.objects.filter(notice=notice, guardian=cast.alice_guardian).update(read_at=now, acted_at=now)
        StudentReceipt.objects.filter(notice=notice, student=cast.alice_child).update(done_at=now)
        noon = timezone.make_aware(datetime.datetime.combine(timezone.localdate(), datetime.time(12, 0)))
        meeting = Event.objects.create(
            school=cast.school,
            author=cast.ms_li,
            title="三年级1班家长开放日",
            starts_at=noon,
            ends_at=noon + datetime.timedelta(hours=2),
            place="三年级1班教室",
        )
        record = ContactRecord.objects.create(
            school=cast.school,
            term=cast.term,
            author=cast.ms_li,
            kind="phone",
            occurred_on=timezone.localdate(),
            summary="电话沟通",
        )
        ActionItem.objects.create(
            school=cast.school,
            record=record,
            description="把阅读书单发给家长",
            owner=cast.ms_li,
            due_on=timezone.localdate() - datetime.timedelta(days=2),
        )

    page = phone_page
    sign_in(page, live_server, "ms_li", cast_conftest.PASSWORD)
    page.goto(f"{live_server.url}/")

    # The quick actions: one row, not the page.
    quick = page.locator("nav.quick a")
    assert quick.count() == 3
    tops = {round(quick.nth(i).bounding_box()["y"]) for i in range(3)}
    assert len(tops) == 1, tops

    def card(heading_id: str):
        return page.locator(f"section[aria-labelledby={heading_id}]")

    sent = card("h-sent")
    assert sent.locator(f"a[href='/notices/{notice.pk}/results/']").count() == 1
    assert "50%" in sent.inner_text()  # read, and done, by one family of two
    waiting = card("h-waiting")
    assert waiting.locator("li").count() == 2 and "请问周五几点到校" in waiting.inner_text()
    assert card("h-today").locator(f"a[href='/events/{meeting.pk}/']").count() == 1
    todo = card("h-todo")
    assert "把阅读书单发给家长" in todo.inner_text() and todo.locator(".badge.warn").count() >= 1
    for heading_id in ("h-sent", "h-waiting", "h-today", "h-todo"):
        assert card(heading_id).locator("li.empty").count() == 0, heading_id

    # Mobile first: nothing wider than the phone.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    axe_check(page, label="the head teacher's home")

    with page.expect_navigation():
        waiting.locator(f"a[href$='#m{question.pk}']").click()
    assert f"/chat/{question.conversation_id}/" in page.url
    assert page.locator(f"#m{question.pk}").is_visible()
