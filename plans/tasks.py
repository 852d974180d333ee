"""Thin Celery tasks of the term plan: the daily reminder of due and overdue tasks (beat)."""

from celery import shared_task


@shared_task
def remind_plan_tasks() -> int:
    """Remind owners of their plan tasks due within three days or overdue, once a day."""
    from django.utils import timezone
    from django_scopes import scopes_disabled

    from .actions import remind_owners

    with scopes_disabled():  # reviewed: each reminder goes to the task's own owner or class head teacher
        return remind_owners(timezone.localdate())
