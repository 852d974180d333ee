"""WeCom 家校 (issue 17) against a local peer of the documented API on 127.0.0.1: the parent list
matches guardians by phone; a notice reaches each matched family as a card with its own link; the
access token is cached, and fetched again when it expires in the middle of a batch; a family
WeCom does not know is recorded as such and not retried; a lost answer is retried and the
provider's duplicate check shows the card once."""

import datetime
import uuid

import pytest
from django.utils import timezone

from delivery.actions import _queue
from delivery.models import Delivery, WecomParent
from delivery.tasks import send_due_deliveries, sync_wecom_parents
from notices.models import Notice, Receipt

from .peers import WecomPeer

pytestmark = pytest.mark.usefixtures("unscoped")

ALICE, BOB, CAROL = "13800000001", "13800000002", "13800000003"


@pytest.fixture
def wecom(settings, cast):
    corp = f"ww{uuid.uuid4().hex[:12]}"  # its own token cache key
    peer = WecomPeer(
        corp_id=corp,
        secret="jiaxiao-secret",
        agent_id=1000005,
        parents=[
            {"parent_userid": "p_alice", "mobile": ALICE, "is_subscribe": 1, "children": []},
            {"parent_userid": "p_bob", "mobile": BOB, "is_subscribe": 1, "children": []},
            {"parent_userid": "p_nobody", "mobile": "13700000077", "is_subscribe": 1, "children": []},
        ],
    ).start()
    settings.WECOM_API = peer.url
    settings.WECOM_SCHOOLS = {
        cast.school.code: {"corp_id": corp, "secret": "jiaxiao-secret", "agent_id": 1000005, "department_id": 1}
    }
    settings.SMS_TIMEOUT = 1.0
    try:
        yield peer
    finally:
        peer.stop()


def publish(cast, classes) -> Notice:
    response = cast.client(cast.admin_zhang).post(
        "/notices/new/",
        {"title": "停课通知", "body": "明日停课。", "action": "confirm", "classes": classes, "idempotency_key": ""},
    )
    assert response.status_code == 302, response.content.decode()[:500]
    notice = Notice.objects.get(title="停课通知")
    _queue(cast.school.pk, "wecom", 1, Receipt.objects.filter(notice=notice, guardian__isnull=False))
    return notice


def card(notice, phone) -> Delivery:
    return Delivery.objects.get(receipt__notice=notice, receipt__guardian__phone=phone, channel="wecom")


def test_parents_are_matched_by_phone(wecom, cast):
    assert sync_wecom_parents() == {cast.school.code: 3}
    assert set(WecomParent.objects.filter(school=cast.school).values_list("phone", "parent_userid")) == {
        (ALICE, "p_alice"),
        (BOB, "p_bob"),
        ("13700000077", "p_nobody"),
    }
    wecom.parents = wecom.parents[:1]  # bob left the school's WeCom
    sync_wecom_parents()
    assert list(WecomParent.objects.filter(school=cast.school).values_list("phone", flat=True)) == [ALICE]
    assert not WecomParent.objects.filter(school=cast.school_b).exists()  # only the configured school


def test_cards_go_out_and_a_token_expiring_mid_batch_is_renewed(wecom, cast):
    sync_wecom_parents()
    notice = publish(cast, [cast.class1.pk, cast.class2.pk])
    wecom.expire_after = 1  # the token dies after the first card
    assert send_due_deliveries() == {"sent": 2, "failed": 1}
    assert sorted(c["to"] for c in wecom.shown) == ["p_alice", "p_bob"]
    assert all(c["url"].startswith("http") and "/n/" in c["url"] and c["title"] == "停课通知" for c in wecom.shown)
    assert wecom.token_requests == 2  # one for the batch, one after the expiry
    assert card(notice, ALICE).status == "sent" and card(notice, BOB).status == "sent"
    carol = card(notice, CAROL)  # not among the school's WeCom parents
    assert carol.status == "failed" and carol.error_kind == "unmatched"
    # The token is cached: the next batch asks for none.
    _queue(cast.school.pk, "wecom", 2, Receipt.objects.filter(notice=notice, guardian__phone=ALICE))
    send_due_deliveries()
    assert wecom.token_requests == 2


def test_a_lost_answer_is_retried_and_shown_once(wecom, cast):
    sync_wecom_parents()
    notice = publish(cast, [cast.class1.pk])
    wecom.hang = 2.0
    send_due_deliveries()
    alice = card(notice, ALICE)
    assert alice.status == "pending" and alice.error_kind == "timeout"
    wecom.hang = 0
    Delivery.objects.filter(status="pending").update(next_attempt_at=timezone.now() - datetime.timedelta(seconds=1))
    assert send_due_deliveries() == {"sent": 2, "failed": 0}
    assert sorted(c["to"] for c in wecom.shown) == ["p_alice", "p_bob"]  # the duplicate check held


def test_a_school_without_wecom_records_it_and_sends_nothing(wecom, cast, settings):
    settings.WECOM_SCHOOLS = {}
    notice = publish(cast, [cast.class1.pk])
    send_due_deliveries()
    assert card(notice, ALICE).status == "failed" and card(notice, ALICE).error_kind == "config"
    assert wecom.shown == []


def test_the_ladder_can_queue_wecom_for_matched_families_only(
    wecom, cast, django_assert_num_queries, django_capture_on_commit_callbacks
):
    from django_scopes import scope

    from delivery.actions import queue_deliveries, wecom_matched

    sync_wecom_parents()
    response = cast.client(cast.admin_zhang).post(
        "/notices/new/",
        {
            "title": "停课通知",
            "body": "明日停课。",
            "action": "confirm",
            "classes": [cast.class1.pk, cast.class2.pk],
            "idempotency_key": "",
        },
    )
    assert response.status_code == 302
    notice = Notice.objects.get(title="停课通知")
    with scope(school=[cast.school.pk]):
        receipts = Receipt.objects.filter(notice=notice)
        with django_capture_on_commit_callbacks(execute=True), django_assert_num_queries(1):
            assert queue_deliveries(notice, "wecom", 1, wecom_matched(receipts)) == 2  # not carol
        assert queue_deliveries(notice, "wecom", 1, wecom_matched(receipts)) == 0  # once per round
    assert set(Delivery.objects.filter(channel="wecom").values_list("receipt__guardian__phone", flat=True)) == {
        ALICE,
        BOB,
    }
    assert sorted(c["to"] for c in wecom.shown) == ["p_alice", "p_bob"]  # sent after commit
