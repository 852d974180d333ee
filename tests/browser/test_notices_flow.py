"""Notices with receipts in a real browser on a phone-sized screen (issue 4, docs/testing.md's cast).

The head teacher 李老师 publishes a notice to 三年级1班 that needs an answer (参加 / 不参加) by
tomorrow; the parent alice, in a second browser, finds it first in her feed marked as waiting for
her answer, opens it and taps 参加; 李老师 sees one of two families replied and the tally, reminds
the rest once, and a second reminder is refused. A second test shows the composer's guardrail
warning for a list of scores sent to a class: nothing goes out until a reason is given. axe-core
checks every page on the way; elements are found by names, form actions and links.
"""

import datetime
import time

import pytest
from django.utils import timezone, translation
from django.utils.translation import gettext
from django_scopes import scopes_disabled

import conftest as cast_conftest

from .conftest import PHONE, TIMEOUT_MS, axe_check, sign_in, submit

pytestmark = pytest.mark.browser

TITLE = "秋游报名"
BODY = "下周三秋游，去植物园。请选择是否参加。"
OPTIONS = ("参加", "不参加")
ALICE_LOGIN = "13800000001"
BOB_PHONE = "13800000002"
COMPOSE = "form[enctype='multipart/form-data']:has(input[name=title])"


def _main_text(page) -> str:
    return page.locator("main").inner_text()


def _new_phone_page(browser):
    context = browser.new_context(**PHONE)
    context.set_default_timeout(TIMEOUT_MS)
    return context, context.new_page()


def _open_compose(page, url: str, *, label: str) -> None:
    page.goto(f"{url}/notices/new/")
    assert page.url.endswith("/notices/new/")
    assert page.locator(COMPOSE).count() == 1, _main_text(page)
    axe_check(page, label=label)


def _notice(**filters):
    from notices.models import Notice

    with scopes_disabled():
        return Notice.objects.filter(**filters).first()


