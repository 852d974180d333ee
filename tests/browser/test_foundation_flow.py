"""The foundation flow in a real browser on a phone-sized screen (docs/testing.md, the cast).

An admin sets up a class and a head teacher, adds a student with a guardian; the teacher signs in
and sees the class; the guardian signs in with an SMS code and sees the child. axe-core checks
every page on the way. Elements are found by names, form actions and links, not by visible text,
so the test holds whether or not the translations are compiled.
"""

import re
import time

import pytest
from django_scopes import scopes_disabled

import conftest as cast_conftest

from .conftest import axe_check, sign_in, sign_out, submit

pytestmark = pytest.mark.browser

NEW_CLASS = "四年级1班"
STUDENT = "赵小华"
GUARDIAN = "赵华"
GUARDIAN_PHONE = "13800000077"
TEACHER_PASSWORD = "sun-first-pass-58"


def _sms_code_for(phone: str, timeout: float = 5.0) -> str:
    from delivery.sms import LocmemSmsBackend

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in reversed(LocmemSmsBackend.outbox):
            if message.phone == phone:
                match = re.search(r"\b(\d{6})\b", message.text)
                assert match, f"no 6-digit code in the SMS {message.text!r}"
                return match.group(1)
        time.sleep(0.05)
    raise AssertionError(f"no SMS sent to {phone}; outbox: {LocmemSmsBackend.outbox!r}")


def _main_text(page) -> str:
    return page.locator("main").inner_text()


