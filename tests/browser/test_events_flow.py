"""A parent meeting from invitation to minutes in a real browser on phone-sized screens (issue 7).

The head teacher 李老师 creates a parent meeting for 三年级1班 an hour from now; the parent alice,
on her own phone, finds the invitation in her notices, says she will come with two people and
reads her sign-in code; at the door 李老师 types that code on her phone and alice is signed in;
after the meeting (its start moved into the past, as if the hour had gone by) 李老师 publishes
the minutes with a resolution; bob's family did not come, so his child appears in her to-do list
as a family to follow up. axe-core checks every page on the way.
"""

import datetime

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

import conftest as cast_conftest

from .conftest import PHONE, TIMEOUT_MS, axe_check, sign_in, submit

pytestmark = pytest.mark.browser

EVENT_FORM = "form#event-form"


def _main_text(page) -> str:
    return page.locator("main").inner_text()


def test_head_teacher_invites_a_parent_replies_is_signed_in_minutes_and_the_absent_family_is_followed_up(
    live_server, live_cast, phone_page, browser, settings
):
    settings.SITE_URL = live_server.url  # the invitation's links are absolute (they go by email too)
    from events.models import Attendance, Event, FollowUp, Rsvp

    url = live_server.url
    page = phone_page
    sign_in(page, live_server, "ms_li", cast_conftest.PASSWORD)

    # (1) 李老师 creates the parent meeting.
    page.goto(f"{url}/events/new/")
    axe_check(page, label="new event (empty)")
    starts = timezone.localtime() + datetime.timedelta(hours=1)
    page.select_option(f"{EVENT_FORM} select[name=kind]", "parent_meeting")
    page.fill(f"{EVENT_FORM} input[name=title]", "期中家长会")
    page.fill(f"{EVENT_FORM} input[name=starts_at]", starts.strftime("%Y-%m-%dT%H:%M"))
    page.fill(f"{EVENT_FORM} input[name=ends_at]", (starts + datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
    page.fill(f"{EVENT_FORM} input[name=place]", "三年级1班教室")
    page.check(f"{EVENT_FORM} input[name=classes][value='{live_cast.class1.pk}']")
    submit(page, EVENT_FORM)
    with scopes_disabled():
        event = Event.objects.get(title="期中家长会")
    assert page.url.endswith(f"/events/{event.pk}/"), _main_text(page)
    axe_check(page, label="event page")

    # (2) alice finds the invitation, replies, and reads her code.
    context = browser.new_context(**PHONE)
    context.set_default_timeout(TIMEOUT_MS)
    parent = context.new_page()
    try:
        sign_in(parent, live_server, "13800000001", cast_conftest.PASSWORD)
        with parent.expect_navigation():
            parent.locator("nav.tabbar a[href='/notices/']").click()
        with parent.expect_navigation():
            parent.locator(f"main a[href='/notices/{event.notice_id}/']").first.click()
        axe_check(parent, label="invitation notice")
        with parent.expect_navigation():
            parent.locator(f"main a[href$='/events/{event.pk}/invitation/']").click()
        assert "刘小明" in _main_text(parent)  # whom the reply covers
        axe_check(parent, label="invitation")
        parent.check("main input[name=answer][value=yes]")
        parent.fill("main input[name=people]", "2")
        submit(parent, "main form:has(input[name=op][value=rsvp])")
        assert parent.locator("main ul.messages li.msg-success").count() == 1, _main_text(parent)
        code = parent.locator("main strong.code").inner_text().strip()
        assert parent.locator("main img.qr").count() == 1
        axe_check(parent, label="invitation (replied)")
    finally:
        context.close()
    with scopes_disabled():
        assert list(Rsvp.objects.values_list("answer", "people")) == [("yes", 2)]

    # (3) At the door 李老师 types alice's code.
    page.goto(f"{url}/events/{event.pk}/checkin/")
    axe_check(page, label="sign-in at the door")
    page.fill("form#checkin-form input[name=code]", code)
    submit(page, "form#checkin-form")
    assert "刘爱丽" in page.locator("main ul.messages").inner_text(), _main_text(page)
    with scopes_disabled():
        assert Attendance.objects.get().receipt.guardian.user == live_cast.alice

    # (4) The hour goes by; 李老师 publishes the minutes with a resolution.
    with scopes_disabled():
        start = timezone.now() - datetime.timedelta(minutes=5)
        Event.objects.filter(pk=event.pk).update(starts_at=start, ends_at=start + datetime.timedelta(hours=1))
    page.goto(f"{url}/events/{event.pk}/minutes/")
    axe_check(page, label="minutes (empty)")
    page.fill("main textarea[name=minutes]", "通报了期中学习情况，讨论了课后阅读安排。")
    page.fill("main textarea[name=resolutions]", "整理家长建议 | 李老师")
    submit(page, "main form:has(textarea[name=minutes])")
    assert page.url.endswith(f"/events/{event.pk}/"), _main_text(page)
    with scopes_disabled():
        follow_up = FollowUp.objects.get()
        assert follow_up.student == live_cast.bob_child and follow_up.owner == live_cast.ms_li

    # (5) bob's family did not come: his child is in 李老师's to-do list.
    page.goto(f"{url}/contacts/todo/")
    absent = page.locator("main section[aria-labelledby=h-absent]")
    assert "陈小红" in absent.inner_text(), _main_text(page)
    assert "刘小明" not in absent.inner_text()
    assert "整理家长建议" in page.locator("main section[aria-labelledby=h-resolutions]").inner_text()
    axe_check(page, label="to-do with follow-ups")
