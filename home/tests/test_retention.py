"""Retention (docs/design/privacy.md): records past the school's periods are purged, in batches, by
the daily task; the rest stays; another school's records are untouched. The clock is moved with
time_machine: data is made on the school day (2026-11-16), the purge runs days later."""

import datetime

import pytest
from django.core.files.storage import default_storage
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_scopes import scope, scopes_disabled

from audit.models import AuditEntry
from chat.models import Message
from conftest import SCHOOL_DAY, Cast
from contactbook.models import CareCase, ContactRecord
from delivery.models import Delivery
from events.models import Attendance, Event
from guardrails.models import PictureCheck
from home.retention import do_purge_past_retention, preview
from home.tasks import purge_past_retention
from notices.models import Notice, Receipt, StudentReceipt
from schools.actions import do_set_retention_periods
from schools.models import RetentionPeriod
from surveys.models import Answer, Question, Response, Survey
from tests import test_routes as matrix

pytestmark = pytest.mark.django_db
DAY = datetime.timedelta(days=1)
# The page: the session, the user and their roles, the school, its periods (1), one count per kind (5), the to-do count's term-plan tasks (1).
QUERIES = 18


def _school_a_records(cast: Cast) -> dict:
    """One record of each kind in school A, made on the school day."""
    notice_id = matrix._notice_pk(cast)
    message = matrix._chat_message_kwargs(cast)
    survey_file = matrix._survey_file_kwargs(cast)
    event_id = matrix._event_pk(cast, started=True)
    with scopes_disabled():
        receipt = Receipt.objects.filter(notice_id=notice_id).order_by("pk").first()
        assert receipt is not None
        Delivery.objects.create(
            school=cast.school, receipt=receipt, channel="sms", status=Delivery.Status.SENT, sent_at=SCHOOL_DAY
        )
        event_receipt = Receipt.objects.get(notice__event__pk=event_id, guardian=cast.alice_guardian)
        Attendance.objects.create(
            school=cast.school, event_id=event_id, receipt=event_receipt, status="present", method="roll_call"
        )
        answer_file = Answer.objects.get(pk=survey_file["answer_id"]).file.name
    return {
        "notice": notice_id,
        "message": message["message_id"],
        "message_file": _message_file(message["message_id"]),
        "survey": survey_file["survey_id"],
        "answer_file": answer_file,
        "event": event_id,
        "record": matrix._record_pk(cast),
        "care_case": matrix._care_case_pk(cast),
    }


def _message_file(message_id: int) -> str:
    with scopes_disabled():
        return str(Message.objects.get(pk=message_id).file.name)


def _school_b_records(cast: Cast) -> None:
    """School B's chat message, notice with receipts and delivery log, on the same day."""
    from chat.actions import class_group
    from notices.actions import TargetSpec, do_create_notice
    from notices.fanout import fan_out
    from schools.roles import compute_roles

    with scopes_disabled():
        group = class_group(cast.class_b)
        Message.objects.create(school=cast.school_b, conversation=group, sender=cast.dave, body="明德消息")
        notice = do_create_notice(
            cast.school_b,
            acting_user=cast.dave,
            roles=compute_roles(cast.dave),
            title="明德通知",
            body_html="<p>x</p>",
            action="confirm",
            targets=[TargetSpec("class", class_id=cast.class_b.pk)],
        )
        with scope(school=[cast.school_b.pk]):
            fan_out(notice)
        receipt = Receipt.objects.filter(notice=notice).first()
        assert receipt is not None
        Delivery.objects.create(school=cast.school_b, receipt=receipt, channel="sms", status=Delivery.Status.SENT)


def _counts(school) -> dict[str, int]:
    with scopes_disabled():
        return {
            "messages": Message.objects.filter(school=school).count(),
            "deliveries": Delivery.objects.filter(school=school).count(),
            "attendance": Attendance.objects.filter(school=school).count(),
            "receipts": Receipt.objects.filter(school=school, notice__title="春游通知").count()
            + Receipt.objects.filter(school=school, notice__title="明德通知").count(),
            "student_receipts": StudentReceipt.objects.filter(
                school=school, notice__title__in=["春游通知", "明德通知"]
            ).count(),
            "responses": Response.objects.filter(school=school).count(),
            "answers": Answer.objects.filter(school=school).count(),
            "notices": Notice.objects.filter(school=school).count(),
            "surveys": Survey.objects.filter(school=school).count(),
            "questions": Question.objects.filter(school=school).count(),
            "events": Event.objects.filter(school=school).count(),
            "contact_records": ContactRecord.objects.filter(school=school).count(),
            "care_cases": CareCase.objects.filter(school=school).count(),
            "audit": AuditEntry.objects.filter(school=school).exclude(action="retention_purged").count(),
        }