def test_foundation_flow(live_server, live_cast, phone_page):
    page = phone_page
    url = live_server.url

    # (1) The school admin signs in and creates a class, typed the short way.
    page.goto(f"{url}/accounts/login/")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    axe_check(page, label="sign-in page")
    sign_in(page, live_server, "admin_zhang", cast_conftest.PASSWORD)
    axe_check(page, label="home (school admin)")

    with page.expect_navigation():
        page.locator("nav.tabbar a[href='/me/']").click()  # 我的 lists the rest
    with page.expect_navigation():
        page.locator(".menu a[href='/school/classes/']").click()
    assert page.url.endswith("/school/classes/")
    axe_check(page, label="school setup: classes")
    page.fill("input[name=name]", "四(1)班")
    submit(page, "form:has(input[name=name])")
    assert page.url.endswith("/school/classes/"), _main_text(page)
    class_link = page.locator("table a[href^='/classes/']", has_text=NEW_CLASS)
    assert class_link.count() == 1, _main_text(page)
    class_href = class_link.get_attribute("href")
    with scopes_disabled():
        from schools.models import SchoolClass

        new_class = SchoolClass.objects.get(school=live_cast.school, grade=4, number=1)
    assert class_href == f"/classes/{new_class.pk}/"
    axe_check(page, label="school setup: classes, after creating one")

    # (2) On Staff, add 孙老师 with a username and a first password, and make them head teacher.
    with page.expect_navigation():
        page.locator("nav.tabs a[href='/school/staff/']").click()
    axe_check(page, label="school setup: staff")
    staff_form = "form:has(input[name=form][value=staff])"
    page.fill(f"{staff_form} input[name=name]", "孙老师")
    page.fill(f"{staff_form} input[name=username]", "sun_laoshi")
    page.fill(f"{staff_form} input[name=password]", TEACHER_PASSWORD)
    submit(page, staff_form)
    assert page.url.endswith("/school/staff/"), _main_text(page)
    assert page.locator("li.staff-row", has_text="孙老师").count() == 1, _main_text(page)

    assign_form = "form:has(input[name=form][value=assign])"
    page.select_option(f"{assign_form} select[name=staff]", label="孙老师")
    page.select_option(f"{assign_form} select[name=school_class]", label=NEW_CLASS)
    page.select_option(f"{assign_form} select[name=role]", value="head")
    submit(page, assign_form)
    assert page.url.endswith("/school/staff/"), _main_text(page)
    chips = page.locator("li.staff-row", has_text="孙老师").locator("ul.chips li")
    assert chips.count() == 1 and NEW_CLASS in chips.inner_text(), _main_text(page)
    axe_check(page, label="school setup: staff, after adding and assigning")

    # The classes page now shows the head teacher.
    with page.expect_navigation():
        page.locator("nav.tabs a[href='/school/classes/']").click()
    row = page.locator("table tbody tr", has=page.locator(f"a[href='{class_href}']"))
    assert "孙老师" in row.inner_text()

    # (3) On the class page, add a student with one guardian.
    with page.expect_navigation():
        page.locator(f"a[href='{class_href}']").click()
    assert page.url.endswith(class_href)
    assert page.locator("h1").inner_text().startswith(NEW_CLASS)
    axe_check(page, label="class page (admin, empty)")
    student_form = "form:has(input[name=guardian1_phone])"
    page.fill(f"{student_form} input[name=name]", STUDENT)
    page.fill(f"{student_form} input[name=guardian1_name]", GUARDIAN)
    page.fill(f"{student_form} input[name=guardian1_phone]", GUARDIAN_PHONE)
    page.fill(f"{student_form} input[name=guardian1_relationship]", "父亲")
    submit(page, student_form)
    assert page.url.endswith(class_href), _main_text(page)
    roster = page.locator("ul.roster")
    assert STUDENT in roster.inner_text()
    roster.locator("summary").first.click()  # one line per student; the guardians on tap
    assert GUARDIAN_PHONE in roster.inner_text()  # the admin manages the class: full number
    axe_check(page, label="class page (admin, one student)")

    # (4) The admin signs out; the new head teacher signs in and sees the class and the student.
    sign_out(page)
    sign_in(page, live_server, "sun_laoshi", TEACHER_PASSWORD)
    my_class = page.locator(f"main a[href='{class_href}']")
    assert my_class.count() == 1 and my_class.inner_text() == NEW_CLASS, _main_text(page)
    assert page.locator("a[href='/school/classes/']").count() == 0  # not an admin
    axe_check(page, label="home (head teacher)")
    with page.expect_navigation():
        my_class.click()
    assert STUDENT in page.locator("ul.roster").inner_text()
    assert "孙老师" in _main_text(page)
    axe_check(page, label="class page (head teacher)")
    sign_out(page)

    # (5) The guardian signs in with a code sent by SMS and finds the child on My children.
    with page.expect_navigation():
        page.locator("nav.tabs a[href^='/accounts/login/code/']").click()
    assert "/accounts/login/code/" in page.url
    axe_check(page, label="code sign-in page (ask for a code)")
    page.fill("input[name=phone]", GUARDIAN_PHONE)
    submit(page, "form:has(input[name=step][value=send]):has(input[name=phone]:not([type=hidden]))")
    code_input = page.locator("input[name=code]")
    assert code_input.count() == 1, _main_text(page)
    axe_check(page, label="code sign-in page (type the code)")
    code_input.fill(_sms_code_for(GUARDIAN_PHONE))
    submit(page, "form:has(input[name=code])")
    assert "/accounts/login/" not in page.url, _main_text(page)
    assert STUDENT in _main_text(page)
    axe_check(page, label="home (new parent)")
    with page.expect_navigation():
        page.locator("nav.tabbar a[href='/me/']").click()  # 我的 lists the rest
    with page.expect_navigation():
        page.locator(".menu a[href='/children/']").click()
    children = page.locator("ul.cards > li.child")
    assert children.count() == 1 and STUDENT in children.inner_text(), _main_text(page)
    assert NEW_CLASS in children.inner_text()
    axe_check(page, label="my children (new parent)")
    sign_out(page)

    # The cast's parent alice sees her own child and no one else's.
    sign_in(page, live_server, "13800000001", cast_conftest.PASSWORD)
    assert "刘小明" in _main_text(page)
    axe_check(page, label="home (alice)")
    with page.expect_navigation():
        page.locator("nav.tabbar a[href='/me/']").click()  # 我的 lists the rest
    with page.expect_navigation():
        page.locator(".menu a[href='/children/']").click()
    text = _main_text(page)
    assert "刘小明" in text
    assert "陈小红" not in text and "周小刚" not in text
    assert STUDENT not in text
    axe_check(page, label="my children (alice)")


def test_language_switch(live_server, transactional_db, phone_page):
    page = phone_page
    page.goto(f"{live_server.url}/accounts/login/")
    html = page.locator("html")
    switch = page.locator("form[action='/i18n/setlang/'] button[name=language]")
    assert html.get_attribute("lang") == "zh-CN"
    assert switch.get_attribute("value") == "en"
    label_zh = page.locator("label[for=id_identifier]").inner_text()
    switch_zh = switch.inner_text()

    with page.expect_navigation():
        switch.click()
    assert "/accounts/login/" in page.url
    assert html.get_attribute("lang") == "en"
    assert switch.get_attribute("value") == "zh-hans"
    assert switch.inner_text() != switch_zh
    assert page.locator("label[for=id_identifier]").inner_text() == "Mobile number or username"
    axe_check(page, label="sign-in page (English)")

    with page.expect_navigation():
        switch.click()
    assert html.get_attribute("lang") == "zh-CN"
    assert switch.get_attribute("value") == "en"
    assert switch.inner_text() == switch_zh
    assert page.locator("label[for=id_identifier]").inner_text() == label_zh
