"""The real SMS providers (issue 17) against local peers of their documented APIs on 127.0.0.1
(delivery/tests/peers.py), which check each request as the provider does: Alibaba Cloud's
signature v1 (HMAC-SHA1, nonce used once), Tencent Cloud's TC3-HMAC-SHA256, the signature name,
the template and its parameters, the number's format. Each test runs against both.

Proved: a reminder round goes out in the provider's batches with the family's own link as a
template parameter, and the provider's id is kept; a refused template, a rejected number, a
throttled number, wrong keys and a lost answer are each recorded against the recipient in plain
words, retried where that can help, and never sent twice (a lost answer is looked up before the
retry); delivery reports are pulled; sign-in codes use the code template."""

import datetime
import time

import pytest
from django.test import Client
from django.utils import timezone, translation

from delivery.actions import _queue
from delivery.models import Delivery
from delivery.sms import SmsMessage
from delivery.sms_providers import AliyunSmsBackend, TencentSmsBackend, failure_text
from delivery.tasks import pull_sms_reports, send_due_deliveries, send_sms_task
from notices.models import Notice, Receipt

from .peers import AliyunPeer, TencentPeer

pytestmark = pytest.mark.usefixtures("unscoped")

ALICE, BOB = "13800000001", "13800000002"
SECRET = "test-secret-for-the-peer"
SIGN = "阳光小学"


@pytest.fixture(params=["aliyun", "tencent"])
def provider(request, settings):
    """A peer of one provider, and Tongxin configured for it (keys, signature, templates)."""
    if request.param == "aliyun":
        peer = AliyunPeer(
            secret=SECRET,
            sign_name=SIGN,
            templates={
                "SMS_NOTICE": ("${school}：${title}，请打开 ${link} 查看并回复。", ["school", "title", "link"]),
                "SMS_CODE": ("您的验证码为${code}，10分钟内有效。", ["code"]),
            },
        ).start()
        templates = {
            "notice": {"id": "SMS_NOTICE", "params": ["school", "title", "link"]},
            "code": {"id": "SMS_CODE", "params": ["code"]},
        }
        settings.SMS_BACKEND = "delivery.sms_providers.AliyunSmsBackend"
        settings.SMS_ALIYUN = {
            "access_key_id": peer.access_key_id,
            "access_key_secret": SECRET,
            "sign_name": SIGN,
            "endpoint": peer.url,
            "templates": templates,
        }
    else:
        peer = TencentPeer(
            secret=SECRET,
            sign_name=SIGN,
            templates={
                "2001": ("{1}：{2}，请打开 {3} 查看并回复。", ["school", "title", "link"]),
                "2002": ("您的验证码为{1}，10分钟内有效。", ["code"]),
            },
        ).start()
        templates = {
            "notice": {"id": "2001", "params": ["school", "title", "link"]},
            "code": {"id": "2002", "params": ["code"]},
        }
        settings.SMS_BACKEND = "delivery.sms_providers.TencentSmsBackend"
        settings.SMS_TENCENT = {
            "secret_id": peer.secret_id,
            "secret_key": SECRET,
            "sdk_app_id": peer.sdk_app_id,
            "sign_name": SIGN,
            "endpoint": peer.url,
            "templates": templates,
        }
    settings.SMS_SCHOOLS = {}
    settings.SMS_TIMEOUT = 1.0
    peer.kind = request.param
    try:
        yield peer
    finally:
        peer.stop()


def _config(settings, provider) -> dict:
    return settings.SMS_ALIYUN if provider.kind == "aliyun" else settings.SMS_TENCENT


@pytest.fixture
def sms_round(cast):
    """A published notice and an SMS round queued for the class's two families (alice, bob)."""
    response = cast.client(cast.ms_li).post(
        "/notices/new/",
        {
            "title": "春游通知",
            "body": "周五春游。",
            "action": "confirm",
            "classes": [cast.class1.pk],
            "idempotency_key": "",
        },
    )
    assert response.status_code == 302
    notice = Notice.objects.get(title="春游通知")
    _queue(cast.school.pk, "sms", 1, Receipt.objects.filter(notice=notice, guardian__isnull=False))
    return notice


