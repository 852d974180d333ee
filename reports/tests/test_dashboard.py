"""The dashboards through HTTP (issue 15): the admin's school dashboard, a head teacher's class, the
contacts per teacher, the workload signals (admins only), the rules, the .xlsx exports, the JSON
API, the class update and the themed discussion as teachers mark them, and query counts that do not
grow with the school."""

import datetime
import io

import pytest
import time_machine
from django.utils import timezone
from openpyxl import load_workbook

from audit.models import AuditEntry
from chat.models import Message
from conftest import zh
from notices.models import Notice, NoticeTarget
from reports.models import RhythmRules
from schools.models import Enrollment, SchoolClass, Student

from .rhythm_records import at, chat_message, class_group, contact, evaluation_answer, notice
from .test_rhythm import term_records

pytestmark = pytest.mark.usefixtures("unscoped")


def _sheet(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    return rows


def test_the_admin_sees_every_class_rule_by_rule(school_day, cast):
    today = timezone.localdate()
    term_records(cast, today)
    page = cast.client(cast.admin_zhang).get("/reports/dashboard/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "三年级1班" in html and "三年级2班" in html and "李老师" in html
    assert zh("Class updates") in html and zh("Contact coverage") in html
    assert zh("met") in html and zh("behind") in html
    # Charts are server-drawn SVG with their numbers for screen readers, no script.
    assert html.count('<svg class="chart"') == 3 and "<desc>" in html
    assert "<script>" not in html
    # School B's records never appear.
    assert "明德小学" not in html


def test_every_table_exports(school_day, cast):
    today = timezone.localdate()
    term_records(cast, today)
    admin = cast.client(cast.admin_zhang)
    rows = _sheet(admin.get("/reports/dashboard/?export=classes"))
    assert rows[0][0] == zh("Class") and [r[0] for r in rows[1:]] == ["三年级1班", "三年级2班"]
    summary = _sheet(admin.get("/reports/dashboard/?export=summary"))
    assert len(summary) == 1 + 8
    one = _sheet(cast.client(cast.ms_li).get(f"/reports/dashboard/classes/{cast.class1.pk}/?export=xlsx"))
    assert len(one) == 1 + 8 and one[1][0] == zh("Class updates")
    teachers = _sheet(admin.get("/reports/dashboard/teachers/?export=xlsx"))
    assert teachers[1][0] == "李老师"
    assert _sheet(admin.get("/reports/dashboard/workload/?export=weeks"))[0][0] == zh("Teacher")


def test_a_head_teacher_sees_her_class(school_day, cast):
    today = timezone.localdate()
    term_records(cast, today)
    li = cast.client(cast.ms_li)
    # One class: "my classes" opens it.
    mine = li.get("/reports/dashboard/mine/")
    assert mine.status_code == 302 and mine["Location"].endswith(f"/reports/dashboard/classes/{cast.class1.pk}/")
    page = li.get(mine["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    assert "三年级1班" in html and zh("Where it comes from") not in html  # the sources are under each rule
    assert str(zh("published notices of the kind class update (班级动态) sent to the class")) in html
    # Not the other class, not the school's page, not the workload.
    assert li.get(f"/reports/dashboard/classes/{cast.class2.pk}/").status_code == 404
    assert li.get("/reports/dashboard/").status_code == 404
    assert li.get("/reports/dashboard/workload/").status_code == 404


def test_contacts_per_teacher(school_day, cast):
    today = timezone.localdate()
    contact(cast.school, cast.term, cast.ms_li, cast.alice_child, day=today)
    contact(cast.school, cast.term, cast.ms_li, cast.bob_child, day=today, kind="phone")
    contact(cast.school, cast.term, cast.mr_wang, cast.alice_child, day=today)
    admin = cast.client(cast.admin_zhang).get("/reports/dashboard/teachers/").content.decode()
    assert "李老师" in admin and "王老师" in admin
    own = cast.client(cast.mr_wang).get("/reports/dashboard/teachers/").content.decode()
    assert "王老师" in own and "李老师" not in own
    api = cast.client(cast.admin_zhang).get("/api/v1/reports/dashboard/teachers").json()
    li = next(p for p in api if p["name"] == "李老师")
    assert li["families"] == 2 and li["total"] == 2 and li["by_kind"] == {"school_talk": 1, "phone": 1}


def test_workload_signals_for_admins_only(cast):
    # Monday 2026-11-16, 22:30 Shanghai: ms_li answers in the class group late in the evening.
    with time_machine.travel(
        datetime.datetime(2026, 11, 16, 22, 30, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))
    ):
        from conftest import build_cast  # noqa: F401 — the cast was built before; nothing to rebuild

        group = class_group(cast.class1, cast.ms_li)
        chat_message(group, cast.ms_li, when=timezone.now())
        chat_message(group, cast.ms_li, when=timezone.now() - datetime.timedelta(hours=12))  # 10:30: working hours
        # A family's question from the Wednesday before, still unanswered: more than two working days.
        chat_message(group, cast.alice, when=timezone.now() - datetime.timedelta(days=5), kind=Message.Kind.QUESTION)
        contact(
            cast.school,
            cast.term,
            cast.ms_li,
            cast.alice_child,
            day=timezone.localdate(),
            follow_up_on=timezone.localdate() - datetime.timedelta(days=3),
        )
        page = cast.client(cast.admin_zhang).get("/reports/dashboard/workload/")
        assert page.status_code == 200
        api = cast.client(cast.admin_zhang).get("/api/v1/reports/dashboard/workload").json()
    li = next(p for p in api if p["name"] == "李老师")
    assert li["overdue"] == 1 and not li["many_overdue"]
    assert sum(w["after_hours"] for w in li["weeks"]) == 1
    assert sum(w["waiting"] for w in li["weeks"]) == 1
    html = page.content.decode()
    assert "李老师" in html and zh("Workload signals") in html


def test_the_rules_are_the_schools(cast):
    admin = cast.client(cast.admin_zhang)
    assert admin.get("/reports/dashboard/rules/").status_code == 200
    fields = {
        "updates_per_week": "2",
        "themed_per_month": "1",
        "meetings_per_term": "3",
        "parent_school_per_term": "1",
        "trainings_per_term": "1",
        "coverage_percent": "90",
        "follow_up_percent": "100",
        "evaluation_percent": "50",
    }
    bad = admin.post("/reports/dashboard/rules/", {**fields, "coverage_percent": "120", "meetings_per_term": "x"})
    assert bad.status_code == 400
    assert zh("Enter a number from 0 to %(max)d.") % {"max": 100} in bad.content.decode()
    assert zh("Enter a whole number.") in bad.content.decode()
    assert not RhythmRules.objects.filter(school=cast.school).exists()
    assert admin.post("/reports/dashboard/rules/", fields).status_code == 302
    rules = RhythmRules.objects.get(school=cast.school)
    assert rules.updates_per_week == 2 and rules.meetings_per_term == 3 and rules.coverage_percent == 90
    assert AuditEntry.objects.filter(action=AuditEntry.Action.RHYTHM_RULES, school=cast.school).count() == 1
    api = admin.post(
        "/api/v1/reports/rhythm-rules",
        {**{k: int(v) for k, v in fields.items()}, "themed_per_month": 99},
        content_type="application/json",
    )
    assert api.status_code == 400
    assert admin.get("/api/v1/reports/rhythm-rules").json()["themed_per_month"] == 1


def test_the_api_answers_what_the_pages_show(school_day, cast):
    today = timezone.localdate()
    term_records(cast, today)
    data = cast.client(cast.admin_zhang).get("/api/v1/reports/dashboard").json()
    assert [c["class_name"] for c in data["classes"]] == ["三年级1班", "三年级2班"]
    one = data["classes"][0]
    coverage = next(f for f in one["figures"] if f["rule"] == "coverage")
    assert coverage["value"] == 50.0 and coverage["state"] == "behind"
    assert {r["rule"] for r in data["rules"]} >= {"updates", "themed", "meetings", "evaluation"}
    assert data["satisfaction"][0]["average"] == 4.0
    mine = cast.client(cast.ms_li).get(f"/api/v1/reports/dashboard/classes/{cast.class1.pk}").json()
    assert [c["class_name"] for c in mine["classes"]] == ["三年级1班"]
    assert cast.client(cast.ms_li).get(f"/api/v1/reports/dashboard/classes/{cast.class2.pk}").status_code == 404
    assert cast.client(cast.dave).get(f"/api/v1/reports/dashboard/classes/{cast.class1.pk}").status_code == 404


def test_a_class_update_is_information_only(school_day, cast):
    li = cast.client(cast.ms_li)
    base = {"title": "本周班级动态", "body": "我们去了植物园。", "classes": [cast.class1.pk], "kind": "class_update"}
    refused = li.post("/notices/new/", {**base, "action": "confirm"})
    assert refused.status_code == 400
    assert zh("A class update is information only: families are not asked to do anything.") in refused.content.decode()
    assert not Notice.objects.filter(kind=Notice.Kind.CLASS_UPDATE).exists()
    li.post("/notices/new/", {**base, "action": "none", "themed": "on"})
    sent = Notice.objects.get(kind=Notice.Kind.CLASS_UPDATE)
    assert sent.action == Notice.Action.NONE and sent.themed


def test_a_moderator_marks_a_themed_discussion(school_day, cast):
    group = class_group(cast.class1, cast.ms_li)
    opening = chat_message(group, cast.ms_li, when=timezone.now())
    # A parent cannot mark it.
    cast.client(cast.alice).post(f"/chat/{group.pk}/manage/", {"op": "theme", "message": opening.pk, "theme": "x"})
    opening.refresh_from_db()
    assert opening.theme == ""
    cast.client(cast.ms_li).post(
        f"/chat/{group.pk}/manage/", {"op": "theme", "message": opening.pk, "theme": "  如何陪孩子 阅读 "}
    )
    opening.refresh_from_db()
    assert opening.theme == "如何陪孩子 阅读"
    assert AuditEntry.objects.filter(action=AuditEntry.Action.CHAT_THEME, school=cast.school).count() == 1
    data = cast.client(cast.ms_li).get(f"/api/v1/reports/dashboard/classes/{cast.class1.pk}").json()
    themed = next(f for f in data["classes"][0]["figures"] if f["rule"] == "themed")
    assert themed["value"] == 1


def _grow(cast, classes: int) -> None:
    today = timezone.localdate()
    for i in range(classes):
        klass = SchoolClass.objects.create(school=cast.school, grade=4 + i % 2, number=10 + i)
        for j in range(3):
            student = Student.objects.create(school=cast.school, name=f"学生{i}-{j}", school_class=klass)
            Enrollment.objects.create(
                school=cast.school, term=cast.term, student=student, school_class=klass, class_name=klass.name
            )
            contact(cast.school, cast.term, cast.ms_li, student, day=today, follow_up_on=today - datetime.timedelta(1))
        notice(
            cast.school,
            cast.ms_li,
            day=today,
            kind=Notice.Kind.CLASS_UPDATE,
            targets=[{"kind": NoticeTarget.Kind.CLASS, "school_class": klass}],
        )
        evaluation_answer(cast.school, cast.admin_zhang, student, None, day=today, rating=4)
        chat_message(class_group(klass, cast.ms_li), cast.ms_li, when=at(today, 23))


def test_the_dashboards_queries_do_not_grow(school_day, cast, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    term_records(cast, timezone.localdate())
    # The chat badge of the page's menu asks one more query once the school has a class group.
    chat_message(class_group(cast.class2, cast.admin_zhang), cast.admin_zhang, when=timezone.now())
    admin = cast.client(cast.admin_zhang)
    counts = {}
    for label, grow in (("small", 0), ("big", 15)):
        _grow(cast, grow)
        for url in ("/reports/dashboard/", "/reports/dashboard/workload/", "/reports/dashboard/teachers/"):
            with CaptureQueriesContext(connection) as ctx:
                assert admin.get(url).status_code == 200
            counts[(label, url)] = len(ctx.captured_queries)
    for url in ("/reports/dashboard/", "/reports/dashboard/workload/", "/reports/dashboard/teachers/"):
        assert counts[("big", url)] == counts[("small", url)], url
    with django_assert_max_num_queries(45):
        admin.get("/reports/dashboard/")
