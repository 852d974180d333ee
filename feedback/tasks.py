"""Thin Celery task of the suggestion box: the overdue sweep (beat, every 30 minutes)."""

from celery import shared_task


@shared_task
def remind_overdue_feedback() -> dict:
    """Remind overdue owners and escalate to the admins, each step once (idempotent)."""
    from django_scopes import scopes_disabled

    from .actions import do_sweep_overdue

    with scopes_disabled():  # reviewed: each reminder goes to the step's own owner or its school's admins
        return do_sweep_overdue()
