"""Email delivery through a real SMTP exchange (issue 4): a local aiosmtpd server on 127.0.0.1,
started by the tests, receives what Django's SMTP backend sends, and the message is parsed back
with the standard ``email`` package: the address, the Chinese subject and text, the HTML part and
the confirm link, which then works without signing in. Also: a family that did not ask for email
gets none; a failing server (connection refused, or a 451 answer) leaves the delivery pending
for a retry with backoff, and the retry sends it once the server is back; a delivery is never sent
twice; a reminder goes only to those who have not acted; a retry sends nothing once the family
turned email off or the notice was recalled."""

import datetime
import email
import email.policy
import re
import socket
import threading
from dataclasses import dataclass, field

import pytest
from aiosmtpd.controller import Controller
from django.test import Client
from django.utils import timezone, translation
from django.utils.translation import gettext

from delivery.models import Delivery, DeliveryPreference
from delivery.tasks import send_due_deliveries
from notices.models import Notice, Receipt

pytestmark = pytest.mark.usefixtures("unscoped")

TITLE = "春游通知：请确认"
BODY = "周五春游，请带好水壶和雨伞。"
ALICE_EMAIL = "alice@example.cn"
LINK = re.compile(r"https?://[^\s\"'<>]+/n/([^/\s\"'<>]+)/")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes


@dataclass
class StoringHandler:
    """Keeps every message it accepts; ``reply`` lets a test make the server refuse DATA."""

    messages: list[Received] = field(default_factory=list)
    reply: str = "250 Message accepted for delivery"
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server, session, envelope):
        if not self.reply.startswith("250"):
            return self.reply
        with self.lock:
            self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return self.reply


@dataclass
class SmtpServer:
    handler: StoringHandler
    port: int

    @property
    def messages(self) -> list[Received]:
        return self.handler.messages

    def parsed(self, index: int = -1) -> email.message.EmailMessage:
        return email.message_from_bytes(self.messages[index].raw, policy=email.policy.default)


@pytest.fixture
def smtp(settings):
    """A real SMTP server on 127.0.0.1 and a free port; Django's SMTP backend points at it."""
    handler = StoringHandler()
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    try:
        yield SmtpServer(handler, port)
    finally:
        controller.stop()


@pytest.fixture
def alice_wants_email(cast):
    return DeliveryPreference.objects.create(user=cast.alice, email=ALICE_EMAIL, email_enabled=True)


