"""The suggestion box on phones (issue 16): alice finds 意见箱 under 我的 and sends a suggestion
about her child's class; 李老师, its head teacher, finds it in her suggestions to handle, replies,
records the decision, opens a rectification and closes it with a note, then closes the suggestion;
alice follows it and sees it done. axe-core checks every page on the way."""

import datetime

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

import conftest as cast_conftest

from .conftest import PHONE, TIMEOUT_MS, axe_check, sign_in, submit

pytestmark = pytest.mark.browser


def _page(browser, live_server, identifier):
    context = browser.new_context(**PHONE)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    sign_in(page, live_server, identifier, cast_conftest.PASSWORD)
    return context, page


def test_a_parent_sends_a_suggestion_the_owner_closes_it_and_the_parent_sees_it_done(
    live_server, live_cast, phone_page, browser
):
    from feedback.models import Rectification, Suggestion

    url = live_server.url
    page = phone_page
    sign_in(page, live_server, live_cast.alice.phone, cast_conftest.PASSWORD)

    # (1) alice finds the suggestion box under 我的 and writes about the class.
    page.goto(f"{url}/me/")
    with page.expect_navigation():
        page.locator("main a[href='/feedback/mine/']").click()
    axe_check(page, label="my suggestions (empty)")
    with page.expect_navigation():
        page.locator("main a[href='/feedback/new/']").click()
    axe_check(page, label="new suggestion")
    page.select_option("main select[name=place]", f"{live_cast.school.pk}:{live_cast.class1.pk}")
    page.select_option("main select[name=kind]", "class")
    page.fill("main textarea[name=text]", "教室后排看不清黑板")
    submit(page, "main form:has(textarea[name=text])")
    assert page.locator("[data-testid=receipt]").inner_text().strip()
    axe_check(page, label="suggestion sent")
    with scopes_disabled():
        suggestion = Suggestion.objects.get()
        assert suggestion.owner_id == live_cast.ms_li.pk

    # (2) 李老师 handles it from her phone.
    context, teacher = _page(browser, live_server, "ms_li")
    teacher.goto(f"{url}/feedback/inbox/")
    axe_check(teacher, label="suggestions to handle")
    with teacher.expect_navigation():
        teacher.locator(f"main a[href='/feedback/{suggestion.pk}/handle/']").click()
    axe_check(teacher, label="handle a suggestion")
    teacher.fill("main textarea#id_reply", "谢谢，下周起座位轮换")
    submit(teacher, "main form:has(textarea#id_reply)")
    teacher.fill("main textarea#id_decision", "每两周轮换一次座位")
    submit(teacher, "main form:has(textarea#id_decision)")
    teacher.fill("main textarea#id_what", "排出座位轮换表")
    due = (timezone.localdate() + datetime.timedelta(days=5)).isoformat()
    teacher.fill("main input#id_due", due)
    submit(teacher, "main form:has(textarea#id_what)")
    axe_check(teacher, label="decided, rectification open")
    with scopes_disabled():
        rect = Rectification.objects.get()
    teacher.fill(f"main textarea#id_note_{rect.pk}", "轮换表已贴在教室")
    submit(teacher, f"main form[action='/feedback/rectifications/{rect.pk}/close/']")
    submit(teacher, "main form:has(input[name=step][value=close])")
    context.close()
    with scopes_disabled():
        suggestion.refresh_from_db()
        assert suggestion.status == "closed"

    # (3) alice follows it and sees it done, with the reply and the rectification's note.
    page.goto(f"{url}/feedback/mine/")
    with page.expect_navigation():
        page.locator(f"main a[href='/feedback/{suggestion.pk}/']").click()
    axe_check(page, label="suggestion done")
    status = page.locator("[data-testid=status]").inner_text()
    assert status in ("done", "已完成"), status
    text = page.locator("main").inner_text()
    assert "谢谢，下周起座位轮换" in text and "轮换表已贴在教室" in text
