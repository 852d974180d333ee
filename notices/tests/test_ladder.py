"""The escalation ladder (notices.ladder): SMS to families nobody of whom has read, a call task for
families not done, each step once per family, stopping when a guardian acts; URGENT at once."""

import datetime
import importlib

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone
from django_scopes import scope

from accounts.models import Consent, User
from audit.models import AuditEntry
from delivery.models import Delivery, DeliveryPreference, PushSubscription, WecomParent
from delivery.sms import LocmemSmsBackend
from delivery.tasks import send_due_deliveries
from home.family import do_unlink_guardian
from notices.actions import (
    TargetSpec,
    do_create_notice,
    do_mark_read,
    do_record_response,
    do_respond,
    my_receipts,
)
from notices.fanout import do_fan_out_notice
from notices.ladder import LADDER_ROUND, climb
from notices.models import CallTask, Notice, Receipt
from schools.models import Guardian, StudentGuardian
from schools.roles import compute_roles

pytestmark = pytest.mark.usefixtures("unscoped")
HOUR = datetime.timedelta(hours=1)


def _send(cast, author=None, **kwargs) -> Notice:
    author = author or cast.ms_li
    with scope(school=[cast.school.pk]):
        notice = do_create_notice(
            cast.school,
            acting_user=author,
            roles=compute_roles(author),
            title="春游回执",
            body_html="<p>请确认。</p>",
            action=kwargs.pop("action", Notice.Action.CONFIRM),
            targets=[TargetSpec("class", class_id=cast.class1.pk)],
            **kwargs,
        )
    do_fan_out_notice(notice.pk, acting_user=None)
    return notice


@pytest.fixture
def families(cast, school_day):
    """alice signed in and consented to SMS; bob's family never signed in (no consent possible)."""
    Consent.objects.create(user=cast.alice, kind="sms", version="2026-1")
    Guardian.objects.filter(phone="13800000002").update(user=None, activated_at=None)
    return cast


def _ladder_sms(notice) -> list[str]:
    return sorted(
        Delivery.objects.filter(receipt__notice=notice, channel="sms", round=LADDER_ROUND).values_list(
            "receipt__guardian__phone", flat=True
        )
    )


def _calls(notice) -> list[str]:
    return sorted(CallTask.objects.filter(notice=notice).values_list("student__name", flat=True))


def test_sms_after_two_hours_once_and_never_signed_in_goes_to_a_call(families, time_machine):
    notice = _send(families)
    assert climb() == {"sms": 0, "calls": 0}
    time_machine.move_to(timezone.now() + 2 * HOUR + datetime.timedelta(minutes=1))
    assert climb() == {"sms": 1, "calls": 1}
    assert _ladder_sms(notice) == ["13800000001"]
    assert _calls(notice) == ["陈小红"]  # bob's family: nobody may be texted
    # A retry (or a run after a crash) creates nothing twice.
    assert climb() == {"sms": 0, "calls": 0}
    # At six hours alice's family, still not done, becomes a call task too, once.
    time_machine.move_to(timezone.now() + 4 * HOUR)
    assert climb() == {"sms": 0, "calls": 1}
    assert _calls(notice) == ["刘小明", "陈小红"]


def test_a_family_that_read_gets_no_sms_and_one_that_acted_no_call(families, time_machine):
    notice = _send(families)
    with scope(school=[families.school.pk]):
        do_mark_read(notice, acting_user=families.alice)
    time_machine.move_to(timezone.now() + 2 * HOUR + datetime.timedelta(minutes=1))
    climb()
    assert _ladder_sms(notice) == []
    with scope(school=[families.school.pk]):
        do_respond(notice, my_receipts(notice, families.alice), acting_user=families.alice)
    time_machine.move_to(timezone.now() + 5 * HOUR)
    climb()
    assert _calls(notice) == ["陈小红"]


