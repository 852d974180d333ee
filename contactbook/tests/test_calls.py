"""The ladder's call tasks: on the head teacher's to-do list with the family's numbers; recording the
call writes a contact-book entry of kind phone and feeds the family's reachability."""

import datetime

import pytest
from django.utils import timezone, translation
from django.utils.translation import gettext
from django_scopes import scope

from accounts.models import Consent
from contactbook.models import ContactRecord
from delivery.models import Delivery
from home.todo import todo_count, todo_items
from notices.actions import TargetSpec, do_create_notice, do_respond, my_receipts
from notices.fanout import do_fan_out_notice
from notices.ladder import LADDER_ROUND, climb
from notices.models import CallTask, Notice
from notices.queries import class_reachability
from schools.models import Guardian
from schools.roles import compute_roles

# The clock is frozen on a school day before the cast is built, so its term holds the day the calls
# are recorded on (the ``task`` fixture then moves the clock on by hours).
pytestmark = pytest.mark.usefixtures("school_day", "unscoped")


@pytest.fixture
def task(cast, school_day, time_machine) -> CallTask:
    Consent.objects.create(user=cast.alice, kind="sms", version="2026-1")  # alice's family is texted
    Guardian.objects.filter(phone="13800000002").update(user=None, activated_at=None)
    with scope(school=[cast.school.pk]):
        notice = do_create_notice(
            cast.school,
            acting_user=cast.ms_li,
            roles=compute_roles(cast.ms_li),
            title="春游回执",
            body_html="<p>请确认。</p>",
            action=Notice.Action.CONFIRM,
            targets=[TargetSpec("class", class_id=cast.class1.pk)],
        )
    do_fan_out_notice(notice.pk, acting_user=None)
    time_machine.move_to(timezone.now() + datetime.timedelta(hours=2, minutes=1))
    climb()
    return CallTask.objects.get(notice=notice, student=cast.bob_child)


def test_a_call_task_is_on_the_head_teachers_list_with_the_numbers(cast, task):
    page = cast.client(cast.ms_li).get("/contacts/todo/").content.decode()
    assert "陈小红" in page and "13800000002" in page and f"/contacts/calls/{task.pk}/" in page
    with scope(school=[cast.school.pk]):
        roles = compute_roles(cast.ms_li)
        assert [t.item.pk for t in todo_items(cast.ms_li, roles, cast.school).call_tasks] == [task.pk]
        assert todo_count(cast.ms_li, roles, cast.school).open == 1
        # The subject teacher has no call tasks on their list.
        assert todo_items(cast.mr_wang, compute_roles(cast.mr_wang), cast.school).call_tasks == []


def test_a_family_that_acts_leaves_the_list(cast, task):
    Guardian.objects.filter(phone="13800000002").update(user=cast.bob)
    with scope(school=[cast.school.pk]):
        do_respond(task.notice, my_receipts(task.notice, cast.bob), acting_user=cast.bob)
        roles = compute_roles(cast.ms_li)
        assert todo_items(cast.ms_li, roles, cast.school).call_tasks == []
        assert todo_count(cast.ms_li, roles, cast.school).open == 0


def test_recording_the_call_writes_a_phone_entry_and_reachability(cast, task):
    client = cast.client(cast.ms_li)
    page = client.get(f"/contacts/calls/{task.pk}/").content.decode()
    assert "tel:13800000002" in page
    # No outcome: a clear message, nothing written.
    response = client.post(f"/contacts/calls/{task.pk}/", {"outcome": "", "note": "x"})
    assert response.status_code == 200 and not ContactRecord.objects.exists()
    response = client.post(f"/contacts/calls/{task.pk}/", {"outcome": "wrong_number", "note": "空号"})
    record = ContactRecord.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/contacts/{record.pk}/"
    assert record.kind == "phone" and "空号" in record.summary
    assert [s.student_id for s in record.student_links.all()] == [cast.bob_child.pk]
    task.refresh_from_db()
    assert task.outcome == "wrong_number" and task.contact_record_id == record.pk
    # Twice: refused, still one entry.
    client.post(f"/contacts/calls/{task.pk}/", {"outcome": "reached"})
    assert ContactRecord.objects.count() == 1
    rows = {row["student"].pk: row for row in class_reachability(cast.class1)}
    assert rows[cast.bob_child.pk]["hard"] and rows[cast.bob_child.pk]["last_call"] == "wrong_number"
    with translation.override("zh-hans"):  # the head teacher reads it in Chinese
        wrong = gettext("The last call reached a wrong number: update the family's numbers")
    assert wrong in rows[cast.bob_child.pk]["fixes"]