def publish(cast, **fields):
    """The head teacher publishes a class notice through the compose page (as a browser would)."""
    data = {
        "title": TITLE,
        "body": BODY,
        "action": "confirm",
        "classes": [cast.class1.pk],
        "idempotency_key": "",
    }
    data.update(fields)
    response = cast.client(cast.ms_li).post("/notices/new/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    return Notice.objects.get(title=data["title"])


def alice_delivery(notice, round_=0) -> Delivery:
    return Delivery.objects.get(receipt__notice=notice, receipt__user__isnull=True, round=round_, channel="email")


def subject_of(message) -> str:
    # A long encoded subject is folded onto the next line ("Subject: \r\n =?utf-8?b?…"); the
    # stdlib parser keeps that fold's leading space, as mail clients do not.
    return str(message["Subject"]).strip()


def parts(message):
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    return text, html


def test_notice_email_goes_through_smtp_and_its_link_confirms(cast, smtp, alice_wants_email):
    notice = publish(cast)

    assert len(smtp.messages) == 1, [m.rcpt_tos for m in smtp.messages]
    received = smtp.messages[0]
    assert received.rcpt_tos == [ALICE_EMAIL]
    assert received.mail_from == "noreply@tongxin.invalid"
    message = smtp.parsed()
    assert message["To"] == ALICE_EMAIL
    assert message["To"].addresses[0].addr_spec == ALICE_EMAIL
    assert subject_of(message) == f"{TITLE} · {cast.school.name}"
    assert "=?utf-8?" in received.raw.decode("ascii", "replace").lower()  # the header went out encoded

    text, html = parts(message)
    assert text is not None and html is not None
    text_content = text.get_content()
    assert BODY in text_content and cast.school.name in text_content and TITLE in text_content
    html_content = html.get_content()
    assert BODY in html_content and TITLE in html_content

    links = LINK.findall(text_content)
    assert len(links) == 1, text_content
    found = LINK.search(text_content)
    assert found is not None
    link = found.group(0)
    assert f'href="{link}"' in html_content  # the HTML button points at the same link
    path = "/" + link.split("://", 1)[1].split("/", 1)[1]
    assert re.fullmatch(r"/n/[^/]+/", path)

    delivery = alice_delivery(notice)
    assert delivery.status == Delivery.Status.SENT and delivery.attempts == 1 and delivery.sent_at is not None
    assert delivery.receipt.guardian == cast.alice_guardian

    # The link works without signing in: it shows the notice, and a POST confirms.
    anonymous = Client()
    page = anonymous.get(path)
    assert page.status_code == 200
    assert TITLE in page.content.decode()
    anonymous.post(path)
    receipt = Receipt.objects.get(notice=notice, guardian=cast.alice_guardian)
    assert receipt.acted_at is not None and receipt.read_at is not None
    assert receipt.acted_via == "link"
    # Only alice's receipt: bob has not confirmed.
    assert Receipt.objects.get(notice=notice, guardian__user=cast.bob).acted_at is None


def test_answer_notice_email_says_answer_and_lists_the_deadline(cast, smtp, alice_wants_email):
    deadline = timezone.localtime() + datetime.timedelta(days=2)
    publish(
        cast,
        title="运动会报名",
        action="answer",
        options="参加\n不参加",
        deadline=deadline.strftime("%Y-%m-%dT%H:%M"),
    )
    message = smtp.parsed()
    text, _html = parts(message)
    content = text.get_content()
    assert "运动会报名" in str(message["Subject"])
    assert deadline.strftime("%Y年") + f"{deadline.month}月{deadline.day}日" in content
    assert LINK.search(content)


def test_a_parent_who_did_not_ask_for_email_gets_none(cast, smtp, alice_wants_email):
    DeliveryPreference.objects.create(user=cast.bob, email="bob@example.cn", email_enabled=False)
    notice = publish(cast)
    assert [m.rcpt_tos for m in smtp.messages] == [[ALICE_EMAIL]]
    assert not Delivery.objects.filter(receipt__guardian__user=cast.bob).exists()
    assert Delivery.objects.filter(receipt__notice=notice).count() == 1


def test_no_email_without_an_address_even_if_enabled(cast, smtp):
    DeliveryPreference.objects.create(user=cast.bob, email="", email_enabled=True)
    publish(cast)
    assert smtp.messages == []
    assert not Delivery.objects.exists()


@pytest.mark.parametrize("failure", ["connection refused", "server refuses the message"])
def test_a_failing_server_leaves_the_delivery_pending_then_a_retry_sends_it(
    cast, smtp, alice_wants_email, settings, failure
):
    if failure == "connection refused":
        settings.EMAIL_PORT = _free_port()  # nothing listens there
    else:
        smtp.handler.reply = "451 4.3.0 Try again later"
    before = timezone.now()
    notice = publish(cast)

    assert smtp.messages == []
    delivery = alice_delivery(notice)
    assert delivery.status == Delivery.Status.PENDING
    assert delivery.attempts == 1
    assert delivery.last_error
    assert delivery.next_attempt_at > timezone.now()
    assert delivery.next_attempt_at >= before + datetime.timedelta(seconds=55)  # backoff: about a minute
    assert delivery.sent_at is None
    # The teacher sees on the results page that it failed and will be tried again.
    with translation.override("zh-hans"):
        retrying, waiting = gettext("failed, will try again"), gettext("waiting")
    page = cast.client(cast.ms_li).get(f"/notices/{notice.pk}/results/").content.decode()
    assert retrying in page

    # Not due yet: the beat run does nothing.
    assert send_due_deliveries() == {"sent": 0, "failed": 0}
    assert smtp.messages == []

    # The server is back and the time has come.
    settings.EMAIL_PORT = smtp.port
    smtp.handler.reply = "250 Message accepted for delivery"
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now() - datetime.timedelta(seconds=1))
    assert send_due_deliveries() == {"sent": 1, "failed": 0}
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SENT and delivery.attempts == 2 and delivery.sent_at is not None
    assert len(smtp.messages) == 1 and smtp.messages[0].rcpt_tos == [ALICE_EMAIL]
    assert TITLE in str(smtp.parsed()["Subject"])
    page = cast.client(cast.ms_li).get(f"/notices/{notice.pk}/results/").content.decode()
    assert retrying not in page and waiting not in page


