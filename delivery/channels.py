"""The channel interface. A channel sends one delivery and raises on failure; the task records the
outcome and schedules retries. Add SMS, push or a messaging-app webhook by writing one class."""

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation

from core.richtext import absolute_links, html_to_text

LINK_SALT = "notices.receipt-link"


def receipt_link_token(receipt_id: int) -> str:
    """A signed, single-purpose token naming one receipt: it opens that notice and confirms or
    answers it without signing in, until it expires (signing.loads with max_age)."""
    return signing.dumps({"r": receipt_id, "p": "respond"}, salt=LINK_SALT, compress=True)


def receipt_link(receipt_id: int) -> str:
    return f"{settings.SITE_URL}/n/{receipt_link_token(receipt_id)}/"


class DeliveryCancelled(Exception):
    """Not a failure to retry: the recipient no longer wants this channel."""


class Channel:
    name = ""

    def send(self, delivery) -> None:  # pragma: no cover - interface
        raise NotImplementedError


class EmailChannel(Channel):
    name = "email"

    def send(self, delivery) -> None:
        receipt = delivery.receipt
        notice = receipt.notice
        pref = getattr(receipt.guardian.user if receipt.guardian_id else receipt.user, "delivery_preference", None)
        if pref is None or not pref.email_enabled or not pref.email:
            # The family turned email off (or removed the address) after this was queued.
            raise DeliveryCancelled("email no longer wanted")
        address = pref.email
        # The notice's own links are site-relative (the page shows them on the reader's address);
        # an email names the site's public address.
        body_html = absolute_links(notice.body_html, settings.SITE_URL)
        with translation.override("zh-hans"):
            context = {
                "notice": notice,
                "body_html": body_html,
                "body_text": html_to_text(body_html),
                "school": notice.school,
                "link": receipt_link(receipt.pk),
                "reminder": delivery.round > 0,
            }
            subject = render_to_string("delivery/email_subject.txt", context).strip()
            text = render_to_string("delivery/email_notice.txt", context)
            html = render_to_string("delivery/email_notice.html", context)
        message = EmailMultiAlternatives(subject=subject, body=text, to=[address])
        message.attach_alternative(html, "text/html")
        message.send()


class SmsChannel(Channel):
    name = "sms"

    def send(self, delivery) -> None:
        from .sms import send_sms

        receipt = delivery.receipt
        phone = receipt.guardian.phone if receipt.guardian_id else (receipt.user.phone or "")
        if not phone:
            raise ValueError("no phone")
        with translation.override("zh-hans"):
            text = translation.gettext("[Tongxin] %(school)s: %(title)s. Open %(url)s") % {
                "school": receipt.notice.school.name,
                "title": receipt.notice.title[:30],
                "url": receipt_link(receipt.pk),
            }
        send_sms(phone, text)


class PushChannel(Channel):
    """Web Push to each device the person subscribed in the notice's school. Devices the push
    service no longer knows (404/410) are removed; the delivery fails only if none took it."""

    name = "push"

    def send(self, delivery) -> None:
        from .models import PushSubscription

        receipt = delivery.receipt
        notice = receipt.notice
        user_id = receipt.guardian.user_id if receipt.guardian_id else receipt.user_id
        devices = list(PushSubscription.objects.filter(user_id=user_id, school_id=notice.school_id))
        if not devices:
            raise DeliveryCancelled("no device subscribed")
        with translation.override("zh-hans"):
            payload = {
                "title": notice.school.name,
                "body": (translation.gettext("Reminder: %(title)s") if delivery.round else "%(title)s")
                % {"title": notice.title[:80]},
                "url": receipt_link(receipt.pk),
                "tag": f"notice-{notice.pk}",
            }
        send_push_to_devices(devices, payload)


def send_push_to_devices(devices, payload: dict, *, must_reach: bool = True) -> int:
    """Send to each device; remove the gone ones; unless ``must_reach`` is off, raise if none
    took it (a delivery is then retried or cancelled)."""
    from . import webpush
    from .models import PushSubscription

    delivered = 0
    gone: list[int] = []
    errors: list[str] = []
    for device in devices:
        try:
            webpush.send(device, payload)
        except webpush.SubscriptionGone:
            gone.append(device.pk)
        except Exception as exc:  # one device's push service down must not stop the others
            errors.append(str(exc)[:100])
        else:
            delivered += 1
    if gone:
        PushSubscription.objects.filter(pk__in=gone).delete()
    if not delivered and must_reach:
        if errors:
            raise ConnectionError("; ".join(errors))
        raise DeliveryCancelled("every device unsubscribed")
    return delivered


CHANNELS = {"email": EmailChannel(), "sms": SmsChannel(), "push": PushChannel()}