def sms(notice, phone) -> Delivery:
    return Delivery.objects.get(receipt__notice=notice, receipt__guardian__phone=phone, channel="sms")


def later(minutes: int):
    Delivery.objects.filter(status="pending").update(next_attempt_at=timezone.now() - datetime.timedelta(seconds=1))


def test_a_round_goes_out_signed_with_the_familys_link_as_a_template_parameter(provider, sms_round, cast):
    assert send_due_deliveries() == {"sent": 2, "failed": 0}
    assert sorted(s.phone for s in provider.sent) == [ALICE, BOB]
    bob = sms(sms_round, BOB)
    assert bob.status == "sent" and bob.provider_ref and bob.attempts == 1 and bob.error_kind == ""
    sent = next(s for s in provider.sent if s.phone == BOB)
    assert sent.text.startswith(f"【{SIGN}】阳光小学：春游通知，请打开 http")
    # The link works for bob without signing in: it opens the notice.
    link = sent.text.split("请打开 ")[1].split(" ")[0]
    path = link.split("://", 1)[1].split("/", 1)[1]
    assert Client().get(f"/{path}").status_code == 200
    # Sending again sends nothing: the rows are done.
    assert send_due_deliveries() == {"sent": 0, "failed": 0}
    assert len(provider.sent) == 2


def test_a_refused_template_fails_for_good_in_plain_words(provider, sms_round, settings):
    _config(settings, provider)["templates"]["notice"]["id"] = "SMS_UNAPPROVED"
    assert send_due_deliveries()["failed"] == 2
    bob = sms(sms_round, BOB)
    assert bob.status == "failed" and bob.error_kind == "template" and bob.attempts == 1
    with translation.override("en"):
        assert "template" in failure_text(bob.error_kind)
    with translation.override("zh-hans"):
        assert "模板" in failure_text(bob.error_kind)
    later(5)
    assert send_due_deliveries() == {"sent": 0, "failed": 0}  # not retried
    assert provider.sent == []


def test_a_rejected_number_fails_for_that_family_only(provider, sms_round):
    provider.rejected.add(BOB)
    assert send_due_deliveries() == {"sent": 1, "failed": 1}
    assert [s.phone for s in provider.sent] == [ALICE]
    bob = sms(sms_round, BOB)
    assert bob.status == "failed" and bob.error_kind == "number"
    assert sms(sms_round, ALICE).status == "sent"


def test_a_throttled_number_is_tried_again_later_and_sent_once(provider, sms_round):
    provider.throttled.add(BOB)
    send_due_deliveries()
    bob = sms(sms_round, BOB)
    assert bob.status == "pending" and bob.error_kind == "throttled"
    assert bob.next_attempt_at > timezone.now()
    assert send_due_deliveries() == {"sent": 0, "failed": 0}  # not due yet
    provider.throttled.clear()
    later(2)
    assert send_due_deliveries() == {"sent": 1, "failed": 0}
    assert sorted(s.phone for s in provider.sent) == [ALICE, BOB]
    bob.refresh_from_db()
    assert bob.status == "sent" and bob.attempts == 2 and bob.error_kind == ""


def test_a_lost_answer_is_looked_up_and_not_sent_twice(provider, sms_round):
    provider.hang = 2.0  # the provider sends, then answers after Tongxin stopped waiting (1 s)
    send_due_deliveries()
    bob = sms(sms_round, BOB)
    assert bob.status == "pending" and bob.error_kind == "timeout"
    with translation.override("en"):
        assert "checked" in failure_text("timeout")
    with translation.override("zh-hans"):
        assert "核实" in failure_text("timeout")
    assert sorted(s.phone for s in provider.sent) == [ALICE, BOB]
    provider.hang = 0
    later(2)
    assert send_due_deliveries() == {"sent": 2, "failed": 0}
    assert sorted(s.phone for s in provider.sent) == [ALICE, BOB]  # found at the provider: not again
    assert sms(sms_round, BOB).status == "sent"


