"""Every write of the community app: a transaction, an audit row, side effects after commit."""

import datetime
import hashlib
import hmac
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext as _

from audit.actions import record
from audit.models import AuditEntry
from core.richtext import text_to_html
from notices.actions import TargetSpec, do_create_notice, do_remind_receipts
from notices.models import Notice, Receipt
from schools.models import Guardian, SchoolClass
from schools.roles import Roles

from .models import Volunteer, VolunteerActivity, VolunteerSignup, VolunteerSlot

# ==== Committees and working groups (section: committees) ===============================

# (end of section: committees)


# ==== Volunteers, activities and recognition (section: volunteers) ======================

# Audit codes of this section (the audit log shows them as they are; see docs/design/community.md).
AUDIT_VOLUNTEER = "volunteer"
AUDIT_ACTIVITY = "volunteer_activity"
AUDIT_SIGNUP = "volunteer_signup"
AUDIT_CHECKIN = "volunteer_checkin"

MAX_SLOTS = 20
MAX_NEEDED = 200
# Check-in opens an hour before a slot starts (helpers come early) and closes when it ends.
CHECKIN_OPENS_BEFORE = datetime.timedelta(hours=1)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _one_line(value: str, limit: int, message: str, *, required: bool = True) -> str:
    text = (value or "").strip()
    if (required and not text) or len(text) > limit or _CONTROL.search(text):
        raise ValidationError(message)
    return text


@transaction.atomic
def do_register_volunteer(guardian: Guardian, *, acting_user, skills: str, availability: str) -> Volunteer:
    """The guardian offers to help (or changes what they offered): one row per guardian."""
    skills = _one_line(skills, 200, _("Skills are one line of at most 200 characters."), required=False)
    availability = _one_line(availability, 200, _("Say when you can help, in one line of at most 200 characters."))
    volunteer, created = Volunteer.objects.update_or_create(
        guardian=guardian,
        defaults={"skills": skills, "availability": availability, "active": True},
        create_defaults={"school_id": guardian.school_id, "skills": skills, "availability": availability},
    )
    record(
        AUDIT_VOLUNTEER,
        actor=acting_user,
        school=guardian.school,
        target=volunteer,
        summary="joined" if created else "changed",
    )
    return volunteer


@transaction.atomic
def do_leave_volunteers(volunteer: Volunteer, *, acting_user) -> None:
    """No more calls to help; the archive of what they did stays."""
    Volunteer.objects.filter(pk=volunteer.pk).update(active=False)
    record(AUDIT_VOLUNTEER, actor=acting_user, school=volunteer.school, target=volunteer, summary="left")


@dataclass
class SlotSpec:
    label: str
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    needed: int


@dataclass
class ActivityFields:
    kind: str
    title: str
    place: str
    withdraw_until: datetime.datetime
    slots: list[SlotSpec]
    description: str = ""


def _check_activity(fields: ActivityFields) -> None:
    if fields.kind not in VolunteerActivity.Kind.values:
        raise ValidationError(_("Choose the kind of activity."))
    _one_line(fields.title, 120, _("Give the activity a title of one line, at most 120 characters."))
    _one_line(fields.place, 200, _("Say where helpers meet, in one line."))
    if not fields.slots:
        raise ValidationError(_("Add at least one slot: a task, its time and how many helpers it needs."))
    if len(fields.slots) > MAX_SLOTS:
        raise ValidationError(_("An activity has at most %(n)s slots.") % {"n": MAX_SLOTS})
    now = timezone.now()
    for slot in fields.slots:
        _one_line(slot.label, 60, _("Each slot needs a task of at most 60 characters."))
        if slot.ends_at <= slot.starts_at:
            raise ValidationError(_("A slot must end after it starts."))
        if slot.starts_at <= now:
            raise ValidationError(_("A slot starts in the past."))
        if slot.ends_at - slot.starts_at > datetime.timedelta(hours=12):
            raise ValidationError(_("A slot lasts at most 12 hours."))
        if not 1 <= slot.needed <= MAX_NEEDED:
            raise ValidationError(_("A slot needs 1 to %(n)s helpers.") % {"n": MAX_NEEDED})
    first = min(s.starts_at for s in fields.slots)
    if fields.withdraw_until is None or not now < fields.withdraw_until <= first:
        raise ValidationError(_("The withdrawal cut-off must be after now and no later than the first slot."))


def activity_path(activity: VolunteerActivity) -> str:
    return reverse("community:activity_family", args=[activity.pk])


