"""Every write of the community app: a transaction, an audit row, side effects after commit."""

import datetime
import hmac
import json
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F, QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_scopes import scope, scopes_disabled

from audit.actions import record
from audit.models import AuditEntry
from core import ratelimit
from core.daycodes import secret_digits
from core.richtext import text_to_html
from core.uploads import AcceptedUpload, UploadRefused, accept_upload
from notices.actions import TargetSpec, do_create_notice, do_remind_receipts
from notices.models import Notice, Receipt
from schools.models import Guardian, School, SchoolClass, StaffMember, Student, StudentGuardian
from schools.queries import require_current_term
from schools.roles import Roles

from .duty_rotation import ShiftSlot, fairness_spread, propose
from .models import (
    ClassFund,
    Committee,
    CommitteeMember,
    CommitteeMessage,
    DutyAssignment,
    DutyFamily,
    DutyFamilyGuardian,
    DutyRoster,
    DutyShift,
    DutySwap,
    DutyUnavailable,
    EntryQuestion,
    LedgerEntry,
    QuantCategory,
    QuantItem,
    Volunteer,
    VolunteerActivity,
    VolunteerSignup,
    VolunteerSlot,
    WorkingGroup,
    WorkingGroupMember,
    school_year_of,
)

# ==== Committees and working groups (section: committees) ===============================

# Audit actions of committees (plain values: audit.models.AuditEntry.Action may name them later).
AUDIT_COMMITTEE = AuditEntry.Action.COMMITTEE_CHANGED
MAX_MESSAGE = 500
_ONE_LINE = re.compile(r"[\x00-\x1f\x7f]")


def eligible_guardians(committee: Committee):
    """The guardians who may sit on the committee: those of a child at school in its class, its
    grade, or the school (a queryset)."""
    links = StudentGuardian.objects.filter(school_id=committee.school_id, student__status=Student.Status.ACTIVE)
    if committee.level == Committee.Level.CLASS:
        links = links.filter(student__school_class_id=committee.school_class_id)
    elif committee.level == Committee.Level.GRADE:
        links = links.filter(
            student__school_class__grade=committee.grade or 0, student__school_class__graduated_at__isnull=True
        )
    else:
        links = links.filter(student__school_class__isnull=False)
    return Guardian.objects.filter(pk__in=links.values("guardian_id"))


def _not_eligible(committee: Committee) -> ValidationError:
    if committee.level == Committee.Level.SCHOOL:
        return ValidationError(_("This person is not a guardian of a child at this school."))
    return ValidationError(_("This person is not a guardian of a child in %(c)s.") % {"c": committee.scope_label})


def _check_role(role: str, title: str) -> str:
    if role not in CommitteeMember.Role.values:
        raise ValidationError(_("Choose a role."))
    title = (title or "").strip()
    if len(title) > 32 or _ONE_LINE.search(title):
        raise ValidationError(_("The name of the role is one line of at most 32 characters."))
    if role == CommitteeMember.Role.OTHER and not title:
        raise ValidationError(_("Give the school's name for this role."))
    return title


def do_start_committee(
    school: School,
    *,
    level: str,
    school_class: SchoolClass | None = None,
    grade: int | None = None,
    carry_over: bool = False,
    acting_user,
    request=None,
) -> tuple[Committee, list[str]]:
    """This school year's committee of a class, a grade or the school (the one already there if
    there is one: a double tap makes one). With ``carry_over``, the latest earlier committee's
    current members join it in their roles (the head teacher then edits); those no longer eligible
    are named in the answer, which is (committee, names left out)."""
    if level not in Committee.Level.values:
        raise ValidationError(_("Choose a class, a grade or the whole school."))
    if level == Committee.Level.CLASS:
        if school_class is None or school_class.school_id != school.pk or school_class.graduated_at:
            raise ValidationError(_("Choose a class."))
        grade = None
    elif level == Committee.Level.GRADE:
        school_class = None
        if not grade or not 1 <= grade <= school.grade_count:
            raise ValidationError(_("Choose a grade."))
    else:
        school_class, grade = None, None
    year = school_year_of(require_current_term(school))
    scope = {"school": school, "level": level, "school_class": school_class, "grade": grade}
    left_out: list[str] = []
    with transaction.atomic():
        existing = Committee.objects.filter(**scope, year=year).first()
        if existing is not None:
            return existing, left_out
        previous = Committee.objects.filter(**scope, year__lt=year).order_by("-year").first() if carry_over else None
        try:
            with transaction.atomic():
                committee = Committee.objects.create(**scope, year=year, carried_from=previous, created_by=acting_user)
        except IntegrityError:  # two taps at once: the other made it
            return Committee.objects.get(**scope, year=year), left_out
        if previous is not None:
            eligible = set(eligible_guardians(committee).values_list("pk", flat=True))
            today = timezone.localdate()
            seats = []
            for m in previous.members.filter(left_on__isnull=True).select_related("guardian"):
                if m.guardian_id in eligible:
                    seats.append(
                        CommitteeMember(
                            school=school,
                            committee=committee,
                            guardian_id=m.guardian_id,
                            role=m.role,
                            title=m.title,
                            joined_on=today,
                            added_by=acting_user,
                        )
                    )
                else:
                    left_out.append(m.guardian.name)
            CommitteeMember.objects.bulk_create(seats)
        record(
            AUDIT_COMMITTEE,
            actor=acting_user,
            school=school,
            target=committee,
            summary=f"committee started: {committee}",
            detail={"carried_from": previous.pk if previous else None, "left_out": len(left_out)},
            request=request,
        )
    return committee, left_out


def do_add_committee_member(
    committee: Committee,
    *,
    guardian_id: int,
    role: str,
    title: str = "",
    joined_on: datetime.date | None = None,
    acting_user,
    request=None,
) -> CommitteeMember:
    """A guardian joins the committee in a role. Refused, with nothing written, for someone who is
    not a guardian of a child the committee serves, or who is on it already."""
    title = _check_role(role, title)
    guardian = eligible_guardians(committee).filter(pk=guardian_id).first()
    if guardian is None:
        raise _not_eligible(committee)
    joined_on = joined_on or timezone.localdate()
    already = ValidationError(_("%(name)s is on this committee already.") % {"name": guardian.name})
    with transaction.atomic():
        if CommitteeMember.objects.filter(committee=committee, guardian=guardian, left_on__isnull=True).exists():
            raise already
        try:
            with transaction.atomic():
                member = CommitteeMember.objects.create(
                    school_id=committee.school_id,
                    committee=committee,
                    guardian=guardian,
                    role=role,
                    title=title,
                    joined_on=joined_on,
                    added_by=acting_user,
                )
        except IntegrityError:
            raise already from None
        record(
            AUDIT_COMMITTEE,
            actor=acting_user,
            school=committee.school,
            target=member,
            summary=f"committee member added: {committee}",
            detail={"committee": committee.pk, "role": role},
            request=request,
        )
    return member


def do_change_committee_role(
    member: CommitteeMember, *, role: str, title: str = "", acting_user, request=None
) -> CommitteeMember:
    """A member takes another role: the old seat ends today and a new one starts (history kept)."""
    title = _check_role(role, title)
    if role == member.role and title == member.title:
        return member
    day = max(timezone.localdate(), member.joined_on)
    with transaction.atomic():
        if not CommitteeMember.objects.filter(pk=member.pk, left_on__isnull=True).update(left_on=day):
            raise ValidationError(_("This member has left the committee."))
        seat = CommitteeMember.objects.create(
            school_id=member.school_id,
            committee_id=member.committee_id,
            guardian_id=member.guardian_id,
            role=role,
            title=title,
            joined_on=day,
            added_by=acting_user,
        )
        record(
            AUDIT_COMMITTEE,
            actor=acting_user,
            school=member.committee.school,
            target=seat,
            summary="committee role changed",
            detail={"committee": member.committee_id, "from": member.role, "to": role},
            request=request,
        )
    return seat


