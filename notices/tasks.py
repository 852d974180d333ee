"""Thin Celery tasks of notices: each takes ids (or nothing, when beat runs it) and calls one action."""

from celery import shared_task


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=8)
def fan_out_notice(notice_id: int) -> dict:
    """Idempotent: receipts are unique per notice and recipient, so a retry adds only what is missing."""
    from .fanout import do_fan_out_notice

    return do_fan_out_notice(notice_id, acting_user=None)


@shared_task
def publish_due_notices() -> int:
    """Run by celery beat every minute: publish scheduled notices whose time has come."""
    from .actions import do_publish_due_notices

    return do_publish_due_notices(acting_user=None)


@shared_task
def fan_out_missed() -> int:
    """Run by celery beat every minute: a published notice whose fan-out was never enqueued (the
    broker was down at publishing) or never finished is fanned out now. Idempotent like the task."""
    from .fanout import do_fan_out_missed

    return do_fan_out_missed(acting_user=None)


@shared_task
def climb_ladders() -> dict:
    """Run by celery beat every minute: the escalation ladder's SMS and call steps, each one
    statement for every family due (notices.ladder). Idempotent: unique per family and step."""
    from .ladder import do_climb_ladders

    return do_climb_ladders(acting_user=None)
