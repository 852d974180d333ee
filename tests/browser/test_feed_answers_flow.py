"""One-tap answers in the families' feed, in a real browser on a phone (issue 13).

李老师 invites 三年级1班 to a parent meeting. The parent alice opens her notices on her phone: the
invitation's item says what it wants (回复是否参加) and whom it is about (刘小明 · 三年级1班), and
carries the two answers. She taps 参加 once: the page comes back to the same item, which now shows
her answer and no longer waits. axe-core checks the feed before and after.
"""

import datetime

import pytest
from django.utils import timezone
from django_scopes import scope, scopes_disabled

import conftest as cast_conftest

from .conftest import axe_check, sign_in

pytestmark = pytest.mark.browser


def test_a_parent_answers_an_invitation_from_the_feed_in_one_tap(live_server, live_cast, phone_page):
    from events.actions import EventFields, do_create_event
    from events.models import Rsvp
    from notices.audience import TargetSpec
    from notices.fanout import fan_out
    from notices.models import Notice
    from schools.roles import compute_roles

    starts = timezone.now() + datetime.timedelta(days=2)
    with scope(school=[live_cast.school.pk]):
        event = do_create_event(
            live_cast.school,
            acting_user=live_cast.ms_li,
            roles=compute_roles(live_cast.ms_li),
            fields=EventFields(
                kind="parent_meeting",
                title="期中家长会",
                starts_at=starts,
                ends_at=starts + datetime.timedelta(hours=1),
                place="三年级1班教室",
            ),
            targets=[TargetSpec("class", class_id=live_cast.class1.pk)],
        )
        fan_out(Notice.objects.get(pk=event.notice_id or 0))

    page = phone_page
    sign_in(page, live_server, "13800000001", cast_conftest.PASSWORD)
    page.goto(f"{live_server.url}/notices/")
    item = page.locator(f"li#n-{event.notice_id}")
    assert "todo" in (item.get_attribute("class") or "")
    assert f"刘小明 · {live_cast.class1.name}" in item.inner_text()
    axe_check(page, label="feed with an invitation to answer")

    with page.expect_navigation():
        item.locator("button[name=answer][value=yes]").click()  # the one tap

    assert page.url.endswith(f"/notices/#n-{event.notice_id}"), page.url
    item = page.locator(f"li#n-{event.notice_id}")
    assert "todo" not in (item.get_attribute("class") or "")
    assert item.locator(".badge.ok").count() == 1
    assert item.locator("button[name=answer]").count() == 0  # nothing left to answer here
    assert page.locator("main ul.messages").count() == 1  # the result is said
    axe_check(page, label="feed after answering")
    with scopes_disabled():
        assert list(Rsvp.objects.filter(event=event).values_list("answer", "people")) == [("yes", 1)]
