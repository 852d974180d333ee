"""Every write of events: create, change, cancel, RSVP, sign in, roll call, minutes, reflections,
individual conferences and calendar links."""

import datetime
import hmac
import re
import secrets
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext as _

from audit.actions import record
from audit.models import AuditEntry
from core.daycodes import secret_digits
from core.richtext import text_to_html
from notices.actions import TargetSpec, do_create_notice, do_edit_notice, do_record_response, do_remind_receipts
from notices.audience import specs_of
from notices.models import Notice, Receipt, StudentReceipt
from schools.models import SchoolClass, StaffAssignment, StaffMember, StudentGuardian
from schools.roles import Roles

from .models import (
    Attendance,
    Booking,
    CalendarFeed,
    ConferenceDay,
    Event,
    EventRules,
    FollowUp,
    Reflection,
    Resolution,
    Rsvp,
    Slot,
)

# Sign-in opens two hours before the start (families come early) and closes at the end.
CHECKIN_OPENS_BEFORE = datetime.timedelta(hours=2)
LATE_AFTER = datetime.timedelta(minutes=10)
SCREEN_WINDOW_SECONDS = 30
REFLECTIVE_KINDS = {Event.Kind.PARENT_SCHOOL, Event.Kind.SALON, Event.Kind.MENTAL_HEALTH, Event.Kind.SHARING}
MAX_PEOPLE = 6
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass
class EventFields:
    kind: str
    title: str
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    description: str = ""
    place: str = ""
    online_link: str = ""
    capacity: int | None = None
    materials: str = ""
    speakers: str = ""


def _check(fields: EventFields, *, new: bool) -> None:
    if fields.kind not in Event.Kind.values:
        raise ValidationError(_("Choose the kind of event."))
    title = (fields.title or "").strip()
    if not title:
        raise ValidationError(_("Give the event a title."))
    if len(title) > 120 or _CONTROL.search(title):
        raise ValidationError(_("The title is one line of at most 120 characters."))
    if fields.starts_at is None or fields.ends_at is None:
        raise ValidationError(_("Give the start and the end."))
    if fields.ends_at <= fields.starts_at:
        raise ValidationError(_("The event must end after it starts."))
    if new and fields.starts_at <= timezone.now():
        raise ValidationError(_("The start is in the past."))
    if fields.ends_at - fields.starts_at > datetime.timedelta(days=7):
        raise ValidationError(_("An event lasts at most a week."))
    if not fields.place.strip() and not fields.online_link.strip():
        raise ValidationError(_("Give a place or an online link."))
    if fields.online_link and not fields.online_link.startswith(("https://", "http://")):
        raise ValidationError(_("The online link must start with https://."))
    if fields.capacity is not None and fields.capacity < 1:
        raise ValidationError(_("The capacity is at least one family."))


def _when(event) -> str:
    start, end = timezone.localtime(event.starts_at), timezone.localtime(event.ends_at)
    same_day = start.date() == end.date()
    text = (
        f"{start:%Y年%-m月%-d日 %H:%M}–{end:%H:%M}"
        if same_day
        else f"{start:%Y年%-m月%-d日 %H:%M}–{end:%-m月%-d日 %H:%M}"
    )
    return text


def invitation_html(event: Event) -> str:
    """The invitation's text: when, where, what to bring, and the link to answer."""
    # Site-relative, so the page shows it on the reader's own address; the email makes it absolute
    # on SITE_URL (core.richtext.absolute_links).
    link = reverse("events:invitation", args=[event.pk])
    when, where, online = _("When"), _("Where"), _("Online")
    speakers, materials, reply = _("Speakers"), _("Materials"), _("Reply, and your sign-in code")
    lines = [f"<p><strong>{escape(when)}：</strong>{escape(_when(event))}</p>"]
    if event.place:
        lines.append(f"<p><strong>{escape(where)}：</strong>{escape(event.place)}</p>")
    if event.online_link:
        url = escape(event.online_link)
        lines.append(f'<p><strong>{escape(online)}：</strong><a href="{url}">{url}</a></p>')
    if event.speakers:
        lines.append(f"<p><strong>{escape(speakers)}：</strong>{escape(event.speakers)}</p>")
    if event.description:
        lines.append(text_to_html(event.description))
    if event.materials:
        lines.append(f"<p><strong>{escape(materials)}：</strong></p>" + text_to_html(event.materials))
    lines.append(f'<p><a href="{link}">{escape(reply)}</a></p>')
    return "".join(lines)


