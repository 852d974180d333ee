from typing import Any

from celery import shared_task

from .sms import send_sms


@shared_task(autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def send_sms_task(phone: str, text: str, template: str = "", params: dict | None = None) -> None:
    """A code or a warning to one number. With a real provider, ``template`` names the approved
    template (``code``; none: the ``text`` template); a failure a retry can help becomes a
    ConnectionError and is retried (a duplicate code is harmless)."""
    from .sms_providers import SmsError

    try:
        send_sms(phone, text, template=template, params=params)
    except SmsError as exc:
        if exc.retry:
            raise ConnectionError(str(exc)) from exc
        raise


@shared_task(acks_late=True)
def push_to_users(school_id: int, user_ids: list[int], payload: dict) -> int:
    """Web Push for something that has no delivery row (a chat message): to every device the
    users subscribed in the school, once, without retries (the message waits in the app anyway;
    a later reconnect shows the badge). Gone devices are removed."""
    from django_scopes import scopes_disabled

    from .channels import send_push_to_devices
    from .models import PushSubscription

    with scopes_disabled():  # reviewed: filtered by the school and the users given
        devices = list(PushSubscription.objects.filter(school_id=school_id, user_id__in=user_ids).order_by("pk"))
        if not devices:
            return 0
        return send_push_to_devices(devices, payload, must_reach=False)


BATCH = 500  # the rows one claim takes at most (a channel's batch_size is usually smaller)
MAX_ATTEMPTS = 6
# A claimed row is not due again for this long: a batch that takes a while is not sent twice by
# the next beat's worker. After a failure the row is due again after the backoff instead.
LEASE_MINUTES = 15


def _claim(notice_id: int | None, channel: str | None, size: int) -> tuple[list[int], str | None]:
    """Claim up to ``size`` due rows (of one channel: the first due one's, unless given) in one
    transaction: SELECT … FOR UPDATE SKIP LOCKED on PostgreSQL, so parallel workers take
    different rows, then one UPDATE that counts the attempt and leases them."""
    from datetime import timedelta

    from django.db import transaction
    from django.db.models import F
    from django.utils import timezone

    from .channels import CHANNELS
    from .models import Delivery

    now = timezone.now()
    due = Delivery.objects.filter(status=Delivery.Status.PENDING, next_attempt_at__lte=now)
    if notice_id is not None:
        due = due.filter(receipt__notice_id=notice_id)
    with transaction.atomic():
        if channel is None:
            first = due.order_by("pk").values_list("channel", flat=True).first()
            if first is None:
                return [], None
            channel = first
        # Whole batches of the channel (so an SMTP connection or a provider request is full).
        batch_size = CHANNELS[channel].batch_size
        size = batch_size * max(1, size // batch_size)
        ids = list(
            due.filter(channel=channel)
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("pk")
            .values_list("pk", flat=True)[:size]
        )
        if ids:
            # Conditional, so that where FOR UPDATE is not available (SQLite) a row another worker
            # claimed between the SELECT and this UPDATE is not taken twice; the lease's instant
            # then tells this worker's rows.
            lease = now + timedelta(minutes=LEASE_MINUTES)
            claimed = Delivery.objects.filter(
                pk__in=ids, status=Delivery.Status.PENDING, next_attempt_at__lte=now
            ).update(attempts=F("attempts") + 1, next_attempt_at=lease)
            if claimed != len(ids):
                ids = list(Delivery.objects.filter(pk__in=ids, next_attempt_at=lease).values_list("pk", flat=True))
    return ids, channel


@shared_task(acks_late=True)
def send_due_deliveries(notice_id: int | None = None, limit: int | None = None) -> dict:
    """Send pending deliveries whose time has come, channel by channel in each channel's batch
    size (one SMTP connection per email batch, one provider request per SMS batch), until none is
    due (or ``limit`` rows were tried). Failures are retried with exponential backoff (1, 2, 4 …
    minutes) where a retry can help, and marked failed after a few attempts; each outcome is
    recorded against its recipient (``error_kind``: plain words for the sender). Run after a
    notice fans out and by celery beat every minute. Rows are claimed before they are sent, so two
    workers never send the same delivery."""
    from datetime import timedelta

    from django.utils import timezone
    from django_scopes import scopes_disabled

    from .channels import CHANNELS
    from .models import Delivery

    sent = failed = tried = 0
    with scopes_disabled():  # reviewed: rows are read by id and sent to their own recipient only
        while limit is None or tried < limit:
            ids, channel_name = _claim(notice_id, None, BATCH)
            if not ids or channel_name is None:
                break
            channel = CHANNELS[channel_name]
            rows = list(
                Delivery.objects.filter(pk__in=ids)
                .select_related(
                    "receipt__notice__school",
                    "receipt__guardian__user__delivery_preference",
                    "receipt__user__delivery_preference",
                )
                .order_by("pk")
            )
            tried += len(rows)
            live = [d for d in rows if d.receipt.notice.status == "published"]
            gone = [d.pk for d in rows if d.receipt.notice.status != "published"]
            if gone:
                # Recalled (or otherwise withdrawn) meanwhile: a retry must not send it after all.
                Delivery.objects.filter(pk__in=gone).update(
                    status=Delivery.Status.FAILED, last_error="notice no longer published"
                )
            for start in range(0, len(live), channel.batch_size):
                batch = live[start : start + channel.batch_size]
                outcomes = channel.send_many(batch)
                now = timezone.now()
                # Recorded against each recipient: one UPDATE per distinct outcome (a provider's
                # batch shares its id; a failure its kind and backoff), not Django's bulk_update,
                # whose CASE … WHEN per row and field cost more than the sending itself.
                changed = []
                for delivery, outcome in zip(batch, outcomes, strict=True):
                    if outcome.ok:
                        sent += 1
                        delivery.status, delivery.sent_at = Delivery.Status.SENT, now
                        delivery.provider_ref = outcome.ref[:64]
                        delivery.error_kind = delivery.last_error = ""
                    elif outcome.cancelled:
                        delivery.status, delivery.last_error = Delivery.Status.FAILED, outcome.detail[:255]
                    else:
                        failed += 1
                        final = not outcome.retry or delivery.attempts >= MAX_ATTEMPTS
                        delivery.status = Delivery.Status.FAILED if final else Delivery.Status.PENDING
                        delivery.next_attempt_at = now + timedelta(minutes=2 ** (delivery.attempts - 1))
                        delivery.error_kind = outcome.kind
                        delivery.last_error = (f"{outcome.kind}: {outcome.detail}" if outcome.kind else outcome.detail)[
                            :255
                        ]
                    changed.append(delivery)
                outcomes_of: dict[tuple, list[int]] = {}
                for d in changed:
                    key = (d.status, d.sent_at, d.provider_ref, d.error_kind, d.last_error, d.next_attempt_at)
                    outcomes_of.setdefault(key, []).append(d.pk)
                for (status, sent_at, ref, kind, error, next_at), pks in outcomes_of.items():
                    Delivery.objects.filter(pk__in=pks).update(
                        status=status,
                        sent_at=sent_at,
                        provider_ref=ref,
                        error_kind=kind,
                        last_error=error,
                        next_attempt_at=next_at,
                    )
    return {"sent": sent, "failed": failed}


@shared_task
def pull_sms_reports() -> dict:
    """Delivery reports for SMS sent in the last three days that have none yet, pulled from the
    provider (beat, every five minutes): ``report`` becomes delivered or undelivered."""
    from datetime import timedelta

    from django.utils import timezone
    from django_scopes import scopes_disabled

    from .models import Delivery
    from .sms_providers import SmsError, get_provider_backend, national

    if get_provider_backend() is None:
        return {"delivered": 0, "undelivered": 0}
    counts = {"delivered": 0, "undelivered": 0}
    with scopes_disabled():  # reviewed: each row is updated from its own provider id
        waiting = (
            Delivery.objects.filter(
                channel=Delivery.Channel.SMS,
                status=Delivery.Status.SENT,
                report="",
                sent_at__gte=timezone.now() - timedelta(days=3),
            )
            .exclude(provider_ref="")
            .select_related("receipt__guardian", "receipt__user", "school")
            .order_by("pk")
        )
        by_school: dict[str, list] = {}
        for d in waiting[:5000]:
            person = d.receipt.guardian if d.receipt.guardian_id else d.receipt.user
            phone = getattr(person, "phone", "") or ""
            by_school.setdefault(d.school.code, []).append((d, phone))
        for code, rows in by_school.items():
            backend = get_provider_backend(code)
            try:
                reports = backend.pull_reports([(d.provider_ref, phone, d.sent_at) for d, phone in rows])
            except (SmsError, OSError, ValueError) as exc:  # the next pull tries again
                import logging

                logging.getLogger(__name__).warning("SMS reports not pulled for %s: %s", code, exc)
                continue
            now = timezone.now()
            for d, phone in rows:
                key = (d.provider_ref, national(phone))
                if key not in reports:
                    continue
                delivered, detail = reports[key]
                report = "delivered" if delivered else "undelivered"
                fields: dict = {"report": report, "reported_at": now}
                if not delivered:
                    fields.update(error_kind="undelivered", last_error=f"undelivered: {detail}"[:255])
                Delivery.objects.filter(pk=d.pk).update(**fields)
                counts[report] += 1
    return counts


@shared_task(autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=3)
def sync_wecom_parents() -> dict:
    """Each WeCom school's parent list, daily (beat): who can be reached in WeChat."""
    from django.conf import settings
    from django_scopes import scopes_disabled

    from .models import WecomParent
    from .wecom import WecomError, sync_parents

    # The school model by the foreign key (schools sits above delivery, so it is not imported).
    school_model: Any = WecomParent._meta.get_field("school").related_model
    counts = {}
    with scopes_disabled():  # reviewed: each configured school's own parent list
        for school in school_model._default_manager.filter(code__in=list(settings.WECOM_SCHOOLS)):
            try:
                counts[school.code] = sync_parents(school)
            except WecomError as exc:
                if exc.kind in ("unavailable", "timeout"):
                    raise ConnectionError(str(exc)) from exc
                counts[school.code] = -1
    return counts