def do_end_committee_membership(
    member: CommitteeMember, *, left_on: datetime.date | None = None, acting_user, request=None
) -> CommitteeMember:
    """A member leaves the committee (the row stays, with the date)."""
    left_on = left_on or timezone.localdate()
    if left_on < member.joined_on:
        raise ValidationError(_("A member cannot leave before they joined."))
    with transaction.atomic():
        if not CommitteeMember.objects.filter(pk=member.pk, left_on__isnull=True).update(left_on=left_on):
            raise ValidationError(_("This member has left the committee."))
        record(
            AUDIT_COMMITTEE,
            actor=acting_user,
            school=member.committee.school,
            target=member,
            summary="committee member left",
            detail={"committee": member.committee_id},
            request=request,
        )
    member.left_on = left_on
    return member


def _message_text(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError(_("Write the message."))
    if len(text) > MAX_MESSAGE or "\x00" in text:
        raise ValidationError(_("A message is at most %(n)d characters.") % {"n": MAX_MESSAGE})
    return text


def do_write_to_committee_member(member: CommitteeMember, *, text: str, acting_user) -> CommitteeMessage:
    """A family writes to one member of its committee (no phone number is shown to either)."""
    text = _message_text(text)
    if member.left_on is not None:
        raise ValidationError(_("This member has left the committee."))
    with transaction.atomic():
        message = CommitteeMessage.objects.create(
            school_id=member.school_id, committee_id=member.committee_id, member=member, sender=acting_user, text=text
        )
        record(
            AUDIT_COMMITTEE,
            actor=acting_user,
            school=member.committee.school,
            target=message,
            summary="message to a committee member",
            detail={"committee": member.committee_id},
        )
    return message


def do_reply_to_committee_message(message: CommitteeMessage, *, text: str, acting_user) -> CommitteeMessage:
    """The member written to (or a manager of the committee) answers, once."""
    text = _message_text(text)
    with transaction.atomic():
        answered = CommitteeMessage.objects.filter(pk=message.pk, replied_at__isnull=True).update(
            reply=text, replied_by=acting_user, replied_at=timezone.now()
        )
        if not answered:
            raise ValidationError(_("This message has been answered already."))
        record(
            AUDIT_COMMITTEE,
            actor=acting_user,
            school=message.committee.school,
            target=message,
            summary="committee message answered",
            detail={"committee": message.committee_id},
        )
    message.refresh_from_db()
    return message


# --- working groups -----------------------------------------------------------------------------


def do_create_working_group(school: School, *, name: str, purpose: str = "", acting_user, request=None) -> WorkingGroup:
    """A staff working group of the school (admins). Its name is unique among the school's groups."""
    name = (name or "").strip()
    if not name:
        raise ValidationError(_("Give the group a name."))
    if len(name) > 60 or _ONE_LINE.search(name):
        raise ValidationError(_("The name is one line of at most 60 characters."))
    purpose = (purpose or "").strip()
    if len(purpose) > 500:
        raise ValidationError(_("Describe the group in at most 500 characters."))
    taken = ValidationError(_("The school has a working group of that name already."))
    with transaction.atomic():
        if WorkingGroup.objects.filter(school=school, name=name, archived_at__isnull=True).exists():
            raise taken
        try:
            with transaction.atomic():
                group = WorkingGroup.objects.create(school=school, name=name, purpose=purpose, created_by=acting_user)
        except IntegrityError:
            raise taken from None
        record(
            AUDIT_COMMITTEE,
            actor=acting_user,
            school=school,
            target=group,
            summary=f"working group created: {name}",
            request=request,
        )
    return group


def do_add_working_group_member(
    group: WorkingGroup,
    *,
    staff_member_id: int | None = None,
    guardian_id: int | None = None,
    role: str = WorkingGroupMember.Role.MEMBER,
    acting_user,
    request=None,
) -> WorkingGroupMember:
    """A staff member (their ``StaffMember`` id) or a guardian of the school joins the group."""
    if role not in WorkingGroupMember.Role.values:
        raise ValidationError(_("Choose a role."))
    if (staff_member_id is None) == (guardian_id is None):
        raise ValidationError(_("Choose one staff member or one guardian."))
    seat = WorkingGroupMember(
        school_id=group.school_id, group=group, role=role, joined_on=timezone.localdate(), added_by=acting_user
    )
    if staff_member_id is not None:
        staff = StaffMember.objects.filter(pk=staff_member_id, school_id=group.school_id, is_active=True).first()
        if staff is None:
            raise ValidationError(_("This person is not on the school's staff."))
        seat.user_id = staff.user_id
        open_seat = WorkingGroupMember.objects.filter(group=group, user_id=staff.user_id, left_on__isnull=True)
    else:
        guardian = Guardian.objects.filter(pk=guardian_id or 0, school_id=group.school_id).first()
        if guardian is None:
            raise ValidationError(_("This person is not a guardian of a child at this school."))
        seat.guardian = guardian
        open_seat = WorkingGroupMember.objects.filter(group=group, guardian=guardian, left_on__isnull=True)
    already = ValidationError(_("This person is in the group already."))
    with transaction.atomic():
        if open_seat.exists():
            raise already
        try:
            with transaction.atomic():
                seat.save()
        except IntegrityError:
            raise already from None
        record(
            AUDIT_COMMITTEE,
            actor=acting_user,
            school=group.school,
            target=seat,
            summary=f"working group member added: {group.name}",
            detail={"group": group.pk, "role": role},
            request=request,
        )
    return seat


def do_change_working_group_member(
    member: WorkingGroupMember, *, role: str | None = None, leave: bool = False, acting_user, request=None
) -> WorkingGroupMember:
    """A member takes another role (the row says the current one; the audit log keeps the change),
    or leaves the group (``left_on``)."""
    if not leave and role not in WorkingGroupMember.Role.values:
        raise ValidationError(_("Choose a role."))
    with transaction.atomic():
        changes = {"left_on": timezone.localdate()} if leave else {"role": role}
        if not WorkingGroupMember.objects.filter(pk=member.pk, left_on__isnull=True).update(**changes):
            raise ValidationError(_("This member has left the group."))
        record(
            AUDIT_COMMITTEE,
            actor=acting_user,
            school=member.group.school,
            target=member,
            summary=f"working group member {'left' if leave else 'changed'}: {member.group.name}",
            detail={"group": member.group_id, "from": member.role, "to": None if leave else role},
            request=request,
        )
    member.refresh_from_db()
    return member


# (end of section: committees)


# ==== Volunteers, activities and recognition (section: volunteers) ======================

# Audit codes of this section (the audit log shows them as they are; see docs/design/community.md).
AUDIT_VOLUNTEER = AuditEntry.Action.VOLUNTEER
AUDIT_ACTIVITY = AuditEntry.Action.VOLUNTEER_ACTIVITY
AUDIT_SIGNUP = AuditEntry.Action.VOLUNTEER_SIGNUP
AUDIT_CHECKIN = AuditEntry.Action.VOLUNTEER_CHECKIN

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


# --- check-in: an HMAC code per sign-up, the scheme of the events app's family codes (core.daycodes).


def _mac(activity: VolunteerActivity, message: str) -> str:
    return secret_digits(activity.checkin_secret, message)


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

DUTY_CREATED = AuditEntry.Action.DUTY_CREATED
DUTY_PUBLISHED = AuditEntry.Action.DUTY_PUBLISHED
DUTY_CHANGED = AuditEntry.Action.DUTY_CHANGED
DUTY_SWAP = AuditEntry.Action.DUTY_SWAP
DUTY_ATTENDANCE = AuditEntry.Action.DUTY_ATTENDANCE
QUANT_CHANGED = AuditEntry.Action.QUANT_CHANGED

CHECKIN_OPENS_BEFORE = datetime.timedelta(hours=1)
ON_TIME_GRACE = datetime.timedelta(minutes=5)
CHECKIN_TRIES = 10  # codes typed per assignment and hour
DEFAULT_QUANT: dict[str, tuple] = {
    QuantCategory.Kind.DUTY_DONE: (gettext_lazy("Duty shift done on time"), 2),
    QuantCategory.Kind.DUTY_NO_SHOW: (gettext_lazy("Duty shift missed"), -2),
}


def duty_day_code(secret: str, *parts) -> str:
    """Six digits only this roster's secret makes for these parts (a shift and its day): the code the
    post shows on the day and a family types in to check in (core.daycodes, as events' codes)."""
    return secret_digits(secret, ":".join(str(p) for p in parts))


def shift_code(roster: DutyRoster, shift: DutyShift) -> str:
    return duty_day_code(roster.checkin_secret, "shift", shift.pk, shift.date.isoformat())


def shift_start(shift: DutyShift) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(shift.date, shift.starts_at))


