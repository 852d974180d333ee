"""Who sees which event. Its author, its organisers and the school's admins manage it (and the
head teachers of the classes it reaches take the roll); a family or a staff member sees it only
through their own receipt of its invitation."""

from django.db.models import Q
from django.http import Http404

from notices.models import Receipt, StudentReceipt
from schools.roles import Roles

from .models import ConferenceDay, Event, FollowUp, Reflection, Resolution


def _roles(request) -> Roles:
    return getattr(request, "roles", None) or Roles()


def may_manage(request, event: Event, *, roll: bool = False) -> bool:
    """Its author, its organisers and the school's admins manage an event. With ``roll``, also the
    head teacher of a class it reaches: they sign that class's families in and read reflections,
    but do not change, cancel or write the minutes of someone else's event."""
    roles = _roles(request)
    if roles.is_admin_of(event.school_id):
        return True
    if not roles.is_staff_of(event.school_id):
        return False
    if event.author_id == request.user.pk or event.organisers.filter(pk=request.user.pk).exists():
        return True
    return (
        roll
        and StudentReceipt.objects.filter(
            notice_id=event.notice_id or 0, student__school_class_id__in=roles.head_class_ids
        ).exists()
    )


def access_event_to_manage(request, event_id: int, *, roll: bool = False) -> Event:
    event = Event.objects.filter(pk=event_id).select_related("school", "notice").first()
    if event is None or not may_manage(request, event, roll=roll):
        raise Http404
    return event


def my_receipt(notice_id, user) -> Receipt | None:
    """The user's receipt of a notice: as one of the guardians it reached, or as staff."""
    return (
        Receipt.objects.filter(notice_id=notice_id or 0)
        .filter(Q(guardian__user=user) | Q(guardian__isnull=True, user=user))
        .select_related("guardian")
        .first()
    )


def access_event_as_invited(request, event_id: int) -> tuple[Event, Receipt]:
    """An event whose invitation reached this user (published), with their receipt."""
    event = Event.objects.filter(pk=event_id, notice__status="published").select_related("school", "notice").first()
    if event is None:
        raise Http404
    receipt = my_receipt(event.notice_id, request.user)
    if receipt is None:
        raise Http404
    return event, receipt


def access_event_to_see(request, event_id: int) -> Event:
    """Managers and the invited: for the .ics file of one event."""
    try:
        return access_event_to_manage(request, event_id)
    except Http404:
        return access_event_as_invited(request, event_id)[0]


def access_reflection_to_comment(request, reflection_id: int) -> Reflection:
    reflection = Reflection.objects.filter(pk=reflection_id).select_related("event").first()
    if reflection is None or not may_manage(request, reflection.event, roll=True):
        raise Http404
    return reflection


def access_conference(request, conference_id: int) -> tuple[ConferenceDay, Receipt | None]:
    """Its teachers and the school's admins (receipt None), or a family of its class (their receipt)."""
    conference = ConferenceDay.objects.filter(pk=conference_id).select_related("school_class", "notice").first()
    if conference is None:
        raise Http404
    roles = _roles(request)
    if roles.is_admin_of(conference.school_id) or conference.teachers.filter(pk=request.user.pk).exists():
        return conference, None
    if conference.notice is None or conference.notice.status != "published":  # recalled: no more booking
        raise Http404
    receipt = my_receipt(conference.notice_id, request.user)
    if receipt is None or receipt.guardian_id is None:
        raise Http404
    return conference, receipt


def access_follow_up_to_close(request, follow_up_id: int) -> FollowUp:
    """A family to follow up after a meeting: only its owner (the head teacher it was given to)
    marks it done."""
    item = FollowUp.objects.filter(pk=follow_up_id, owner=request.user).first()
    if item is None:
        raise Http404
    return item


def access_resolution_to_close(request, resolution_id: int) -> Resolution:
    """A resolution of a meeting: only its owner marks it done."""
    item = Resolution.objects.filter(pk=resolution_id, owner=request.user).first()
    if item is None:
        raise Http404
    return item