def test_the_purge_deletes_what_is_past_each_period_and_keeps_the_rest(
    school_day, cast, time_machine, django_capture_on_commit_callbacks
):
    records = _school_a_records(cast)
    with scopes_disabled():  # the guardrails' readings of a class-group picture and a notice's picture
        picture = {"school": cast.school, "sender": cast.ms_li, "file": "x.png", "file_name": "x.png"}
        chat_check = PictureCheck.objects.create(source="chat", object_id=records["message"], **picture)
        notice_check = PictureCheck.objects.create(source="notice", object_id=records["notice"], **picture)
    before = _counts(cast.school)
    assert all(before[k] for k in ("messages", "deliveries", "attendance", "receipts", "responses", "answers"))
    assert default_storage.exists(records["message_file"]) and default_storage.exists(records["answer_file"])

    # 740 days on: past every default period (the longest, chat messages, is 730 days).
    time_machine.move_to(SCHOOL_DAY + 740 * DAY, tick=False)
    with scopes_disabled():
        fresh = Message.objects.create(
            school=cast.school,
            conversation_id=Message.objects.get(pk=records["message"]).conversation_id,
            sender=cast.alice,
            body="新消息",
        )
    assert preview(cast.school) == {
        "chat_messages": 1,
        "delivery_log": 1,
        "event_sign_ins": 1,
        "notice_receipts": before["receipts"],
        "survey_answers": 1,
    }
    with django_capture_on_commit_callbacks(execute=True):
        counts = do_purge_past_retention(cast.school)
    after = _counts(cast.school)

    assert counts == {
        "chat_messages": 1,
        "delivery_log": 1,
        "event_sign_ins": 1,
        "notice_receipts": before["receipts"],
        "survey_answers": 1,
    }
    # gone: the kinds with a period
    assert after["messages"] == 1  # the fresh one
    assert after["deliveries"] == after["attendance"] == after["receipts"] == after["student_receipts"] == 0
    assert after["responses"] == after["answers"] == 0
    assert not default_storage.exists(records["message_file"]) and not default_storage.exists(records["answer_file"])
    # kept: what the school authored, its legal records, and what is younger than its period
    for kind in ("notices", "surveys", "questions", "events", "contact_records", "care_cases", "audit"):
        assert after[kind] == before[kind], kind
    with scopes_disabled():
        assert Message.objects.filter(pk=fresh.pk).exists()
        # the picture's reading goes with the chat message; a notice's stays with the notice
        assert list(PictureCheck.objects.values_list("pk", flat=True)) == [notice_check.pk] != [chat_check.pk]
        entry = AuditEntry.objects.get(school=cast.school, action=AuditEntry.Action.RETENTION_PURGED)
    assert entry.actor is None and entry.detail["deleted"]["chat_messages"] == 1
    assert "chat_messages 1" in entry.summary

    # a second run finds nothing and writes no second row
    assert not any(do_purge_past_retention(cast.school).values())
    with scopes_disabled():
        assert AuditEntry.objects.filter(action=AuditEntry.Action.RETENTION_PURGED).count() == 1


def test_each_period_counts_from_its_own_start(school_day, cast, time_machine):
    """A chat message goes after 730 days, not a day before; the notice's receipts count from its
    deadline, not from when it was sent; a survey that never closes keeps its answers."""
    records = _school_a_records(cast)
    with scopes_disabled():
        Notice.objects.filter(pk=records["notice"]).update(deadline=SCHOOL_DAY + 100 * DAY)
    time_machine.move_to(SCHOOL_DAY + 729 * DAY, tick=False)
    assert preview(cast.school)["chat_messages"] == 0
    time_machine.move_to(SCHOOL_DAY + 731 * DAY, tick=False)
    assert preview(cast.school)["chat_messages"] == 1

    time_machine.move_to(SCHOOL_DAY + 400 * DAY, tick=False)  # 400 days after sending, 300 after the deadline
    assert preview(cast.school)["notice_receipts"] == 0
    time_machine.move_to(SCHOOL_DAY + 466 * DAY, tick=False)  # 366 after the deadline
    assert preview(cast.school)["notice_receipts"] > 0

    # a survey with no closing time never closes: its answers stay, however old
    assert preview(cast.school)["survey_answers"] == 1
    with scopes_disabled():
        Survey.objects.filter(pk=records["survey"]).update(closes_at=None)
    assert preview(cast.school)["survey_answers"] == 0


def test_another_schools_records_are_untouched(school_day, cast, time_machine):
    _school_a_records(cast)
    _school_b_records(cast)
    with scopes_disabled():  # B keeps everything ten years, but its chat only 30 days
        periods = dict.fromkeys(RetentionPeriod.Kind.values, 3650) | {"chat_messages": 30}
        do_set_retention_periods(cast.school_b, periods, acting_user=cast.dave)
    b_before = _counts(cast.school_b)
    time_machine.move_to(SCHOOL_DAY + 740 * DAY, tick=False)

    # the school's own purge never reaches another school
    do_purge_past_retention(cast.school)
    assert _counts(cast.school_b) == b_before

    # the daily task purges each school by its own periods
    result = purge_past_retention.delay().get()
    assert result[cast.school_b.pk] == {
        "chat_messages": 1,
        "delivery_log": 0,
        "event_sign_ins": 0,
        "notice_receipts": 0,
        "survey_answers": 0,
    }
    assert _counts(cast.school_b) == {**b_before, "messages": 0}
    assert _counts(cast.school)["messages"] == 0


