"""Reminders and sweeps of the community app (Celery; eager on one machine)."""

import datetime

from celery import shared_task

# ==== Committees and working groups (section: committees) ===============================

# (end of section: committees)


# ==== Volunteers, activities and recognition (section: volunteers) ======================


@shared_task
def remind_tomorrows_volunteers() -> int:
    """Remind the families signed up for a slot that starts within a day, once per slot (run by
    beat every 15 minutes; ``do_remind_slot`` claims each slot with a conditional UPDATE)."""
    from django.utils import timezone
    from django_scopes import scopes_disabled

    from .actions import do_remind_slot
    from .models import VolunteerSlot

    now = timezone.now()
    reminded = 0
    with scopes_disabled():  # reviewed: each slot's reminder goes to its own activity's receipts
        due = VolunteerSlot.objects.filter(
            reminded_at__isnull=True,
            starts_at__gt=now,
            starts_at__lte=now + datetime.timedelta(days=1),
            activity__cancelled_at__isnull=True,
            activity__notice__isnull=False,
            taken__gt=0,
        ).select_related("activity__notice")
        for slot in due:
            if do_remind_slot(slot):
                reminded += 1
    return reminded


# (end of section: volunteers)


# ==== Duty rosters and the class quantification (section: duty) =========================


@shared_task
def remind_tomorrows_duty() -> int:
    """The day before, remind the families on duty (beat runs it every hour; each shift is claimed
    once, so running it twice sends nothing twice)."""
    from .actions import do_remind_tomorrows_shifts

    return do_remind_tomorrows_shifts(acting_user=None)


# (end of section: duty)


# ==== The class fund ledger (section: fund) =============================================

# (end of section: fund)
