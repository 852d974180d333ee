"""The family's action list (home.weekly): across children and schools, with deadlines; the digest on
the family's chosen channel."""

import datetime

import pytest
from django.core import mail
from django.utils import timezone
from django_scopes import scope

from accounts.models import Consent
from delivery.models import DeliveryPreference, DigestSent
from delivery.sms import LocmemSmsBackend
from home.weekly import digest_period, do_send_digests, weekly_actions
from notices.actions import TargetSpec, do_create_notice, do_respond, my_receipts
from notices.fanout import do_fan_out_notice
from notices.models import Notice
from schools.roles import compute_roles

pytestmark = pytest.mark.usefixtures("unscoped")


def _send(cast, title, action, deadline=None) -> Notice:
    with scope(school=[cast.school.pk]):
        notice = do_create_notice(
            cast.school,
            acting_user=cast.ms_li,
            roles=compute_roles(cast.ms_li),
            title=title,
            body_html="<p>x</p>",
            action=action,
            options=["参加", "不参加"] if action == Notice.Action.ANSWER else None,
            deadline=deadline,
            targets=[TargetSpec("class", class_id=cast.class1.pk)],
        )
    do_fan_out_notice(notice.pk, acting_user=None)
    return notice


@pytest.fixture
def notices(cast, school_day):
    soon = _send(cast, "春游回执", Notice.Action.CONFIRM, timezone.now() + datetime.timedelta(days=2))
    later = _send(cast, "午餐调查", Notice.Action.ANSWER, timezone.now() + datetime.timedelta(days=5))
    _send(cast, "仅通知", Notice.Action.NONE)
    return soon, later


def test_the_list_has_what_waits_soonest_first_and_drops_what_is_done(cast, notices, django_assert_num_queries):
    soon, _later = notices
    roles = compute_roles(cast.alice)
    with scope(school=roles.school_ids):
        with django_assert_num_queries(4):
            items = weekly_actions(cast.alice, roles)
        assert [i.title for i in items] == ["春游回执", "午餐调查"]
        do_respond(soon, my_receipts(soon, cast.alice), acting_user=cast.alice)
        assert [i.title for i in weekly_actions(cast.alice, roles)] == ["午餐调查"]
    page = cast.client(cast.alice).get("/me/week/").content.decode()
    assert "午餐调查" in page and "春游回执" not in page
    # Another class's family sees none of it; anonymous is sent to sign in.
    assert "午餐调查" not in cast.client(cast.carol).get("/me/week/").content.decode()
    assert cast.client().get("/me/week/").status_code == 302


def test_the_digest_goes_by_email_or_sms_as_chosen(cast, notices, settings):
    DeliveryPreference.objects.create(user=cast.alice, email="alice@example.com", email_enabled=True)
    Consent.objects.create(user=cast.bob, kind="sms", version="2026-1")
    DeliveryPreference.objects.create(user=cast.carol, digest="off")
    sent = do_send_digests("weekly", acting_user=None)
    assert sent == {"email": 1, "sms": 1}
    assert [m.to for m in mail.outbox if "春游回执" in m.body] == [["alice@example.com"]]
    assert do_send_digests("daily", acting_user=None) == {"email": 0, "sms": 0}


def test_a_retry_of_the_digest_never_sends_twice(cast, notices):
    DeliveryPreference.objects.create(user=cast.alice, email="alice@example.com", email_enabled=True)
    Consent.objects.create(user=cast.bob, kind="sms", version="2026-1")
    assert do_send_digests("weekly", acting_user=None) == {"email": 1, "sms": 1}
    # The task retried (a worker lost, acks_late), or run twice: nothing goes out again.
    assert do_send_digests("weekly", acting_user=None) == {"email": 0, "sms": 0}
    assert len([m for m in mail.outbox if m.to == ["alice@example.com"]]) == 1
    records = DigestSent.objects.filter(status=DigestSent.Status.SENT).order_by("user_id")
    assert [(r.user_id, r.channel, r.period) for r in records] == [
        (cast.alice.pk, "email", digest_period("weekly")),
        (cast.bob.pk, "sms", digest_period("weekly")),
    ]
    # A daily digest is its own record.
    DeliveryPreference.objects.filter(user=cast.alice).update(digest="daily")
    assert do_send_digests("daily", acting_user=None) == {"email": 1, "sms": 0}


def test_the_period_of_a_digest():
    china = datetime.timezone(datetime.timedelta(hours=8))
    sunday = datetime.datetime(2026, 11, 22, 18, 0, tzinfo=china)
    # The Sunday-evening run and a retry the morning after belong to the same week; the next
    # Sunday starts a new one.
    assert digest_period("weekly", sunday) == datetime.date(2026, 11, 22)
    assert digest_period("weekly", sunday + datetime.timedelta(hours=14)) == datetime.date(2026, 11, 22)
    assert digest_period("weekly", sunday + datetime.timedelta(days=6)) == datetime.date(2026, 11, 22)
    assert digest_period("weekly", sunday + datetime.timedelta(days=7)) == datetime.date(2026, 11, 29)
    # Shanghai's day, not UTC's: 01:00 on Monday in Shanghai is Sunday in UTC.
    assert digest_period("daily", datetime.datetime(2026, 11, 23, 1, 0, tzinfo=china)) == datetime.date(2026, 11, 23)


def test_a_digest_that_failed_is_tried_again_the_others_not_resent(cast, notices, settings):
    for user in (cast.alice, cast.bob):
        DeliveryPreference.objects.create(user=user, digest="daily", email_enabled=False)
        Consent.objects.create(user=user, kind="sms", version="2026-1")
    DeliveryPreference.objects.filter(user=cast.alice).update(email="alice@example.com", email_enabled=True)
    settings.SMS_BACKEND = "delivery.sms.FailingSmsBackend"
    assert do_send_digests("daily", acting_user=None) == {"email": 1, "sms": 0, "failed": 1}
    failed = DigestSent.objects.get(user=cast.bob)
    assert (failed.status, failed.channel) == (DigestSent.Status.FAILED, "sms")
    assert "unavailable" in failed.last_error
    settings.SMS_BACKEND = "delivery.sms.LocmemSmsBackend"
    LocmemSmsBackend.outbox = []
    assert do_send_digests("daily", acting_user=None) == {"email": 0, "sms": 1}
    assert [m.phone for m in LocmemSmsBackend.outbox] == [cast.bob.phone]
    assert len([m for m in mail.outbox if m.to == ["alice@example.com"]]) == 1
    assert do_send_digests("daily", acting_user=None) == {"email": 0, "sms": 0}