def test_no_sms_in_quiet_hours_but_urgent_goes_at_once(families, time_machine):
    time_machine.move_to(datetime.datetime(2026, 11, 16, 20, 30, tzinfo=datetime.timezone(HOUR * 8)))
    notice = _send(families)
    time_machine.move_to(timezone.now() + 2 * HOUR)  # 22:30 in Shanghai
    climb()
    assert _ladder_sms(notice) == []
    urgent = _send(families, urgent=True)  # fan-out climbs at once
    assert _ladder_sms(urgent) == ["13800000001"]
    assert AuditEntry.objects.filter(action=AuditEntry.Action.NOTICE_URGENT, target_id=str(urgent.pk)).exists()
    time_machine.move_to(datetime.datetime(2026, 11, 17, 7, 1, tzinfo=datetime.timezone(HOUR * 8)))
    climb()
    assert _ladder_sms(notice) == ["13800000001"]


def test_only_admin_or_head_teacher_marks_urgent(families):
    with pytest.raises(ValidationError):
        _send(families, author=families.mr_wang, urgent=True)
    assert not Notice.objects.filter(urgent=True).exists()


def test_the_sender_tightens_the_ladder_not_loosens(families, time_machine):
    notice = _send(families, ladder_sms_after=10, ladder_call_after=20)
    time_machine.move_to(timezone.now() + datetime.timedelta(minutes=11))
    climb()
    assert _ladder_sms(notice) == ["13800000001"]
    time_machine.move_to(timezone.now() + datetime.timedelta(minutes=10))
    climb()
    assert _calls(notice) == ["刘小明", "陈小红"]
    loose = _send(families, ladder_sms_after=600)
    time_machine.move_to(timezone.now() + 2 * HOUR + datetime.timedelta(minutes=1))
    climb()
    assert _ladder_sms(loose) == ["13800000001"]


def test_withdrawn_consent_is_not_texted(families, time_machine):
    Consent.objects.filter(user=families.alice).update(withdrawn_at=timezone.now())
    notice = _send(families)
    time_machine.move_to(timezone.now() + 2 * HOUR + datetime.timedelta(minutes=1))
    climb()
    assert _ladder_sms(notice) == []
    assert _calls(notice) == ["刘小明", "陈小红"]
    assert Receipt.objects.filter(notice=notice).count() == 2


def _ladder(notice) -> list[tuple[str, str]]:
    return sorted(
        Delivery.objects.filter(receipt__notice=notice, round=LADDER_ROUND).values_list(
            "receipt__guardian__phone", "channel"
        )
    )


def test_push_or_wecom_where_the_family_has_them_sms_only_otherwise(families, time_machine):
    # alice has a phone subscribed to push (and her SMS consent); bob never signed in, but the
    # school's WeCom parent list has his number: WeChat reaches him, so no call task for him.
    PushSubscription.objects.create(
        school=families.school, user=families.alice, endpoint="https://push.example/a", p256dh="k", auth="a"
    )
    WecomParent.objects.create(school=families.school, phone="13800000002", parent_userid="p_bob")
    notice = _send(families)
    time_machine.move_to(timezone.now() + 2 * HOUR + datetime.timedelta(minutes=1))
    assert climb() == {"sms": 0, "push": 1, "wecom": 1, "calls": 0}
    assert _ladder(notice) == [("13800000001", "push"), ("13800000002", "wecom")]
    assert climb() == {"sms": 0, "calls": 0}  # never the same step twice
    # A WeCom parent who stopped following the school is not reachable there: SMS if allowed.
    WecomParent.objects.update(subscribed=False)
    PushSubscription.objects.all().delete()
    other = _send(families)
    time_machine.move_to(timezone.now() + 2 * HOUR + datetime.timedelta(minutes=1))
    assert climb()["sms"] == 1
    assert _ladder(other) == [("13800000001", "sms")]
    assert _calls(other) == ["陈小红"]
    # (bob's family, no longer reachable in WeChat, becomes a call task of the first notice too.)
    assert _calls(notice) == ["陈小红"]


def test_a_guardian_reached_by_push_and_wecom_gets_both_and_no_sms(families, time_machine):
    PushSubscription.objects.create(
        school=families.school, user=families.alice, endpoint="https://push.example/a", p256dh="k", auth="a"
    )
    WecomParent.objects.create(school=families.school, phone="13800000001", parent_userid="p_alice")
    notice = _send(families)
    time_machine.move_to(timezone.now() + 2 * HOUR + datetime.timedelta(minutes=1))
    assert climb() == {"sms": 0, "push": 1, "wecom": 1, "calls": 1}  # bob's family: no channel, a call
    assert _ladder(notice) == [("13800000001", "push"), ("13800000001", "wecom")]


