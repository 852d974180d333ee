import datetime
import logging

import pytest
from django.apps import apps
from django.contrib.sessions.models import Session
from django.db import models
from django.utils import timezone

from accounts.models import User
from audit.models import AuditEntry
from conftest import zh
from feedback.actions import do_sweep_overdue
from feedback.models import Rectification, Route, Suggestion
from feedback.tasks import remind_overdue_feedback
from schools.models import Guardian, Student

pytestmark = pytest.mark.usefixtures("unscoped")


def submit(client, cast, *, text="教室的窗户关不上", kind="class", anonymous=False, consent=False, place=None):
    data = {"place": place or f"{cast.school.pk}:{cast.class1.pk}", "kind": kind, "text": text}
    if anonymous:
        data["anonymous"] = "on"
    if consent:
        data["consent"] = "on"
    return client.post("/feedback/new/", data)


def step(client, suggestion, step, **data):
    return client.post(f"/feedback/{suggestion.pk}/handle/", {"step": step, **data})


# --- submitting --------------------------------------------------------------------------------------


def test_signed_suggestion_about_the_class_goes_to_its_head_teacher_with_the_default_time(cast, school_day):
    response = submit(cast.client(cast.alice), cast)
    assert response.status_code == 200
    suggestion = Suggestion.objects.get()
    assert suggestion.author == cast.alice and not suggestion.anonymous
    assert suggestion.owner == cast.ms_li
    assert suggestion.ack_due_at - suggestion.created_at == datetime.timedelta(hours=48)
    assert response.context["receipt"] in response.content.decode()
    assert AuditEntry.objects.get(action="feedback.submit").actor == cast.alice


def test_the_schools_route_decides_the_owner_the_department_and_the_time(cast, school_day):
    admin = cast.client(cast.admin_zhang)
    response = admin.post(
        "/feedback/routes/",
        {"kind": "canteen", "owner": cast.mr_wang.pk, "department": "后勤处", "ack_hours": "6"},
    )
    assert response.status_code == 302
    submit(cast.client(cast.bob), cast, kind="canteen", text="午饭太咸", place=f"{cast.school.pk}:")
    suggestion = Suggestion.objects.get()
    assert (suggestion.owner, suggestion.department) == (cast.mr_wang, "后勤处")
    assert suggestion.ack_due_at - suggestion.created_at == datetime.timedelta(hours=6)
    # Without a route, a school-wide kind goes to the admin.
    submit(cast.client(cast.bob), cast, kind="safety", text="校门口车太多", place=f"{cast.school.pk}:")
    assert Suggestion.objects.get(kind="safety").owner == cast.admin_zhang


def test_an_anonymous_suggestion_leaves_no_link_to_its_author_anywhere(cast, school_day, caplog):
    alice = cast.alice
    guardian = Guardian.objects.get(user=alice)
    child = Student.objects.get(pk=cast.alice_child.pk)
    words = {alice.name, alice.phone, alice.username, guardian.name, child.name}
    linked = {User: alice.pk, Guardian: guardian.pk, Student: child.pk}
    client = cast.client(alice)
    client.get("/feedback/new/")
    before = {
        m: {row["pk"]: row for row in m._base_manager.values("pk", *[f.attname for f in m._meta.concrete_fields])}
        for m in apps.get_models()
    }
    caplog.set_level(logging.DEBUG)
    response = submit(client, cast, anonymous=True)
    assert response.status_code == 200
    receipt = response.context["receipt"]
    suggestion = Suggestion.objects.get()
    assert suggestion.anonymous and suggestion.author is None
    assert suggestion.created_at.minute == 0 and suggestion.created_at.second == 0

    changed = 0
    for model in apps.get_models():
        fields = model._meta.concrete_fields
        for row in model._base_manager.values("pk", *[f.attname for f in fields]):
            if before[model].get(row["pk"]) == row:
                continue
            changed += 1
            if model is Session:
                # The session is the account's: it must not learn of the suggestion.
                decoded = str(Session.objects.get(pk=row["pk"]).get_decoded())
                assert receipt not in decoded and suggestion.receipt_hash not in decoded
                continue
            for field in fields:
                value = row[field.attname]
                if isinstance(field, models.ForeignKey) and field.related_model in linked:
                    assert value != linked[field.related_model], (model, field.name)
                if isinstance(value, str | dict | list):
                    assert not any(w in str(value) for w in words), (model, field.name)
    assert changed >= 2  # the suggestion and its audit row at least: the scan saw them
    entry = AuditEntry.objects.get(action="feedback.submit")
    assert entry.actor is None and entry.ip is None and entry.user_agent == ""
    assert entry.summary == "anonymous suggestion"
    logged = " ".join(r.getMessage() + str(r.__dict__.get("args")) for r in caplog.records)
    assert not any(w in logged for w in words) and f"user {alice.pk}" not in logged

    # The school sees it without any name; the author follows it with the receipt only.
    page = cast.client(cast.ms_li).get(f"/feedback/{suggestion.pk}/handle/").content.decode()
    assert "教室的窗户关不上" in page and not any(w in page for w in words)
    assert client.get(f"/feedback/{suggestion.pk}/").status_code == 404
    assert client.post("/feedback/follow/", {"receipt": receipt}).status_code == 200
    assert client.post("/feedback/follow/", {"receipt": receipt[:-2] + "xx"}).status_code == 404
    # This phone keeps the receipt in a cookie, not in the session: "my suggestions" lists it.
    assert "教室的窗户关不上" in client.get("/feedback/mine/").content.decode()


