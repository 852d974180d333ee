"""The class rhythm in a real browser on a phone-sized screen (issue 15).

The admin 张主任 adopts the built-in plan and issues it; the head teacher 李老师 marks her class's
first task done with her class parent meeting as the evidence; her class dashboard then shows the
meeting in the rhythm (parent meetings: 1) with every rule's state, and the admin's school
dashboard shows the classes and its server-drawn charts. axe-core checks every page on the way.
"""

import datetime

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

import conftest as cast_conftest
from events.models import Event
from events.tests.helpers import create_event
from plans.models import PlanTask, TermPlan

from .conftest import axe_check, sign_in, sign_out, submit

pytestmark = pytest.mark.browser


def test_the_dashboard_shows_the_rhythm_after_a_task_is_done_with_an_event(
    school_day, live_server, live_cast, phone_page
):
    url, page = live_server.url, phone_page
    cast = live_cast

    # (1) The admin adopts the built-in plan and issues it.
    sign_in(page, live_server, "admin_zhang", cast_conftest.PASSWORD)
    page.goto(f"{url}/plan/")
    submit(page, "main form[action='/plan/adopt/']")
    with scopes_disabled():
        plan = TermPlan.objects.get(term=cast.term)
    submit(page, f"main form[action='/plan/{plan.pk}/issue/']")
    sign_out(page)

    # (2) The class parent meeting (held this morning), then the class's first task: done, with it.
    with scopes_disabled():
        event = create_event(
            cast.client(cast.ms_li), title="三年级1班家长会", targets=[{"kind": "class", "class_id": cast.class1.pk}]
        )
        held = timezone.now() - datetime.timedelta(hours=3)
        Event.objects.filter(pk=event.pk).update(starts_at=held, ends_at=held + datetime.timedelta(hours=1))
        first = PlanTask.objects.filter(plan=plan, school_class=cast.class1).order_by("due_on", "pk").first()
    sign_in(page, live_server, "ms_li", cast_conftest.PASSWORD)
    page.goto(f"{url}/plan/tasks/{first.pk}/")
    form = "main form[enctype='multipart/form-data']"
    page.select_option(f"{form} select[name=status]", "done")
    page.select_option(f"{form} select[name=evidence_event]", str(event.pk))
    submit(page, form)

    # (3) Her class's rhythm: "my classes" opens her one class; the meeting counts.
    page.goto(f"{url}/reports/dashboard/mine/")
    assert page.url.endswith(f"/reports/dashboard/classes/{cast.class1.pk}/")
    axe_check(page, label="a class's rhythm")
    rows = page.locator("main table").first.locator("tbody tr")
    assert rows.count() == 8
    meetings = rows.nth(2)
    assert meetings.locator("td").first.inner_text().strip().startswith("1")
    assert page.locator("main svg.chart[role=img]").count() >= 1
    sign_out(page)

    # (4) The admin's school dashboard: both classes, the charts with their tables.
    sign_in(page, live_server, "admin_zhang", cast_conftest.PASSWORD)
    page.goto(f"{url}/reports/dashboard/")
    axe_check(page, label="the school dashboard")
    text = page.locator("main").inner_text()
    assert cast.class1.name in text and cast.class2.name in text
    assert page.locator("main svg.chart[role=img]").count() >= 2  # the satisfaction chart once someone answers
    page.goto(f"{url}/reports/dashboard/workload/")
    axe_check(page, label="the workload signals")
    page.goto(f"{url}/reports/dashboard/rules/")
    axe_check(page, label="the rhythm rules")