def shift_end(shift: DutyShift) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(shift.date, shift.ends_at))


def _audit(action: str, *, actor, roster_or_item, summary: str = "", detail: dict | None = None) -> None:
    record(action, actor=actor, school=roster_or_item.school, target=roster_or_item, summary=summary, detail=detail)


def _families_of(
    students: list[tuple[int, str]], links: list[tuple[int, int]]
) -> list[tuple[list[int], list[str], set[int]]]:
    """Group students who share a guardian into families: (student ids, names, guardian ids)."""
    parent = {s: s for s, _name in students}

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    first_of_guardian: dict[int, int] = {}
    guardians_of: dict[int, set[int]] = {}
    for student_id, guardian_id in links:
        if student_id not in parent:
            continue
        guardians_of.setdefault(student_id, set()).add(guardian_id)
        other = first_of_guardian.setdefault(guardian_id, student_id)
        a, b = find(student_id), find(other)
        if a != b:
            parent[max(a, b)] = min(a, b)
    groups: dict[int, tuple[list[int], list[str], set[int]]] = {}
    for student_id, name in sorted(students):
        if student_id not in guardians_of:
            continue  # no guardian on record: no family to ask
        ids, names, guardians = groups.setdefault(find(student_id), ([], [], set()))
        ids.append(student_id)
        names.append(name)
        guardians |= guardians_of[student_id]
    return list(groups.values())


def do_create_roster(school, *, acting_user, term, title: str, school_class=None) -> DutyRoster:
    """A draft roster of a class (or of the school) with every family of its students: brothers and
    sisters (students who share a guardian) make one family, counted once."""
    title = (title or "").strip()
    if not title:
        raise ValidationError(_("Give the roster a title."))
    students_qs = Student.objects.filter(school=school, status=Student.Status.ACTIVE, school_class__isnull=False)
    if school_class is not None:
        students_qs = students_qs.filter(school_class=school_class)
    students = list(students_qs.values_list("pk", "name"))
    links = list(
        StudentGuardian.objects.filter(student__in=students_qs.values("pk")).values_list("student_id", "guardian_id")
    )
    groups = _families_of(students, links)
    with transaction.atomic():
        roster = DutyRoster.objects.create(
            school=school,
            term=term,
            school_class=school_class,
            title=title[:120],
            checkin_secret=secrets.token_hex(16),
            created_by=acting_user,
        )
        families = DutyFamily.objects.bulk_create(
            [
                DutyFamily(
                    school=school,
                    roster=roster,
                    student_id=ids[0],
                    student_ids=ids,
                    label="、".join(names)[:120],
                )
                for ids, names, _g in groups
            ]
        )
        DutyFamilyGuardian.objects.bulk_create(
            [
                DutyFamilyGuardian(school=school, family=family, guardian_id=g)
                for family, (_i, _n, guardians) in zip(families, groups, strict=True)
                for g in sorted(guardians)
            ]
        )
        _audit(DUTY_CREATED, actor=acting_user, roster_or_item=roster, summary=roster.title)
    return roster


def _parse_time(value) -> datetime.time:
    if isinstance(value, datetime.time):
        return value
    try:
        return datetime.time.fromisoformat(str(value or "").strip())
    except ValueError:
        raise ValidationError(_("Give the time as hours and minutes, e.g. 07:30.")) from None


def _parse_date(value) -> datetime.date:
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value or "").strip())
    except ValueError:
        raise ValidationError(_("Give the date as year-month-day, e.g. 2026-11-20.")) from None


def do_add_shifts(
    roster: DutyRoster,
    *,
    acting_user,
    first,
    last=None,
    weekdays: Iterable[int] = (0, 1, 2, 3, 4),
    starts_at,
    ends_at,
    place: str,
    families_needed: int = 1,
) -> int:
    """Shifts on every chosen weekday (0 = Monday) from ``first`` to ``last`` (one day if no last).
    A shift in the past, a time that ends before it starts: a clear message, nothing written."""
    first = _parse_date(first)
    last = _parse_date(last) if last else first
    starts_at, ends_at = _parse_time(starts_at), _parse_time(ends_at)
    place = (place or "").strip()[:100]
    days = {int(d) for d in weekdays}
    if not place:
        raise ValidationError(_("Say where the families stand."))
    if ends_at <= starts_at:
        raise ValidationError(_("A shift must end after it starts."))
    if last < first or (last - first).days > 366:
        raise ValidationError(_("The last day must be after the first, within a year."))
    try:
        needed = int(families_needed)
    except (TypeError, ValueError):
        needed = 0
    if not 1 <= needed <= 50:
        raise ValidationError(_("Each shift needs between 1 and 50 families."))
    if timezone.make_aware(datetime.datetime.combine(first, starts_at)) <= timezone.now():
        raise ValidationError(_("A shift cannot be in the past."))
    dates = [first + datetime.timedelta(days=i) for i in range((last - first).days + 1)]
    dates = [d for d in dates if d.weekday() in days]
    if not dates:
        raise ValidationError(_("No day in that period falls on the chosen weekdays."))
    with transaction.atomic():
        existing = set(
            DutyShift.objects.filter(roster=roster, date__in=dates, starts_at=starts_at, place=place).values_list(
                "date", flat=True
            )
        )
        created = DutyShift.objects.bulk_create(
            [
                DutyShift(
                    school_id=roster.school_id,
                    roster=roster,
                    date=d,
                    starts_at=starts_at,
                    ends_at=ends_at,
                    place=place,
                    families_needed=needed,
                )
                for d in dates
                if d not in existing
            ]
        )
        _audit(DUTY_CHANGED, actor=acting_user, roster_or_item=roster, summary=f"+{len(created)} shifts")
    return len(created)