@pytest.mark.parametrize(
    "data, message",
    [
        ({"text": "   "}, "Write your suggestion or concern first."),
        ({"kind": "weather"}, "Choose what the suggestion is about."),
        ({"text": "x" * 2001}, ("Keep it under %(n)d characters.", {"n": 2000})),
    ],
)
def test_bad_suggestions_are_refused_with_a_message_and_nothing_written(cast, data, message):
    response = cast.client(cast.alice).post(
        "/feedback/new/",
        {"place": f"{cast.school.pk}:{cast.class1.pk}", "kind": "class", "text": "ok", **data},
        follow=True,
    )
    msgid, params = message if isinstance(message, tuple) else (message, {})
    assert zh(msgid) % params in response.content.decode()
    assert not Suggestion.objects.exists() and not AuditEntry.objects.filter(action="feedback.submit").exists()


def test_a_family_may_not_write_about_another_class_or_school(cast):
    alice = cast.client(cast.alice)
    assert submit(alice, cast, place=f"{cast.school.pk}:{cast.class2.pk}").status_code == 404
    assert submit(alice, cast, place=f"{cast.school_b.pk}:").status_code == 404
    assert submit(alice, cast, place=f"{cast.school.pk}:{cast.class_b.pk}").status_code == 404
    assert not Suggestion.objects.exists()


def test_submissions_are_rate_limited(cast):
    alice = cast.client(cast.alice)
    for i in range(5):
        assert submit(alice, cast, text=f"建议{i}").status_code == 200
    response = submit(alice, cast, text="第六条")
    assert zh("You have sent many suggestions today; please try again tomorrow.") in response.content.decode()
    assert Suggestion.objects.count() == 5


# --- handling ----------------------------------------------------------------------------------------


def test_the_whole_way_from_suggestion_to_done(cast, school_day):
    alice = cast.client(cast.alice)
    submit(alice, cast, consent=True)
    suggestion = Suggestion.objects.get()
    li = cast.client(cast.ms_li)
    assert step(li, suggestion, "acknowledge").status_code == 302
    assert step(li, suggestion, "reply", text="谢谢，已报修").status_code == 302
    assert step(li, suggestion, "decide", text="总务处本周修好").status_code == 302
    due = (timezone.localdate() + datetime.timedelta(days=3)).isoformat()
    assert step(li, suggestion, "rectify", text="修窗户", owner=cast.mr_wang.pk, due_on=due).status_code == 302
    rect = Rectification.objects.get()
    assert rect.owner == cast.mr_wang
    # Not closed while its rectification is open.
    page = step(li, suggestion, "close")
    assert Suggestion.objects.get().status == "decided"
    wang = cast.client(cast.mr_wang)
    assert "修窗户" in wang.get("/feedback/inbox/").content.decode()  # given to him, though not his suggestion
    assert wang.post(f"/feedback/rectifications/{rect.pk}/close/", {"note": "已换新窗锁"}).status_code == 302
    assert step(li, suggestion, "close").status_code == 302
    assert step(li, suggestion, "publish", text="窗户已修好").status_code == 302
    suggestion.refresh_from_db()
    assert suggestion.status == "closed" and suggestion.published_at
    status = alice.get(f"/feedback/{suggestion.pk}/").content.decode()
    assert "谢谢，已报修" in status and "已换新窗锁" in status
    assert "窗户已修好" in cast.client(cast.carol).get("/feedback/you-said-we-did/").content.decode()
    assert "窗户已修好" not in cast.client(cast.erin).get("/feedback/you-said-we-did/").content.decode()
    assert page.status_code == 200