def test_provider_unreachable_is_retried_and_then_sent(provider, sms_round, settings):
    good = _config(settings, provider)["endpoint"]
    _config(settings, provider)["endpoint"] = "http://127.0.0.1:9/"  # nothing listens there
    send_due_deliveries()
    assert sms(sms_round, BOB).error_kind == "unavailable" and sms(sms_round, BOB).status == "pending"
    _config(settings, provider)["endpoint"] = good
    later(2)
    assert send_due_deliveries() == {"sent": 2, "failed": 0}
    assert len(provider.sent) == 2


def test_wrong_keys_are_refused_by_the_signature_check(provider, sms_round, settings):
    key = "access_key_secret" if provider.kind == "aliyun" else "secret_key"
    _config(settings, provider)[key] = "not-the-secret"
    send_due_deliveries()
    bob = sms(sms_round, BOB)
    assert bob.error_kind == "config" and bob.status == "pending"
    assert provider.sent == []


def test_a_school_with_its_own_signature(provider, sms_round, settings, cast):
    _config(settings, provider)["sign_name"] = "别的签名"
    settings.SMS_SCHOOLS = {cast.school.code: {"sign_name": SIGN}}
    assert send_due_deliveries() == {"sent": 2, "failed": 0}


def test_delivery_reports_are_pulled(provider, sms_round):
    send_due_deliveries()
    provider.reports = {ALICE: True, BOB: False}
    assert pull_sms_reports() == {"delivered": 1, "undelivered": 1}
    bob, alice = sms(sms_round, BOB), sms(sms_round, ALICE)
    assert alice.report == "delivered" and bob.report == "undelivered" and bob.error_kind == "undelivered"
    assert pull_sms_reports() == {"delivered": 0, "undelivered": 0}  # each once


def test_batches_in_the_providers_size(provider, settings):
    backend = AliyunSmsBackend() if provider.kind == "aliyun" else TencentSmsBackend()
    common = {"school": "阳光小学", "title": "停课通知", "link": "https://x.cn/n/a/"}
    messages = [
        SmsMessage(phone=f"+86139{i:08d}", text="", template="notice", params=common, ref=f"d{i}") for i in range(150)
    ]
    messages.append(SmsMessage(phone="12345", text="", template="notice", params=common, ref="bad"))
    started = time.monotonic()
    results = backend.send_batch(messages)
    elapsed = time.monotonic() - started
    assert [r.ok for r in results] == [True] * 150 + [False]
    assert results[-1].kind == "number"
    sends = [r for r in provider.requests if r.get("Action", r.get("action")) in ("SendBatchSms", "SendSms")]
    assert len(sends) == (2 if provider.kind == "aliyun" else 3)  # 100 + 50; Tencent 50 per request
    assert len({s.phone for s in provider.sent}) == 150
    print(f"\n{provider.kind} SMS throughput against the local peer: {150 / elapsed:.0f} messages/s")


def test_sign_in_codes_use_the_code_template(provider):
    send_sms_task("13800000009", "[Tongxin] code 123456", template="code", params={"code": "123456"})
    (sent,) = provider.sent
    assert sent.phone == "13800000009" and "123456" in sent.text and sent.text.startswith(f"【{SIGN}】")


def test_the_sender_reads_what_went_wrong_in_plain_words(provider, sms_round, cast):
    from django.utils import translation

    provider.rejected.add(BOB)
    send_due_deliveries()
    page = cast.client(cast.ms_li).get(f"/notices/{sms_round.pk}/results/").content.decode()
    with translation.override("en"):
        words = failure_text("number")
    assert page.count("delivery-problem") == 1
    assert "mobile number" in words and (words in page or "手机号" in page)


