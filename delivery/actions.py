"""Queueing deliveries beyond the app: one INSERT … SELECT per channel and round.

Delivery sits below notices (notices imports it to send what it publishes), so it never imports
notices: the notices app hands in the notice and the receipts to deliver. ``Delivery.receipt``
points at ``notices.Receipt`` only through the database (see ``delivery.models``)."""

from typing import Protocol

from django.contrib.auth import get_user_model
from django.db import models, transaction
from django.db.models import Max, Q
from django.utils import timezone

from audit.actions import record
from audit.models import AuditEntry
from core.bulk import insert_select

from .models import Delivery, DeliveryPreference, PushSubscription

COLUMNS = ["school_id", "channel", "round", "status", "attempts", "next_attempt_at", "last_error", "created_at"]


class NoticeRef(Protocol):
    """What delivery needs of a notice: its id and its school's."""

    pk: int
    school_id: int


def _email_receipts(receipts: models.QuerySet) -> models.QuerySet:
    """Receipts whose person asked for email and gave an address."""
    return receipts.filter(
        Q(guardian__user__delivery_preference__email_enabled=True) & ~Q(guardian__user__delivery_preference__email="")
        | Q(guardian__isnull=True, user__delivery_preference__email_enabled=True)
        & ~Q(user__delivery_preference__email="")
    )


def _push_receipts(school_id: int, receipts: models.QuerySet) -> models.QuerySet:
    """Receipts whose person has a device subscribed to push in the notice's school."""
    subscribed = PushSubscription.objects.filter(school_id=school_id).values("user_id")
    return receipts.filter(Q(guardian__user__in=subscribed) | Q(guardian__isnull=True, user__in=subscribed))


def _queue(school_id: int, channel: str, round_: int, receipts: models.QuerySet) -> int:
    now = timezone.now()
    return insert_select(
        Delivery._meta.db_table,
        [*COLUMNS, "receipt_id"],
        [school_id, channel, round_, Delivery.Status.PENDING, 0, now, "", now],
        receipts.values("pk"),
    )


def queue_deliveries(notice: NoticeRef, channel: str, round_: int, receipts: models.QuerySet) -> int:
    """One round of one channel (``Delivery.Channel``) for the given receipts of a notice, in one
    INSERT … SELECT; rows already queued for that receipt, channel and round are skipped, so a
    retry or a second run adds nothing. Sent by ``send_due_deliveries`` after commit. For the
    ladder and any caller that picks its own recipients (e.g. ``wecom_matched(receipts)``)."""
    count = _queue(notice.school_id, channel, round_, receipts)
    if count:
        from .tasks import send_due_deliveries

        transaction.on_commit(lambda: send_due_deliveries.delay(notice.pk))
    return count


def wecom_matched(receipts: models.QuerySet) -> models.QuerySet:
    """The receipts whose guardian's phone is among the school's WeCom parents (following the
    school's notifications): those the WeCom channel can reach."""
    from .models import WecomParent

    return receipts.filter(
        guardian__isnull=False,
        # Reviewed: the plain manager, since the subquery is tied to each receipt's own school.
        guardian__phone__in=WecomParent._base_manager.filter(
            school_id=models.OuterRef("school_id"), subscribed=True
        ).values("phone"),
    )


def queue_notice_deliveries(notice: NoticeRef, receipts: models.QuerySet) -> int:
    """After fan-out: email to everyone who wants notices by email. ``receipts`` are the notice's
    receipts (a queryset of ``notices.Receipt``, given by notices)."""
    count = _queue(notice.school_id, Delivery.Channel.EMAIL, 0, _email_receipts(receipts))
    count += _queue(notice.school_id, Delivery.Channel.PUSH, 0, _push_receipts(notice.school_id, receipts))
    if count:
        from .tasks import send_due_deliveries

        transaction.on_commit(lambda: send_due_deliveries.delay(notice.pk))
    return count


def _sms_consent_withdrawn() -> models.QuerySet:
    """The users whose consent to SMS is withdrawn and not given again: a subquery, by the consent's
    related name (accounts sits above delivery, so its model is not imported)."""
    users = get_user_model().objects
    standing = users.filter(consents__kind="sms", consents__withdrawn_at__isnull=True)
    return (
        users.filter(consents__kind="sms", consents__withdrawn_at__isnull=False)
        .exclude(pk__in=standing.values("pk"))
        .values("pk")
    )