def do_create_event(
    school,
    *,
    acting_user,
    roles: Roles,
    fields: EventFields,
    targets: list[TargetSpec],
    organiser_ids: list[int] | None = None,
    guardrail_reason: str = "",
    idempotency_key: str = "",
    request=None,
) -> Event:
    """Create the event and send its invitation (a notice) to the audience: all or nothing."""
    if idempotency_key:
        existing = Event.objects.filter(author=acting_user, idempotency_key=idempotency_key[:64]).first()
        if existing is not None:
            return existing
    if not roles.is_staff_of(school.pk):
        raise ValidationError(_("Only staff can create events."))
    _check(fields, new=True)
    organisers = list(
        StaffMember.objects.filter(school=school, is_active=True, user_id__in=organiser_ids or []).values_list(
            "user_id", flat=True
        )
    )
    try:
        with transaction.atomic():
            event = Event.objects.create(
                school=school,
                author=acting_user,
                kind=fields.kind,
                title=fields.title.strip(),
                description=fields.description.strip()[:4000],
                starts_at=fields.starts_at,
                ends_at=fields.ends_at,
                place=fields.place.strip()[:200],
                online_link=fields.online_link.strip(),
                capacity=fields.capacity,
                materials=fields.materials.strip()[:2000],
                speakers=fields.speakers.strip()[:300],
                idempotency_key=idempotency_key[:64],
            )
            event.organisers.set({acting_user.pk, *organisers})
            notice = do_create_notice(
                school,
                acting_user=acting_user,
                roles=roles,
                title=event.title,
                body_html=invitation_html(event),
                # Done when the family says whether it comes (do_rsvp), not when it reads the invitation.
                action=Notice.Action.RSVP,
                respond_path=reverse("events:invitation", args=[event.pk]),
                deadline=event.starts_at,
                targets=targets,
                guardrail_reason=guardrail_reason,
                request=request,
            )
            event.notice = notice
            event.audience_label = notice.audience_label
            event.save(update_fields=["notice", "audience_label"])
    except IntegrityError:
        existing = Event.objects.filter(author=acting_user, idempotency_key=idempotency_key[:64]).first()
        if not idempotency_key or existing is None:
            raise
        return existing
    return event


def _tell_everyone(event: Event, *, acting_user) -> int:
    """A change or a cancellation reaches every invited family and staff member, whatever they answered."""
    if event.notice is None:
        return 0  # never invited: nobody to tell
    return do_remind_receipts(
        event.notice, Receipt.objects.filter(notice_id=event.notice_id or 0), acting_user=acting_user
    )


def yes_count(event: Event) -> int:
    return Rsvp.objects.filter(event=event, answer=Rsvp.Answer.YES).count()


@transaction.atomic
def do_change_event(event: Event, *, acting_user, fields: EventFields) -> Event:
    """Change time, place or details; the invitation is edited (families see what changed) and
    everyone invited is told."""
    if event.is_cancelled:
        raise ValidationError(_("This event is cancelled."))
    fields.kind = event.kind
    _check(fields, new=False)
    locked = Event.objects.select_for_update().get(pk=event.pk)
    coming = yes_count(locked)
    if fields.capacity is not None and fields.capacity < coming:
        raise ValidationError(
            _("%(n)d families have already said they will come: the capacity cannot be lower.") % {"n": coming}
        )
    if fields.starts_at != locked.starts_at:
        locked.reminded_at = None  # moved: the day-before reminder is due again
    for name in (
        "title",
        "starts_at",
        "ends_at",
        "place",
        "online_link",
        "capacity",
        "description",
        "materials",
        "speakers",
    ):
        value = getattr(fields, name)
        setattr(locked, name, value.strip() if isinstance(value, str) else value)
    locked.save()
    if locked.notice is not None:
        do_edit_notice(
            locked.notice,
            acting_user=acting_user,
            title=locked.title,
            body_html=invitation_html(locked),
            guardrail_reason=locked.notice.guardrail_reason,  # the reason given when it was first sent
        )
        Notice.objects.filter(pk=locked.notice.pk).update(deadline=locked.starts_at)
        _tell_everyone(locked, acting_user=acting_user)
    return locked


