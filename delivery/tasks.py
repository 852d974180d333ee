from celery import shared_task

from .sms import send_sms


@shared_task(autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def send_sms_task(phone: str, text: str) -> None:
    send_sms(phone, text)


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


BATCH = 500
MAX_ATTEMPTS = 6


@shared_task(acks_late=True)
def send_due_deliveries(notice_id: int | None = None) -> dict:
    """Send pending deliveries whose time has come, in batches; failures are retried with
    exponential backoff (1, 2, 4 … minutes) and marked failed after a few attempts. Run after a
    notice fans out and by celery beat every minute. Each row is claimed with a conditional
    UPDATE, so two workers never send the same delivery."""
    from datetime import timedelta

    from django.utils import timezone
    from django_scopes import scopes_disabled

    from .channels import CHANNELS, DeliveryCancelled
    from .models import Delivery

    sent = failed = 0
    with scopes_disabled():  # reviewed: rows are read by id and sent to their own recipient only
        due = Delivery.objects.filter(status=Delivery.Status.PENDING, next_attempt_at__lte=timezone.now())
        if notice_id is not None:
            due = due.filter(receipt__notice_id=notice_id)
        for delivery in due.select_related(
            "receipt__notice__school",
            "receipt__guardian__user__delivery_preference",
            "receipt__user__delivery_preference",
        ).order_by("pk")[:BATCH]:
            # Claim: push next_attempt_at ahead so a parallel worker skips this row.
            claimed = Delivery.objects.filter(pk=delivery.pk, attempts=delivery.attempts, status="pending").update(
                attempts=delivery.attempts + 1, next_attempt_at=timezone.now() + timedelta(minutes=2**delivery.attempts)
            )
            if not claimed:
                continue
            if delivery.receipt.notice.status != "published":
                # Recalled (or otherwise withdrawn) meanwhile: a retry must not send it after all.
                Delivery.objects.filter(pk=delivery.pk).update(
                    status=Delivery.Status.FAILED, last_error="notice no longer published"
                )
                continue
            try:
                CHANNELS[delivery.channel].send(delivery)
            except DeliveryCancelled as exc:
                Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.Status.FAILED, last_error=str(exc)[:255])
            except Exception as exc:
                failed += 1
                final = delivery.attempts + 1 >= MAX_ATTEMPTS
                Delivery.objects.filter(pk=delivery.pk).update(
                    status=Delivery.Status.FAILED if final else Delivery.Status.PENDING, last_error=str(exc)[:255]
                )
            else:
                sent += 1
                Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.Status.SENT, sent_at=timezone.now())
    return {"sent": sent, "failed": failed}
