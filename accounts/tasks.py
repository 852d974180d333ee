"""Thin tasks: each takes plain values and calls an action."""

from celery import shared_task

from . import actions


@shared_task(acks_late=True)
def send_sign_in_code(phone: str, ip: str | None = None) -> bool:
    """Text a sign-in code to ``phone`` if it may sign in; nothing for a number we do not know (no
    SMS pumping). Run after the request has answered, so that its time says nothing of the number."""
    if not actions.is_known_phone(phone):
        return False
    actions.issue_sms_code(phone, purpose=actions.SmsCode.Purpose.LOGIN, ip=ip)
    return True
