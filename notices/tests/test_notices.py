import datetime
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from audit.models import AuditEntry
from notices.actions import TargetSpec, do_create_notice
from notices.models import Notice, NoticeTarget, Receipt, StudentReceipt
from schools.models import Guardian, Student, StudentGuardian
from schools.roles import compute_roles

pytestmark = pytest.mark.usefixtures("unscoped")


def compose(client, **fields):
    data = {
        "title": "春游通知",
        "body": "周五春游，请带好水壶。",
        "action": "confirm",
        "idempotency_key": fields.pop("key", ""),
    }
    data.update(fields)
    return client.post("/notices/new/", data)


def notice_by(title):
    return Notice.objects.get(title=title)


def test_head_teacher_publishes_to_her_class_and_every_guardian_gets_one_receipt(cast):
    response = compose(cast.client(cast.ms_li), classes=[cast.class1.pk])
    assert response.status_code == 302
    notice = notice_by("春游通知")
    assert notice.status == "published" and notice.fanned_out_at is not None
    guardians = set(Receipt.objects.filter(notice=notice).values_list("guardian__phone", flat=True))
    assert guardians == {"13800000001", "13800000002"}
    assert set(StudentReceipt.objects.filter(notice=notice).values_list("student__name", flat=True)) == {
        "刘小明",
        "陈小红",
    }


def test_fan_out_is_idempotent(cast):
    from notices.fanout import fan_out

    compose(cast.client(cast.ms_li), classes=[cast.class1.pk])
    notice = notice_by("春游通知")
    with scope(school=[cast.school.pk]):
        assert fan_out(notice) == {"receipts": 0, "students": 0}
    assert Receipt.objects.filter(notice=notice).count() == 2


def test_siblings_share_one_receipt_for_their_guardian(cast):
    sibling = Student.objects.create(school=cast.school, name="刘小亮", school_class=cast.class2)
    StudentGuardian.objects.create(school=cast.school, student=sibling, guardian=cast.alice_guardian)
    compose(cast.client(cast.admin_zhang), whole_school="on")
    notice = notice_by("春游通知")
    assert Receipt.objects.filter(notice=notice, guardian=cast.alice_guardian).count() == 1
    assert StudentReceipt.objects.filter(notice=notice).count() == 4


def test_a_double_tap_publishes_once(cast):
    client = cast.client(cast.ms_li)
    compose(client, classes=[cast.class1.pk], key="abc123")
    compose(client, classes=[cast.class1.pk], key="abc123")
    assert Notice.objects.filter(title="春游通知").count() == 1


@pytest.mark.parametrize(
    ("who", "fields"),
    [
        ("ms_li", {"classes": "class2"}),  # not her class
        ("mr_wang", {"whole_school": "on"}),  # only admins
        ("ms_li", {"students": "carol_child"}),  # a student of another class
        ("ms_li", {}),  # no audience
    ],
)
def test_audiences_the_sender_may_not_address(cast, who, fields):
    resolved = {}
    for key, value in fields.items():
        resolved[key] = getattr(cast, value).pk if value not in ("on",) else value
    response = compose(cast.client(getattr(cast, who)), **resolved)
    assert response.status_code == 400
    assert not Notice.objects.exists() and not Receipt.objects.exists()


@pytest.mark.parametrize(
    "fields",
    [
        {"title": ""},
        {"action": "answer", "options": "参加"},
        {"deadline": "2020-01-01T10:00"},
        {"publish_at": "2020-01-01T10:00"},
    ],
)
def test_bad_input_writes_nothing(cast, fields):
    response = compose(cast.client(cast.ms_li), classes=[cast.class1.pk], **fields)
    assert response.status_code == 400
    assert not Notice.objects.exists()


def test_guardrail_warns_then_sends_with_a_logged_reason(cast):
    client = cast.client(cast.ms_li)
    body = "期中成绩：刘小明 98分，陈小红 65分。"
    response = compose(client, classes=[cast.class1.pk], title="成绩", body=body, action="read")
    assert response.status_code == 400
    assert not Notice.objects.exists()
    response = compose(
        client, classes=[cast.class1.pk], title="成绩", body=body, action="read", guardrail_reason="家长会要求公布"
    )
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action="guardrail_override")
    assert entry.detail["reason"] == "家长会要求公布" and "刘小明" not in entry.summary