@transaction.atomic
def do_cancel_event(event: Event, *, acting_user, reason: str = "") -> None:
    locked = Event.objects.select_for_update().get(pk=event.pk)
    if locked.is_cancelled:
        return
    locked.status, locked.cancelled_at = Event.Status.CANCELLED, timezone.now()
    locked.save(update_fields=["status", "cancelled_at"])
    if locked.notice is not None:
        cancelled = _("This event is cancelled.")
        body = f"<p><strong>{escape(cancelled)}</strong> {escape(reason.strip()[:300])}</p>"
        do_edit_notice(
            locked.notice,
            acting_user=acting_user,
            title=_("Cancelled: %(t)s") % {"t": locked.title},
            body_html=body + invitation_html(locked),
            guardrail_reason=locked.notice.guardrail_reason,
        )
        # Nothing to answer any more: the cancellation is to be read, like any notice.
        Notice.objects.filter(pk=locked.notice.pk).update(action=Notice.Action.READ)
        _tell_everyone(locked, acting_user=acting_user)


# --- RSVP --------------------------------------------------------------------------------------------


@transaction.atomic
def do_rsvp(event: Event, receipt: Receipt, *, acting_user, answer: str, people: int = 1, note: str = "") -> Rsvp:
    """A family answers once for all its children; it may change its answer until the start. The
    event row is locked so that two families taking the last place cannot both get it."""
    if answer not in Rsvp.Answer.values:
        raise ValidationError(_("Say whether you will come."))
    if not 1 <= people <= MAX_PEOPLE:
        raise ValidationError(_("From 1 to %(n)d people per family.") % {"n": MAX_PEOPLE})
    locked = Event.objects.select_for_update().get(pk=event.pk)
    if locked.is_cancelled:
        raise ValidationError(_("This event is cancelled."))
    if timezone.now() >= locked.starts_at:
        raise ValidationError(_("The event has started: replies are closed."))
    mine = Rsvp.objects.filter(event=locked, receipt=receipt).first()
    already_coming = mine is not None and mine.answer == Rsvp.Answer.YES
    full = locked.capacity is not None and yes_count(locked) >= locked.capacity
    if answer == Rsvp.Answer.YES and not already_coming and full:
        raise ValidationError(_("Sorry, the event is full."))
    values = {"answer": answer, "people": people, "note": note.strip()[:200], "answered_at": timezone.now()}
    rsvp, _created = Rsvp.objects.update_or_create(
        event=locked, receipt=receipt, defaults=values, create_defaults={**values, "school_id": locked.school_id}
    )
    if locked.notice_id is not None:  # the invitation is answered: the family's feed, badge and home say so
        do_record_response(
            Notice.objects.get(pk=locked.notice_id),
            Receipt.objects.filter(pk=receipt.pk),
            acting_user=acting_user,
            answer=answer,
        )
    return rsvp


# --- sign-in -----------------------------------------------------------------------------------------


def _mac(event: Event, message: str, length: int) -> str:
    return secret_digits(event.checkin_secret, message, length)


def family_code(event: Event, receipt_id: int) -> str:
    """The family's personal sign-in code for this event (its QR code says the same): the receipt
    number and six digits only this event's secret can make."""
    return f"{receipt_id}-{_mac(event, f'family:{receipt_id}', 6)}"


def screen_code(event: Event, at: datetime.datetime | None = None) -> str:
    """The rotating code shown on the screen at the door: a new one every 30 seconds."""
    window = int((at or timezone.now()).timestamp()) // SCREEN_WINDOW_SECONDS
    return _mac(event, f"screen:{window}", 8)


def _checkin_open(event: Event) -> None:
    now = timezone.now()
    if event.is_cancelled:
        raise ValidationError(_("This event is cancelled."))
    if now < event.starts_at - CHECKIN_OPENS_BEFORE:
        raise ValidationError(_("Sign-in opens two hours before the start."))
    if now > event.ends_at:
        raise ValidationError(_("Sign-in has closed: the event is over."))


def _status_now(event: Event) -> str:
    return Attendance.Status.LATE if timezone.now() > event.starts_at + LATE_AFTER else Attendance.Status.PRESENT