def test_urgent_goes_on_every_channel_the_family_has(families):
    PushSubscription.objects.create(
        school=families.school, user=families.alice, endpoint="https://push.example/a", p256dh="k", auth="a"
    )
    WecomParent.objects.create(school=families.school, phone="13800000001", parent_userid="p_alice")
    urgent = _send(families, urgent=True)  # fan-out climbs at once
    assert _ladder(urgent) == [("13800000001", "push"), ("13800000001", "sms"), ("13800000001", "wecom")]
    assert climb()["sms"] == 0


def _co_guardian(cast, student, phone: str, name: str) -> User:
    """A second guardian of ``student``, signed in, with a standing SMS consent."""
    user = User.objects.create_user(phone, "pw-unused-0", name=name, phone=phone)
    guardian = Guardian.objects.create(
        school=cast.school, name=name, phone=phone, user=user, activated_at=timezone.now()
    )
    StudentGuardian.objects.create(school=cast.school, student=student, guardian=guardian, relationship="奶奶")
    Consent.objects.create(user=user, kind="sms", version="2026-1")
    return user


@pytest.mark.parametrize("how", ["read", "respond", "record_response"])
def test_a_co_guardian_reads_and_the_other_guardian_is_not_due(families, time_machine, how):
    # Every write that sets read_at stamps the whole family (mark_family_read): grandma reads, so
    # alice, who shares 刘小明 with her, is not texted; bob's family is not stamped.
    grandma = _co_guardian(families, families.alice_child, "13800000011", "刘奶奶")
    notice = _send(families)
    mine = my_receipts(notice, grandma)
    with scope(school=[families.school.pk]):
        if how == "read":
            do_mark_read(notice, acting_user=grandma)
        elif how == "respond":
            do_respond(notice, mine, acting_user=grandma)
        else:
            do_record_response(notice, mine, acting_user=grandma, answer="yes")
    stamped = dict(Receipt.objects.filter(notice=notice).values_list("guardian__phone", "family_read_at"))
    assert stamped["13800000001"] is not None and stamped["13800000011"] is not None
    assert stamped["13800000002"] is None
    assert Receipt.objects.get(notice=notice, guardian__phone="13800000001").read_at is None  # alice did not read
    time_machine.move_to(timezone.now() + 2 * HOUR + datetime.timedelta(minutes=1))
    assert climb()["sms"] == 0
    assert _ladder_sms(notice) == []


def test_sms_turned_off_is_respected_and_urgent_overrides_it(families, time_machine):
    # alice consented to SMS but turned it off in her channels: the ladder does not text her, and
    # as nobody of her family can be reached, her family goes straight to the call task.
    DeliveryPreference.objects.create(user=families.alice, sms_enabled=False)
    notice = _send(families)
    time_machine.move_to(timezone.now() + 2 * HOUR + datetime.timedelta(minutes=1))
    assert climb() == {"sms": 0, "calls": 2}
    assert _ladder_sms(notice) == []
    assert _calls(notice) == ["刘小明", "陈小红"]
    # An URGENT notice goes out whatever the channel choice (the consent still stands).
    urgent = _send(families, urgent=True)
    assert _ladder_sms(urgent) == ["13800000001"]


@pytest.mark.parametrize("change", ["withdraw", "turn_off", "turn_off_urgent"])
def test_a_choice_changed_after_the_step_cancels_the_sms_at_send_time(families, time_machine, change):
    urgent = change == "turn_off_urgent"
    notice = _send(families, urgent=urgent)
    if not urgent:
        time_machine.move_to(timezone.now() + 2 * HOUR + datetime.timedelta(minutes=1))
        climb()
    assert _ladder_sms(notice) == ["13800000001"]  # queued, not sent yet
    if change == "withdraw":
        Consent.objects.filter(user=families.alice).update(withdrawn_at=timezone.now())
    else:
        DeliveryPreference.objects.create(user=families.alice, sms_enabled=False)
    LocmemSmsBackend.outbox.clear()
    send_due_deliveries()
    delivery = Delivery.objects.get(receipt__notice=notice, channel="sms", round=LADDER_ROUND)
    if urgent:  # an URGENT notice's SMS goes out whatever the channel choice
        assert delivery.status == Delivery.Status.SENT
        assert [m.phone for m in LocmemSmsBackend.outbox] == ["13800000001"]
    else:
        assert (delivery.status, delivery.last_error) == (Delivery.Status.FAILED, "SMS no longer wanted")
        assert LocmemSmsBackend.outbox == []