def test_another_class_or_school_cannot_open_or_record_the_call(cast, task):
    for user in (cast.carol, cast.dave, cast.alice):
        assert cast.client(user).post(f"/contacts/calls/{task.pk}/", {"outcome": "reached"}).status_code == 404
    assert cast.client().get(f"/contacts/calls/{task.pk}/").status_code == 302
    assert not ContactRecord.objects.exists()


def test_reachability_from_deliveries(cast, task, django_assert_num_queries):
    alice_receipt = task.notice.receipts.get(guardian__user=cast.alice)
    Delivery.objects.filter(receipt=alice_receipt, channel="sms", round=LADDER_ROUND).update(
        status="sent", sent_at=timezone.now()
    )
    Delivery.objects.create(school=cast.school, receipt=alice_receipt, channel="email", status="failed")
    with django_assert_num_queries(5):
        rows = class_reachability(cast.class1)
    by_student = {row["student"].pk: row for row in rows}
    alice = by_student[cast.alice_child.pk]
    assert not alice["hard"]
    assert alice["guardians"][0]["sms_last"] is not None and alice["guardians"][0]["email_bouncing"]
    bob = by_student[cast.bob_child.pk]
    with translation.override("zh-hans"):
        never = gettext("%(name)s has never signed in: invite them to the app") % {"name": "陈波"}
    assert bob["hard"] and never in bob["fixes"]
    assert rows[0]["student"].pk == cast.bob_child.pk  # hard to reach first
    page = cast.client(cast.ms_li).get(f"/classes/{cast.class1.pk}/reachability/").content.decode()
    assert "陈小红" in page and 'class="card warn"' in page
    assert cast.client(cast.carol).get(f"/classes/{cast.class1.pk}/reachability/").status_code == 404


def test_the_call_tasks_and_the_ladder_in_the_api(cast, task, django_assert_max_num_queries):
    teacher = cast.client(cast.ms_li)
    listed = teacher.get("/api/v1/calls").json()
    assert [(t["id"], t["student"], t["outcome"]) for t in listed] == [(task.pk, "陈小红", "")]
    assert [n["phone"] for n in listed[0]["numbers"]] == ["13800000002"]
    assert cast.client(cast.mr_wang).get("/api/v1/calls").json() == []  # not a head teacher
    assert cast.client(cast.alice).get(f"/api/v1/calls/{task.pk}").status_code == 404
    # The notice's ladder, family by family: alice's texted, bob's family a call task.
    with django_assert_max_num_queries(12):
        ladder = teacher.get(f"/api/v1/notices/{task.notice_id}/ladder").json()
    assert (ladder["sms_after_minutes"], ladder["call_after_minutes"]) == (120, 360)
    families = {f["student"]: f for f in ladder["families"]}
    # (queued: the worker sends it after the climb commits)
    assert [(m["channel"], m["status"]) for m in families["刘小明"]["messages"]] == [("sms", "pending")]
    assert families["刘小明"]["call_task_id"] is None
    assert (families["陈小红"]["messages"], families["陈小红"]["call_task_id"]) == ([], task.pk)
    # A failed SMS is told in plain words.
    Delivery.objects.filter(round=LADDER_ROUND).update(status="failed", error_kind="number")
    ladder = teacher.get(f"/api/v1/notices/{task.notice_id}/ladder").json()
    problem = {f["student"]: f for f in ladder["families"]}["刘小明"]["messages"][0]["problem"]
    with translation.override("zh-hans"):
        from delivery.sms_providers import failure_text

        assert problem == failure_text("number", given_up=True)
    # Recording the call: 400 without an outcome, then 201 and a phone entry; once only.
    url = f"/api/v1/calls/{task.pk}"
    assert teacher.post(url, {"outcome": ""}, content_type="application/json").status_code == 400
    response = teacher.post(url, {"outcome": "reached", "note": "已通知"}, content_type="application/json")
    assert response.status_code == 201
    record = ContactRecord.objects.get(pk=response.json()["contact_id"])
    assert record.kind == "phone" and "已通知" in record.summary
    assert teacher.post(url, {"outcome": "reached"}, content_type="application/json").status_code == 400
    assert teacher.get(f"/api/v1/calls/{task.pk}").json()["outcome"] == "reached"
    assert teacher.get("/api/v1/calls").json() == []
