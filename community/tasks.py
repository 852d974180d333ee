"""Reminders and sweeps of the community app (Celery; eager on one machine)."""

from celery import shared_task

# ==== Committees and working groups (section: committees) ===============================

# (end of section: committees)


# ==== Volunteers, activities and recognition (section: volunteers) ======================

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
