"""Thin Celery tasks of guardrails: each takes ids and calls one action."""

from celery import shared_task

from core.ocr import TIMEOUT_SECONDS


@shared_task(acks_late=True, soft_time_limit=TIMEOUT_SECONDS + 30, time_limit=TIMEOUT_SECONDS + 60)
def read_picture(check_id: int) -> str:
    """Read a picture of a class-wide message (OCR, itself limited to TIMEOUT_SECONDS) and check it."""
    from .actions import do_read_picture

    return do_read_picture(check_id, acting_user=None)