def test_head_teacher_asks_a_parent_answers_and_the_rest_are_reminded(
    live_server, live_cast, phone_page, browser, settings
):
    settings.SITE_URL = live_server.url
    url = live_server.url
    page = phone_page
    from delivery.models import DeliveryPreference
    from delivery.sms import LocmemSmsBackend

    DeliveryPreference.objects.create(user=live_cast.bob, sms_enabled=True)  # bob gets reminders by SMS

    # (1) 李老师 composes a notice for 三年级1班 that needs an answer, by tomorrow.
    sign_in(page, live_server, "ms_li", cast_conftest.PASSWORD)
    _open_compose(page, url, label="compose (empty)")
    page.fill(f"{COMPOSE} input[name=title]", TITLE)
    page.fill(f"{COMPOSE} textarea[name=body]", BODY)
    page.check(f"{COMPOSE} input[name=classes][value='{live_cast.class1.pk}']")
    page.check(f"{COMPOSE} input[name=action][value=answer]")
    page.fill(f"{COMPOSE} textarea[name=options]", "\n".join(OPTIONS))
    tomorrow = timezone.localtime() + datetime.timedelta(days=1)
    page.fill(f"{COMPOSE} input[name=deadline]", tomorrow.strftime("%Y-%m-%dT%H:%M"))
    axe_check(page, label="compose (filled in)")
    submit(page, COMPOSE)
    notice = _notice(title=TITLE)
    assert notice is not None, _main_text(page)
    results_path = f"/notices/{notice.pk}/results/"
    assert page.url.endswith(results_path), _main_text(page)
    assert page.locator("main ul.messages li.msg-success").count() == 1
    axe_check(page, label="results (just published)")
    assert notice.action == "answer" and notice.options == list(OPTIONS)
    assert notice.deadline is not None
    assert timezone.localtime(notice.deadline).strftime("%Y-%m-%d %H:%M") == tomorrow.strftime("%Y-%m-%d %H:%M")
    with scopes_disabled():
        assert notice.receipts.count() == 2  # alice and bob

    # A newer notice that asks nothing, so that "needs action first" is not just "newest first".
    from notices.actions import TargetSpec, do_create_notice
    from schools.roles import compute_roles

    with scopes_disabled():
        do_create_notice(
            live_cast.school,
            acting_user=live_cast.ms_li,
            roles=compute_roles(live_cast.ms_li),
            title="图书角开放时间",
            body_html="<p>每天中午开放。</p>",
            action="none",
            targets=[TargetSpec("class", class_id=live_cast.class1.pk)],
        )
    info = _notice(title="图书角开放时间")
    assert info is not None and info.published_at > notice.published_at

    # (2) alice, on her own phone, finds it first in her feed, waiting for her answer.
    parent_context, parent = _new_phone_page(browser)
    try:
        sign_in(parent, live_server, ALICE_LOGIN, cast_conftest.PASSWORD)
        with parent.expect_navigation():
            parent.locator("nav.tabbar a[href='/notices/']").click()
        assert parent.url.endswith("/notices/")
        axe_check(parent, label="parent feed (one to answer)")
        items = parent.locator("main ul.feed > li")
        assert items.count() == 2, _main_text(parent)
        first = items.first
        assert first.locator(f"a[href='/notices/{notice.pk}/']").count() == 1, first.inner_html()
        assert "todo" in (first.get_attribute("class") or "")
        assert first.locator(".badge.warn").count() == 1
        with translation.override("zh-hans"):  # the page's language (zh-CN browser)
            please_answer, please_confirm = gettext("please answer"), gettext("please confirm")
        badge = first.locator(".badge.warn").inner_text()
        assert please_answer in badge and please_confirm not in badge, badge
        assert f"{tomorrow.month}月{tomorrow.day}日" in badge  # with its deadline
        assert first.locator(".dot").count() == 1  # unread
        assert items.nth(1).locator(f"a[href='/notices/{info.pk}/']").count() == 1
        assert items.nth(1).locator(".badge.warn").count() == 0

        with parent.expect_navigation():
            first.locator(f"a[href='/notices/{notice.pk}/']").click()
        assert parent.url.endswith(f"/notices/{notice.pk}/")
        assert TITLE in parent.locator("main h1").inner_text()
        answers = parent.locator("main form button[name=answer]")
        assert [answers.nth(i).get_attribute("value") for i in range(answers.count())] == list(OPTIONS)
        axe_check(parent, label="parent reads the notice")
        with parent.expect_navigation():
            parent.locator(f"main form button[name=answer][value='{OPTIONS[0]}']").click()
        assert parent.url.endswith(f"/notices/{notice.pk}/"), _main_text(parent)
        assert parent.locator("main ul.messages li.msg-success").count() == 1, _main_text(parent)
        assert parent.locator("main section .badge.ok").count() == 1  # "you answered: 参加"
        assert OPTIONS[0] in parent.locator("main section .badge.ok").inner_text()
        axe_check(parent, label="parent has answered")
        with scopes_disabled():
            receipt = notice.receipts.get(guardian=live_cast.alice_guardian)
        assert receipt.answer == OPTIONS[0] and receipt.acted_via == "app" and receipt.read_at is not None

        # Her feed now shows it answered, no longer waiting.
        parent.goto(f"{url}/notices/")
        answered = parent.locator(f"main ul.feed > li:has(a[href='/notices/{notice.pk}/'])")
        assert answered.locator(".badge.ok").count() == 1 and answered.locator(".badge.warn").count() == 0
        axe_check(parent, label="parent feed (answered)")
    finally:
        parent_context.close()

    # (3) 李老师 sees one of two families replied and the tally.
    page.goto(f"{url}{results_path}")
    axe_check(page, label="results (one answer)")
    stats = page.locator("main ul.stats-list > li")
    assert stats.count() == 3, _main_text(page)  # read, replied, students done
    assert stats.nth(0).locator("strong").inner_text() == "1/2"
    assert stats.nth(1).locator("strong").inner_text() == "1/2"
    assert "50%" in stats.nth(1).inner_text()
    assert stats.nth(2).locator("strong").inner_text() == "1/2"
    tally = page.locator("main ul.rows").first
    yes = tally.locator(f"li:has(> span:text-is('{OPTIONS[0]}'))")
    no = tally.locator(f"li:has(> span:text-is('{OPTIONS[1]}'))")
    assert yes.locator("strong").inner_text() == "1", tally.inner_html()
    assert no.locator("strong").inner_text() == "0", tally.inner_html()
    for summary in page.locator("main ul.roster summary").all():
        summary.click()  # one line per student; the guardians on tap
    guardians = page.locator("main ul.roster ul.guardians > li")
    assert guardians.count() == 2
    assert page.locator("main ul.roster ul.guardians > li .badge.ok").inner_text() == OPTIONS[0]

    # (4) She reminds those who have not acted: only bob (by SMS, with a link).
    remind = f"main form[action='/notices/{notice.pk}/remind/']"
    assert page.locator(f"{remind} button[type=submit]").is_enabled()
    LocmemSmsBackend.outbox.clear()
    submit(page, remind)
    assert page.url.endswith(results_path), _main_text(page)
    assert page.locator("main ul.messages li.msg-success").count() == 1, _main_text(page)
    assert "1" in page.locator("main ul.messages li.msg-success").inner_text()
    axe_check(page, label="results (reminded)")
    deadline = time.monotonic() + 5
    while not LocmemSmsBackend.outbox and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [m.phone for m in LocmemSmsBackend.outbox] == [BOB_PHONE], LocmemSmsBackend.outbox
    assert f"{url}/n/" in LocmemSmsBackend.outbox[0].text

    # (5) Pressing it again is refused: the button is disabled, and the server says wait.
    button = page.locator(f"{remind} button[type=submit]")
    assert button.is_disabled()
    assert button.get_attribute("aria-disabled") == "true"
    with page.expect_navigation():
        page.locator(remind).evaluate("form => form.submit()")  # as a stale page or a double tap would
    assert page.url.endswith(results_path)
    assert page.locator("main ul.messages li.msg-error").count() == 1, _main_text(page)
    assert page.locator("main ul.messages li.msg-success").count() == 0
    axe_check(page, label="results (second reminder refused)")
    assert [m.phone for m in LocmemSmsBackend.outbox] == [BOB_PHONE]