def _busy_elsewhere(roster: DutyRoster, first: datetime.date, last: datetime.date) -> dict[int, list]:
    """This roster's families' shifts on other rosters (by a shared guardian), in one query."""
    member_of: dict[int, int] = {}
    rows = (
        DutyAssignment.objects.filter(
            shift__date__range=(first, last),
            status__in=[DutyAssignment.Status.ASSIGNED, DutyAssignment.Status.ASKED, DutyAssignment.Status.DONE],
            family__members__guardian__in=DutyFamilyGuardian.objects.filter(family__roster=roster).values("guardian"),
        )
        .exclude(shift__roster=roster)
        .values_list("family__members__guardian", "shift__date", "shift__starts_at", "shift__ends_at")
    )
    busy_by_guardian: dict[int, list] = {}
    for guardian_id, d, a, b in rows:
        busy_by_guardian.setdefault(guardian_id, []).append((d, a, b))
    if not busy_by_guardian:
        return {}
    for family_id, guardian_id in DutyFamilyGuardian.objects.filter(
        family__roster=roster, guardian_id__in=list(busy_by_guardian)
    ).values_list("family_id", "guardian_id"):
        member_of[guardian_id] = family_id
    busy: dict[int, list] = {}
    for guardian_id, times in busy_by_guardian.items():
        if guardian_id in member_of:
            busy.setdefault(member_of[guardian_id], []).extend(times)
    return busy


def _insert_assignments(school_id: int, pairs: list[tuple[int, int]]) -> None:
    """Every proposed (shift, family) in one statement, whatever their number: the pairs travel as one
    JSON parameter (bulk_create would cut them into batches of 999 parameters on SQLite)."""
    if not pairs:
        return
    table = connection.ops.quote_name(DutyAssignment._meta.db_table)
    payload = json.dumps(pairs)
    if connection.vendor == "postgresql":
        select = "SELECT %s, (e->>0)::bigint, (e->>1)::bigint, 'assigned', false FROM jsonb_array_elements(%s::jsonb) e"
    else:
        select = "SELECT %s, json_extract(value, '$[0]'), json_extract(value, '$[1]'), 'assigned', 0 FROM json_each(%s)"
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (school_id, shift_id, family_id, status, is_standby) {select}",
            [school_id, payload],
        )


@transaction.atomic
def do_propose_rotation(roster: DutyRoster, *, acting_user) -> dict:
    """Tongxin's proposal for a draft roster: the families placed on every shift still to come,
    fairly (``community.duty_rotation``); what the head teacher placed by hand and what is past are
    kept. Gaps and clashes are stored on the roster for its page. A fixed number of queries
    whatever the size (bench/duty.py)."""
    if roster.status != DutyRoster.Status.DRAFT:
        raise ValidationError(_("This roster is published: change single shifts instead."))
    today = timezone.localdate()
    shifts = list(roster.shifts.values_list("pk", "date", "starts_at", "ends_at", "families_needed"))
    if not shifts:
        raise ValidationError(_("Add shifts first."))
    future = [s for s in shifts if s[1] >= today]
    future_ids = [s[0] for s in future]
    # The last proposal's places still to come, in one DELETE: a draft roster has no swap and no
    # quantification item on them (those come after publishing, or after the shift), so there is
    # nothing for Django's cascade collector to look for.
    DutyAssignment.objects.filter(
        shift__roster=roster, shift__date__gte=today, status=DutyAssignment.Status.ASSIGNED, is_standby=False
    )._raw_delete(DutyAssignment.objects.db)
    fixed: dict[int, list[int]] = {}
    for shift_id, family_id in (
        DutyAssignment.objects.filter(shift__roster=roster)
        .exclude(status=DutyAssignment.Status.DECLINED)
        .values_list("shift_id", "family_id")
    ):
        fixed.setdefault(shift_id, []).append(family_id)
    family_ids = list(roster.families.values_list("pk", flat=True))
    unavailable: dict[int, set] = {}
    for family_id, d in DutyUnavailable.objects.filter(family__roster=roster).values_list("family_id", "date"):
        unavailable.setdefault(family_id, set()).add(d)
    busy = _busy_elsewhere(roster, min(s[1] for s in shifts), max(s[1] for s in shifts)) if future else {}
    proposal = propose(
        [ShiftSlot(pk, d, a, b, n) for pk, d, a, b, n in future],
        family_ids,
        unavailable=unavailable,
        busy=busy,
        fixed={k: v for k, v in fixed.items() if k in set(future_ids)},
        seed=roster.pk,
    )
    _insert_assignments(roster.school_id, proposal.assignments)
    report = {
        "families": len(family_ids),
        "shifts": len(future),
        "placed": len(proposal.assignments),
        "gaps": [[s, n] for s, n in proposal.gaps],
        "clashes": [[s, f] for s, f in proposal.clashes],
        "spread": fairness_spread(proposal.counts),
    }
    DutyRoster.objects.filter(pk=roster.pk).update(report=report)
    roster.report = report
    _audit(
        DUTY_CHANGED,
        actor=acting_user,
        roster_or_item=roster,
        summary="proposed",
        detail=report | {"gaps": len(proposal.gaps), "clashes": len(proposal.clashes)},
    )
    return report


def _check_not_past(shift: DutyShift) -> None:
    if shift_start(shift) <= timezone.now():
        raise ValidationError(_("This shift is in the past."))


def _clash(family: DutyFamily, shift: DutyShift, *, ignore: Iterable[int] = ()) -> bool:
    """Whether the family (any of its guardians) is on another shift at the same time."""
    return (
        DutyAssignment.objects.filter(
            shift__date=shift.date,
            shift__starts_at__lt=shift.ends_at,
            shift__ends_at__gt=shift.starts_at,
            status__in=[DutyAssignment.Status.ASSIGNED, DutyAssignment.Status.ASKED, DutyAssignment.Status.DONE],
            family__members__guardian__in=family.members.values("guardian"),
        )
        .exclude(pk__in=list(ignore))
        .exclude(shift=shift, family=family)
        .exists()
    )


def _family_of_roster(roster: DutyRoster, family_id) -> DutyFamily:
    try:
        family = roster.families.filter(pk=int(family_id)).first()
    except (TypeError, ValueError):
        family = None
    if family is None:
        raise ValidationError(_("This family is not on the roster."))
    return family


def _shift_of_roster(roster: DutyRoster, shift_id) -> DutyShift:
    try:
        shift = roster.shifts.filter(pk=int(shift_id)).first()
    except (TypeError, ValueError):
        shift = None
    if shift is None:
        raise ValidationError(_("This shift is not on the roster."))
    return shift


@transaction.atomic
def do_set_shift_families(roster: DutyRoster, *, acting_user, shift_id, family_ids: list) -> None:
    """The head teacher's adjustment: exactly these families on this shift (still to come)."""
    shift = _shift_of_roster(roster, shift_id)
    _check_not_past(shift)
    families = [_family_of_roster(roster, f) for f in dict.fromkeys(family_ids)]
    current = list(shift.assignments.exclude(status=DutyAssignment.Status.DECLINED))
    keep = {f.pk for f in families}
    for family in families:
        if _clash(family, shift, ignore=[a.pk for a in current]):
            raise ValidationError(_("%(family)s is already on another shift at that time.") % {"family": family.label})
    shift.assignments.exclude(family_id__in=keep).delete()
    have = {a.family_id for a in current}
    DutyAssignment.objects.bulk_create(
        [DutyAssignment(school_id=roster.school_id, shift=shift, family=f) for f in families if f.pk not in have]
    )
    _audit(
        DUTY_CHANGED,
        actor=acting_user,
        roster_or_item=roster,
        summary=f"shift {shift.pk}",
        detail={"families": sorted(keep)},
    )


