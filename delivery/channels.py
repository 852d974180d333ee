"""The channel interface. A channel sends one delivery and raises on failure; the task records the
outcome and schedules retries. Add SMS, push or a messaging-app webhook by writing one class."""

import smtplib
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives, get_connection
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


@dataclass
class Outcome:
    """What became of one delivery of a batch: sent (with the provider's id of the message), or
    failed with a kind (a key of ``sms_providers.FAILURE_KINDS``) and whether a retry can help;
    ``cancelled``: the recipient no longer wants this channel."""

    ok: bool
    ref: str = ""
    kind: str = ""
    detail: str = ""
    retry: bool = True
    cancelled: bool = False


def outcome_of(exc: Exception) -> Outcome:
    from .sms_providers import SmsError

    if isinstance(exc, DeliveryCancelled):
        return Outcome(ok=False, detail=str(exc), retry=False, cancelled=True)
    if isinstance(exc, SmsError):
        return Outcome(ok=False, kind=exc.kind, detail=exc.detail, retry=exc.retry)
    return Outcome(ok=False, kind="unavailable", detail=str(exc) or type(exc).__name__)


class Channel:
    name = ""
    # How many deliveries ``send_many`` takes at once (the task claims that many per round).
    batch_size = 100

    def send(self, delivery) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def send_many(self, deliveries: list) -> list[Outcome]:
        """Send a batch; one Outcome per delivery, in order. The default sends one by one; a
        channel that can share a connection or a provider request overrides it."""
        outcomes = []
        for delivery in deliveries:
            try:
                self.send(delivery)
            except Exception as exc:
                outcomes.append(outcome_of(exc))
            else:
                outcomes.append(Outcome(ok=True))
        return outcomes


LINK_PLACEHOLDER = "TONGXINRECEIPTLINKPLACEHOLDER"


class EmailChannel(Channel):
    """One SMTP connection per batch of 200 (``send_many``): a district-wide email of tens of
    thousands goes out in minutes. The notice is rendered once per batch and round, the
    recipient's own link put in afterwards."""

    name = "email"
    batch_size = 200

    def send(self, delivery) -> None:
        self.message(delivery).send()

    def message(self, delivery, rendered: dict | None = None) -> EmailMultiAlternatives:
        receipt = delivery.receipt
        notice = receipt.notice
        pref = getattr(receipt.guardian.user if receipt.guardian_id else receipt.user, "delivery_preference", None)
        if pref is None or not pref.email_enabled or not pref.email:
            # The family turned email off (or removed the address) after this was queued.
            raise DeliveryCancelled("email no longer wanted")
        address = pref.email
        link = receipt_link(receipt.pk)
        key = (notice.pk, delivery.round > 0)
        if rendered is not None and key in rendered:
            subject, text, html = (part.replace(LINK_PLACEHOLDER, link) for part in rendered[key])
        else:
            placeholder = LINK_PLACEHOLDER if rendered is not None else link
            subject, text, html = self.render(notice, delivery.round > 0, placeholder)
            if rendered is not None:
                rendered[key] = (subject, text, html)
                subject, text, html = (part.replace(LINK_PLACEHOLDER, link) for part in (subject, text, html))
        message = EmailMultiAlternatives(subject=subject, body=text, to=[address])
        message.attach_alternative(html, "text/html")
        return message

    def render(self, notice, reminder: bool, link: str) -> tuple[str, str, str]:
        # The notice's own links are site-relative (the page shows them on the reader's address);
        # an email names the site's public address.
        body_html = absolute_links(notice.body_html, settings.SITE_URL)
        with translation.override("zh-hans"):
            context = {
                "notice": notice,
                "body_html": body_html,
                "body_text": html_to_text(body_html),
                "school": notice.school,
                "link": link,
                "reminder": reminder,
            }
            subject = render_to_string("delivery/email_subject.txt", context).strip()
            text = render_to_string("delivery/email_notice.txt", context)
            html = render_to_string("delivery/email_notice.html", context)
        return subject, text, html

    def send_many(self, deliveries: list) -> list[Outcome]:
        outcomes: list[Outcome] = []
        rendered: dict = {}
        connection = get_connection()
        try:
            for delivery in deliveries:
                try:
                    message = self.message(delivery, rendered)
                    # Opened once and kept (a no-op while open): Django's send_messages closes
                    # only a connection it opened itself.
                    connection.open()
                    message.connection = connection
                    message.send()
                except (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, OSError) as exc:
                    # The connection is gone: this one is retried later, the next opens a new one.
                    outcomes.append(outcome_of(exc))
                    connection.close()
                except Exception as exc:
                    outcomes.append(outcome_of(exc))
                else:
                    outcomes.append(Outcome(ok=True))
        finally:
            connection.close()
        return outcomes


def _person(receipt):
    """The account a receipt reaches: its guardian's (None before they signed in), or the staff user."""
    return receipt.guardian.user if receipt.guardian_id else receipt.user


