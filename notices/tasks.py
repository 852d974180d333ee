from celery import shared_task
from django.utils import timezone
from django_scopes import scope, scopes_disabled


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=8)
def fan_out_notice(notice_id: int) -> dict:
    """Idempotent: receipts are unique per notice and recipient, so a retry adds only what is missing."""
    from .fanout import fan_out
    from .models import Notice

    with scopes_disabled():  # reviewed: the task is given an id; it then works inside that school
        notice = Notice.objects.filter(pk=notice_id).first()
    if notice is None:
        return {}
    with scope(school=[notice.school_id]):
        counts = fan_out(notice)
        from delivery.actions import queue_notice_deliveries

        queue_notice_deliveries(notice, notice.receipts.all())
    return counts


@shared_task
def publish_due_notices() -> int:
    """Run by celery beat every minute: publish scheduled notices whose time has come."""
    from .actions import do_publish_notice
    from .models import Notice

    with scopes_disabled():  # reviewed: each notice is then published inside its own school
        due = list(Notice.objects.filter(status=Notice.Status.SCHEDULED, publish_at__lte=timezone.now()))
    for notice in due:
        with scope(school=[notice.school_id]):
            do_publish_notice(notice, acting_user=None)
    return len(due)


@shared_task
def fan_out_missed() -> int:
    """Run by celery beat every minute: a published notice whose fan-out was never enqueued (the
    broker was down at publishing) or never finished is fanned out now. Idempotent like the task."""
    from datetime import timedelta

    from .fanout import fan_out
    from .models import Notice

    with scopes_disabled():  # reviewed: each notice is then fanned out inside its own school
        missed = list(
            Notice.objects.filter(
                status=Notice.Status.PUBLISHED,
                fanned_out_at__isnull=True,
                published_at__lte=timezone.now() - timedelta(minutes=1),
            )[:100]
        )
    for notice in missed:
        with scope(school=[notice.school_id]):
            fan_out(notice)
            from delivery.actions import queue_notice_deliveries

            queue_notice_deliveries(notice, notice.receipts.all())
    return len(missed)