def test_a_guardian_removed_from_the_family_is_not_reached(families, time_machine):
    # grandma is a guardian of 刘小明 (alice's child) and of 陈小红 (bob's): removed from 刘小明 she
    # is still of bob's family, which has not read, so she stays due; a second grandparent, only
    # of 刘小明, removed from him, is not reached any more. Their receipts stay.
    grandma = _co_guardian(families, families.alice_child, "13800000011", "刘奶奶")
    StudentGuardian.objects.create(
        school=families.school, student=families.bob_child, guardian=Guardian.objects.get(user=grandma)
    )
    _co_guardian(families, families.alice_child, "13800000012", "刘爷爷")
    notice = _send(families)
    with scope(school=[families.school.pk]):
        for phone in ("13800000011", "13800000012"):
            closed = do_unlink_guardian(
                families.alice_child, Guardian.objects.get(phone=phone), acting_user=families.ms_li
            )
            assert closed == (0 if phone == "13800000011" else 1)
        # Not linked any more: nothing happens.
        assert (
            do_unlink_guardian(
                families.alice_child, Guardian.objects.get(phone="13800000012"), acting_user=families.ms_li
            )
            == 0
        )
    assert Receipt.objects.filter(notice=notice).count() == 4
    assert (
        AuditEntry.objects.filter(action=AuditEntry.Action.GUARDIAN_CHANGED, summary__startswith="removed").count() == 2
    )
    time_machine.move_to(timezone.now() + 2 * HOUR + datetime.timedelta(minutes=1))
    climb()
    assert _ladder_sms(notice) == ["13800000001", "13800000011"]


def test_the_first_step_needs_no_anti_join_and_later_ones_send_only_the_newly_due(families, time_machine):
    notice = _send(families)
    time_machine.move_to(timezone.now() + 2 * HOUR + datetime.timedelta(minutes=1))
    assert Notice.objects.get(pk=notice.pk).ladder_sms_at is None
    assert climb()["sms"] == 1
    assert Notice.objects.get(pk=notice.pk).ladder_sms_at is not None
    # bob signs in and consents after the step: the next climb texts him, and only him, once.
    Guardian.objects.filter(phone="13800000002").update(user=families.bob, activated_at=timezone.now())
    Consent.objects.create(user=families.bob, kind="sms", version="2026-1")
    assert climb()["sms"] == 1
    assert _ladder_sms(notice) == ["13800000001", "13800000002"]
    assert climb()["sms"] == 0


def test_the_migration_stamps_the_families_that_read_before_it(families):
    # Receipts read before the stamp existed: the migration's statements stamp every receipt of
    # the family with the family's first read.
    grandma = _co_guardian(families, families.alice_child, "13800000011", "刘奶奶")
    notice = _send(families)
    first, later = timezone.now() - HOUR, timezone.now()
    Receipt.objects.filter(notice=notice, guardian__user=grandma).update(read_at=later)
    Receipt.objects.filter(notice=notice, guardian__user=families.alice).update(read_at=first)
    migration = importlib.import_module("notices.migrations.0008_family_read")
    with connection.cursor() as cursor:
        cursor.execute(migration.OWN_READS)
        cursor.execute(migration.FAMILY_READS)
    stamped = dict(Receipt.objects.filter(notice=notice).values_list("guardian__phone", "family_read_at"))
    assert stamped == {"13800000001": first, "13800000011": first, "13800000002": None}
    # A notice the ladder sent to before the migration keeps its anti-join: no second SMS.
    Receipt.objects.filter(notice=notice).update(family_read_at=None)
    due = timezone.now() + 2 * HOUR + datetime.timedelta(minutes=1)
    assert climb(now=due)["sms"] == 2
    Notice.objects.filter(pk=notice.pk).update(ladder_sms_at=None)
    with connection.cursor() as cursor:
        cursor.execute(migration.LADDER_SMS_AT)
    assert Notice.objects.get(pk=notice.pk).ladder_sms_at is not None
    assert climb(now=due)["sms"] == 0  # without the stamp: a second SMS, refused by the unique constraint