def _record_attendance(event: Event, receipt_id: int, method: str, by) -> Attendance:
    existing = Attendance.objects.filter(event=event, receipt_id=receipt_id).first()
    if existing is not None and existing.status != Attendance.Status.ABSENT:
        at = timezone.localtime(existing.checked_in_at).strftime("%H:%M") if existing.checked_in_at else ""
        raise ValidationError(_("This family has already signed in (%(at)s).") % {"at": at})
    values = {"status": _status_now(event), "method": method, "checked_in_at": timezone.now(), "recorded_by": by}
    try:
        with transaction.atomic():
            attendance, _created = Attendance.objects.update_or_create(
                event=event,
                receipt_id=receipt_id,
                defaults=values,
                create_defaults={**values, "school_id": event.school_id},
            )
    except IntegrityError:  # the same code scanned twice at once: the first one counts
        raise ValidationError(_("This family has already signed in.")) from None
    return attendance


_FAMILY_CODE = re.compile(r"^\s*(?:TX-E(?P<event>\d+)-)?(?P<receipt>\d{1,12})-(?P<mac>\d{6})\s*$")


def do_check_in_by_code(event: Event, code: str, *, acting_user) -> Attendance:
    """A teacher scans (or types) a family's code at the door."""
    _checkin_open(event)
    match = _FAMILY_CODE.match(code or "")
    if match is None or (match["event"] and int(match["event"]) != event.pk):
        raise ValidationError(_("This is not a sign-in code of this event."))
    receipt_id = int(match["receipt"])
    if not hmac.compare_digest(family_code(event, receipt_id), f"{receipt_id}-{match['mac']}"):
        raise ValidationError(_("This is not a sign-in code of this event."))
    if not Receipt.objects.filter(pk=receipt_id, notice_id=event.notice_id or 0).exists():
        raise ValidationError(_("This is not a sign-in code of this event."))
    return _record_attendance(event, receipt_id, Attendance.Method.CODE, acting_user)


def do_check_in_by_screen(event: Event, receipt: Receipt, code: str, *, acting_user) -> Attendance:
    """A parent scans the code on the screen with their phone: valid for its 30 seconds and the next.
    ``receipt`` is the acting user's own (``access_event_as_invited``): they are recorded as its signer."""
    _checkin_open(event)
    now = timezone.now()
    current = {screen_code(event, now), screen_code(event, now - datetime.timedelta(seconds=SCREEN_WINDOW_SECONDS))}
    if not any(hmac.compare_digest((code or "").strip(), c) for c in current):
        raise ValidationError(_("This code has expired. Scan the code on the screen again."))
    return _record_attendance(event, receipt.pk, Attendance.Method.SCREEN, acting_user)


@transaction.atomic
def do_roll_call(event: Event, *, acting_user, marks: dict[int, str]) -> int:
    """The teacher marks the rest from the list: present, late or absent, by receipt."""
    if event.is_cancelled:
        raise ValidationError(_("This event is cancelled."))
    if timezone.now() < event.starts_at - CHECKIN_OPENS_BEFORE:
        raise ValidationError(_("Sign-in opens two hours before the start."))
    valid = set(Receipt.objects.filter(notice_id=event.notice_id or 0, pk__in=list(marks)).values_list("pk", flat=True))
    changed = 0
    for receipt_id, status in marks.items():
        if receipt_id not in valid or status not in Attendance.Status.values:
            raise ValidationError(_("The list has changed: please reload the page."))
        values = {
            "status": status,
            "method": Attendance.Method.ROLL_CALL,
            "checked_in_at": timezone.now() if status != Attendance.Status.ABSENT else None,
            "recorded_by": acting_user,
        }
        Attendance.objects.update_or_create(
            event=event,
            receipt_id=receipt_id,
            defaults=values,
            create_defaults={**values, "school_id": event.school_id},
        )
        changed += 1
    return changed


# --- minutes -----------------------------------------------------------------------------------------


@dataclass
class ResolutionSpec:
    text: str
    owner_id: int
    due_on: datetime.date | None = None


def _head_teachers(school_id: int) -> dict[int, int]:
    return dict(
        StaffAssignment.objects.filter(
            school_id=school_id, role=StaffAssignment.Role.HEAD_TEACHER, term__is_current=True
        ).values_list("school_class_id", "staff__user_id")
    )


