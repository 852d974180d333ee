"""Volunteers in a real browser on phone-sized screens (issue 14).

The head teacher 李老师 asks 三年级1班 for helpers at the sports meet (one slot starting in 40
minutes, so that check-in is open); the parent alice, on her own phone, offers to help from 我的 →
志愿服务, takes the place and reads her code; 李老师 types the code on the activity's page and the
hours reach alice's archive. axe-core checks every page on the way.
"""

import datetime

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

import conftest as cast_conftest

from .conftest import PHONE, TIMEOUT_MS, axe_check, sign_in, submit

pytestmark = pytest.mark.browser

FORM = "main form.card"


def _main_text(page) -> str:
    return page.locator("main").inner_text()


def test_a_teacher_asks_for_helpers_a_parent_takes_a_place_and_is_checked_in(
    school_day, live_server, live_cast, phone_page, browser
):
    from community.models import VolunteerActivity, VolunteerSignup

    url = live_server.url
    page = phone_page
    sign_in(page, live_server, "ms_li", cast_conftest.PASSWORD)

    # (1) 李老师 asks her class for helpers, from 我的.
    page.goto(f"{url}/me/")
    with page.expect_navigation():
        page.locator("main a[href='/volunteers/activities/']").click()
    axe_check(page, label="activities (empty)")
    with page.expect_navigation():
        page.locator("main a[href='/volunteers/activities/new/']").click()
    axe_check(page, label="new activity")
    start = timezone.localtime() + datetime.timedelta(minutes=40)  # 10:40 on the school day: one day
    end = start + datetime.timedelta(minutes=60)
    page.select_option(f"{FORM} select[name=class_id]", str(live_cast.class1.pk))
    page.select_option(f"{FORM} select[name=kind]", "sports_meet")
    page.fill(f"{FORM} input[name=title]", "秋季运动会")
    page.fill(f"{FORM} input[name=place]", "操场东门")
    page.fill(f"{FORM} input[name=day]", start.strftime("%Y-%m-%d"))
    page.fill(f"{FORM} textarea[name=slots]", f"{start:%H:%M}-{end:%H:%M} 检录 2")
    page.fill(f"{FORM} input[name=withdraw_until]", (start - datetime.timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M"))
    submit(page, FORM)
    with scopes_disabled():
        activity = VolunteerActivity.objects.get(title="秋季运动会")
    assert page.url.endswith(f"/volunteers/activities/{activity.pk}/manage/"), _main_text(page)
    axe_check(page, label="activity (staff)")

    # (2) alice offers to help and takes the place.
    context = browser.new_context(**PHONE)
    context.set_default_timeout(TIMEOUT_MS)
    parent = context.new_page()
    try:
        sign_in(parent, live_server, "13800000001", cast_conftest.PASSWORD)
        parent.goto(f"{url}/me/")
        with parent.expect_navigation():
            parent.locator("main a[href='/volunteers/']").click()
        axe_check(parent, label="volunteering (not yet)")
        parent.fill("main input[name=skills]", "摄影")
        parent.fill("main input[name=availability]", "周末")
        submit(parent, "main form[action='/volunteers/join/']")
        assert "秋季运动会" in _main_text(parent)
        with parent.expect_navigation():
            parent.locator(f"main a[href='/volunteers/activities/{activity.pk}/']").click()
        axe_check(parent, label="activity (family)")
        submit(parent, "main form[action$='/sign-up/']")
        assert parent.locator("main ul.messages li.msg-success").count() == 1, _main_text(parent)
        with parent.expect_navigation():
            parent.locator("main a[href$='/code/']").first.click()
        code = parent.locator("main .big-code").inner_text().strip()
        axe_check(parent, label="code")
    finally:
        context.close()

    # (3) 李老师 checks alice in by her code: the slot's hour is recorded.
    page.fill("main input[name=code]", code)
    submit(page, "main form[action$='/check-in/']")
    assert page.locator("main ul.messages li.msg-success").count() == 1, _main_text(page)
    assert "刘爱丽" in _main_text(page)
    with scopes_disabled():
        signup = VolunteerSignup.objects.get()
        assert signup.minutes == 60 and signup.checked_in_at is not None
    page.goto(f"{url}/classes/{live_cast.class1.pk}/volunteers/")
    assert "刘爱丽" in _main_text(page) and "1.0" in _main_text(page)
    axe_check(page, label="class volunteers")