def test_a_template_with_the_address_fixed_takes_the_token_and_a_lost_answer_is_still_found(
    provider, sms_round, settings
):
    template_id = "SMS_NOTICE_TOKEN" if provider.kind == "aliyun" else "2003"
    names = ["school", "title", "token"]
    text = "${school}：${title}，请打开 https://jx.example.cn/n/${token}/ 查看。"
    if provider.kind == "tencent":
        text = "{1}：{2}，请打开 https://jx.example.cn/n/{3}/ 查看。"
    provider.templates[template_id] = (text, names)
    _config(settings, provider)["templates"]["notice"] = {"id": template_id, "params": names}
    provider.hang = 2.0
    send_due_deliveries()
    assert sms(sms_round, BOB).error_kind == "timeout"
    provider.hang = 0
    later(2)
    assert send_due_deliveries() == {"sent": 2, "failed": 0}
    assert sorted(s.phone for s in provider.sent) == [ALICE, BOB]
    assert all("https://jx.example.cn/n/" in s.text and ":" in s.text for s in provider.sent)


def test_a_large_round_goes_out_in_batches_each_family_once(provider, cast):
    """600 families, each with its own link: Alibaba Cloud takes 100 a request; Tencent Cloud, whose
    numbers in one request share their parameters, one request each. Printed: the rate."""
    from accounts.models import User

    n = 600
    notice = Notice.objects.create(
        school=cast.school, author=cast.admin_zhang, title="停课通知", status="published", published_at=timezone.now()
    )
    users = User.objects.bulk_create(
        [User(username=f"sms{i}", name=f"家长{i}", phone=f"1370{i:07d}") for i in range(n)]
    )
    Receipt.objects.bulk_create([Receipt(school=cast.school, notice=notice, user=u) for u in users])
    _queue(cast.school.pk, "sms", 1, Receipt.objects.filter(notice=notice))
    started = time.monotonic()
    assert send_due_deliveries() == {"sent": n, "failed": 0}
    elapsed = time.monotonic() - started
    assert len(provider.sent) == n and len({s.phone for s in provider.sent}) == n
    sends = [r for r in provider.requests if r.get("Action", r.get("action")) in ("SendBatchSms", "SendSms")]
    assert len(sends) == (n // 100 if provider.kind == "aliyun" else n)
    assert Delivery.objects.filter(receipt__notice=notice, status="sent").exclude(provider_ref="").count() == n
    print(f"\n{provider.kind}: {n} SMS with their own links in {elapsed:.1f} s ({n / elapsed:.0f}/s)")


def test_a_kind_without_its_template_falls_back_to_text_or_is_refused_plainly(provider, settings):
    from delivery.sms_providers import SmsError

    message = SmsMessage(
        phone=BOB, text="【同心】邀请", template="activation", params={"school": "阳光小学", "link": "x"}
    )
    backend = AliyunSmsBackend() if provider.kind == "aliyun" else TencentSmsBackend()
    with pytest.raises(SmsError) as refused:
        backend.send(message)  # neither "activation" nor "text" configured: nothing sent
    assert refused.value.kind == "template" and not refused.value.retry and provider.sent == []
    text_id = "SMS_TEXT" if provider.kind == "aliyun" else "2009"
    provider.templates[text_id] = ("${text}" if provider.kind == "aliyun" else "{1}", ["text"])
    _config(settings, provider)["templates"]["text"] = {"id": text_id, "params": ["text"]}
    (AliyunSmsBackend() if provider.kind == "aliyun" else TencentSmsBackend()).send(message)
    assert [s.text for s in provider.sent] == [f"【{SIGN}】【同心】邀请"]


def test_a_delivery_given_up_does_not_promise_another_try(provider, sms_round, cast):
    from django.utils import translation

    provider.throttled.add(BOB)
    send_due_deliveries()
    Delivery.objects.filter(receipt__guardian__phone=BOB).update(status="failed")  # after its last try
    page = cast.client(cast.ms_li).get(f"/notices/{sms_round.pk}/results/").content.decode()
    with translation.override("zh-hans"):
        given_up = failure_text("throttled", given_up=True)
        later_words = failure_text("throttled")
    assert given_up in page and later_words not in page
