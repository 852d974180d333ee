"""家校联系册 in a real browser on a phone-sized screen (issue 5, docs/testing.md's cast).

The head teacher 李老师 starts from the home-visit template, records a visit to 刘小明's family shared
with the family (a summary for the parents, an agreed action, a follow-up date) and finds it in her
to-do list; the parent alice, in a second browser, reads the family summary (never the staff
summary) and acknowledges it with a reply; 李老师 sees the reply on the record, and the class's
coverage page counts one contact for 刘小明 and lists 陈小红, whom nobody has contacted, before him.
axe-core checks every page on the way; elements are found by names, form actions and links.
"""

import datetime

import pytest
from django.utils import timezone, translation
from django.utils.translation import gettext, ngettext
from django_scopes import scopes_disabled

import conftest as cast_conftest

from .conftest import PHONE, TIMEOUT_MS, axe_check, sign_in, submit

pytestmark = pytest.mark.browser

ALICE_LOGIN = "13800000001"
STAFF_NOTE = "家里最近在装修，孩子晚上睡得晚；母亲希望老师多鼓励。"
FAMILY_SUMMARY = "孩子最近学习很努力，请继续保持早睡早起。"
AGREED_ACTION = "每周三晚上电话沟通作业情况"
REPLY = "谢谢李老师，我们会配合早睡。"
NEW_RECORD = "main form:has(select[name=students])"


def _main_text(page) -> str:
    return page.locator("main").inner_text()


def _new_phone_page(browser):
    context = browser.new_context(**PHONE)
    context.set_default_timeout(TIMEOUT_MS)
    return context, context.new_page()