@transaction.atomic
def do_set_unavailable(family: DutyFamily, *, acting_user, dates: list) -> int:
    """The dates this family cannot do (replacing what it said before)."""
    parsed = sorted({_parse_date(d) for d in dates if str(d).strip()})
    family.unavailable.all().delete()
    DutyUnavailable.objects.bulk_create(
        [DutyUnavailable(school_id=family.school_id, family=family, date=d) for d in parsed]
    )
    _audit(
        DUTY_CHANGED,
        actor=acting_user,
        roster_or_item=family.roster,
        summary="unavailable",
        detail={"family": family.pk, "dates": len(parsed)},
    )
    return len(parsed)


def do_publish_roster(roster: DutyRoster, *, acting_user, roles, request=None) -> Notice:
    """Publish: a notice (notices' own actions, fanned out after commit) to the families of the class
    (of the school, for a school roster) with a link to their shifts; families confirm through
    their receipt."""
    if roster.status == DutyRoster.Status.PUBLISHED:
        raise ValidationError(_("This roster is already published."))
    shifts = list(roster.shifts.all())
    if not shifts:
        raise ValidationError(_("Add shifts first."))
    if not DutyAssignment.objects.filter(shift__roster=roster).exists():
        raise ValidationError(_("No family is on any shift yet: propose a rotation first."))
    link = reverse("community:duty_mine")
    period = _("Duty from %(first)s to %(last)s, %(n)d shifts.") % {
        "first": _day(shifts[0].date),
        "last": _day(shifts[-1].date),
        "n": len(shifts),
    }
    what = _("Your family’s shifts, swaps and check-in are on the duty page. Please confirm that you have seen them.")
    body = f'<p>{escape(period)}</p><p>{escape(what)}</p><p><a href="{link}">{escape(_("My duty shifts"))}</a></p>'
    target = TargetSpec("class", class_id=roster.school_class_id) if roster.school_class_id else TargetSpec("school")
    with transaction.atomic():
        if (
            DutyRoster.objects.filter(pk=roster.pk, status=DutyRoster.Status.DRAFT).update(
                status=DutyRoster.Status.PUBLISHED, published_at=timezone.now()
            )
            != 1
        ):
            raise ValidationError(_("This roster is already published."))
        notice = do_create_notice(
            roster.school,
            acting_user=acting_user,
            roles=roles,
            title=roster.title,
            body_html=body,
            action=Notice.Action.CONFIRM,
            deadline=next((shift_start(s) for s in shifts if shift_start(s) > timezone.now()), None),
            targets=[target],
            idempotency_key=f"duty-roster-{roster.pk}",
            request=request,
        )
        DutyRoster.objects.filter(pk=roster.pk).update(notice=notice)
        roster.notice, roster.status = notice, DutyRoster.Status.PUBLISHED
        _audit(DUTY_PUBLISHED, actor=acting_user, roster_or_item=roster, summary=roster.title)
    return notice