def _call_html(activity: VolunteerActivity, slots: list[SlotSpec]) -> str:
    lines = [text_to_html(activity.description)] if activity.description else []
    where = escape(_("Where"))
    lines.append(f"<p><strong>{where}：</strong>{escape(activity.place)}</p>")
    needed = _("%(n)s needed")
    sign_up = escape(_("Sign up to help"))
    items = "".join(
        f"<li>{escape(s.label)} {timezone.localtime(s.starts_at):%-m月%-d日 %H:%M}–"
        f"{timezone.localtime(s.ends_at):%H:%M} · {escape(needed % {'n': s.needed})}</li>"
        for s in slots
    )
    lines.append(f"<ul>{items}</ul>")
    lines.append(f'<p><a href="{activity_path(activity)}">{sign_up}</a></p>')
    return "".join(lines)


def do_create_activity(
    school,
    *,
    acting_user,
    roles: Roles,
    school_class: SchoolClass | None,
    fields: ActivityFields,
    guardrail_reason: str = "",
    request=None,
) -> VolunteerActivity:
    """Publish an activity needing helpers with its slots, and call the class's (or the school's)
    families to help with a notice: all or nothing. A class's head teacher publishes for their class,
    an admin for any class or the whole school."""
    if school_class is None:
        if not roles.is_admin_of(school.pk):
            raise ValidationError(_("Only the school's admins publish an activity for the whole school."))
    elif school_class.school_id != school.pk or not roles.can_manage_class(school_class):
        raise ValidationError(_("Choose a class you are the head teacher of."))
    _check_activity(fields)
    with transaction.atomic():
        activity = VolunteerActivity.objects.create(
            school=school,
            school_class=school_class,
            kind=fields.kind,
            title=fields.title.strip(),
            description=(fields.description or "").strip()[:4000],
            place=fields.place.strip(),
            withdraw_until=fields.withdraw_until,
            author=acting_user,
        )
        VolunteerSlot.objects.bulk_create(
            VolunteerSlot(
                school=school,
                activity=activity,
                label=s.label.strip(),
                starts_at=s.starts_at,
                ends_at=s.ends_at,
                needed=s.needed,
            )
            for s in sorted(fields.slots, key=lambda s: s.starts_at)
        )
        target = TargetSpec("class", class_id=school_class.pk) if school_class else TargetSpec("school")
        activity.notice = do_create_notice(
            school,
            acting_user=acting_user,
            roles=roles,
            title=activity.title,
            body_html=_call_html(activity, fields.slots),
            action=Notice.Action.READ,
            targets=[target],
            guardrail_reason=guardrail_reason,
            request=request,
        )
        activity.save(update_fields=["notice"])
        record(AUDIT_ACTIVITY, actor=acting_user, school=school, target=activity, summary=activity.title[:200])
    return activity


@transaction.atomic
def do_cancel_activity(activity: VolunteerActivity, *, acting_user) -> None:
    """Called off: no more sign-ups, no reminders; families signed up are told through the notice."""
    if activity.cancelled_at is not None:
        return
    VolunteerActivity.objects.filter(pk=activity.pk).update(cancelled_at=timezone.now())
    if activity.notice is not None:
        signed = Receipt.objects.filter(
            notice=activity.notice,
            guardian_id__in=VolunteerSignup.objects.filter(slot__activity=activity).values("volunteer__guardian_id"),
        )
        do_remind_receipts(activity.notice, signed, acting_user=acting_user)
    record(AUDIT_ACTIVITY, actor=acting_user, school=activity.school, target=activity, summary="cancelled")


def _claim_place(slot_id: int) -> bool:
    """Take one place of the slot if one is free: one conditional UPDATE. On PostgreSQL the second
    of two concurrent claims waits for the first's row lock, then re-reads ``taken`` and finds the
    slot full; SQLite serialises writers. The check constraint ``taken <= needed`` backs it."""
    return bool(VolunteerSlot.objects.filter(pk=slot_id, taken__lt=F("needed")).update(taken=F("taken") + 1))


def do_sign_up(slot: VolunteerSlot, volunteer: Volunteer, *, acting_user) -> VolunteerSignup:
    """A volunteer takes a place on a slot, within its capacity: two at once for the last place,
    one wins and the other is told it is full."""
    activity = slot.activity
    if activity.cancelled_at is not None:
        raise ValidationError(_("This activity has been called off."))
    if not volunteer.active:
        raise ValidationError(_("Sign up as a volunteer first."))
    if slot.starts_at <= timezone.now():
        raise ValidationError(_("This slot has already started."))
    if VolunteerSignup.objects.filter(slot=slot, volunteer=volunteer).exists():
        raise ValidationError(_("You are already signed up for this slot."))
    clash = VolunteerSignup.objects.filter(
        volunteer=volunteer, slot__starts_at__lt=slot.ends_at, slot__ends_at__gt=slot.starts_at
    ).exists()
    if clash:
        raise ValidationError(_("You are already helping at that time."))
    try:
        with transaction.atomic():
            if not _claim_place(slot.pk):
                raise ValidationError(_("This slot is full. Please choose another."))
            signup = VolunteerSignup.objects.create(school_id=slot.school_id, slot=slot, volunteer=volunteer)
            record(AUDIT_SIGNUP, actor=acting_user, school=slot.school, target=signup, summary=f"slot {slot.pk}")
    except IntegrityError:  # the same family tapped twice at once: the first counts
        raise ValidationError(_("You are already signed up for this slot.")) from None
    return signup


