"""Composing on a phone (issue 13, "Compose"), in a real browser at 390×844 with axe-core.

The head teacher 李老师 opens the composer and finds her class, 三年级1班, ticked already. She
switches to chosen students: unticks the class and opens the student list, types two characters of
a name in the filter, which hides the other rows, ticks the one student left and sends. Only that
family gets the notice. On the way: the rows are 44 px tall, the count follows what she ticks, the
page says when a chosen student's class is ticked as well, and there is no box asking why the
notice goes to the whole class, since nothing warned her.
"""

import pytest
from django_scopes import scopes_disabled

import conftest as cast_conftest

from .conftest import axe_check, sign_in, submit

pytestmark = pytest.mark.browser

COMPOSE = "form[enctype='multipart/form-data']:has(input[name=title])"
CLASSMATES = ("王子涵", "李思远", "张雨桐", "刘子轩", "赵一诺", "黄梓萱", "周浩然", "吴欣怡")


def test_head_teacher_sends_to_one_student_found_by_typing_two_characters(live_server, live_cast, phone_page):
    from notices.models import Notice, Receipt
    from schools.models import Student

    with scopes_disabled():
        for i, name in enumerate(CLASSMATES):
            Student.objects.create(
                school=live_cast.school, name=name, student_number=f"20249{i:02d}", school_class=live_cast.class1
            )
    page = phone_page
    sign_in(page, live_server, "ms_li", cast_conftest.PASSWORD)
    page.goto(f"{live_server.url}/notices/new/")
    form = page.locator(COMPOSE)
    assert form.count() == 1
    axe_check(page, label="compose (her class ticked)")

    # Her one class is ticked already; nothing asks why it goes to the whole class.
    her_class = form.locator(f"input[name=classes][value='{live_cast.class1.pk}']")
    assert her_class.is_checked()
    assert form.locator("[name=guardrail_reason]").count() == 0

    # She switches to chosen students: the class unticked, the list opened.
    her_class.uncheck()
    picker = form.locator("details.picker")
    picker.locator("summary").click()
    search = picker.locator("input[type=search]")
    assert search.is_visible()  # the script showed the filter
    rows = picker.locator(".picker-list li")
    assert rows.count() == 2 + len(CLASSMATES)
    box = rows.first.locator("label").bounding_box()
    assert box is not None and box["height"] >= 44, box  # a tap target
    axe_check(page, label="compose (student list open)")

    # Two characters of a name leave one row.
    search.fill("小红")
    visible = picker.locator(".picker-list li:visible")
    assert visible.count() == 1
    assert "陈小红" in visible.inner_text() and "三年级1班" in visible.inner_text()
    assert picker.locator("[data-picker-none]").is_hidden()
    count = picker.locator("[data-picker-count]")
    assert count.inner_text() == "0"
    visible.locator("input[type=checkbox]").check()
    assert count.inner_text() == "1"

    # Ticking the class again would send to all of it: the page says so, and stops saying it once unticked.
    both = picker.locator("[data-picker-both]")
    assert both.is_hidden()
    her_class.check()
    assert both.is_visible()
    axe_check(page, label="compose (class and a student both ticked)")
    her_class.uncheck()
    assert both.is_hidden()

    # Enter in the filter does not send the form.
    search.press("Enter")
    assert page.url.endswith("/notices/new/")

    form.locator("input[name=title]").fill("陈小红的作业本")
    form.locator("textarea[name=body]").fill("作业本落在教室了，明天带回。")
    submit(page, COMPOSE)
    with scopes_disabled():
        notice = Notice.objects.get(title="陈小红的作业本")
        phones = list(Receipt.objects.filter(notice=notice).values_list("guardian__phone", flat=True))
    assert page.url.endswith(f"/notices/{notice.pk}/results/"), page.locator("main").inner_text()
    assert phones == ["13800000002"]  # bob, 陈小红's father: only that family
    axe_check(page, label="results of the notice to one family")
