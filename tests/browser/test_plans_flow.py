"""The term plan in a real browser on a phone-sized screen (issue 15).

The admin 张主任 adopts the built-in plan and issues it; the head teacher 李老师 finds her class's
first task in the plan page's list of her tasks, marks it done with her class parent meeting as the
evidence; the admin sees class 1 done on the plan. axe-core checks every page on the way.
"""

import pytest
from django_scopes import scopes_disabled

import conftest as cast_conftest
from events.tests.helpers import create_event
from plans.models import PlanTask, TermPlan

from .conftest import axe_check, sign_in, sign_out, submit

pytestmark = pytest.mark.browser


def test_admin_adopts_the_plan_and_a_head_teacher_marks_a_task_done_with_an_event(
    school_day, live_server, live_cast, phone_page
):
    url, page = live_server.url, phone_page
    cast = live_cast

    # (1) The admin adopts the built-in plan and issues it.
    sign_in(page, live_server, "admin_zhang", cast_conftest.PASSWORD)
    page.goto(f"{url}/plan/")
    axe_check(page, label="the plan, empty")
    submit(page, "main form[action='/plan/adopt/']")
    with scopes_disabled():
        plan = TermPlan.objects.get(term=cast.term)
        assert plan.tasks.filter(school_class=cast.class1).exists()
    submit(page, f"main form[action='/plan/{plan.pk}/issue/']")
    axe_check(page, label="the plan, issued")
    sign_out(page)

    # (2) The head teacher's class meeting, then her class's first task: done, with it as evidence.
    with scopes_disabled():
        event = create_event(cast.client(cast.ms_li), title="三年级1班家委会选举会", targets=[
            {"kind": "class", "class_id": cast.class1.pk}
        ])  # fmt: skip
        first = PlanTask.objects.filter(plan=plan, school_class=cast.class1).order_by("due_on", "pk").first()
    sign_in(page, live_server, "ms_li", cast_conftest.PASSWORD)
    page.goto(f"{url}/plan/")
    with page.expect_navigation():
        page.locator(f"main a[href='/plan/tasks/{first.pk}/']").first.click()
    axe_check(page, label="a class's task")
    form = "main form[enctype='multipart/form-data']"
    page.select_option(f"{form} select[name=status]", "done")
    page.select_option(f"{form} select[name=evidence_event]", str(event.pk))
    submit(page, form)
    assert event.title in page.locator("main").inner_text()
    with scopes_disabled():
        first.refresh_from_db()
        assert first.status == "done" and first.evidence_event_id == event.pk
    sign_out(page)

    # (3) The admin sees class 1 done on the plan.
    sign_in(page, live_server, "admin_zhang", cast_conftest.PASSWORD)
    page.goto(f"{url}/plan/")
    assert page.locator("main .badge.ok", has_text=cast.class1.name).count() >= 1
