"""Thin Celery tasks of events: the day-before reminders (run by beat every 15 minutes)."""

import datetime

from celery import shared_task


@shared_task
def remind_tomorrows_events() -> int:
    """Remind everyone invited to an event that starts within a day (except families who said they
    cannot come), once: the conditional UPDATE claims each event, so two workers never both send."""
    from django.db import transaction
    from django.utils import timezone
    from django_scopes import scopes_disabled

    from notices.actions import do_remind_receipts

    from .actions import reminder_receipts
    from .models import Event

    now = timezone.now()
    reminded = 0
    with scopes_disabled():  # reviewed: each event's reminders go to its own invitation's receipts
        due = Event.objects.filter(
            status=Event.Status.SCHEDULED,
            reminded_at__isnull=True,
            starts_at__gt=now,
            starts_at__lte=now + datetime.timedelta(days=1),
            notice__status="published",
        ).select_related("notice")
        for event in due:
            with transaction.atomic():
                assert event.notice is not None  # the filter above asks for its published notice
                if Event.objects.filter(pk=event.pk, reminded_at__isnull=True).update(reminded_at=now):
                    do_remind_receipts(event.notice, reminder_receipts(event), acting_user=None)
                    reminded += 1
    return reminded