def test_a_delivery_is_never_sent_twice(cast, smtp, alice_wants_email):
    notice = publish(cast)
    assert len(smtp.messages) == 1
    # Even with its time moved back, a sent delivery is not picked up again.
    Delivery.objects.filter(receipt__notice=notice).update(next_attempt_at=timezone.now() - datetime.timedelta(hours=1))
    assert send_due_deliveries() == {"sent": 0, "failed": 0}
    assert send_due_deliveries(notice.pk) == {"sent": 0, "failed": 0}
    assert len(smtp.messages) == 1
    assert alice_delivery(notice).attempts == 1


def test_two_runs_of_the_task_send_a_pending_delivery_once(cast, smtp, alice_wants_email, settings):
    settings.EMAIL_PORT = _free_port()
    notice = publish(cast)
    settings.EMAIL_PORT = smtp.port
    Delivery.objects.filter(receipt__notice=notice).update(
        next_attempt_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    assert send_due_deliveries() == {"sent": 1, "failed": 0}
    assert send_due_deliveries() == {"sent": 0, "failed": 0}
    assert len(smtp.messages) == 1


def test_reminder_email_reaches_only_those_who_have_not_acted(cast, smtp, alice_wants_email):
    DeliveryPreference.objects.create(user=cast.bob, email="bob@example.cn", email_enabled=True)
    notice = publish(cast)
    assert sorted(m.rcpt_tos[0] for m in smtp.messages) == [ALICE_EMAIL, "bob@example.cn"]
    cast.client(cast.bob).post(f"/notices/{notice.pk}/")  # bob confirms in the app
    cast.client(cast.ms_li).post(f"/notices/{notice.pk}/remind/")
    assert len(smtp.messages) == 3
    reminder = smtp.parsed()
    assert smtp.messages[-1].rcpt_tos == [ALICE_EMAIL]
    with translation.override("zh-hans"):
        marker = gettext("Reminder")
    assert subject_of(reminder) == f"{marker}：{TITLE} · {cast.school.name}"  # marked as a reminder
    assert subject_of(smtp.parsed(0)) == f"{TITLE} · {cast.school.name}"
    assert alice_delivery(notice, round_=1).status == Delivery.Status.SENT
    # The reminder's link is alice's too: it confirms her receipt.
    text, _html = parts(reminder)
    found = LINK.search(text.get_content())
    assert found is not None
    link = found.group(0)
    Client().post("/" + link.split("://", 1)[1].split("/", 1)[1])
    assert Receipt.objects.get(notice=notice, guardian=cast.alice_guardian).acted_via == "link"


def test_plain_text_and_subject_are_not_html_escaped_but_the_html_part_is(cast, smtp, alice_wants_email):
    title, body = "家长会 & 开放日", '请带上"成长手册" & 水杯。'
    publish(cast, title=title, body=body)
    message = smtp.parsed()
    assert subject_of(message) == f"{title} · {cast.school.name}"
    text, html = parts(message)
    assert title in text.get_content() and body in text.get_content()
    assert "&amp;" not in text.get_content() and "&quot;" not in text.get_content()
    assert "家长会 &amp; 开放日" in html.get_content()  # HTML stays escaped


def _fail_then_recover(cast, smtp, settings):
    settings.EMAIL_PORT = _free_port()
    notice = publish(cast)
    settings.EMAIL_PORT = smtp.port
    Delivery.objects.filter(receipt__notice=notice).update(
        next_attempt_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    return notice


def test_a_retry_after_the_parent_turned_email_off_sends_nothing(cast, smtp, alice_wants_email, settings):
    notice = _fail_then_recover(cast, smtp, settings)
    DeliveryPreference.objects.filter(user=cast.alice).update(email_enabled=False)
    send_due_deliveries()
    assert smtp.messages == []
    delivery = alice_delivery(notice)
    assert delivery.status == Delivery.Status.FAILED and delivery.last_error and delivery.sent_at is None
    assert send_due_deliveries() == {"sent": 0, "failed": 0}  # and it is not tried again


def test_a_retry_after_the_notice_was_recalled_sends_nothing(cast, smtp, alice_wants_email, settings):
    notice = _fail_then_recover(cast, smtp, settings)
    cast.client(cast.ms_li).post(f"/notices/{notice.pk}/recall/")
    send_due_deliveries()
    assert smtp.messages == []
    delivery = alice_delivery(notice)
    assert delivery.status == Delivery.Status.FAILED and delivery.last_error and delivery.sent_at is None
    assert send_due_deliveries() == {"sent": 0, "failed": 0}