def test_private_notice_to_one_family_is_not_warned(cast):
    response = compose(
        cast.client(cast.ms_li),
        students=[cast.alice_child.pk],
        title="成绩",
        body="刘小明 本次数学 98分。",
        action="read",
    )
    assert response.status_code == 302
    assert list(Receipt.objects.values_list("guardian__phone", flat=True)) == ["13800000001"]


def test_parent_reads_confirms_and_the_rollup_follows(cast):
    compose(cast.client(cast.ms_li), classes=[cast.class1.pk])
    notice = notice_by("春游通知")
    parent = cast.client(cast.alice)
    feed = parent.get("/notices/").content.decode()
    assert "春游通知" in feed
    assert parent.get(f"/notices/{notice.pk}/").status_code == 200
    receipt = Receipt.objects.get(notice=notice, guardian=cast.alice_guardian)
    assert receipt.read_at is not None and receipt.acted_at is None
    parent.post(f"/notices/{notice.pk}/")
    receipt.refresh_from_db()
    assert receipt.acted_at is not None
    assert StudentReceipt.objects.get(notice=notice, student=cast.alice_child).done_at is not None
    assert StudentReceipt.objects.get(notice=notice, student=cast.bob_child).done_at is None


def test_answers_are_tallied_and_bad_answers_refused(cast):
    compose(
        cast.client(cast.ms_li), classes=[cast.class1.pk], action="answer", options="参加\n不参加", allow_comment="on"
    )
    notice = notice_by("春游通知")
    cast.client(cast.alice).post(f"/notices/{notice.pk}/", {"answer": "参加", "comment": "会带伞"})
    cast.client(cast.bob).post(f"/notices/{notice.pk}/", {"answer": "也许"})
    assert Receipt.objects.get(notice=notice, guardian=cast.alice_guardian).answer == "参加"
    assert Receipt.objects.filter(notice=notice, acted_at__isnull=False).count() == 1
    page = cast.client(cast.ms_li).get(f"/notices/{notice.pk}/results/").content.decode()
    assert "会带伞" in page and "50%" in page


def test_every_guardian_rule(cast):
    second = Guardian.objects.create(school=cast.school, name="刘爸爸", phone="13700000020", user=cast.mr_wang)
    StudentGuardian.objects.create(school=cast.school, student=cast.alice_child, guardian=second)
    compose(cast.client(cast.ms_li), classes=[cast.class1.pk], every_guardian="on")
    notice = notice_by("春游通知")
    cast.client(cast.alice).post(f"/notices/{notice.pk}/")
    assert StudentReceipt.objects.get(notice=notice, student=cast.alice_child).done_at is None
    cast.client(cast.mr_wang).post(f"/notices/{notice.pk}/")
    assert StudentReceipt.objects.get(notice=notice, student=cast.alice_child).done_at is not None


def test_parent_of_another_class_cannot_see_or_answer(cast):
    compose(cast.client(cast.ms_li), classes=[cast.class1.pk])
    notice = notice_by("春游通知")
    assert cast.client(cast.carol).get(f"/notices/{notice.pk}/").status_code == 404
    assert cast.client(cast.carol).post(f"/notices/{notice.pk}/").status_code == 404
    assert cast.client(cast.dave).get(f"/notices/{notice.pk}/results/").status_code == 404
    assert cast.client(cast.mr_wang).get(f"/notices/{notice.pk}/results/").status_code == 404
    assert "春游通知" not in cast.client(cast.carol).get("/notices/").content.decode()


def test_marking_read_is_one_update(cast, django_assert_num_queries):
    from notices.actions import do_mark_read

    compose(cast.client(cast.ms_li), classes=[cast.class1.pk], action="confirm")
    notice = notice_by("春游通知")
    # The reader's receipts, then the family's stamp (mark_family_read), whatever the family's size.
    with scope(school=[cast.school.pk]), django_assert_num_queries(2):
        assert do_mark_read(notice, acting_user=cast.alice) == 1
    with scope(school=[cast.school.pk]), django_assert_num_queries(1):
        assert do_mark_read(notice, acting_user=cast.alice) == 0  # already read: nothing changes