def test_home_visit_shared_acknowledged_and_counted(live_server, live_cast, phone_page, browser):
    url = live_server.url
    page = phone_page
    child, other_child = live_cast.alice_child, live_cast.bob_child
    today = timezone.localdate()
    action_due = today + datetime.timedelta(days=7)
    follow_up = today + datetime.timedelta(days=14)

    # (1) 李老师 starts from the home-visit template: kind, length and topics are filled in.
    sign_in(page, live_server, "ms_li", cast_conftest.PASSWORD)
    page.goto(f"{url}/contacts/new/?template=home_visit")
    form = page.locator(NEW_RECORD)
    assert form.count() == 1, _main_text(page)
    assert form.locator("select[name=kind]").input_value() == "home_visit"
    assert form.locator("input[name=duration_minutes]").input_value() == "45"
    for topic in ("learning", "behaviour", "advice"):
        assert form.locator(f"input[name=topics][value={topic}]").is_checked(), topic
    assert not form.locator("input[name=topics][value=praise]").is_checked()
    template_summary = form.locator("textarea[name=summary]").input_value()
    assert template_summary.strip(), "the template gives the outline of a home-visit summary"
    students = form.locator("select[name=students]")
    assert students.get_attribute("multiple") is not None
    offered = students.locator("option").evaluate_all("options => options.map(o => o.value)")
    assert set(offered) == {str(child.pk), str(other_child.pk)}, offered  # her class only
    axe_check(page, label="new record (home-visit template)")

    # She records the visit about 刘小明, shared with the family, with an action and a follow-up.
    students.select_option(value=str(child.pk))
    # The date should already be today, but in Chinese the form renders it as 2026/11/22, which a
    # date input rejects (see test_the_date_of_a_new_record_defaults_to_today): type it in.
    form.locator("input[name=occurred_on]").fill(today.isoformat())
    form.locator("input[name=participants]").fill("刘爱丽（母亲）、李老师")
    form.locator("textarea[name=summary]").fill(f"{template_summary}\n{STAFF_NOTE}")
    form.locator("input[name=shared]").check()
    form.locator("textarea[name=parent_summary]").fill(FAMILY_SUMMARY)
    form.locator("input[name=action]").fill(AGREED_ACTION)
    form.locator("input[name=action_due]").fill(action_due.isoformat())
    form.locator("input[name=follow_up_on]").fill(follow_up.isoformat())
    axe_check(page, label="new record (filled in)")
    submit(page, NEW_RECORD)

    from contactbook.models import ContactRecord

    with scopes_disabled():
        record = ContactRecord.objects.filter(author=live_cast.ms_li).first()
        assert record is not None, _main_text(page)
        assert list(record.student_links.values_list("student_id", flat=True)) == [child.pk]
        (item,) = record.action_items.all()
    assert record.kind == "home_visit" and record.duration_minutes == 45
    assert record.visibility == "shared" and record.parent_summary == FAMILY_SUMMARY
    assert STAFF_NOTE in record.summary and record.occurred_on == today
    assert record.follow_up_on == follow_up and record.term == live_cast.term
    assert item.description == AGREED_ACTION and item.owner == live_cast.ms_li and item.due_on == action_due
    record_path = f"/contacts/{record.pk}/"
    assert page.url.endswith(record_path), _main_text(page)
    assert page.locator("main ul.messages li.msg-success").count() == 1
    assert child.name in page.locator("main h1").inner_text()
    assert FAMILY_SUMMARY in _main_text(page) and STAFF_NOTE in _main_text(page)
    assert page.locator("main form button[name=done][value=follow_up]").count() == 1
    assert page.locator(f"main form button[name=done][value='{item.pk}']").count() == 1
    axe_check(page, label="record (just saved)")

    # (2) Her to-do list holds the follow-up and the agreed action, neither overdue.
    with page.expect_navigation():
        page.locator("nav.tabbar a[href='/contacts/todo/']").click()
    assert page.url.endswith("/contacts/todo/")
    links = page.locator(f"main a[href='{record_path}']")
    assert links.count() == 2, _main_text(page)  # the follow-up (the child's name) and the action
    texts = links.all_inner_texts()
    assert child.name in texts[0] and AGREED_ACTION in texts[1], texts
    assert page.locator("main .badge.warn").count() == 0  # nothing overdue
    todo_text = _main_text(page)
    assert (
        f"{follow_up.month}月{follow_up.day}日" in todo_text and f"{action_due.month}月{action_due.day}日" in todo_text
    )
    axe_check(page, label="to-do (one follow-up, one action)")

    # (3) alice, on her own phone, reads the family summary and acknowledges it with a reply.
    parent_context, parent = _new_phone_page(browser)
    try:
        sign_in(parent, live_server, ALICE_LOGIN, cast_conftest.PASSWORD)
        with parent.expect_navigation():
            parent.locator("nav.tabbar a[href='/family/records/']").click()
        assert parent.url.endswith("/family/records/")
        ack_form = f"main form[action='/family/records/{record.pk}/ack/']"
        assert parent.locator(ack_form).count() == 1, _main_text(parent)
        family_text = _main_text(parent)
        assert FAMILY_SUMMARY in family_text and child.name in family_text
        assert STAFF_NOTE not in family_text and AGREED_ACTION not in family_text  # staff only
        assert STAFF_NOTE not in parent.content()
        axe_check(parent, label="family records (one to acknowledge)")
        parent.locator(f"{ack_form} textarea[name=reply]").fill(REPLY)
        submit(parent, ack_form)
        assert parent.url.endswith("/family/records/"), _main_text(parent)
        assert parent.locator("main ul.messages li.msg-success").count() == 1, _main_text(parent)
        axe_check(parent, label="family records (acknowledged)")
    finally:
        parent_context.close()
    from contactbook.models import Acknowledgement

    with scopes_disabled():
        (ack,) = Acknowledgement.objects.filter(record=record)
    assert ack.guardian == live_cast.alice_guardian and ack.reply == REPLY and ack.replied_at is not None

    # (4) Back to 李老师: the record shows the family's reply.
    page.goto(f"{url}{record_path}")
    replies = page.locator("main section", has=page.locator("h2")).filter(has_text=REPLY)
    assert replies.count() == 1, _main_text(page)
    assert live_cast.alice_guardian.name in replies.inner_text()
    axe_check(page, label="record (with the family's reply)")

    # (5) The coverage page of 三年级1班, opened from the class page, counts the contact: 陈小红,
    # whom nobody has contacted, comes first, then 刘小明 with one contact.
    class_path = f"/classes/{live_cast.class1.pk}/"
    coverage_path = f"{class_path}coverage/"
    page.goto(f"{url}{class_path}")
    with page.expect_navigation():
        page.locator(f"main a[href='{coverage_path}']").click()
    assert page.url.endswith(coverage_path)
    rows = page.locator("main ul.rows > li:has(a[href^='/students/'])")
    assert rows.count() == 2, _main_text(page)
    hrefs = [rows.nth(i).locator("a[href^='/students/']").get_attribute("href") for i in range(2)]
    assert hrefs == [f"/students/{other_child.pk}/contacts/", f"/students/{child.pk}/contacts/"], hrefs
    with translation.override("zh-hans"):  # the page's language (zh-CN browser)
        one_contact = gettext("%(n)s contacts") % {"n": 1}
        no_contact = gettext("%(n)s contacts") % {"n": 0}
        one_student_left = ngettext(
            "%(n)s student with no contact yet this term", "%(n)s students with no contact yet this term", 1
        ) % {"n": 1}
    assert one_contact in rows.nth(1).inner_text(), rows.nth(1).inner_text()
    assert f"{today.month}月{today.day}日" in rows.nth(1).inner_text()  # the last contact
    assert no_contact in rows.nth(0).inner_text(), rows.nth(0).inner_text()
    assert rows.nth(0).locator(".badge.warn").count() >= 1  # no contact about this child yet
    assert one_student_left in _main_text(page)
    assert rows.nth(1).locator(f"a[href='/contacts/new/?student={child.pk}']").count() == 1
    axe_check(page, label="class coverage (one contact)")


def test_the_date_of_a_new_record_defaults_to_today(live_server, live_cast, phone_page):
    page = phone_page
    sign_in(page, live_server, "ms_li", cast_conftest.PASSWORD)
    page.goto(f"{live_server.url}/contacts/new/?template=phone_follow_up")
    date = page.locator(f"{NEW_RECORD} input[name=occurred_on]")
    assert date.get_attribute("type") == "date"
    assert date.input_value() == timezone.localdate().isoformat(), date.evaluate("input => input.outerHTML")
