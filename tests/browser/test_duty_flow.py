"""A duty roster from proposal to the class's quantification, in a real browser on phone-sized screens
(issue 14).

The clock is moved to 10:00 today (Shanghai), ticking, so that a shift at 10:30 today is still to
come and its check-in is open, whatever the hour the test runs. The head teacher 李老师 creates a
roster for 三年级1班 from her phone, adds a week of shifts at 10:30, has Tongxin propose the rotation
and publishes it; alice asks bob's family to swap one of her later shifts for one of theirs, and bob
accepts; the family on duty today types the code the post shows (李老师 reads it on the roster page)
and is checked in on time; the class's quantification then shows the shift's points. axe-core checks
every page on the way.
"""

import datetime

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

import conftest as cast_conftest

from .conftest import PHONE, TIMEOUT_MS, axe_check, sign_in, submit

pytestmark = pytest.mark.browser


def _main_text(page) -> str:
    return page.locator("main").inner_text()


@pytest.fixture
def ten_this_morning(time_machine):
    today = timezone.localdate()
    moment = timezone.make_aware(datetime.datetime.combine(today, datetime.time(10, 0)))
    time_machine.move_to(moment, tick=True)
    return moment


def _family_page(browser, live_server, identifier):
    context = browser.new_context(**PHONE)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    sign_in(page, live_server, identifier, cast_conftest.PASSWORD)
    return context, page


def test_roster_published_swapped_checked_in_and_counted(ten_this_morning, live_server, live_cast, phone_page, browser):
    from community.models import DutyAssignment, DutyRoster, DutySwap

    url = live_server.url
    page = phone_page
    today = ten_this_morning.date()
    sign_in(page, live_server, "ms_li", cast_conftest.PASSWORD)

    # (1) 李老师 finds the rosters from her class page and creates one.
    page.goto(f"{url}/classes/{live_cast.class1.pk}/")
    with page.expect_navigation():
        page.locator("main a[href='/duty/']").first.click()
    axe_check(page, label="duty rosters")
    page.fill("main input[name=title]", "护学岗")
    page.select_option("main select[name=scope]", str(live_cast.class1.pk))
    submit(page, "main form:has(input[name=title])")
    with scopes_disabled():
        roster = DutyRoster.objects.get(title="护学岗")
    assert page.url.endswith(f"/duty/{roster.pk}/"), _main_text(page)

    # (2) a week of shifts at 10:30, every day, one family each; the proposal; publishing.
    form = "main form:has(input[name=op][value=add_shifts])"
    page.fill(f"{form} input[name=first]", today.isoformat())
    page.fill(f"{form} input[name=last]", (today + datetime.timedelta(days=6)).isoformat())
    for n in (5, 6):
        page.check(f"{form} input[name=weekdays][value='{n}']")
    page.fill(f"{form} input[name=starts_at]", "10:30")
    page.fill(f"{form} input[name=ends_at]", "11:30")
    page.fill(f"{form} input[name=families_needed]", "1")
    submit(page, form)
    assert page.locator("main ul.messages li.msg-success").count() == 1, _main_text(page)
    submit(page, "main form:has(input[name=op][value=propose])")
    axe_check(page, label="roster proposed")
    submit(page, "main form:has(input[name=op][value=publish])")
    assert page.locator("main ul.messages li.msg-success").count() == 1, _main_text(page)
    with scopes_disabled():
        roster.refresh_from_db()
        assert roster.status == "published" and roster.notice_id
        alice_later = (
            DutyAssignment.objects.filter(shift__roster=roster, family__label="刘小明", shift__date__gt=today)
            .order_by("shift__date")
            .first()
        )
    axe_check(page, label="roster published")

    # (3) alice asks bob's family to swap; bob accepts.
    context, alice = _family_page(browser, live_server, "13800000001")
    try:
        alice.goto(f"{url}/me/")
        with alice.expect_navigation():
            alice.locator("main a[href='/duty/mine/']").click()
        axe_check(alice, label="my duty shifts")
        swap_form = f"main form:has(input[name=op][value=swap]):has(input[name=assignment][value='{alice_later.pk}'])"
        alice.locator(f"main details:has({swap_form[5:]}) summary").click()
        offered = alice.locator(f"{swap_form} select[name=with] option").first.get_attribute("value")
        assert offered and offered.startswith("a:"), offered  # bob's family's next shift, in return
        alice.select_option(f"{swap_form} select[name=with]", offered)
        submit(alice, swap_form)
        assert alice.locator("main ul.messages li.msg-success").count() == 1, _main_text(alice)
    finally:
        context.close()
    context, bob = _family_page(browser, live_server, "13800000002")
    try:
        bob.goto(f"{url}/duty/mine/")
        assert "刘小明" in _main_text(bob)
        axe_check(bob, label="a swap asked of bob")
        submit(bob, "main form:has(button[value=accept_swap])")
        assert bob.locator("main ul.messages li.msg-success").count() == 1, _main_text(bob)
    finally:
        context.close()
    with scopes_disabled():
        assert DutySwap.objects.get().status == "accepted"
        bob_later = DutyAssignment.objects.get(pk=int(offered[2:]))
        alice_later.refresh_from_db()
        assert alice_later.family.label == "陈小红" and bob_later.family.label == "刘小明"
        on_duty_today = DutyAssignment.objects.select_related("family").get(shift__roster=roster, shift__date=today)
    page.goto(f"{url}/duty/{roster.pk}/")
    assert "刘小明 → 陈小红" in _main_text(page)  # the head teacher sees the swap
    code = page.locator("main strong.code").first.inner_text().strip()

    # (4) today's family checks in with the code the post shows.
    who = "13800000001" if on_duty_today.family.label == "刘小明" else "13800000002"
    context, family = _family_page(browser, live_server, who)
    try:
        family.goto(f"{url}/duty/mine/")
        checkin = (
            f"main form:has(input[name=op][value=checkin]):has(input[name=assignment][value='{on_duty_today.pk}'])"
        )
        family.fill(f"{checkin} input[name=code]", code)
        submit(family, checkin)
        assert family.locator("main ul.messages li.msg-success").count() == 1, _main_text(family)
        axe_check(family, label="checked in")
    finally:
        context.close()
    with scopes_disabled():
        on_duty_today.refresh_from_db()
        assert on_duty_today.status == "done" and on_duty_today.on_time

    # (5) the class's quantification shows it.
    page.goto(f"{url}/classes/{live_cast.class1.pk}/")
    with page.expect_navigation():
        page.locator(f"main a[href='/quant/class/{live_cast.class1.pk}/']").click()
    assert page.locator("#quant-total").inner_text().strip() == "2", _main_text(page)
    axe_check(page, label="class quantification")