def test_remind_reaches_only_those_who_have_not_acted_and_waits_3_hours(cast):
    from delivery.models import Delivery
    from delivery.sms import LocmemSmsBackend

    Guardian.objects.filter(phone="13800000002").update(user=None, activated_at=None)  # bob's family has no app
    compose(cast.client(cast.ms_li), classes=[cast.class1.pk])
    notice = notice_by("春游通知")
    cast.client(cast.alice).post(f"/notices/{notice.pk}/")
    client = cast.client(cast.ms_li)
    client.post(f"/notices/{notice.pk}/remind/")
    assert [m.phone for m in LocmemSmsBackend.outbox] == ["13800000002"]
    assert "/n/" in LocmemSmsBackend.outbox[0].text
    assert Delivery.objects.filter(channel="sms", status="sent").count() == 1
    client.post(f"/notices/{notice.pk}/remind/")
    assert len(LocmemSmsBackend.outbox) == 1


def test_link_confirms_without_signing_in_and_forged_links_fail(cast):
    from delivery.channels import receipt_link_token

    compose(cast.client(cast.ms_li), classes=[cast.class1.pk])
    notice = notice_by("春游通知")
    receipt = Receipt.objects.get(notice=notice, guardian__phone="13800000002")
    token = receipt_link_token(receipt.pk)
    anonymous = Client()
    assert "春游通知" in anonymous.get(f"/n/{token}/").content.decode()
    anonymous.post(f"/n/{token}/")
    receipt.refresh_from_db()
    assert receipt.acted_at is not None and receipt.acted_via == "link"
    assert Client().get(f"/n/{token[:-2]}xx/").status_code == 404
    from django.core import signing

    other_purpose = signing.dumps({"r": receipt.pk, "p": "other"}, salt="notices.receipt-link", compress=True)
    assert Client().get(f"/n/{other_purpose}/").status_code == 404


def test_expired_link_fails(cast, monkeypatch):
    from delivery.channels import receipt_link_token

    compose(cast.client(cast.ms_li), classes=[cast.class1.pk])
    receipt = Receipt.objects.filter(notice=notice_by("春游通知")).first()
    assert receipt is not None
    token = receipt_link_token(receipt.pk)
    import time

    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 15 * 24 * 3600)
    assert Client().get(f"/n/{token}/").status_code == 404


def test_edit_shows_families_what_changed(cast):
    compose(cast.client(cast.ms_li), classes=[cast.class1.pk], body="周五春游，八点出发。")
    notice = notice_by("春游通知")
    parent = cast.client(cast.alice)
    parent.get(f"/notices/{notice.pk}/")
    cast.client(cast.ms_li).post(f"/notices/{notice.pk}/edit/", {"title": "春游通知", "body": "周五春游，九点出发。"})
    page = parent.get(f"/notices/{notice.pk}/").content.decode()
    assert "<ins>九</ins>" in page and "<del>八</del>" in page


def test_recall_hides_the_notice(cast):
    compose(cast.client(cast.ms_li), classes=[cast.class1.pk])
    notice = notice_by("春游通知")
    cast.client(cast.ms_li).post(f"/notices/{notice.pk}/recall/")
    assert cast.client(cast.alice).get(f"/notices/{notice.pk}/").status_code == 404
    assert "春游通知" not in cast.client(cast.alice).get("/notices/").content.decode()


