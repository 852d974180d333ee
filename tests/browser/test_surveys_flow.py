"""The monthly evaluation in a real browser on phone-sized screens (issue 8).

The head teacher 李老师 sends this month's evaluation of home–school communication to 三年级1班
from the evaluation page; two parents, alice and bob, each on their own phone, find it in their
notices, read what an anonymous survey keeps, and answer every question with taps; 李老师 sees
that both families answered, and no result at all: two answers are fewer than the minimum group of
five, so nobody's answer can be recognised. axe-core checks every page on the way.
"""

import pytest
from django_scopes import scopes_disabled

import conftest as cast_conftest

from .conftest import PHONE, TIMEOUT_MS, axe_check, sign_in, submit

pytestmark = pytest.mark.browser

ANSWER_FORM = "main form[aria-describedby=privacy]"


def _main_text(page) -> str:
    return page.locator("main").inner_text()


def _answer_as_parent(browser, live_server, login: str, survey, rating: int) -> None:
    context = browser.new_context(**PHONE)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        sign_in(page, live_server, login, cast_conftest.PASSWORD)
        with page.expect_navigation():
            page.locator("nav.tabbar a[href='/notices/']").click()
        item = page.locator(f"main ul.feed > li:has(a[href='/notices/{survey.notice_id}/'])")
        assert item.count() == 1, _main_text(page)
        with page.expect_navigation():
            item.locator("a").first.click()
        axe_check(page, label="the evaluation's notice")
        with page.expect_navigation():
            page.locator(f"main a.button[href$='/surveys/{survey.pk}/']").click()  # the notice's own button
        assert page.url.endswith(f"/surveys/{survey.pk}/")
        assert "只记录您已经填写过" in page.locator("#privacy").inner_text()
        axe_check(page, label="the evaluation, empty")
        with scopes_disabled():
            questions = list(survey.questions.all())
        for q in questions:
            name = f"q{q.pk}"
            if q.kind == "matrix":
                for row in range(len(q.options)):
                    page.check(f"{ANSWER_FORM} input[name={name}_r{row}][value='{rating}']")
            elif q.kind in ("rating", "nps"):
                page.check(f"{ANSWER_FORM} input[name={name}][value='{rating}']")
            elif q.kind == "single":
                page.check(f"{ANSWER_FORM} input[name={name}][value='0']")
            elif q.kind == "long_text":
                page.fill(f"{ANSWER_FORM} textarea[name={name}]", "希望多开几次家长开放日")
        axe_check(page, label="the evaluation, filled in")
        submit(page, ANSWER_FORM)
        assert page.locator("main ul.messages li.msg-success").count() == 1, _main_text(page)
        assert page.locator(ANSWER_FORM).count() == 0  # answered: no second form
        axe_check(page, label="the evaluation, answered")
    finally:
        context.close()


def test_head_teacher_sends_the_monthly_evaluation_two_parents_answer_results_stay_hidden(
    live_server, live_cast, phone_page, browser, settings
):
    settings.SITE_URL = live_server.url  # the notice's link to the survey is absolute (it goes by email too)
    from surveys.models import Participation, Response, Survey

    url = live_server.url
    page = phone_page
    sign_in(page, live_server, "ms_li", cast_conftest.PASSWORD)
    page.goto(f"{url}/surveys/evaluation/")
    axe_check(page, label="evaluation page")
    send = f"main form[action='/surveys/evaluation/class/']:has(input[value='{live_cast.class1.pk}'])"
    submit(page, send)
    with scopes_disabled():
        survey = Survey.objects.get(series="eval_parents", status="sent")
        assert survey.anonymous and survey.notice.receipts.count() == 2
    assert page.url.endswith(f"/surveys/{survey.pk}/results/"), _main_text(page)
    axe_check(page, label="results, just sent")

    _answer_as_parent(browser, live_server, "13800000001", survey, 5)
    _answer_as_parent(browser, live_server, "13800000002", survey, 4)
    with scopes_disabled():
        assert Participation.objects.filter(survey=survey).count() == 2
        assert Response.objects.filter(survey=survey, respondent__isnull=True, submitted_at__isnull=True).count() == 2

    page.reload()
    axe_check(page, label="results, two answers")
    assert page.locator("main ul.stats-list strong").first.inner_text() == "2/2"
    text = _main_text(page)
    assert "少于 5 份" in text
    assert page.locator("main ul.bars").count() == 0  # no tally, no means: two answers could be recognised
    assert "希望多开几次家长开放日" not in text
    export_link = page.locator(f"main a[href='/surveys/{survey.pk}/results.xlsx']")
    assert export_link.count() == 1
