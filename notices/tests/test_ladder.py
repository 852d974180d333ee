"""The escalation ladder (notices.ladder): SMS to families nobody of whom has read, a call task for
families not done, each step once per family, stopping when a guardian acts; URGENT at once."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_scopes import scope

from accounts.models import Consent
from audit.models import AuditEntry
from delivery.models import Delivery, PushSubscription, WecomParent
from notices.actions import TargetSpec, do_create_notice, do_mark_read, do_respond, my_receipts
from notices.fanout import do_fan_out_notice
from notices.ladder import LADDER_ROUND, climb
from notices.models import CallTask, Notice, Receipt
from schools.models import Guardian
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


def test_urgent_goes_on_every_channel_the_family_has(families):
    PushSubscription.objects.create(
        school=families.school, user=families.alice, endpoint="https://push.example/a", p256dh="k", auth="a"
    )
    WecomParent.objects.create(school=families.school, phone="13800000001", parent_userid="p_alice")
    urgent = _send(families, urgent=True)  # fan-out climbs at once
    assert _ladder(urgent) == [("13800000001", "push"), ("13800000001", "sms"), ("13800000001", "wecom")]
    assert climb()["sms"] == 0
