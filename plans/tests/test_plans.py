import datetime
import html

import pytest
from django.utils import translation
from django.utils.translation import gettext

from events.tests.helpers import create_event
from plans.models import PlanTask, TermPlan
from plans.template import TEMPLATE

pytestmark = pytest.mark.usefixtures("unscoped")


def adopt(cast):
    response = cast.client(cast.admin_zhang).post("/api/v1/plan/adopt", {}, content_type="application/json")
    assert response.status_code == 200, response.content
    return TermPlan.objects.get(pk=response.json()["id"])


def issue(cast, plan):
    assert cast.client(cast.admin_zhang).post(f"/api/v1/plan/{plan.pk}/issue").status_code == 200


def class1_task(plan, cast, title_part="parent meeting"):
    return PlanTask.objects.filter(plan=plan, school_class=cast.class1).first()


def test_the_admin_adopts_the_template_and_head_teacher_tasks_fan_out_per_class(school_day, cast):
    page = cast.client(cast.admin_zhang).post("/plan/adopt/", {"source": "template"})
    assert page.status_code == 302
    plan = TermPlan.objects.get(term=cast.term)
    school_tasks = plan.tasks.filter(parent__isnull=True)
    assert school_tasks.count() == len(TEMPLATE)
    heads = school_tasks.filter(owner_kind="all_heads")
    # Every head teacher's task: one per class of the school, each with its own status.
    assert PlanTask.objects.filter(parent__in=heads, school_class=cast.class1).count() == heads.count()
    assert PlanTask.objects.filter(parent__in=heads, school_class=cast.class2).count() == heads.count()
    assert not PlanTask.objects.filter(plan=plan, school_class=cast.class_b).exists()
    for task in plan.tasks.all():
        assert cast.term.start_date <= task.due_on <= cast.term.end_date
    assert school_tasks.filter(owner=cast.admin_zhang, owner_kind="staff").exists()
    # Adopting twice writes nothing more.
    again = cast.client(cast.admin_zhang).post("/api/v1/plan/adopt", {}, content_type="application/json")
    assert again.status_code == 400
    assert TermPlan.objects.filter(term=cast.term).count() == 1


def test_the_plan_page_shows_which_classes_did_a_task_in_fixed_queries(school_day, cast, django_assert_num_queries):
    plan = adopt(cast)
    task = class1_task(plan, cast)
    response = cast.client(cast.ms_li).post(f"/plan/tasks/{task.pk}/", {"status": "done", "version": task.version})
    assert response.status_code == 302
    client = cast.client(cast.admin_zhang)
    client.get("/plan/")
    # 18: the admin's page lists the working groups that may own a task (one query).
    with django_assert_num_queries(18):
        page = client.get("/plan/")
    # More tasks, more classes: the same number of queries.
    client.post(f"/plan/{plan.pk}/tasks/", {"title": "读书会", "due_on": "2026-12-10", "owner_kind": "all_heads"})
    with django_assert_num_queries(18):
        client.get("/plan/")
    assert "1 of 2 classes done" in page.content.decode() or "2 个班中 1 个已完成" in page.content.decode()
    parent = PlanTask.objects.get(pk=task.parent_id)
    api = client.get("/api/v1/plan").json()
    entry = next(t for t in api["tasks"] if t["id"] == parent.pk)
    assert {c["class_name"]: c["status"] for c in entry["classes"]}[cast.class1.name] == "done"