def test_guardrail_warns_before_scores_go_to_a_class(live_server, live_cast, phone_page):
    url = live_server.url
    page = phone_page
    title, body = "期中考试成绩", "期中成绩：刘小明 98分，陈小红 65分。"
    sign_in(page, live_server, "ms_li", cast_conftest.PASSWORD)
    _open_compose(page, url, label="compose (guardrail)")
    page.fill(f"{COMPOSE} input[name=title]", title)
    page.fill(f"{COMPOSE} textarea[name=body]", body)
    page.check(f"{COMPOSE} input[name=classes][value='{live_cast.class1.pk}']")
    assert page.locator("main section.warning").count() == 0
    submit(page, COMPOSE)

    # The warning, and nothing published.
    assert page.url.endswith("/notices/new/"), page.url
    warning = page.locator("main section.warning")
    assert warning.count() == 1 and warning.is_visible(), _main_text(page)
    assert warning.get_attribute("role") == "alert"
    assert warning.locator("li").count() >= 1
    axe_check(page, label="compose (guardrail warning)")
    assert _notice(title=title) is None
    # What she typed is kept.
    assert page.locator(f"{COMPOSE} input[name=title]").input_value() == title
    assert page.locator(f"{COMPOSE} textarea[name=body]").input_value() == body
    assert page.locator(f"{COMPOSE} input[name=classes][value='{live_cast.class1.pk}']").is_checked()

    # Sending again without a reason still does not publish.
    submit(page, COMPOSE)
    assert page.url.endswith("/notices/new/")
    assert page.locator("main section.warning").count() == 1
    assert _notice(title=title) is None

    # With a reason it goes out, and the reason is logged.
    page.fill(f"{COMPOSE} input[name=guardrail_reason]", "家长会决定公布")
    submit(page, COMPOSE)
    notice = _notice(title=title)
    assert notice is not None, _main_text(page)
    assert page.url.endswith(f"/notices/{notice.pk}/results/"), _main_text(page)
    assert notice.guardrail_reason == "家长会决定公布"
    axe_check(page, label="results (sent with a reason)")
    from audit.models import AuditEntry

    with scopes_disabled():
        entry = AuditEntry.objects.get(action="guardrail_override")
    assert entry.detail["reason"] == "家长会决定公布" and "刘小明" not in entry.summary
    with scopes_disabled():
        from notices.models import Notice

        assert Notice.objects.filter(title=title).count() == 1