def test_steps_out_of_order_are_refused_with_a_message(cast):
    submit(cast.client(cast.alice), cast)
    suggestion = Suggestion.objects.get()
    li = cast.client(cast.ms_li)
    response = step(li, suggestion, "decide", text="先决定")
    assert zh("Reply to the family before recording the decision.") in response.content.decode()
    response = step(li, suggestion, "rectify", text="x", owner=cast.ms_li.pk, due_on="2099-01-01")
    assert zh("Record the decision before opening a rectification.") in response.content.decode()
    assert step(li, suggestion, "reply", text="  ").status_code == 200
    suggestion.refresh_from_db()
    assert suggestion.status == "submitted" and not Rectification.objects.exists()
    # No consent: no public answer.
    step(li, suggestion, "reply", text="好")
    step(li, suggestion, "decide", text="改")
    response = step(li, suggestion, "publish", text="公开")
    assert zh("The author did not agree to a public answer.") in response.content.decode()


def test_a_public_answer_goes_through_the_guardrails(cast):
    submit(cast.client(cast.alice), cast, consent=True)
    suggestion = Suggestion.objects.get()
    li = cast.client(cast.ms_li)
    step(li, suggestion, "reply", text="好")
    step(li, suggestion, "decide", text="改")
    step(li, suggestion, "publish", text="刘小明数学考了59分，全班倒数第一")
    suggestion.refresh_from_db()
    assert suggestion.published_at is None


def test_only_the_owner_and_the_admins_handle_a_suggestion(cast):
    submit(cast.client(cast.alice), cast)
    suggestion = Suggestion.objects.get()
    for user in (cast.mr_wang, cast.bob, cast.carol, cast.dave, cast.erin):
        assert step(cast.client(user), suggestion, "reply", text="我来回").status_code == 404
        assert cast.client(user).get(f"/feedback/{suggestion.pk}/").status_code == 404
    assert step(cast.client(cast.admin_zhang), suggestion, "acknowledge").status_code == 302
    assert cast.client().get(f"/feedback/{suggestion.pk}/handle/").status_code == 302
    suggestion.refresh_from_db()
    assert suggestion.reply == ""


def test_overdue_steps_are_reminded_then_escalated_once(
    cast, school_day, time_machine, mailoutbox, django_capture_on_commit_callbacks
):
    cast.admin_zhang.email = "zhang@example.cn"
    cast.admin_zhang.save()
    cast.ms_li.email = "li@example.cn"
    cast.ms_li.save()
    submit(cast.client(cast.alice), cast)
    mailoutbox.clear()
    assert do_sweep_overdue() == {"reminded": 0, "escalated": 0}
    time_machine.move_to(school_day + datetime.timedelta(hours=49))
    with django_capture_on_commit_callbacks(execute=True):
        assert remind_overdue_feedback() == {"reminded": 1, "escalated": 0}
        assert remind_overdue_feedback() == {"reminded": 0, "escalated": 0}
    time_machine.move_to(school_day + datetime.timedelta(hours=73))
    with django_capture_on_commit_callbacks(execute=True):
        assert remind_overdue_feedback() == {"reminded": 0, "escalated": 1}
        assert remind_overdue_feedback() == {"reminded": 0, "escalated": 0}
    assert [m.to for m in mailoutbox] == [["li@example.cn"], ["zhang@example.cn"]]
    assert Suggestion.objects.get().escalated_at is not None


def test_the_monthly_report_counts_by_kind_first_answer_and_rectifications(cast, school_day, django_assert_num_queries):
    Route.objects.create(school=cast.school, kind="canteen", owner=cast.admin_zhang)
    alice = cast.client(cast.alice)
    submit(alice, cast)
    submit(alice, cast, kind="canteen", text="饭凉", place=f"{cast.school.pk}:")
    first = Suggestion.objects.get(kind="class")
    step(cast.client(cast.ms_li), first, "reply", text="好")
    admin = cast.client(cast.admin_zhang)
    admin.get("/feedback/report/?month=2026-11")  # warm the session and roles
    with django_assert_num_queries(14):  # session, user, roles (3), tab bar (5), school, one per figure (3)
        response = admin.get("/feedback/report/?month=2026-11")
    r = response.context["r"]
    assert r["by_kind"] == {"canteen": 1, "class": 1} and r["answered"] == 1
    assert r["hours_to_first_answer"] is not None
    assert cast.client(cast.ms_li).get("/feedback/report/").status_code == 404


@pytest.mark.parametrize("count", [1, 12])
def test_the_inbox_keeps_its_query_count(cast, count, django_assert_num_queries):
    for i in range(count):
        Suggestion.objects.create(
            school=cast.school,
            school_class=cast.class1,
            kind="class",
            text=f"s{i}",
            owner=cast.ms_li,
            ack_due_at=timezone.now(),
        )
    li = cast.client(cast.ms_li)
    li.get("/feedback/inbox/")
    with django_assert_num_queries(12):  # session, user, roles (3), the tab bar (5), the lists (2)
        response = li.get("/feedback/inbox/")
    assert len(response.context["suggestions"]) == count
