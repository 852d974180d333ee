"""Creating events for tests the way users do: through the API."""

import datetime

from django.utils import timezone

from events.models import Event


def create_event(
    client,
    *,
    title="三年级家长会",
    kind="parent_meeting",
    targets=None,
    starts_in=datetime.timedelta(days=2),
    hours=2,
    **extra,
):
    starts = timezone.now() + starts_in
    body = {
        "kind": kind,
        "title": title,
        "starts_at": starts.isoformat(),
        "ends_at": (starts + datetime.timedelta(hours=hours)).isoformat(),
        "place": "三楼多功能厅",
        "targets": targets or [],
        **extra,
    }
    response = client.post("/api/v1/events", body, content_type="application/json")
    assert response.status_code == 201, response.content
    return Event.objects.get(pk=response.json()["id"])


def start_now(event, minutes_ago=0):
    """Move an event so that it started ``minutes_ago`` minutes ago (sign-in, minutes, reflections)."""
    length = event.ends_at - event.starts_at
    start = timezone.now() - datetime.timedelta(minutes=minutes_ago)
    Event.objects.filter(pk=event.pk).update(starts_at=start, ends_at=start + length)
    event.refresh_from_db()
    return event