def test_scheduled_notice_goes_out_when_its_time_comes(cast, django_capture_on_commit_callbacks):
    later = (timezone.localtime() + datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    compose(cast.client(cast.ms_li), classes=[cast.class1.pk], publish_at=later)
    notice = notice_by("春游通知")
    assert notice.status == "scheduled" and not Receipt.objects.exists()
    Notice.objects.filter(pk=notice.pk).update(publish_at=timezone.now() - datetime.timedelta(minutes=1))
    from notices.tasks import publish_due_notices

    with scopes_disabled(), django_capture_on_commit_callbacks(execute=True):
        assert publish_due_notices() == 1
    assert Receipt.objects.filter(notice=notice).count() == 2


def test_feed_puts_what_needs_action_first(cast):
    client = cast.client(cast.ms_li)
    compose(client, classes=[cast.class1.pk], title="需要确认", action="confirm")
    compose(client, classes=[cast.class1.pk], title="仅通知", action="none")
    feed = cast.client(cast.alice).get("/notices/").content.decode()
    assert feed.index("需要确认") < feed.index("仅通知")


def test_attachments_are_checked_and_served_to_recipients_only(cast):
    import struct
    import zlib

    def png():
        raw = b"\x00\x00\x00\x00"
        chunk = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)  # noqa: E731
        return (
            b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 6, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw))
            + chunk(b"IEND", b"")
        )

    client = cast.client(cast.ms_li)
    bad = compose(
        client, classes=[cast.class1.pk], attachments=[SimpleUploadedFile("x.jpg", b"<html><script>alert(1)</script>")]
    )
    assert bad.status_code == 400 and not Notice.objects.exists()
    compose(client, classes=[cast.class1.pk], attachments=[SimpleUploadedFile("地图.png", png())])
    notice = notice_by("春游通知")
    attachment = notice.attachments.get()
    url = f"/notices/{notice.pk}/files/{attachment.pk}/"
    response = cast.client(cast.alice).get(url)
    assert response.status_code == 200 and response["X-Content-Type-Options"] == "nosniff"
    assert cast.client(cast.carol).get(url).status_code == 404
    assert cast.client(cast.dave).get(url).status_code == 404