@transaction.atomic
def do_withdraw(signup: VolunteerSignup, *, acting_user) -> None:
    """The family gives its place back, before the activity's cut-off and before checking in."""
    activity = signup.slot.activity
    if signup.checked_in_at is not None:
        raise ValidationError(_("You have already checked in for this slot."))
    if timezone.now() >= activity.withdraw_until:
        raise ValidationError(_("The cut-off for withdrawing has passed. Please tell the teacher instead."))
    deleted, _rows = VolunteerSignup.objects.filter(pk=signup.pk, checked_in_at__isnull=True).delete()
    if deleted:
        VolunteerSlot.objects.filter(pk=signup.slot_id, taken__gt=0).update(taken=F("taken") - 1)
        record(AUDIT_SIGNUP, actor=acting_user, school=activity.school, target=signup.slot, summary="withdrawn")


# --- check-in: an HMAC code per sign-up, the same small scheme as the events app's family codes,
# re-implemented here because community may not import events (a peer).


def _mac(activity: VolunteerActivity, message: str) -> str:
    digest = hmac.new(activity.checkin_secret.encode(), message.encode(), hashlib.sha256).hexdigest()
    return str(int(digest[:12], 16) % 10**6).zfill(6)


def volunteer_code(signup: VolunteerSignup) -> str:
    """The helper's code for one sign-up (its QR code says the same): only this activity's secret
    can make it."""
    return f"V{signup.pk}-{_mac(signup.slot.activity, f'signup:{signup.pk}')}"


_CODE = re.compile(r"^\s*V?(?P<signup>\d{1,12})-(?P<mac>\d{6})\s*$", re.IGNORECASE)


def do_check_in_volunteer(activity: VolunteerActivity, code: str, *, acting_user) -> VolunteerSignup:
    """Staff scan or type a helper's code on the day; the slot's length becomes the hours served."""
    wrong = _("This is not a helper's code of this activity.")
    if activity.cancelled_at is not None:
        raise ValidationError(_("This activity has been called off."))
    match = _CODE.match(code or "")
    if match is None:
        raise ValidationError(wrong)
    signup_id = int(match["signup"])
    if not hmac.compare_digest(_mac(activity, f"signup:{signup_id}"), match["mac"]):
        raise ValidationError(wrong)
    signup = (
        VolunteerSignup.objects.filter(pk=signup_id, slot__activity=activity)
        .select_related("slot", "volunteer__guardian")
        .first()
    )
    if signup is None:
        raise ValidationError(wrong)
    slot, now = signup.slot, timezone.now()
    if now < slot.starts_at - CHECKIN_OPENS_BEFORE:
        raise ValidationError(_("Check-in opens an hour before the slot starts."))
    if now > slot.ends_at:
        raise ValidationError(_("Check-in has closed: the slot is over."))
    with transaction.atomic():
        done = VolunteerSignup.objects.filter(pk=signup.pk, checked_in_at__isnull=True).update(
            checked_in_at=now, checked_in_by=acting_user, minutes=slot.minutes
        )
        if not done:
            raise ValidationError(_("This helper has already checked in."))
        record(AUDIT_CHECKIN, actor=acting_user, school=activity.school, target=signup, summary=f"{slot.minutes} min")
    signup.refresh_from_db()
    return signup


def do_remind_slot(slot: VolunteerSlot, *, acting_user=None) -> int:
    """The day before: remind the families signed up for the slot, once (the conditional UPDATE on
    ``reminded_at`` claims the slot, so two workers never both send), through their receipts of the
    activity's notice."""
    with transaction.atomic():
        if not VolunteerSlot.objects.filter(pk=slot.pk, reminded_at__isnull=True).update(reminded_at=timezone.now()):
            return 0
        notice = slot.activity.notice
        if notice is None:
            return 0
        receipts = Receipt.objects.filter(
            notice=notice, guardian_id__in=VolunteerSignup.objects.filter(slot=slot).values("volunteer__guardian_id")
        )
        return do_remind_receipts(notice, receipts, acting_user=acting_user)


def record_volunteer_export(school_class: SchoolClass, *, acting_user, request=None) -> None:
    """An export of a class's volunteer archive leaves a row in the audit log, like every export."""
    record(
        AuditEntry.Action.EXPORT,
        actor=acting_user,
        school=school_class.school,
        target=school_class,
        summary="volunteer archive",
        detail={"format": "xlsx"},
        request=request,
    )


# (end of section: volunteers)


# ==== Duty rosters and the class quantification (section: duty) =========================

# (end of section: duty)


# ==== The class fund ledger (section: fund) =============================================

# (end of section: fund)