def do_publish_minutes(
    event: Event,
    *,
    acting_user,
    roles: Roles,
    minutes: str,
    resolutions: list[ResolutionSpec],
    guardrail_reason: str = "",
    request=None,
) -> Event:
    """Publish the minutes to everyone invited (those who came and those who did not). Families not
    signed in are recorded absent; each resolution lands in its owner's to-do list; each child
    whose family did not come becomes a follow-up in the class's head teacher's list."""
    if event.is_cancelled:
        raise ValidationError(_("This event is cancelled."))
    if event.minutes_published_at is not None:
        raise ValidationError(_("The minutes have been published already."))
    if timezone.now() < event.starts_at:
        raise ValidationError(_("The minutes come after the event has started."))
    if not (minutes or "").strip():
        raise ValidationError(_("Write what was presented."))
    staff = set(StaffMember.objects.filter(school_id=event.school_id, is_active=True).values_list("user_id", flat=True))
    for spec in resolutions:
        if not spec.text.strip() or len(spec.text) > 300:
            raise ValidationError(_("Each resolution is one line of at most 300 characters."))
        if spec.owner_id not in staff:
            raise ValidationError(_("Each resolution needs an owner among the school's staff."))
    now = timezone.now()
    with transaction.atomic():
        locked = Event.objects.select_for_update().get(pk=event.pk)
        if locked.minutes_published_at is not None:
            raise ValidationError(_("The minutes have been published already."))
        receipts = Receipt.objects.filter(notice_id=locked.notice_id or 0)
        # One statement: everyone invited who did not sign in is absent.
        Attendance.objects.bulk_create(
            [
                Attendance(
                    school_id=locked.school_id,
                    event=locked,
                    receipt_id=receipt_id,
                    status=Attendance.Status.ABSENT,
                    method=Attendance.Method.ROLL_CALL,
                    recorded_by=acting_user,
                )
                for receipt_id in receipts.exclude(
                    Exists(Attendance.objects.filter(event=locked, receipt=OuterRef("pk")))
                ).values_list("pk", flat=True)
            ]
        )
        Resolution.objects.bulk_create(
            [
                Resolution(
                    school_id=locked.school_id, event=locked, text=s.text.strip(), owner_id=s.owner_id, due_on=s.due_on
                )
                for s in resolutions
            ]
        )
        heads = _head_teachers(locked.school_id)
        came = Attendance.objects.filter(
            event=locked,
            status__in=[Attendance.Status.PRESENT, Attendance.Status.LATE],
            receipt__guardian__student_links__student=OuterRef("student"),
        )
        absent_children = (
            StudentReceipt.objects.filter(notice_id=locked.notice_id or 0)
            .exclude(Exists(came))
            .values_list("student_id", "student__school_class_id")
        )
        FollowUp.objects.bulk_create(
            [
                FollowUp(school_id=locked.school_id, event=locked, student_id=student_id, owner_id=heads[class_id])
                for student_id, class_id in absent_children
                if class_id in heads
            ],
            ignore_conflicts=True,
        )
        targets = specs_of(locked.notice_id)  # the minutes go to those invited
        minutes_notice = do_create_notice(
            locked.school,
            acting_user=acting_user,
            roles=roles,
            title=_("Meeting minutes: %(t)s") % {"t": locked.title},
            body_html=text_to_html(minutes.strip())
            + "".join(f"<p>· {escape(s.text.strip())}</p>" for s in resolutions),
            action=Notice.Action.READ,
            targets=targets,
            guardrail_reason=guardrail_reason,
            request=request,
        )
        locked.minutes, locked.minutes_published_at, locked.minutes_notice = minutes.strip(), now, minutes_notice
        locked.save(update_fields=["minutes", "minutes_published_at", "minutes_notice"])
    return locked


def do_finish_follow_up(follow_up: FollowUp, *, acting_user) -> None:
    """The owner has been in touch with the family (``access_follow_up_to_close`` checked who)."""
    FollowUp.objects.filter(pk=follow_up.pk, done_at__isnull=True).update(done_at=timezone.now())


def do_finish_resolution(resolution: Resolution, *, acting_user) -> None:
    Resolution.objects.filter(pk=resolution.pk, done_at__isnull=True).update(done_at=timezone.now())


def do_set_parent_school_rule(school, sessions: int, *, acting_user, request=None) -> EventRules:
    """The school's rule of the parent school (R27): sessions every family attends a term."""
    if not 0 <= sessions <= 10:
        raise ValidationError(_("Give a number of sessions from 0 to 10."))
    with transaction.atomic():
        rules, _created = EventRules.objects.update_or_create(
            school=school, defaults={"parent_school_sessions_per_term": sessions}
        )
        record(
            AuditEntry.Action.ROLE_CHANGED,
            actor=acting_user,
            school=school,
            summary="parent school rule changed",
            detail={"parent_school_sessions_per_term": sessions},
            request=request,
        )
    return rules