def test_results_export_neutralises_formulas(cast):
    Guardian.objects.filter(pk=cast.alice_guardian.pk).update(name="=cmd|' /C calc'!A0")
    compose(cast.client(cast.ms_li), classes=[cast.class1.pk])
    notice = notice_by("春游通知")
    response = cast.client(cast.ms_li).get(f"/notices/{notice.pk}/results.xlsx")
    rows = list(openpyxl.load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert any(r[2] == "'=cmd|' /C calc'!A0" for r in rows)
    assert AuditEntry.objects.filter(action="export", target_type="notice").exists()


def _many_notices(cast, n):
    roles = compute_roles(cast.ms_li)
    with scope(school=[cast.school.pk]):
        for i in range(n):
            do_create_notice(
                cast.school,
                acting_user=cast.ms_li,
                roles=roles,
                title=f"通知{i}",
                body_html="<p>内容</p>",
                targets=[TargetSpec(NoticeTarget.Kind.CLASS, class_id=cast.class1.pk)],
            )
            from notices.fanout import fan_out

            fan_out(Notice.objects.get(title=f"通知{i}"))


@pytest.mark.parametrize("n", [2, 25])
def test_feed_and_lists_query_counts_do_not_grow(cast, django_assert_num_queries, n):
    _many_notices(cast, n)
    parent = cast.client(cast.alice)
    # session, user, roles (2 for a parent), children and their head teachers, the badges (notices,
    # chat, the contact book), the family's guardian ids, feed
    with django_assert_num_queries(11):
        assert parent.get("/notices/").status_code == 200
    teacher = cast.client(cast.ms_li)
    # session, user, roles (3), the badges (notices, chat, the to-do list 3), the list with its counts
    with django_assert_num_queries(11):
        assert teacher.get("/notices/sent/").status_code == 200


@pytest.mark.parametrize("families", [2, 40])
def test_results_page_query_count_does_not_grow(cast, django_assert_num_queries, families):
    for i in range(families):
        s = Student.objects.create(school=cast.school, name=f"学生{i}", school_class=cast.class1)
        g = Guardian.objects.create(school=cast.school, name=f"家长{i}", phone=f"1370003{i:04d}")
        StudentGuardian.objects.create(school=cast.school, student=s, guardian=g)
    compose(cast.client(cast.ms_li), classes=[cast.class1.pk])
    notice = notice_by("春游通知")
    client = cast.client(cast.ms_li)
    with django_assert_num_queries(17):  # + the pictures read for the sender (guardrails), the plan tasks to do
        assert client.get(f"/notices/{notice.pk}/results/").status_code == 200


# --- from the review of notices ----------------------------------------------------------------------


def test_guardrail_also_applies_to_families_picked_one_by_one_and_to_edits(cast):
    client = cast.client(cast.ms_li)
    body = "期中成绩：刘小明 98分，陈小红 65分。"
    response = compose(
        client, students=[cast.alice_child.pk, cast.bob_child.pk], title="成绩", body=body, action="read"
    )
    assert response.status_code == 400 and not Notice.objects.exists()
    compose(client, classes=[cast.class1.pk], title="运动会", body="周五运动会。", action="read")
    notice = notice_by("运动会")
    response = client.post(f"/notices/{notice.pk}/edit/", {"title": "运动会", "body": body})
    assert response.status_code == 400
    notice.refresh_from_db()
    assert notice.version == 1
    client.post(f"/notices/{notice.pk}/edit/", {"title": "运动会", "body": body, "guardrail_reason": "家委会要求"})
    notice.refresh_from_db()
    assert notice.version == 2
    assert AuditEntry.objects.filter(action="guardrail_override", target_id=str(notice.pk)).exists()


def test_a_fan_out_lost_at_publishing_is_picked_up_by_the_sweeper(
    cast, monkeypatch, django_capture_on_commit_callbacks
):
    import datetime as dt

    from notices import tasks

    def broker_down(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(tasks.fan_out_notice, "delay", broker_down)
    response = compose(cast.client(cast.ms_li), classes=[cast.class1.pk])
    assert response.status_code == 302  # the teacher is not shown an error page
    notice = notice_by("春游通知")
    assert notice.fanned_out_at is None and not Receipt.objects.exists()
    Notice.objects.filter(pk=notice.pk).update(published_at=timezone.now() - dt.timedelta(minutes=2))
    with scopes_disabled(), django_capture_on_commit_callbacks(execute=True):
        assert tasks.fan_out_missed() == 1
    assert Receipt.objects.filter(notice=notice).count() == 2


def test_a_worker_lost_between_the_receipts_and_the_emails_leaves_the_notice_to_the_sweeper(
    cast, monkeypatch, django_capture_on_commit_callbacks
):
    """Found by the faults suite's review of a worker killed mid fan-out: the receipts were committed
    and the notice marked fanned out before its emails were queued, so a worker lost in between
    left the emails unqueued for good (the sweeper only looks at notices not fanned out)."""
    import datetime as dt

    from delivery.models import Delivery, DeliveryPreference
    from notices import fanout, tasks

    with scopes_disabled():
        DeliveryPreference.objects.create(user=cast.alice, email="alice@example.cn", email_enabled=True)
    monkeypatch.setattr(tasks.fan_out_notice, "delay", lambda *a, **k: None)  # the worker picks it up
    compose(cast.client(cast.ms_li), classes=[cast.class1.pk])
    notice = notice_by("春游通知")

    def worker_killed(*args, **kwargs):
        raise SystemExit("SIGKILL")

    monkeypatch.setattr(fanout, "queue_notice_deliveries", worker_killed)
    with pytest.raises(SystemExit):
        tasks.fan_out_notice(notice.pk)
    notice.refresh_from_db()
    with scopes_disabled():
        assert notice.fanned_out_at is None and not Receipt.objects.filter(notice=notice).exists()
    monkeypatch.undo()
    Notice.objects.filter(pk=notice.pk).update(published_at=timezone.now() - dt.timedelta(minutes=2))
    with scopes_disabled(), django_capture_on_commit_callbacks(execute=True):
        assert tasks.fan_out_missed() == 1
        assert Receipt.objects.filter(notice=notice).count() == 2
        assert Delivery.objects.filter(receipt__notice=notice, channel="email").count() == 1


def test_reminders_skip_a_guardian_whose_child_is_already_done(cast):
    from delivery.sms import LocmemSmsBackend

    grandpa = Guardian.objects.create(school=cast.school, name="刘爷爷", phone="13700000401")
    StudentGuardian.objects.create(school=cast.school, student=cast.alice_child, guardian=grandpa)
    Guardian.objects.filter(phone="13800000002").update(user=None, activated_at=None)
    compose(cast.client(cast.ms_li), classes=[cast.class1.pk])
    notice = notice_by("春游通知")
    cast.client(cast.alice).post(f"/notices/{notice.pk}/")
    cast.client(cast.ms_li).post(f"/notices/{notice.pk}/remind/")
    assert [m.phone for m in LocmemSmsBackend.outbox] == ["13800000002"]  # not grandpa: 刘小明 is done


def test_a_read_receipt_opened_by_link_counts_as_done_when_the_family_taps_read(cast):
    from delivery.channels import receipt_link_token

    compose(cast.client(cast.ms_li), classes=[cast.class1.pk], action="read")
    notice = notice_by("春游通知")
    receipt = Receipt.objects.get(notice=notice, guardian=cast.alice_guardian)
    link = f"/n/{receipt_link_token(receipt.pk)}/"
    response = Client().get(link)
    assert response["Cache-Control"] == "private, no-store"
    # Opening the link is not reading it: a link preview or a mail scanner opens links too (issue 20).
    receipt.refresh_from_db()
    assert receipt.read_at is None and receipt.acted_at is None
    assert "我已阅读" in response.content.decode()
    Client().post(link, {"op": "read"})
    receipt.refresh_from_db()
    assert receipt.acted_at is not None
    assert StudentReceipt.objects.get(notice=notice, student=cast.alice_child).done_at is not None


def test_an_expired_notice_is_gone_and_not_counted(cast):
    compose(cast.client(cast.ms_li), classes=[cast.class1.pk])
    notice = notice_by("春游通知")
    Notice.objects.filter(pk=notice.pk).update(expires_at=timezone.now() - datetime.timedelta(minutes=1))
    parent = cast.client(cast.alice)
    assert parent.get(f"/notices/{notice.pk}/").status_code == 404
    from notices.queries import wanting_count

    assert wanting_count(cast.alice) == 0
    assert cast.client(cast.ms_li).post(f"/notices/{notice.pk}/remind/").status_code == 302
    notice.refresh_from_db()
    assert notice.last_reminded_at is None


def test_staff_notices_are_in_the_staff_members_feed(cast):
    compose(cast.client(cast.admin_zhang), all_staff="on", title="教工会议")
    assert "教工会议" in cast.client(cast.mr_wang).get("/notices/").content.decode()
    assert "教工会议" not in cast.client(cast.alice).get("/notices/").content.decode()


def test_a_title_with_a_line_break_is_refused_and_exports_survive_odd_text(cast):
    import json

    response = cast.client(cast.ms_li).post(
        "/api/v1/notices",
        json.dumps({"title": "春游\n通知", "targets": [{"kind": "class", "class_id": cast.class1.pk}]}),
        content_type="application/json",
    )
    assert response.status_code == 400
    compose(
        cast.client(cast.ms_li),
        classes=[cast.class1.pk],
        title="3/15 春游",
        action="answer",
        options="去\n不去",
        allow_comment="on",
    )
    notice = notice_by("3/15 春游")
    cast.client(cast.alice).post(f"/notices/{notice.pk}/", {"answer": "去", "comment": "带\x0b伞"})
    assert cast.client(cast.ms_li).get(f"/notices/{notice.pk}/results.xlsx").status_code == 200


def test_preferences_page_writes_nothing_when_opened(cast):
    from delivery.models import DeliveryPreference

    cast.client(cast.alice).get("/account/notifications/")
    assert not DeliveryPreference.objects.exists()


def test_without_a_broker_the_beat_schedule_runs_in_process(cast):
    from core.middleware import run_due_beat_tasks

    later = (timezone.localtime() + datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    compose(cast.client(cast.ms_li), classes=[cast.class1.pk], publish_at=later)
    notice = notice_by("春游通知")
    Notice.objects.filter(pk=notice.pk).update(publish_at=timezone.now() - datetime.timedelta(minutes=1))
    with scopes_disabled():
        ran = run_due_beat_tasks()
        from notices.tasks import fan_out_missed

        fan_out_missed()  # in production the fan-out follows on commit; here the sweeper shows it
    assert "publish-due-notices" in ran
    notice.refresh_from_db()
    assert notice.status == "published"
    with scopes_disabled():
        assert run_due_beat_tasks() == []  # not again within the interval
