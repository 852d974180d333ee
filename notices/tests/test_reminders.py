"""The one reminder action (``do_remind_receipts``) that notices, surveys and events call: a round
a person asks for is paced and logged on what they remind of; a round that is part of another
write (an event that changed, the day before an event) is neither."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_scopes import scope

from audit.models import AuditEntry
from delivery.models import Delivery
from notices.actions import TargetSpec, can_remind, do_create_notice, do_remind_receipts
from notices.fanout import fan_out
from notices.models import Notice, Receipt
from schools.models import Guardian
from schools.roles import compute_roles

pytestmark = pytest.mark.usefixtures("unscoped")


@pytest.fixture
def notice(cast) -> Notice:
    # bob's family has no app: a reminder reaches them by SMS, so each round is one delivery row.
    Guardian.objects.filter(phone="13800000002").update(user=None, activated_at=None)
    with scope(school=[cast.school.pk]):
        notice = do_create_notice(
            cast.school,
            acting_user=cast.ms_li,
            roles=compute_roles(cast.ms_li),
            title="春游通知",
            body_html="<p>周五春游。</p>",
            action=Notice.Action.CONFIRM,
            targets=[TargetSpec("class", class_id=cast.class1.pk)],
        )
        fan_out(notice)
    return notice


def _rounds(notice: Notice) -> list[int]:
    return sorted(Delivery.objects.filter(receipt__notice=notice).values_list("round", flat=True))


def test_a_paced_round_goes_once_in_3_hours_and_is_logged(cast, notice, time_machine):
    receipts = Receipt.objects.filter(notice=notice, guardian__phone="13800000002")
    with scope(school=[cast.school.pk]):
        assert do_remind_receipts(notice, receipts, acting_user=cast.ms_li, pace=notice) == 1
        with pytest.raises(ValidationError):
            do_remind_receipts(notice, receipts, acting_user=cast.ms_li, pace=notice)
    notice.refresh_from_db()
    assert notice.last_reminded_at is not None and not can_remind(notice)
    assert _rounds(notice) == [1]
    logged = AuditEntry.objects.filter(action=AuditEntry.Action.NOTICE_REMINDED)
    assert [(e.actor_id, e.summary) for e in logged] == [(cast.ms_li.pk, "1")]

    time_machine.move_to(timezone.now() + datetime.timedelta(hours=3, minutes=1))
    assert can_remind(notice)
    with scope(school=[cast.school.pk]):
        assert do_remind_receipts(notice, receipts, acting_user=cast.ms_li, pace=notice) == 1
    assert _rounds(notice) == [1, 2]
    assert logged.all().count() == 2  # a new query: the list above filled the cache


def test_a_round_within_another_write_is_neither_paced_nor_logged(cast, notice):
    receipts = Receipt.objects.filter(notice=notice, guardian__phone="13800000002")
    with scope(school=[cast.school.pk]):
        assert do_remind_receipts(notice, receipts, acting_user=None) == 1
        assert do_remind_receipts(notice, receipts, acting_user=None) == 1
    assert _rounds(notice) == [1, 2]
    notice.refresh_from_db()
    assert notice.last_reminded_at is None
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.NOTICE_REMINDED).exists()