def test_a_head_teacher_marks_a_task_done_with_an_event_as_evidence(school_day, cast):
    plan = adopt(cast)
    task = class1_task(plan, cast)
    event = create_event(cast.client(cast.ms_li), targets=[{"kind": "class", "class_id": cast.class1.pk}])
    response = cast.client(cast.ms_li).post(
        f"/api/v1/plan/tasks/{task.pk}",
        {"status": "done", "evidence_event_id": event.pk, "version": task.version},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    task.refresh_from_db()
    assert task.status == "done" and task.evidence_event == event and task.version == 2
    issue(cast, plan)
    # It leaves the head teacher's open tasks.
    mine = cast.client(cast.ms_li).get("/api/v1/plan").json()["mine"]
    assert task.pk not in [t["id"] for t in mine]
    assert mine  # the other class tasks are still open


def test_evidence_the_owner_may_not_see_is_refused_and_nothing_written(school_day, cast):
    plan = adopt(cast)
    task = class1_task(plan, cast)
    # An event of school B: not one ms_li may see.
    other = create_event(cast.client(cast.dave), targets=[{"kind": "class", "class_id": cast.class_b.pk}])
    response = cast.client(cast.ms_li).post(
        f"/api/v1/plan/tasks/{task.pk}",
        {"status": "done", "evidence_event_id": other.pk},
        content_type="application/json",
    )
    assert response.status_code == 400
    with translation.override("zh-hans"):
        assert response.json()["detail"] == gettext("That is not something you may link as evidence.")
    task.refresh_from_db()
    assert task.status == "planned" and task.evidence_event is None and task.version == 1


def test_the_second_of_two_editors_is_told_and_nothing_is_overwritten(school_day, cast):
    plan = adopt(cast)
    task = class1_task(plan, cast)
    first = cast.client(cast.ms_li).post(
        f"/api/v1/plan/tasks/{task.pk}", {"status": "in_progress", "version": 1}, content_type="application/json"
    )
    assert first.status_code == 200
    second = cast.client(cast.admin_zhang).post(
        f"/api/v1/plan/tasks/{task.pk}",
        {"status": "dropped", "drop_reason": "雨天", "version": 1},
        content_type="application/json",
    )
    assert second.status_code == 409
    assert second.json()["version"] == 2
    task.refresh_from_db()
    assert task.status == "in_progress"
    page = cast.client(cast.admin_zhang).post(
        f"/plan/tasks/{task.pk}/", {"status": "dropped", "drop_reason": "雨天", "version": 1}
    )
    assert page.status_code == 200 and 'role="alert"' in page.content.decode()
    task.refresh_from_db()
    assert task.status == "in_progress"


@pytest.mark.parametrize(
    "change",
    [
        {"due_on": "2030-01-01"},  # outside the term
        {"owner_id": "dave"},  # another school's staff
        {"title": " "},
        {"owner_kind": "grade_heads", "owner_id": None},  # no grade
    ],
)
def test_bad_tasks_are_refused_and_nothing_is_written(school_day, cast, change):
    plan = adopt(cast)
    before = PlanTask.objects.count()
    body = {"title": "校园开放日", "due_on": "2026-12-10", "owner_kind": "staff", "owner_id": cast.mr_wang.pk}
    body.update(change)
    if body.get("owner_id") == "dave":
        body["owner_id"] = cast.dave.pk
    response = cast.client(cast.admin_zhang).post(
        f"/api/v1/plan/{plan.pk}/tasks", body, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["detail"]
    assert PlanTask.objects.count() == before


def test_a_grade_task_fans_out_to_that_grade_only_and_a_dropped_task_needs_a_reason(school_day, cast):
    plan = adopt(cast)
    response = cast.client(cast.admin_zhang).post(
        f"/api/v1/plan/{plan.pk}/tasks",
        {"title": "三年级读书会", "due_on": "2026-12-10", "owner_kind": "grade_heads", "grade": cast.class1.grade},
        content_type="application/json",
    )
    assert response.status_code == 201
    task = PlanTask.objects.get(pk=response.json()["id"])
    classes = set(task.class_tasks.values_list("school_class__grade", flat=True))
    assert classes == {cast.class1.grade}
    child = task.class_tasks.get(school_class=cast.class1)
    dropped = cast.client(cast.ms_li).post(
        f"/api/v1/plan/tasks/{child.pk}", {"status": "dropped"}, content_type="application/json"
    )
    assert dropped.status_code == 400
    child.refresh_from_db()
    assert child.status == "planned"


def test_an_empty_plan_cannot_be_issued(school_day, cast):
    response = cast.client(cast.admin_zhang).post("/api/v1/plan/adopt", {}, content_type="application/json")
    plan = TermPlan.objects.get(pk=response.json()["id"])
    plan.tasks.all().delete()
    issued = cast.client(cast.admin_zhang).post(f"/api/v1/plan/{plan.pk}/issue")
    assert issued.status_code == 400
    plan.refresh_from_db()
    assert plan.issued_at is None
    PlanTask.objects.create(
        school=plan.school, plan=plan, month=datetime.date(2026, 12, 1), title="x", due_on=datetime.date(2026, 12, 2),
        owner=cast.admin_zhang,
    )  # fmt: skip
    assert cast.client(cast.admin_zhang).post(f"/api/v1/plan/{plan.pk}/issue").status_code == 200


def test_who_is_refused(school_day, cast):
    plan = adopt(cast)
    task = class1_task(plan, cast)
    class2_task = PlanTask.objects.filter(plan=plan, school_class=cast.class2).first()
    # Another class's head teacher (none here: mr_wang teaches class1 but heads none), a parent,
    # another school's admin: 404. Anonymous: sign in / 401.
    for user in (cast.mr_wang, cast.alice, cast.dave):
        assert cast.client(user).get(f"/plan/tasks/{task.pk}/").status_code == 404
        assert cast.client(user).get(f"/api/v1/plan/tasks/{task.pk}").status_code == 404
    assert cast.client(cast.ms_li).get(f"/plan/tasks/{class2_task.pk}/").status_code == 404
    assert cast.client(cast.ms_li).post(f"/api/v1/plan/{plan.pk}/issue").status_code == 404
    assert cast.client(cast.dave).post(f"/api/v1/plan/{plan.pk}/issue").status_code == 404
    assert cast.client().get("/plan/").status_code == 302
    assert cast.client().get("/api/v1/plan").status_code == 401


def test_a_new_term_copies_last_terms_plan(school_day, cast):
    from schools.models import Term

    plan = adopt(cast)
    old_term = cast.term
    Term.objects.filter(pk=old_term.pk).update(is_current=False)
    new_term = Term.objects.create(
        school=cast.school, name="2026—2027学年第二学期", start_date=datetime.date(2027, 2, 20),
        end_date=datetime.date(2027, 7, 10), is_current=True,
    )  # fmt: skip
    response = cast.client(cast.admin_zhang).post(
        "/api/v1/plan/adopt", {"source": "last"}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    copy = TermPlan.objects.get(term=new_term)
    assert copy.tasks.filter(parent__isnull=True).count() == plan.tasks.filter(parent__isnull=True).count()
    for task in copy.tasks.all():
        assert new_term.start_date <= task.due_on <= new_term.end_date
        assert task.status == "planned"


def test_an_issued_plans_tasks_land_in_their_owners_to_do_lists(school_day, cast):
    plan = adopt(cast)
    todo = cast.client(cast.ms_li).get("/api/v1/contacts/todo").json()
    assert todo["plan_tasks"] == []  # a draft plan asks nothing of anyone yet
    issue(cast, plan)
    todo = cast.client(cast.ms_li).get("/api/v1/contacts/todo").json()
    mine = {t["id"] for t in todo["plan_tasks"]}
    class1_tasks = set(PlanTask.objects.filter(plan=plan, school_class=cast.class1).values_list("pk", flat=True))
    assert mine == class1_tasks
    # Tasks due before today (16 Nov) are overdue.
    assert any(t["overdue"] for t in todo["plan_tasks"])
    admin = cast.client(cast.admin_zhang).get("/api/v1/contacts/todo").json()
    assert {t["id"] for t in admin["plan_tasks"]} == set(
        PlanTask.objects.filter(plan=plan, owner=cast.admin_zhang).values_list("pk", flat=True)
    )
    page = cast.client(cast.ms_li).get("/contacts/todo/")
    assert page.status_code == 200
    assert PlanTask.objects.get(pk=min(mine)).title in page.content.decode()
    # Mr Wang (a subject teacher) owns none of them.
    assert cast.client(cast.mr_wang).get("/api/v1/contacts/todo").json()["plan_tasks"] == []


def test_due_and_overdue_tasks_are_reminded_once_a_day(school_day, cast, mailoutbox, time_machine):
    from delivery.models import DeliveryPreference
    from plans.tasks import remind_plan_tasks

    DeliveryPreference.objects.create(user=cast.ms_li, email="li@example.com")
    plan = adopt(cast)
    assert remind_plan_tasks() == 0  # a draft plan reminds no one
    issue(cast, plan)
    assert remind_plan_tasks() >= 1
    to_li = [m for m in mailoutbox if m.to == ["li@example.com"]]
    assert len(to_li) == 1
    overdue = PlanTask.objects.filter(plan=plan, school_class=cast.class1, due_on__lt=datetime.date(2026, 11, 16))
    assert overdue.exists()
    assert all(t.title in to_li[0].body for t in overdue)
    # Not again the same day; a task done is not reminded the next day.
    assert remind_plan_tasks() == 0
    done = overdue.first()
    PlanTask.objects.filter(pk=done.pk).update(status="done")
    time_machine.move_to(datetime.datetime(2026, 11, 17, 10, 0, tzinfo=datetime.UTC))
    remind_plan_tasks()
    later = [m for m in mailoutbox if m.to == ["li@example.com"]]
    assert len(later) == 2
    assert f"{done.due_on.isoformat()} {done.title}" not in later[1].body
    assert f"{done.due_on.isoformat()} {done.title}" in later[0].body


def test_the_admin_edits_a_template_task_and_its_classes_follow(school_day, cast):
    plan = adopt(cast)
    parent = PlanTask.objects.filter(plan=plan, parent__isnull=True, owner_kind="all_heads").first()
    client = cast.client(cast.admin_zhang)
    response = client.post(
        f"/api/v1/plan/tasks/{parent.pk}/edit",
        {"title": "家委会换届选举", "due_on": "2026-12-18", "version": parent.version},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert set(parent.class_tasks.values_list("title", "due_on")) == {("家委会换届选举", datetime.date(2026, 12, 18))}
    assert parent.class_tasks.count() == 2
    # A stale version: told, nothing written.
    stale = client.post(
        f"/api/v1/plan/tasks/{parent.pk}/edit",
        {"title": "别的", "due_on": "2026-12-19", "version": parent.version},
        content_type="application/json",
    )
    assert stale.status_code == 409
    # Outside the term: refused, nothing written.
    outside = client.post(
        f"/plan/tasks/{parent.pk}/edit/", {"title": "别的", "due_on": "2031-01-01", "version": parent.version + 1}
    )
    assert outside.status_code == 302
    parent.refresh_from_db()
    assert parent.title == "家委会换届选举" and parent.version == 2
    # A head teacher may not edit it, nor may anyone edit a class's copy.
    child = parent.class_tasks.get(school_class=cast.class1)
    body = {"title": "x", "due_on": "2026-12-18"}
    assert (
        cast.client(cast.ms_li)
        .post(f"/api/v1/plan/tasks/{parent.pk}/edit", body, content_type="application/json")
        .status_code
        == 404
    )
    assert client.post(f"/api/v1/plan/tasks/{child.pk}/edit", body, content_type="application/json").status_code == 404


def test_a_notice_and_a_survey_the_owner_manages_are_evidence_others_are_not(school_day, cast):
    from tests.test_routes import _notice_pk, _survey_pk

    plan = adopt(cast)
    task = class1_task(plan, cast)
    notice_id, survey_id = _notice_pk(cast), _survey_pk(cast)
    # The head teacher of class 1 sent both: she may link them to her class's task.
    response = cast.client(cast.ms_li).post(
        f"/api/v1/plan/tasks/{task.pk}",
        {"status": "done", "evidence_notice_id": notice_id, "evidence_survey_id": survey_id, "version": 1},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert (response.json()["evidence_notice_id"], response.json()["evidence_survey_id"]) == (notice_id, survey_id)
    page = cast.client(cast.ms_li).get(f"/plan/tasks/{task.pk}/").content.decode()
    assert "春游通知" in page
    # School B's admin, on a task of their own plan, cannot link school A's notice.
    b_plan = cast.client(cast.dave).post("/api/v1/plan/adopt", {}, content_type="application/json").json()["id"]
    b_task = PlanTask.objects.filter(plan_id=b_plan, owner=cast.dave).first()
    refused = cast.client(cast.dave).post(
        f"/api/v1/plan/tasks/{b_task.pk}",
        {"status": "done", "evidence_notice_id": notice_id},
        content_type="application/json",
    )
    assert refused.status_code == 400
    b_task.refresh_from_db()
    assert b_task.status == "planned" and b_task.evidence_notice_id is None


def test_a_file_as_evidence_is_checked_from_its_bytes_and_served_to_the_task_only(school_day, cast, tmp_path, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    plan = adopt(cast)
    task = class1_task(plan, cast)
    client = cast.client(cast.ms_li)
    fake = SimpleUploadedFile("签到表.pdf", b"<html><script>alert(1)</script>")
    page = client.post(f"/plan/tasks/{task.pk}/", {"status": "done", "version": 1, "evidence_file": fake})
    assert page.status_code == 200 and 'role="alert"' in page.content.decode()
    task.refresh_from_db()
    assert task.status == "planned" and not task.evidence_file
    pdf = SimpleUploadedFile("签到表.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF")
    assert (
        client.post(f"/plan/tasks/{task.pk}/", {"status": "done", "version": 1, "evidence_file": pdf}).status_code
        == 302
    )
    task.refresh_from_db()
    assert task.status == "done" and task.evidence_filename == "签到表.pdf"
    download = client.get(f"/plan/tasks/{task.pk}/file/")
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert cast.client(cast.alice).get(f"/plan/tasks/{task.pk}/file/").status_code == 404
    assert cast.client(cast.dave).get(f"/plan/tasks/{task.pk}/file/").status_code == 404


def test_the_staff_see_the_plan_once_it_is_issued(school_day, cast):
    plan = adopt(cast)
    teacher = cast.client(cast.mr_wang)
    assert teacher.get("/api/v1/plan").json()["tasks"] == []
    title = html.escape(plan.tasks.filter(parent__isnull=True, owner=cast.admin_zhang).first().title)
    assert title not in teacher.get("/plan/").content.decode()
    issue(cast, plan)
    assert title in teacher.get("/plan/").content.decode()
    assert len(teacher.get("/api/v1/plan").json()["tasks"]) == plan.tasks.filter(parent__isnull=True).count()
