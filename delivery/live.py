"""Telling open pages that their badges may have changed (issue 17), after the change commits.
The event carries no numbers: each socket recounts for its own user (``delivery.consumers``), so
nothing about one member reaches another's socket. A notice tells its school's group once (one
message whatever the number of families; only the sockets open count); a chat message tells its
conversation's members. A channel layer that is down loses only this fast path: the next page
load or reconnect shows the right numbers."""

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from .consumers import school_group, user_group

log = logging.getLogger(__name__)
EVENT = {"type": "user.badges"}


def _send(groups: list[str]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        for group in groups:
            async_to_sync(layer.group_send)(group, EVENT)
    except Exception:  # reviewed: a live badge is never worth failing the request or the task
        log.warning("badge nudge failed", exc_info=True)


def nudge_school(school_id: int) -> None:
    _send([school_group(school_id)])


def nudge_users(user_ids) -> None:
    _send([user_group(user_id) for user_id in sorted(set(user_ids))])


def push_later(school_id: int, user_ids, payload: dict) -> None:
    """Web Push to the users' subscribed devices in the school, by a task (not in the request).
    Called after the commit; a broker that is down loses only the notification."""
    from django_scopes import scopes_disabled

    from .models import PushSubscription
    from .tasks import push_to_users

    users = sorted(set(user_ids))
    with scopes_disabled():  # reviewed: filtered by the school and the users given
        if not users or not PushSubscription.objects.filter(school_id=school_id, user_id__in=users).exists():
            return  # nobody to push to: no task
    try:
        push_to_users.delay(school_id, users, payload)
    except Exception:  # reviewed: as above, the message itself is saved and shown in the app
        log.warning("push task not queued", exc_info=True)
