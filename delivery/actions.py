"""Queueing deliveries beyond the app: one INSERT … SELECT per channel and round.

Delivery sits below notices (notices imports it to send what it publishes), so it never imports
notices: the notices app hands in the notice and the receipts to deliver. ``Delivery.receipt``
points at ``notices.Receipt`` only through the database (see ``delivery.models``)."""

from typing import Protocol

from django.contrib.auth import get_user_model
from django.db import models, transaction
from django.db.models import Max, Q
from django.utils import timezone

from core.bulk import insert_select

from .models import Delivery, DeliveryPreference

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


def _queue(school_id: int, channel: str, round_: int, receipts: models.QuerySet) -> int:
    now = timezone.now()
    return insert_select(
        Delivery._meta.db_table,
        [*COLUMNS, "receipt_id"],
        [school_id, channel, round_, Delivery.Status.PENDING, 0, now, "", now],
        receipts.values("pk"),
    )


def queue_notice_deliveries(notice: NoticeRef, receipts: models.QuerySet) -> int:
    """After fan-out: email to everyone who wants notices by email. ``receipts`` are the notice's
    receipts (a queryset of ``notices.Receipt``, given by notices)."""
    count = _queue(notice.school_id, Delivery.Channel.EMAIL, 0, _email_receipts(receipts))
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
