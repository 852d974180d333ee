"""Which address a link names (issue 13): a page links on the address it was opened from, so the
links inside a notice (a survey's "answer", an invitation's "reply") work under `make run PORT=8101`
or from a phone on the local network; what leaves the site (email, SMS) names ``SITE_URL``, the
public address, never the Host header of whoever caused it to be sent. That production refuses to
start without ``SITE_URL`` is in tests/test_settings.py."""

import re
from html.parser import HTMLParser
from urllib.parse import urljoin

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse

from delivery.models import DeliveryPreference
from delivery.sms import LocmemSmsBackend
from events.tests.helpers import create_event
from notices.models import Notice
from schools.models import Guardian
from surveys.tests.helpers import create_and_send

pytestmark = pytest.mark.usefixtures("unscoped")

PUBLIC = "https://jx.example-school.cn"
LAN = "192.168.1.10:8101"


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.hrefs.append(dict(attrs).get("href") or "")


def links_on(page: str) -> list[str]:
    parser = _Links()
    parser.feed(page)
    return parser.hrefs


@pytest.fixture
def public_address(settings):
    settings.SITE_URL = PUBLIC
    settings.ALLOWED_HOSTS = ["testserver", "192.168.1.10"]


def class1(cast) -> list[dict]:
    return [{"kind": "class", "class_id": cast.class1.pk}]


def test_a_notice_page_links_to_its_survey_and_invitation_on_the_readers_own_address(cast, public_address):
    survey = create_and_send(cast.client(cast.ms_li), targets=class1(cast))
    event = create_event(cast.client(cast.ms_li), targets=class1(cast))
    alice = cast.client(cast.alice)
    for notice_id, target in (
        (survey.notice_id, reverse("surveys:answer", args=[survey.pk])),
        (event.notice_id, reverse("events:invitation", args=[event.pk])),
    ):
        here = f"http://{LAN}/notices/{notice_id}/"
        page = alice.get(f"/notices/{notice_id}/", HTTP_HOST=LAN)
        assert page.status_code == 200
        html = page.content.decode()
        assert PUBLIC not in html and "127.0.0.1:8000" not in html
        resolved = [urljoin(here, href) for href in links_on(html)]
        assert f"http://{LAN}{target}" in resolved  # the browser goes where the page came from
        assert alice.get(target, HTTP_HOST=LAN).status_code == 200


def test_an_email_names_the_public_address_for_the_notice_and_for_the_links_inside_it(cast, public_address):
    DeliveryPreference.objects.create(user=cast.alice, email="alice@example.cn", email_enabled=True)
    mail.outbox.clear()
    survey = create_and_send(cast.client(cast.ms_li), targets=class1(cast))
    (message,) = [m for m in mail.outbox if m.to == ["alice@example.cn"]]
    assert isinstance(message, EmailMultiAlternatives)
    html = str(message.alternatives[0][0])
    answer = PUBLIC + reverse("surveys:answer", args=[survey.pk])
    assert f'href="{answer}"' in html and answer in message.body  # in the HTML and the plain text
    assert re.search(rf'href="{re.escape(PUBLIC)}/n/[^"/]+/"', html)  # the confirm button
    assert re.search(r'href="/', html) is None  # nothing in an email is site-relative
    # The stored notice keeps the site-relative link: the page stays right on any address.
    assert f'href="{reverse("surveys:answer", args=[survey.pk])}"' in Notice.objects.get(pk=survey.notice_id).body_html


def test_an_sms_names_the_public_address_whatever_address_the_teacher_used(cast, public_address):
    Guardian.objects.filter(phone="13800000002").update(user=None, activated_at=None)  # bob has no app
    teacher = cast.client(cast.ms_li)
    response = teacher.post(
        "/notices/new/",
        {
            "title": "春游通知",
            "body": "周五春游",
            "action": "confirm",
            "classes": [cast.class1.pk],
            "idempotency_key": "",
        },
        HTTP_HOST=LAN,
    )
    assert response.status_code == 302
    notice = Notice.objects.get(title="春游通知")
    teacher.post(f"/notices/{notice.pk}/remind/", HTTP_HOST=LAN)
    (sms,) = LocmemSmsBackend.outbox
    assert re.search(rf"{re.escape(PUBLIC)}/n/[^/\s]+/", sms.text), sms.text
    assert LAN not in sms.text