def test_the_purge_deletes_in_batches_of_bulk_statements(school_day, cast, time_machine):
    conversation_id = matrix._class_group_pk(cast)
    with scopes_disabled():
        Message.objects.bulk_create(
            [
                Message(school=cast.school, conversation_id=conversation_id, sender=cast.ms_li, body=f"第{i}条")
                for i in range(5)
            ]
        )
    time_machine.move_to(SCHOOL_DAY + 731 * DAY, tick=False)
    with CaptureQueriesContext(connection) as queries:
        counts = do_purge_past_retention(cast.school, batch_size=2)
    deletes = [q["sql"] for q in queries if q["sql"].startswith("DELETE") and "chat_message" in q["sql"]]
    assert counts["chat_messages"] == 5
    assert len(deletes) == 3  # 2 + 2 + 1, one statement each


# --- the admin page ---------------------------------------------------------------------------------


def test_the_admin_sees_the_periods_and_a_dry_run_and_saves(school_day, cast, time_machine, django_assert_num_queries):
    _school_a_records(cast)
    time_machine.move_to(SCHOOL_DAY + 200 * DAY, tick=False)
    admin = cast.client(cast.admin_zhang)
    url = reverse("home:retention")

    admin.get(url)
    with django_assert_num_queries(QUERIES):  # one count per kind, whatever the school's size
        page = admin.get(url)
    assert page.status_code == 200
    rows = {row["field"].name: row for row in page.context["rows"]}
    assert rows["chat_messages"]["days"] == 730 and rows["chat_messages"]["count"] == 0
    assert rows["delivery_log"]["count"] == 1  # 200 days > 180

    # the preview counts with the typed periods, and neither saves nor deletes
    typed = dict.fromkeys(RetentionPeriod.Kind.values, 365) | {"chat_messages": 100}
    page = admin.post(url, {**typed, "action": "preview"})
    assert page.status_code == 200
    rows = {row["field"].name: row for row in page.context["rows"]}
    assert rows["chat_messages"]["count"] == 1 and rows["delivery_log"]["count"] == 0
    with scopes_disabled():
        assert not RetentionPeriod.objects.exists()
        assert Message.objects.filter(school=cast.school).exists()

    # saving keeps them and logs who changed what
    response = admin.post(url, {**typed, "action": "save"})
    assert response.status_code == 302
    with scopes_disabled():
        saved = dict(RetentionPeriod.objects.filter(school=cast.school).values_list("kind", "days"))
        entry = AuditEntry.objects.get(action=AuditEntry.Action.SETTINGS_CHANGED, school=cast.school)
    assert saved == {"chat_messages": 100, "delivery_log": 365}  # the others were already 365
    assert entry.actor == cast.admin_zhang and "chat_messages 730→100" in entry.summary


def test_a_period_out_of_range_is_refused_and_nothing_saved(cast):
    admin = cast.client(cast.admin_zhang)
    data = dict.fromkeys(RetentionPeriod.Kind.values, 365) | {"chat_messages": 7, "action": "save"}
    page = admin.post(reverse("home:retention"), data)
    assert page.status_code == 400
    assert "30" in page.content.decode()
    with scopes_disabled():
        assert not RetentionPeriod.objects.exists()


def test_only_the_schools_admins_open_it_and_each_sees_their_own_school(school_day, cast, time_machine):
    _school_a_records(cast)
    time_machine.move_to(SCHOOL_DAY + 740 * DAY, tick=False)
    url = reverse("home:retention")
    for who in (cast.ms_li, cast.mr_wang, cast.alice, cast.erin):
        assert cast.client(who).get(url).status_code == 404
        assert cast.client(who).post(url, {"chat_messages": 30, "action": "save"}).status_code == 404
    assert cast.client().get(url)["Location"].startswith("/accounts/login/")
    page = cast.client(cast.dave).get(url)  # school B's admin: school B's counts (nothing), no school A
    assert page.status_code == 200
    assert all(row["count"] == 0 for row in page.context["rows"])
    assert "阳光小学" not in page.content.decode()
    with scopes_disabled():
        assert not RetentionPeriod.objects.exists()


def test_unknown_kinds_and_out_of_range_days_are_refused_by_the_action(cast):
    from django.core.exceptions import ValidationError

    with scopes_disabled():
        with pytest.raises(ValidationError):
            do_set_retention_periods(cast.school, {"audit_log": 30}, acting_user=cast.admin_zhang)
        with pytest.raises(ValidationError):
            do_set_retention_periods(cast.school, {"chat_messages": 4000}, acting_user=cast.admin_zhang)
        assert not RetentionPeriod.objects.exists()