# --- reflections -------------------------------------------------------------------------------------


def do_submit_reflection(event: Event, receipt: Receipt, text: str, *, acting_user) -> Reflection:
    if event.kind not in REFLECTIVE_KINDS:
        raise ValidationError(_("Reflections are for the parent school, salons and talks."))
    if timezone.now() < event.starts_at:
        raise ValidationError(_("Reflections come after the lecture."))
    text = (text or "").strip()
    if not text:
        raise ValidationError(_("Write your reflection."))
    if len(text) > 5000:
        raise ValidationError(_("At most %(n)d characters, please.") % {"n": 5000})
    reflection, _created = Reflection.objects.update_or_create(
        event=event,
        receipt=receipt,
        defaults={"text": text, "submitted_at": timezone.now()},
        create_defaults={"text": text, "school_id": event.school_id},
    )
    return reflection


def do_comment_reflection(reflection: Reflection, *, acting_user, comment: str, excellent: bool, shared: bool) -> None:
    if shared and not excellent:
        raise ValidationError(_("Only an excellent reflection can be shared with the class."))
    reflection.comment = (comment or "").strip()[:2000]
    reflection.commented_by = acting_user
    reflection.excellent, reflection.shared = excellent, shared
    reflection.save(update_fields=["comment", "commented_by", "excellent", "shared"])


# --- individual conferences (家长个别面谈) -------------------------------------------------------------


def do_create_conference_day(
    school,
    *,
    acting_user,
    roles: Roles,
    title: str,
    place: str,
    class_id: int,
    day: datetime.date,
    start: datetime.time,
    end: datetime.time,
    slot_minutes: int,
    break_minutes: int,
    teacher_ids: list[int],
) -> ConferenceDay:
    """Slots from ``start`` to ``end``, each ``slot_minutes`` long with ``break_minutes`` between,
    offered to the families of one class, announced by a notice."""
    klass = SchoolClass.objects.filter(pk=class_id, school=school).first()
    if klass is None or not (roles.is_admin_of(school.pk) or klass.pk in roles.taught_class_ids):
        raise ValidationError(_("You may not send to this class."))
    if not (title or "").strip():
        raise ValidationError(_("Give the event a title."))
    if not 5 <= slot_minutes <= 120 or not 0 <= break_minutes <= 60:
        raise ValidationError(_("A slot lasts 5 to 120 minutes, a break up to 60."))
    tz = timezone.get_current_timezone()
    first = datetime.datetime.combine(day, start, tzinfo=tz)
    last = datetime.datetime.combine(day, end, tzinfo=tz)
    if last <= first:
        raise ValidationError(_("The event must end after it starts."))
    if first <= timezone.now():
        raise ValidationError(_("The start is in the past."))
    slots = []
    at = first
    while at + datetime.timedelta(minutes=slot_minutes) <= last:
        slots.append((at, at + datetime.timedelta(minutes=slot_minutes)))
        at += datetime.timedelta(minutes=slot_minutes + break_minutes)
    if not slots:
        raise ValidationError(_("No slot fits between the start and the end."))
    offered = ConferenceDay.objects.filter(
        school=school, author=acting_user, school_class=klass, title=title.strip()[:120], slots__starts_at=first
    ).first()
    if offered is not None:
        return offered  # a double tap: the families were offered these times already
    teachers = set(
        StaffMember.objects.filter(
            school=school, is_active=True, user_id__in=[acting_user.pk, *teacher_ids]
        ).values_list("user_id", flat=True)
    )
    with transaction.atomic():
        conference = ConferenceDay.objects.create(
            school=school,
            author=acting_user,
            title=title.strip()[:120],
            place=(place or "").strip()[:200],
            school_class=klass,
        )
        conference.teachers.set(teachers)
        Slot.objects.bulk_create([Slot(school=school, day=conference, starts_at=a, ends_at=b) for a, b in slots])
        link = reverse("events:conference", args=[conference.pk])  # site-relative, as in invitation_html
        book = _("Book a time")
        conference.notice = do_create_notice(
            school,
            acting_user=acting_user,
            roles=roles,
            title=conference.title,
            body_html=f"<p>{escape(_when_slots(slots))} {escape(conference.place)}</p>"
            f'<p><a href="{link}">{escape(book)}</a></p>',
            action=Notice.Action.READ,
            deadline=first,
            targets=[TargetSpec("class", class_id=klass.pk)],
        )
        conference.save(update_fields=["notice"])
    return conference