class SmsChannel(Channel):
    name = "sms"

    batch_size = 100

    def send(self, delivery) -> None:
        from .sms import get_backend
        from .sms_providers import get_provider_backend

        message = self.sms_message(delivery)
        (get_provider_backend(message.school_code) or get_backend()).send(message)

    def refusing(self, deliveries: list) -> set[int]:
        """The deliveries whose person no longer wants SMS since they were queued (a reminder, the
        escalation ladder's step): their SMS consent withdrawn and not given again
        (``accounts.consent``), or SMS turned off in their channels (``DeliveryPreference``), which
        an URGENT notice overrides as it did when queued (``notices.ladder``). One query for the
        batch's consents; the preferences came with the rows."""
        from django.contrib.auth import get_user_model

        people = {d.pk: _person(d.receipt) for d in deliveries}
        user_ids = {person.pk for person in people.values() if person is not None}
        # The batch's SMS consents, by the consent's related name (accounts sits above delivery):
        # withdrawn, and none standing (``delivery.actions._sms_consent_withdrawn``, for these users).
        consents = (
            get_user_model()
            .objects.filter(pk__in=user_ids, consents__kind="sms")
            .values_list("pk", "consents__withdrawn_at")
            if user_ids
            else []
        )
        standing = {pk for pk, withdrawn_at in consents if withdrawn_at is None}
        withdrawn = {pk for pk, withdrawn_at in consents if withdrawn_at is not None} - standing
        refused = set()
        for delivery in deliveries:
            person = people[delivery.pk]
            if person is None:
                continue  # never signed in: what the school recorded decided when it was queued
            preference = getattr(person, "delivery_preference", None)
            turned_off = preference is not None and not preference.sms_enabled and not delivery.receipt.notice.urgent
            if person.pk in withdrawn or turned_off:
                refused.add(delivery.pk)
        return refused

    def sms_message(self, delivery):
        from .sms import SmsMessage

        receipt = delivery.receipt
        notice = receipt.notice
        phone = receipt.guardian.phone if receipt.guardian_id else (receipt.user.phone or "")
        if not phone:
            raise ValueError("no phone")
        link = receipt_link(receipt.pk)
        with translation.override("zh-hans"):
            text = translation.gettext("[Tongxin] %(school)s: %(title)s. Open %(url)s") % {
                "school": notice.school.name,
                "title": notice.title[:30],
                "url": link,
            }
        return SmsMessage(
            phone=phone,
            text=text,
            template="notice",
            # A template may take the whole link, or fix the site's address in its text and take
            # only the token (providers approve links in templates more readily than in variables).
            params={
                "school": notice.school.name,
                "title": notice.title[:20],
                "link": link,
                "token": link.rstrip("/").rsplit("/", 1)[-1],
            },
            school_code=notice.school.code,
            ref=f"d{delivery.pk}",
        )

    def send_many(self, deliveries: list) -> list[Outcome]:
        """With a real provider: per school (its signature and templates), in the provider's batch
        size; a delivery whose last try timed out is first looked up at the provider, and counted
        as sent if it went out. Other backends (file, memory): one by one."""
        from .sms_providers import SmsError, get_provider_backend

        refused = self.refusing(deliveries)
        outcomes: dict[int, Outcome] = {
            pk: Outcome(ok=False, detail="SMS no longer wanted", retry=False, cancelled=True) for pk in refused
        }
        wanted = [d for d in deliveries if d.pk not in refused]
        if get_provider_backend() is None:
            outcomes.update(zip([d.pk for d in wanted], super().send_many(wanted), strict=True))
            return [outcomes[d.pk] for d in deliveries]
        by_school: dict[str, list] = {}
        for delivery in wanted:
            by_school.setdefault(delivery.receipt.notice.school.code, []).append(delivery)
        for code, rows in by_school.items():
            backend = get_provider_backend(code)
            to_send = []
            for delivery in rows:
                try:
                    message = self.sms_message(delivery)
                    if delivery.error_kind == "timeout" and backend.was_sent(message, delivery.created_at):
                        outcomes[delivery.pk] = Outcome(ok=True, detail="found at the provider after a timeout")
                        continue
                except SmsError as exc:
                    # Cannot tell whether it went out: wait and ask again rather than send twice.
                    outcomes[delivery.pk] = Outcome(ok=False, kind="timeout", detail=str(exc))
                    continue
                except Exception as exc:
                    outcomes[delivery.pk] = outcome_of(exc)
                    continue
                to_send.append((delivery, message))
            results = backend.send_batch([message for _d, message in to_send]) if to_send else []
            for (delivery, _message), result in zip(to_send, results, strict=True):
                outcomes[delivery.pk] = Outcome(
                    ok=result.ok,
                    ref=result.ref,
                    kind=result.kind,
                    detail=result.detail,
                    retry=SmsError(result.kind).retry if not result.ok else True,
                )
        return [outcomes[d.pk] for d in deliveries]


class WecomChannel(Channel):
    """企业微信家校通知: the notice as a card in the parent's ordinary WeChat, for schools that run a
    WeCom education organisation (``settings.WECOM_SCHOOLS``). See delivery/wecom.py."""

    name = "wecom"

    def send_many(self, deliveries: list) -> list[Outcome]:
        from .wecom import send_notice_cards

        return send_notice_cards(deliveries)


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


CHANNELS = {"email": EmailChannel(), "sms": SmsChannel(), "wecom": WecomChannel(), "push": PushChannel()}
