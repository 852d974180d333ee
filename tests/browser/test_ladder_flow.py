"""The escalation ladder in a real browser on phones (issue 17).

李老师 sends a notice to 三年级1班 that asks families to confirm, with a short ladder (SMS after 1
minute, a call task after 2). alice confirms in the app; bob's family does not: beat's climb (run
here with the clock a few minutes on) texts bob, and the SMS is read back from the SMS backend's
outbox; a minute later bob's family is a call task on 李老师's to-do list with bob's number, and she
records the call, which lands in the contact book as a phone entry. Quiet hours are switched off here
(the test must not depend on the time of day; notices/tests/test_ladder.py tests them).
"""

import datetime

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

import conftest as cast_conftest

from .conftest import PHONE, TIMEOUT_MS, axe_check, sign_in, submit

pytestmark = pytest.mark.browser

TITLE = "运动会回执"
COMPOSE = "form[enctype='multipart/form-data']:has(input[name=title])"


def test_one_family_confirms_the_other_gets_an_sms_then_a_call(
    live_server, live_cast, phone_page, browser, settings, monkeypatch
):
    settings.SITE_URL = live_server.url
    url = live_server.url
    page = phone_page
    from accounts.models import Consent
    from contactbook.models import ContactRecord
    from delivery.sms import LocmemSmsBackend
    from delivery.tasks import send_due_deliveries
    from notices import ladder
    from notices.models import CallTask, Notice

    monkeypatch.setattr(ladder, "in_quiet_hours", lambda at: False)
    Consent.objects.create(user=live_cast.bob, kind="sms", version="2026-1")
    LocmemSmsBackend.outbox.clear()

    # (1) 李老师 sends a notice with a short ladder.
    sign_in(page, live_server, "ms_li", cast_conftest.PASSWORD)
    page.goto(f"{url}/notices/new/")
    page.fill(f"{COMPOSE} input[name=title]", TITLE)
    page.fill(f"{COMPOSE} textarea[name=body]", "周五运动会，请确认。")
    page.check(f"{COMPOSE} input[name=classes][value='{live_cast.class1.pk}']")
    page.check(f"{COMPOSE} input[name=action][value=confirm]")
    page.fill(f"{COMPOSE} input[name=ladder_sms_after]", "1")
    page.fill(f"{COMPOSE} input[name=ladder_call_after]", "2")
    axe_check(page, label="compose with a short ladder")
    submit(page, COMPOSE)
    with scopes_disabled():
        notice = Notice.objects.get(title=TITLE)
    assert (notice.ladder_sms_after, notice.ladder_call_after) == (1, 2)

    # (2) alice confirms on her phone.
    context = browser.new_context(**PHONE)
    context.set_default_timeout(TIMEOUT_MS)
    parent = context.new_page()
    try:
        sign_in(parent, live_server, "13800000001", cast_conftest.PASSWORD)
        parent.goto(f"{url}/notices/{notice.pk}/")
        with parent.expect_navigation():
            parent.locator("main form button.primary").click()
        assert parent.locator("main .badge.ok").count() == 1
    finally:
        context.close()

    # (3) Two minutes on: the SMS step texts bob only; the message is in the provider's outbox.
    published = notice.published_at
    assert published is not None
    assert ladder.climb(now=published + datetime.timedelta(minutes=1, seconds=30)) == {"sms": 1, "calls": 0}
    send_due_deliveries(notice.pk)
    texts = [(m.phone, m.text) for m in LocmemSmsBackend.outbox]
    assert [phone for phone, _text in texts] == ["13800000002"], texts
    assert TITLE in texts[0][1] and "/n/" in texts[0][1]

    # (4) Then bob's family becomes a call task on 李老师's to-do list, with bob's number.
    assert ladder.climb(now=published + datetime.timedelta(minutes=2, seconds=30)) == {"sms": 0, "calls": 1}
    with scopes_disabled():
        task = CallTask.objects.get(notice=notice)
    assert task.student_id == live_cast.bob_child.pk
    page.goto(f"{url}/contacts/todo/")
    calls = page.locator("#call-tasks li")
    assert calls.count() == 1 and "13800000002" in calls.inner_text()
    axe_check(page, label="to-do with a call task")
    with page.expect_navigation():
        calls.locator(f"a[href='/contacts/calls/{task.pk}/']").click()
    assert page.locator("a[href='tel:13800000002']").count() == 1
    axe_check(page, label="call page")

    # (5) She records the call: a contact-book entry of kind phone.
    page.check("input[name=outcome][value=reached]")
    page.fill("textarea[name=note]", "家长说周五会来。")
    with page.expect_navigation():
        page.locator("main form button.primary").click()
    with scopes_disabled():
        record = ContactRecord.objects.get()
        task.refresh_from_db()
    assert page.url.endswith(f"/contacts/{record.pk}/")
    assert record.kind == "phone" and "周五会来" in record.summary
    assert task.outcome == "reached" and task.contact_record_id == record.pk
    assert timezone.now() >= published