def queue_reminders(notice: NoticeRef, pending: models.QuerySet) -> int:
    """A reminder round for the receipts still pending: by email to those who want email, by SMS
    (with a link that works without signing in) to families who chose SMS or have never signed in,
    since the app cannot reach them."""
    round_ = (Delivery.objects.filter(receipt__notice_id=notice.pk).aggregate(m=Max("round"))["m"] or 0) + 1
    _queue(notice.school_id, Delivery.Channel.EMAIL, round_, _email_receipts(pending))
    _queue(notice.school_id, Delivery.Channel.PUSH, round_, _push_receipts(notice.school_id, pending))
    sms_receipts = (
        pending.filter(guardian__isnull=False)
        .filter(Q(guardian__user__isnull=True) | Q(guardian__user__delivery_preference__sms_enabled=True))
        # A guardian who withdrew consent to SMS (accounts.consent) gets none, whatever else they chose.
        .exclude(guardian__user__in=_sms_consent_withdrawn())
    )
    _queue(notice.school_id, Delivery.Channel.SMS, round_, sms_receipts)
    from .tasks import send_due_deliveries

    transaction.on_commit(lambda: send_due_deliveries.delay(notice.pk))
    return pending.count()


def queue_ladder_sms_after_commit() -> None:
    """The escalation ladder (notices.ladder) inserted SMS deliveries: send them once it commits."""
    from .tasks import send_due_deliveries

    transaction.on_commit(lambda: send_due_deliveries.delay())


def do_save_delivery_preference(
    *, email: str, email_enabled: bool, sms_enabled: bool, acting_user, digest: str | None = None
) -> None:
    """A person's own choice of channels (one row per person, created on first save)."""
    defaults: dict = {"email": email, "email_enabled": email_enabled, "sms_enabled": sms_enabled}
    if digest in ("weekly", "daily", "off"):
        defaults["digest"] = digest
    DeliveryPreference.objects.update_or_create(user=acting_user, defaults=defaults)


class BadSubscription(ValueError):
    """A subscription the server will not send to (with a message for the person)."""


def check_subscription(endpoint: str, p256dh: str, auth: str) -> None:
    """Only the browsers' push services, over HTTPS: a subscription names a URL the server then
    posts to, so an arbitrary one would let anyone make the server call inside its own network."""
    import base64
    from urllib.parse import urlsplit

    from django.conf import settings
    from django.utils.translation import gettext as _

    parts = urlsplit(endpoint)
    origin = f"{parts.scheme}://{parts.netloc}"
    host = (parts.hostname or "").lower()
    trusted = parts.scheme == "https" and any(host.endswith(suffix) for suffix in settings.WEBPUSH_PUSH_HOSTS)
    if not (trusted or origin in settings.WEBPUSH_EXTRA_ORIGINS) or len(endpoint) > 1000:
        raise BadSubscription(_("This browser's push service is not supported."))
    try:
        key = base64.urlsafe_b64decode(p256dh + "=" * (-len(p256dh) % 4))
        secret = base64.urlsafe_b64decode(auth + "=" * (-len(auth) % 4))
    except (ValueError, TypeError):
        key = secret = b""
    if len(key) != 65 or key[0] != 4 or len(secret) != 16:
        raise BadSubscription(_("The subscription's keys are not valid."))


@transaction.atomic
def do_subscribe_push(
    *, schools: list, endpoint: str, p256dh: str, auth: str, user_agent: str = "", acting_user
) -> int:
    """Subscribe one device of the acting user to push, in each of their ``schools`` (given by the
    caller, from the user's roles). A device moves to the user signed in on it now: rows of the
    same endpoint for anyone else are removed. Raises ``BadSubscription`` before writing anything."""
    check_subscription(endpoint, p256dh, auth)
    PushSubscription.objects.filter(endpoint=endpoint).exclude(user=acting_user).delete()
    for school in schools:
        PushSubscription.objects.update_or_create(
            endpoint=endpoint,
            school=school,
            defaults={"user": acting_user, "p256dh": p256dh, "auth": auth, "user_agent": user_agent[:255]},
        )
    record(AuditEntry.Action.PUSH_SUBSCRIBED, actor=acting_user, schools=schools, summary=user_agent[:100])
    return len(schools)


@transaction.atomic
def do_unsubscribe_push(*, endpoint: str, acting_user) -> int:
    """Turn push off on one device of the acting user (only their own rows)."""
    rows = list(PushSubscription.objects.filter(endpoint=endpoint, user=acting_user).select_related("school"))
    PushSubscription.objects.filter(pk__in=[row.pk for row in rows]).delete()
    if rows:
        record(AuditEntry.Action.PUSH_UNSUBSCRIBED, actor=acting_user, schools=[row.school for row in rows])
    return len(rows)