def _when_slots(slots) -> str:
    start, end = timezone.localtime(slots[0][0]), timezone.localtime(slots[-1][1])
    return f"{start:%Y年%-m月%-d日 %H:%M}–{end:%H:%M}"


def do_book(
    conference: ConferenceDay, receipt: Receipt, *, acting_user, slot_id: int, student_ids: list[int], note: str = ""
) -> Booking:
    """Book one slot for one or more of the family's children. Two families choosing the same slot
    at once meet its unique constraint: exactly one wins, the other is told to choose again."""
    children = set(
        StudentGuardian.objects.filter(
            guardian_id=receipt.guardian_id or 0, student__school_class_id=conference.school_class_id
        ).values_list("student_id", flat=True)
    )
    chosen = set(student_ids) or children
    if not chosen or not chosen <= children:
        raise ValidationError(_("Choose your own child in this class."))
    taken_by_family = (
        Booking.objects.filter(slot__day=conference, students__in=chosen)
        .exclude(receipt=receipt)
        .select_related("slot")
        .first()
    )
    if taken_by_family is not None:
        # Two parent accounts of one child: the child has one time, whoever of the family booked it.
        at = timezone.localtime(taken_by_family.slot.starts_at).strftime("%H:%M")
        raise ValidationError(_("Another member of your family has already booked %(at)s for this child.") % {"at": at})
    slot = Slot.objects.filter(pk=slot_id, day=conference).first()
    if slot is None:
        raise ValidationError(_("Choose one of the times offered."))
    if slot.starts_at <= timezone.now():
        raise ValidationError(_("This time has passed."))
    mine = _own_booking(receipt, slot, chosen)
    if mine is not None:  # the same booking sent again (a double tap, a retry): kept as it is
        return mine
    try:
        with transaction.atomic():
            Booking.objects.filter(receipt=receipt, slot__day=conference).delete()  # changing one's time
            booking = Booking.objects.create(
                school_id=conference.school_id, slot=slot, receipt=receipt, note=(note or "").strip()[:200]
            )
            booking.students.set(chosen)
    except IntegrityError:
        # Two taps of one family at once: the other tap booked it, and that is this family's booking.
        mine = _own_booking(receipt, slot, chosen)
        if mine is not None:
            return mine
        raise ValidationError(_("Someone has just booked this time. Please choose another.")) from None
    return booking


def _own_booking(receipt: Receipt, slot: Slot, student_ids: set[int]) -> Booking | None:
    """The family's booking of this very slot for these very children, if it has one."""
    booking = Booking.objects.filter(receipt=receipt, slot=slot).select_related("slot").first()
    if booking is None or set(booking.students.values_list("pk", flat=True)) != student_ids:
        return None
    return booking


def do_cancel_booking(conference: ConferenceDay, receipt: Receipt, *, acting_user) -> None:
    Booking.objects.filter(receipt=receipt, slot__day=conference).delete()


# --- calendars ---------------------------------------------------------------------------------------


def calendar_feed(user) -> CalendarFeed:
    feed = CalendarFeed.objects.filter(user=user).first()
    if feed is None:
        feed, _created = CalendarFeed.objects.get_or_create(user=user, defaults={"token": secrets.token_urlsafe(32)})
    return feed


def do_revoke_calendar_feed(*, acting_user) -> CalendarFeed:
    """A new secret link for the acting user's calendar; the old one shows nothing from now on."""
    feed = calendar_feed(acting_user)
    feed.token = secrets.token_urlsafe(32)
    feed.created_at = timezone.now()
    feed.save(update_fields=["token", "created_at"])
    return feed


def reminder_receipts(event: Event):
    """Those reminded the day before: everyone invited except families who said they cannot come."""
    return Receipt.objects.filter(notice_id=event.notice_id or 0).exclude(
        Exists(Rsvp.objects.filter(event=event, receipt=OuterRef("pk"), answer=Rsvp.Answer.NO))
    )
