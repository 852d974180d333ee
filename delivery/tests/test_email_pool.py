"""A district-wide email (issue 17): no 500-per-run limit, one SMTP connection per batch of 200,
retries that never send twice. Against a real local SMTP server (aiosmtpd) that counts the
messages and the connections they came on."""

import datetime
import time

import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone

from accounts.models import User
from delivery.actions import _queue
from delivery.channels import EmailChannel
from delivery.models import Delivery, DeliveryPreference
from delivery.tasks import send_due_deliveries
from notices.models import Notice, Receipt

from .test_email_smtp import SmtpServer, StoringHandler, _free_port

pytestmark = pytest.mark.usefixtures("unscoped")

N = 1200


class CountingHandler(StoringHandler):
    """Also remembers each message's connection (the client's address and port), and refuses
    every ``refuse_every``-th message with 451 while ``refuse_every`` is set."""

    def __init__(self):
        super().__init__()
        self.peers: list = []
        self.refuse_every = 0
        self.seen = 0

    async def handle_DATA(self, server, session, envelope):
        self.seen += 1
        if self.refuse_every and self.seen % self.refuse_every == 0:
            return "451 Requested action aborted: try again later"
        self.peers.append(session.peer)
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def smtp(settings):
    """A real SMTP server on 127.0.0.1 that counts connections; Django's SMTP backend uses it."""
    handler = CountingHandler()
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    try:
        yield SmtpServer(handler, port)
    finally:
        controller.stop()


@pytest.fixture
def district_notice(cast):
    """A published notice with N staff-like recipients who all want email."""
    notice = Notice.objects.create(
        school=cast.school,
        author=cast.admin_zhang,
        title="全区停课通知",
        body_html="<p>明日全区停课。</p>",
        status="published",
        published_at=timezone.now(),
    )
    users = User.objects.bulk_create(
        [User(username=f"district{i}", name=f"家长{i}", phone=f"1370{i:07d}") for i in range(N)]
    )
    DeliveryPreference.objects.bulk_create(
        [DeliveryPreference(user=u, email=f"family{i}@example.cn", email_enabled=True) for i, u in enumerate(users)]
    )
    Receipt.objects.bulk_create([Receipt(school=cast.school, notice=notice, user=u) for u in users])
    assert _queue(cast.school.pk, "email", 0, Receipt.objects.filter(notice=notice)) == N
    return notice


def test_a_district_email_goes_out_whole_on_pooled_connections(smtp, district_notice):
    started = time.monotonic()
    assert send_due_deliveries() == {"sent": N, "failed": 0}
    elapsed = time.monotonic() - started
    recipients = [r for m in smtp.messages for r in m.rcpt_tos]
    assert len(recipients) == N and len(set(recipients)) == N
    # One connection per batch of 200 (each connection has its own client port).
    assert isinstance(smtp.handler, CountingHandler)
    assert len(set(smtp.handler.peers)) == N // EmailChannel.batch_size
    assert Delivery.objects.filter(status="sent").count() == N
    # Each family's own link, though the notice was rendered once per batch.
    first = smtp.parsed(0).get_body(("plain",)).get_content()
    second = smtp.parsed(1).get_body(("plain",)).get_content()
    assert "/n/" in first and first != second and "TONGXINRECEIPTLINK" not in first
    print(f"\nemail throughput: {N / elapsed:.0f} messages/s ({N} in {elapsed:.1f} s)")


def test_refused_messages_are_retried_and_none_is_sent_twice(smtp, district_notice):
    assert isinstance(smtp.handler, CountingHandler)
    smtp.handler.refuse_every = 7
    result = send_due_deliveries()
    refused = N // 7
    assert result == {"sent": N - refused, "failed": refused}
    waiting = Delivery.objects.filter(status="pending")
    assert waiting.count() == refused and all(d.last_error for d in waiting)
    # Not due before the backoff; then the retry sends only those.
    assert send_due_deliveries() == {"sent": 0, "failed": 0}
    smtp.handler.refuse_every = 0
    waiting.update(next_attempt_at=timezone.now() - datetime.timedelta(seconds=1))
    assert send_due_deliveries() == {"sent": refused, "failed": 0}
    recipients = [r for m in smtp.messages for r in m.rcpt_tos]
    assert len(recipients) == N and len(set(recipients)) == N


def test_claims_take_whole_batches_and_never_the_same_row(district_notice):
    from delivery.tasks import _claim

    first, channel = _claim(None, None, 500)
    second, _ = _claim(None, None, 500)
    assert channel == "email" and len(first) == 400 and len(second) == 400  # 2 SMTP batches of 200
    assert not set(first) & set(second)
    assert Delivery.objects.filter(pk__in=first, attempts=1).count() == 400
    # A row claimed meanwhile by another worker (its lease already set) is not claimed again.
    rest = list(Delivery.objects.filter(status="pending", attempts=0).values_list("pk", flat=True))
    Delivery.objects.filter(pk=rest[0]).update(next_attempt_at=timezone.now() + datetime.timedelta(minutes=15))
    third, _ = _claim(None, None, 500)
    assert rest[0] not in third and len(third) == 399
