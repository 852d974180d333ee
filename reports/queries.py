"""Reads across the domains (events, contact book, community), which only this layer may join: the
trainings a volunteer attended, and the term's engagement for recognition (表彰)."""

from collections import defaultdict

from django.utils import timezone

from community.queries import Training
from events.models import Attendance, Event

# The kind of event that is a training for families: the parent school's lectures and trainings.
TRAINING_KINDS = (Event.Kind.PARENT_SCHOOL,)


def trainings_attended(guardian_ids: list[int]) -> dict[int, list[Training]]:
    """guardian id → the trainings (parent-school sessions) they signed in at, oldest first: one
    query. Named in settings.COMMUNITY_TRAININGS_SOURCE, so community's archive reads it without
    importing events."""
    found: dict[int, list[Training]] = defaultdict(list)
    if not guardian_ids:
        return found
    rows = (
        Attendance.objects.filter(
            receipt__guardian_id__in=guardian_ids,
            status__in=(Attendance.Status.PRESENT, Attendance.Status.LATE),
            event__kind__in=TRAINING_KINDS,
            event__status=Event.Status.SCHEDULED,
        )
        .order_by("event__starts_at", "event_id")
        .values_list("receipt__guardian_id", "event__starts_at", "event__title")
    )
    for guardian_id, starts_at, title in rows:
        found[guardian_id].append(Training(date=timezone.localtime(starts_at).date(), title=title))
    return found
