"""Working groups as plan task owners (docs/design/plans.md "Working groups"): the group's staff
members find the task in their to-do lists and update it; a group of another school is refused."""

import pytest
from django.utils import timezone

from community.models import WorkingGroup, WorkingGroupMember
from conftest import zh
from plans.models import PlanTask

from .test_plans import adopt, issue

pytestmark = pytest.mark.usefixtures("unscoped")


def _group(school, user=None, name="家长学校工作组"):
    group = WorkingGroup.objects.create(school=school, name=name)
    if user is not None:
        WorkingGroupMember.objects.create(school=school, group=group, user=user, joined_on=timezone.localdate())
    return group


def test_a_working_group_owns_a_task(school_day, cast):
    plan = adopt(cast)
    group = _group(cast.school, cast.mr_wang)
    admin = cast.client(cast.admin_zhang)
    due = timezone.localdate().isoformat()
    made = admin.post(
        f"/api/v1/plan/{plan.pk}/tasks",
        {"title": "第三次家长培训", "due_on": due, "owner_kind": "group", "working_group_id": group.pk},
        content_type="application/json",
    )
    assert made.status_code in (200, 201), made.content
    task = PlanTask.objects.get(title="第三次家长培训")
    assert task.working_group_id == group.pk and not task.fans_out
    assert not PlanTask.objects.filter(parent=task).exists()
    issue(cast, plan)
    todo = cast.client(cast.mr_wang).get("/api/v1/contacts/todo").json()
    assert task.pk in {t["id"] for t in todo["plan_tasks"]}
    # The group's member updates it; a teacher outside the group cannot open it.
    assert (
        cast.client(cast.mr_wang)
        .post(f"/api/v1/plan/tasks/{task.pk}", {"status": "in_progress"}, content_type="application/json")
        .status_code
        == 200
    )
    assert cast.client(cast.ms_li).get(f"/api/v1/plan/tasks/{task.pk}").status_code == 404
    assert "家长学校工作组" in admin.get("/plan/").content.decode()


def test_a_group_of_another_school_is_refused(school_day, cast):
    plan = adopt(cast)
    other = _group(cast.school_b, cast.dave, name="明德工作组")
    before = PlanTask.objects.count()
    refused = cast.client(cast.admin_zhang).post(
        f"/api/v1/plan/{plan.pk}/tasks",
        {"title": "x", "due_on": timezone.localdate().isoformat(), "owner_kind": "group", "working_group_id": other.pk},
        content_type="application/json",
    )
    assert refused.status_code == 400
    assert refused.json()["detail"] == zh("The owner must be a working group of this school.")
    assert PlanTask.objects.count() == before