def _day(d: datetime.date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def my_duty_families(user) -> QuerySet[DutyFamily]:
    """The families (one per published roster) the user is a guardian in."""
    return DutyFamily.objects.filter(members__guardian__user=user, roster__status=DutyRoster.Status.PUBLISHED)


@transaction.atomic
def do_request_swap(assignment: DutyAssignment, *, acting_user, to_family_id=None, in_return_id=None) -> DutySwap:
    """A family asks another family of the same roster to take this shift: giving that family's
    shift ``in_return_id`` in return (a swap), or only asking them to stand in (``to_family_id``).
    A family not on the roster, a shift in the past: a clear message, nothing written."""
    shift = assignment.shift
    roster = shift.roster
    if assignment.status != DutyAssignment.Status.ASSIGNED:
        raise ValidationError(_("Only a shift you are on can be swapped."))
    _check_not_past(shift)
    in_return = None
    if in_return_id:
        try:
            in_return = (
                DutyAssignment.objects.filter(
                    pk=int(in_return_id), shift__roster=roster, status=DutyAssignment.Status.ASSIGNED
                )
                .select_related("shift", "family")
                .first()
            )
        except (TypeError, ValueError):
            in_return = None
        if in_return is None:
            raise ValidationError(_("This family is not on the roster."))
        _check_not_past(in_return.shift)
        to_family = in_return.family
    else:
        to_family = _family_of_roster(roster, to_family_id)
    if to_family.pk == assignment.family_id:
        raise ValidationError(_("Choose another family."))
    if DutySwap.objects.filter(assignment=assignment, status=DutySwap.Status.PENDING).exists():
        raise ValidationError(_("You already asked for a swap of this shift."))
    swap = DutySwap.objects.create(
        school_id=roster.school_id,
        roster=roster,
        assignment=assignment,
        from_family_id=assignment.family_id,
        to_family=to_family,
        in_return=in_return,
        requested_by=acting_user,
    )
    _audit(DUTY_SWAP, actor=acting_user, roster_or_item=swap, summary="asked")
    _tell_family_of_swap(swap, shift)
    return swap


def _tell_family_of_swap(swap: DutySwap, shift: DutyShift) -> None:
    """The family asked hears of it at once on their phones (Web Push where subscribed); the request
    waits on their weekly list (``home.weekly``) and the duty page until they answer. Said after the
    commit: a broker that is down loses only the notification."""
    from delivery.live import push_later

    users = list(
        DutyFamilyGuardian.objects.filter(family_id=swap.to_family_id, guardian__user__isnull=False).values_list(
            "guardian__user_id", flat=True
        )
    )
    with translation.override("zh-hans"):
        payload = {
            "title": shift.roster.title,
            "body": _("%(family)s asks you to take their duty shift on %(day)s")
            % {"family": swap.from_family.label, "day": _day(shift.date)},
            "url": reverse("community:duty_mine"),
            "tag": f"duty-swap-{swap.pk}",
        }
    transaction.on_commit(lambda: push_later(swap.school_id, users, payload), robust=True)


@transaction.atomic
def do_answer_swap(swap: DutySwap, *, acting_user, accept: bool) -> DutySwap:
    """The other family accepts (the shifts change hands) or declines."""
    if swap.status != DutySwap.Status.PENDING:
        raise ValidationError(_("This swap has been answered already."))
    if accept:
        mine = DutyAssignment.objects.select_for_update().select_related("shift").get(pk=swap.assignment_id)
        if mine.status != DutyAssignment.Status.ASSIGNED or mine.family_id != swap.from_family_id:
            raise ValidationError(_("This shift has changed since; the swap no longer applies."))
        _check_not_past(mine.shift)
        theirs = None
        if swap.in_return_id:
            theirs = (
                DutyAssignment.objects.select_for_update().select_related("shift").filter(pk=swap.in_return_id).first()
            )
            if (
                theirs is None
                or theirs.status != DutyAssignment.Status.ASSIGNED
                or theirs.family_id != swap.to_family_id
            ):
                raise ValidationError(_("This shift has changed since; the swap no longer applies."))
            _check_not_past(theirs.shift)
        ignore = [mine.pk] + ([theirs.pk] if theirs else [])
        if (
            _clash(swap.to_family, mine.shift, ignore=ignore)
            or mine.shift.assignments.filter(family_id=swap.to_family_id).exists()
        ):
            raise ValidationError(
                _("%(family)s is already on another shift at that time.") % {"family": swap.to_family.label}
            )
        if theirs is not None and (
            _clash(swap.from_family, theirs.shift, ignore=ignore)
            or theirs.shift.assignments.filter(family_id=swap.from_family_id).exists()
        ):
            raise ValidationError(
                _("%(family)s is already on another shift at that time.") % {"family": swap.from_family.label}
            )
        DutyAssignment.objects.filter(pk=mine.pk).update(family_id=swap.to_family_id)
        if theirs is not None:
            DutyAssignment.objects.filter(pk=theirs.pk).update(family_id=swap.from_family_id)
    swap.status = DutySwap.Status.ACCEPTED if accept else DutySwap.Status.DECLINED
    swap.decided_by, swap.decided_at = acting_user, timezone.now()
    swap.save(update_fields=["status", "decided_by", "decided_at"])
    _audit(DUTY_SWAP, actor=acting_user, roster_or_item=swap, summary=swap.status)
    return swap


def _quant_category(school_id: int, kind: str) -> QuantCategory:
    category = QuantCategory.objects.filter(school_id=school_id, kind=kind).first()
    if category is None:
        name, points = DEFAULT_QUANT[kind]
        category, _created = QuantCategory.objects.get_or_create(
            school_id=school_id, kind=kind, defaults={"name": str(name), "points": points}
        )
    return category


def _feed_quant(assignment: DutyAssignment, *, acting_user) -> None:
    """The duty record in the class's quantification: a shift done on time, or a no-show; replaced
    if the record changes. The item names the date and the post, never the family."""
    QuantItem.objects.filter(assignment=assignment).delete()
    if assignment.status == DutyAssignment.Status.DONE and assignment.on_time:
        kind = QuantCategory.Kind.DUTY_DONE
    elif assignment.status == DutyAssignment.Status.NO_SHOW:
        kind = QuantCategory.Kind.DUTY_NO_SHOW
    else:
        return
    shift = assignment.shift
    class_id = shift.roster.school_class_id or assignment.family.student.school_class_id
    if class_id is None:
        return
    category = _quant_category(assignment.school_id, kind)
    QuantItem.objects.create(
        school_id=assignment.school_id,
        term_id=shift.roster.term_id,
        school_class_id=class_id,
        category=category,
        points=category.points,
        reason=f"{_day(shift.date)} {shift.starts_at:%H:%M} {shift.place}"[:200],
        occurred_on=shift.date,
        assignment=assignment,
        created_by=acting_user,
    )


@transaction.atomic
def do_check_in(assignment: DutyAssignment, *, acting_user, code: str) -> DutyAssignment:
    """A family on duty types the code the post shows that day: from an hour before the shift until
    its end. On time (by five minutes past the start) counts in the class's quantification."""
    shift = assignment.shift
    now = timezone.now()
    if assignment.status not in (DutyAssignment.Status.ASSIGNED, DutyAssignment.Status.NO_SHOW):
        raise ValidationError(_("There is nothing to check in for on this shift."))
    if now < shift_start(shift) - CHECKIN_OPENS_BEFORE:
        raise ValidationError(_("Check-in opens an hour before the shift."))
    if now > shift_end(shift):
        raise ValidationError(_("This shift is over."))
    try:  # six digits: a few tries per shift and family, so that guessing is pointless
        within = ratelimit.hit("duty_checkin", f"{assignment.pk}", CHECKIN_TRIES, 3600)
    except ratelimit.RateLimitUnavailable:
        within = False  # fail closed, as sign-in does
    if not within:
        raise ValidationError(_("Too many wrong codes. Ask the head teacher to record your shift."))
    if not hmac.compare_digest((code or "").strip(), shift_code(shift.roster, shift)):
        raise ValidationError(_("This is not the code of this shift."))
    assignment.status = DutyAssignment.Status.DONE
    assignment.checked_in_at = now
    assignment.on_time = now <= shift_start(shift) + ON_TIME_GRACE
    assignment.recorded_by = acting_user
    assignment.save(update_fields=["status", "checked_in_at", "on_time", "recorded_by"])
    _feed_quant(assignment, acting_user=acting_user)
    _audit(DUTY_ATTENDANCE, actor=acting_user, roster_or_item=assignment, summary="checked in")
    return assignment


@transaction.atomic
def do_record_attendance(assignment: DutyAssignment, *, acting_user, status: str) -> DutyAssignment:
    """The head teacher records what happened once the shift has begun: done (on time) or no-show."""
    if status not in (DutyAssignment.Status.DONE, DutyAssignment.Status.NO_SHOW):
        raise ValidationError(_("Choose done or did not come."))
    if assignment.status not in (
        DutyAssignment.Status.ASSIGNED,
        DutyAssignment.Status.DONE,
        DutyAssignment.Status.NO_SHOW,
    ):
        raise ValidationError(_("There is nothing to record for this family on this shift."))
    if timezone.now() < shift_start(assignment.shift):
        raise ValidationError(_("The shift has not begun yet."))
    assignment.status = status
    if status == DutyAssignment.Status.DONE:
        assignment.on_time = True if assignment.on_time is None else assignment.on_time
    else:
        assignment.on_time = None
    assignment.recorded_by = acting_user
    assignment.save(update_fields=["status", "on_time", "recorded_by"])
    _feed_quant(assignment, acting_user=acting_user)
    _audit(DUTY_ATTENDANCE, actor=acting_user, roster_or_item=assignment, summary=status)
    return assignment


@transaction.atomic
def do_ask_standby(roster: DutyRoster, *, acting_user, shift_id, family_id, roles=None) -> DutyAssignment:
    """The head teacher asks a standby family to take a place on a shift (after a no-show, or a gap).
    With ``roles`` (the asker's), the family is told by a notice to its children (notices' own
    action, so it reaches them by the app, email or SMS as they chose), linking to their duty page."""
    shift = _shift_of_roster(roster, shift_id)
    if timezone.now() > shift_end(shift):
        raise ValidationError(_("This shift is over."))
    family = _family_of_roster(roster, family_id)
    if shift.assignments.filter(family=family).exclude(status=DutyAssignment.Status.DECLINED).exists():
        raise ValidationError(_("This family is already on this shift."))
    if _clash(family, shift):
        raise ValidationError(_("%(family)s is already on another shift at that time.") % {"family": family.label})
    assignment, _created = DutyAssignment.objects.update_or_create(
        shift=shift,
        family=family,
        defaults={"school_id": roster.school_id, "status": DutyAssignment.Status.ASKED, "is_standby": True},
    )
    _audit(
        DUTY_CHANGED,
        actor=acting_user,
        roster_or_item=roster,
        summary="standby asked",
        detail={"shift": shift.pk, "family": family.pk},
    )
    if roles is not None and roster.status == DutyRoster.Status.PUBLISHED:
        when = f"{_day(shift.date)} {shift.starts_at:%H:%M}–{shift.ends_at:%H:%M} {shift.place}"
        ask = _("Could your family stand in for this duty shift? Please answer on the duty page.")
        do_create_notice(
            roster.school,
            acting_user=acting_user,
            roles=roles,
            title=_("Can you stand in for a duty shift?"),
            body_html=f"<p>{escape(when)}</p><p>{escape(ask)}</p>"
            f'<p><a href="{reverse("community:duty_mine")}">{escape(_("My duty shifts"))}</a></p>',
            action=Notice.Action.READ,
            targets=[TargetSpec("student", student_id=sid) for sid in family.student_ids or [family.student_id]],
        )
    return assignment


@transaction.atomic
def do_answer_standby(assignment: DutyAssignment, *, acting_user, accept: bool) -> DutyAssignment:
    if assignment.status != DutyAssignment.Status.ASKED:
        raise ValidationError(_("This request has been answered already."))
    if timezone.now() > shift_end(assignment.shift):
        raise ValidationError(_("This shift is over."))
    assignment.status = DutyAssignment.Status.ASSIGNED if accept else DutyAssignment.Status.DECLINED
    assignment.save(update_fields=["status"])
    _audit(DUTY_CHANGED, actor=acting_user, roster_or_item=assignment, summary="standby " + assignment.status)
    return assignment


def do_remind_tomorrows_shifts(*, acting_user=None) -> int:
    """The day before, the families on duty are reminded (email and SMS through notices' reminder
    round, to their receipts of the roster's notice). Each shift is claimed by a conditional
    UPDATE, so two workers never both send; returns the shifts reminded."""
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    reminded = 0
    with scopes_disabled():  # reviewed: each shift's reminder goes to its own roster's receipts, in its school
        due = list(
            DutyShift.objects.filter(
                date=tomorrow,
                reminded_at__isnull=True,
                roster__status=DutyRoster.Status.PUBLISHED,
                roster__notice__isnull=False,
            ).select_related("roster__notice")
        )
    for shift in due:
        with scope(school=[shift.school_id]), transaction.atomic():
            if not DutyShift.objects.filter(pk=shift.pk, reminded_at__isnull=True).update(reminded_at=timezone.now()):
                continue
            notice = shift.roster.notice
            assert notice is not None
            receipts = Receipt.objects.filter(
                notice=notice,
                guardian__in=DutyFamilyGuardian.objects.filter(
                    family__assignments__shift=shift, family__assignments__status=DutyAssignment.Status.ASSIGNED
                ).values("guardian"),
            )
            do_remind_receipts(notice, receipts, acting_user=acting_user)
            reminded += 1
    return reminded


@transaction.atomic
def do_save_quant_category(
    school,
    *,
    acting_user,
    name: str,
    points,
    category: QuantCategory | None = None,
    kind: str = QuantCategory.Kind.OTHER,
    active: bool = True,
) -> QuantCategory:
    """Admins set the quantification's categories and their points (-100 to 100)."""
    name = (name or "").strip()[:64]
    try:
        value = int(points)
    except (TypeError, ValueError):
        raise ValidationError(_("Points must be a whole number between -100 and 100.")) from None
    if not name:
        raise ValidationError(_("Give the category a name."))
    if not -100 <= value <= 100:
        raise ValidationError(_("Points must be a whole number between -100 and 100."))
    same_name = QuantCategory.objects.filter(school=school, name=name)
    if category is not None:
        same_name = same_name.exclude(pk=category.pk)
    if same_name.exists():
        raise ValidationError(_("There is already a category with this name."))
    if category is None:
        if kind not in QuantCategory.Kind.values:
            raise ValidationError(_("Choose a category."))
        if kind != QuantCategory.Kind.OTHER and QuantCategory.objects.filter(school=school, kind=kind).exists():
            raise ValidationError(_("There is already a category with this name."))
        category = QuantCategory.objects.create(school=school, name=name, kind=kind, points=value, is_active=active)
    else:
        category.name, category.points, category.is_active = name, value, active
        category.save(update_fields=["name", "points", "is_active"])
    _audit(QUANT_CHANGED, actor=acting_user, roster_or_item=category, summary=f"{name} {value}")
    return category


@transaction.atomic
def do_add_quant_item(
    school_class, *, acting_user, term, category_id, reason: str, occurred_on=None, points=None
) -> QuantItem:
    """Staff add an item to a class's quantification with a reason (points default to the category's)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Give a reason."))
    try:
        category = QuantCategory.objects.filter(
            school_id=school_class.school_id, pk=int(category_id), is_active=True
        ).first()
    except (TypeError, ValueError):
        category = None
    if category is None:
        raise ValidationError(_("Choose a category."))
    value = category.points
    if points not in (None, ""):
        try:
            value = int(points)
        except (TypeError, ValueError):
            raise ValidationError(_("Points must be a whole number between -100 and 100.")) from None
        if not -100 <= value <= 100:
            raise ValidationError(_("Points must be a whole number between -100 and 100."))
    day = _parse_date(occurred_on) if occurred_on else timezone.localdate()
    item = QuantItem.objects.create(
        school_id=school_class.school_id,
        term=term,
        school_class=school_class,
        category=category,
        points=value,
        reason=reason[:200],
        occurred_on=day,
        created_by=acting_user,
    )
    _audit(QUANT_CHANGED, actor=acting_user, roster_or_item=item, summary=f"{category.name} {value}")
    return item


# (end of section: duty)


# ==== The class fund ledger (section: fund) =============================================

AUDIT_FUND = AuditEntry.Action.FUND_CHANGED
MAX_FEN = 100_000_000  # one million yuan: far beyond any class fund, so a slip of the finger is caught
RECEIPT_MAX_BYTES = 10 * 1024 * 1024
RECEIPT_KINDS = ("image", "pdf")  # a photo of the receipt, or an electronic invoice (电子发票)
_AMOUNT = re.compile(r"^(\d{1,9})(?:\.(\d{1,2}))?$")


def parse_yuan(text) -> int:
    """An amount of yuan and fen as people write it ("12.5", "12.50", "¥12.50", "12元") in integer
    fen; anything else (more than two decimals, letters, a sign, zero) is refused with a message."""
    value = str(text if text is not None else "").strip().replace(" ", "")
    value = value.removeprefix("¥").removeprefix("￥").removesuffix("元")
    if value.startswith("-"):
        raise ValidationError(_("The amount must be more than zero."))
    match = _AMOUNT.match(value)
    if match is None:
        raise ValidationError(_("Give the amount in yuan and fen, e.g. 12.50."))
    fen = int(match[1]) * 100 + int((match[2] or "").ljust(2, "0"))
    if fen <= 0:
        raise ValidationError(_("The amount must be more than zero."))
    if fen > MAX_FEN:
        raise ValidationError(_("The amount is too large for a class fund."))
    return fen


def accept_receipt(upload) -> AcceptedUpload:
    """A receipt's photo or PDF, checked from its bytes (core.uploads); a clear refusal otherwise."""
    try:
        return accept_upload(upload, max_bytes=RECEIPT_MAX_BYTES, allowed_kinds=RECEIPT_KINDS)
    except UploadRefused as exc:
        raise ValidationError(str(exc)) from None


def _fund_line(text: str, *, limit: int, empty: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError(empty)
    if len(text) > limit or _ONE_LINE.search(text):
        raise ValidationError(_("Write it on one line of at most %(n)d characters.") % {"n": limit})
    return text


def do_name_fund_keeper(school_class: SchoolClass, *, guardian_id: int | None, acting_user, request=None) -> ClassFund:
    """The head teacher names who keeps the class's accounts besides the committee's treasurer (a
    guardian of the class), or no one (``None``)."""
    guardian = None
    if guardian_id is not None:
        guardian = (
            Guardian.objects.filter(
                pk=guardian_id,
                student_links__student__school_class=school_class,
                student_links__student__status=Student.Status.ACTIVE,
            )
            .distinct()
            .first()
        )
        if guardian is None:
            raise ValidationError(_("This person is not a guardian of a child in %(c)s.") % {"c": school_class.name})
    with transaction.atomic():
        fund, _created = ClassFund.objects.update_or_create(
            school_class=school_class,
            defaults={
                "school_id": school_class.school_id,
                "keeper": guardian,
                "named_by": acting_user,
                "named_at": timezone.now(),
            },
        )
        record(
            AUDIT_FUND,
            actor=acting_user,
            school=school_class.school,
            target=fund,
            summary=f"fund keeper named: {school_class.name}",
            detail={"guardian": guardian.pk if guardian else None},
            request=request,
        )
    return fund


def _next_number(school_class: SchoolClass) -> int:
    last = LedgerEntry.objects.filter(school_class=school_class).order_by("-number").values_list("number", flat=True)
    return (last.first() or 0) + 1


def _create_entry(school_class: SchoolClass, **fields) -> LedgerEntry:
    """Insert with the next number of the class; two keepers at once: the loser takes the next."""
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return LedgerEntry.objects.create(
                    school_id=school_class.school_id,
                    school_class=school_class,
                    number=_next_number(school_class),
                    **fields,
                )
        except IntegrityError:
            if (
                fields.get("idempotency_key")
                and LedgerEntry.objects.filter(
                    recorded_by=fields["recorded_by"], idempotency_key=fields["idempotency_key"]
                ).exists()
            ):
                raise
            continue
    raise ValidationError(_("Many entries are being recorded at once: please try again."))


def do_record_entry(
    school_class: SchoolClass,
    *,
    kind: str,
    amount,
    occurred_on: datetime.date | None,
    purpose: str,
    receipt: AcceptedUpload | None = None,
    acting_user,
    idempotency_key: str = "",
    request=None,
) -> LedgerEntry:
    """The keeper records money in or out. An expense needs its receipt. The entry counts once
    another committee member countersigns it. The same ``idempotency_key`` twice records it once."""
    if kind not in LedgerEntry.Kind.values:
        raise ValidationError(_("Choose income or expense."))
    amount_fen = parse_yuan(amount)
    purpose = _fund_line(purpose, limit=200, empty=_("Say what the money was for."))
    if occurred_on is None:
        raise ValidationError(_("Give the date."))
    if occurred_on > timezone.localdate():
        raise ValidationError(_("The date is in the future."))
    if kind == LedgerEntry.Kind.EXPENSE and receipt is None:
        raise ValidationError(_("An expense needs a photo of its receipt."))
    idempotency_key = (idempotency_key or "")[:64]
    if idempotency_key:
        done = LedgerEntry.objects.filter(recorded_by=acting_user, idempotency_key=idempotency_key).first()
        if done is not None:
            return done
    entry = LedgerEntry(kind=kind)
    if receipt is not None:
        receipt.store(entry.receipt)
    with transaction.atomic():
        try:
            entry = _create_entry(
                school_class,
                kind=kind,
                amount_fen=amount_fen,
                occurred_on=occurred_on,
                purpose=purpose,
                receipt=entry.receipt.name if receipt is not None else "",
                receipt_name=receipt.name if receipt is not None else "",
                receipt_mime=receipt.kind.mime if receipt is not None else "",
                recorded_by=acting_user,
                idempotency_key=idempotency_key,
            )
        except IntegrityError:  # the same key, at the same moment
            return LedgerEntry.objects.get(recorded_by=acting_user, idempotency_key=idempotency_key)
        record(
            AUDIT_FUND,
            actor=acting_user,
            school=school_class.school,
            target=entry,
            summary=f"fund entry recorded: {school_class.name} #{entry.number}",
            detail={"kind": kind, "amount_fen": amount_fen},
            request=request,
        )
    return entry


def do_countersign_entry(entry: LedgerEntry, *, acting_user, request=None) -> LedgerEntry:
    """A second committee member confirms an entry; from then on it counts. Not its author."""
    if entry.recorded_by_id == acting_user.pk:
        raise ValidationError(_("You recorded this entry: another committee member countersigns it."))
    with transaction.atomic():
        signed = LedgerEntry.objects.filter(
            pk=entry.pk, countersigned_at__isnull=True, declined_at__isnull=True
        ).update(countersigned_by=acting_user, countersigned_at=timezone.now())
        if not signed:
            raise ValidationError(_("This entry has been countersigned or sent back already."))
        record(
            AUDIT_FUND,
            actor=acting_user,
            school=entry.school_class.school,
            target=entry,
            summary=f"fund entry countersigned: {entry.school_class.name} #{entry.number}",
            request=request,
        )
    entry.refresh_from_db()
    return entry


def do_decline_entry(entry: LedgerEntry, *, reason: str, acting_user, request=None) -> LedgerEntry:
    """Send back an entry that does not count yet (a wrong amount, a missing receipt …): it stays in
    the ledger, marked, with the reason, and never counts; the keeper records it again correctly."""
    reason = _fund_line(reason, limit=150, empty=_("Say why the entry is sent back."))
    with transaction.atomic():
        declined = LedgerEntry.objects.filter(
            pk=entry.pk, countersigned_at__isnull=True, declined_at__isnull=True
        ).update(declined_by=acting_user, declined_at=timezone.now(), decline_reason=reason)
        if not declined:
            raise ValidationError(_("This entry has been countersigned or sent back already."))
        record(
            AUDIT_FUND,
            actor=acting_user,
            school=entry.school_class.school,
            target=entry,
            summary=f"fund entry sent back: {entry.school_class.name} #{entry.number}",
            request=request,
        )
    entry.refresh_from_db()
    return entry


def do_reverse_entry(entry: LedgerEntry, *, reason: str, acting_user, request=None) -> LedgerEntry:
    """Correct a countersigned entry: a new entry of the opposite kind and the same amount that
    names it. It, too, counts once countersigned. An entry is reversed once; a reversal is not."""
    reason = _fund_line(reason, limit=150, empty=_("Say why the entry is being corrected."))
    if entry.reverses_id is not None:
        raise ValidationError(_("A reversing entry cannot itself be reversed: record a new entry."))
    if entry.countersigned_at is None:
        raise ValidationError(_("Only an entry that counts (countersigned) needs reversing."))
    opposite = LedgerEntry.Kind.EXPENSE if entry.kind == LedgerEntry.Kind.INCOME else LedgerEntry.Kind.INCOME
    already = ValidationError(_("Entry #%(n)d has been reversed already.") % {"n": entry.number})
    with transaction.atomic():
        if LedgerEntry.objects.filter(reverses=entry).exists():
            raise already
        try:
            reversal = _create_entry(
                entry.school_class,
                kind=opposite,
                amount_fen=entry.amount_fen,
                occurred_on=timezone.localdate(),
                purpose=(_("Reverses #%(n)d: %(reason)s") % {"n": entry.number, "reason": reason})[:200],
                reverses=entry,
                recorded_by=acting_user,
            )
        except IntegrityError:
            raise already from None
        record(
            AUDIT_FUND,
            actor=acting_user,
            school=entry.school_class.school,
            target=reversal,
            summary=f"fund entry reversed: {entry.school_class.name} #{entry.number}",
            detail={"reverses": entry.pk},
            request=request,
        )
    return reversal


def do_ask_about_entry(entry: LedgerEntry, *, text: str, acting_user) -> EntryQuestion:
    text = _message_text(text)
    with transaction.atomic():
        question = EntryQuestion.objects.create(school_id=entry.school_id, entry=entry, asked_by=acting_user, text=text)
        record(
            AUDIT_FUND,
            actor=acting_user,
            school=entry.school_class.school,
            target=question,
            summary=f"question on fund entry #{entry.number}",
        )
    return question


def do_answer_entry_question(question: EntryQuestion, *, text: str, acting_user) -> EntryQuestion:
    text = _message_text(text)
    with transaction.atomic():
        answered = EntryQuestion.objects.filter(pk=question.pk, answered_at__isnull=True).update(
            answer=text, answered_by=acting_user, answered_at=timezone.now()
        )
        if not answered:
            raise ValidationError(_("This question has been answered already."))
        record(
            AUDIT_FUND,
            actor=acting_user,
            school=question.entry.school_class.school,
            target=question,
            summary=f"question on fund entry #{question.entry.number} answered",
        )
    question.refresh_from_db()
    return question


# (end of section: fund)
