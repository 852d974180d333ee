"""Every write of the community app: a transaction, an audit row, side effects after commit."""

import datetime
import re

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.actions import record
from schools.models import Guardian, School, SchoolClass, Student, StudentGuardian
from schools.queries import require_current_term

from .models import Committee, CommitteeMember, CommitteeMessage, school_year_of

# ==== Committees and working groups (section: committees) ===============================

# Audit actions of committees (plain values: audit.models.AuditEntry.Action may name them later).
AUDIT_COMMITTEE = "committee_changed"
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


# (end of section: committees)


# ==== Volunteers, activities and recognition (section: volunteers) ======================

# (end of section: volunteers)


# ==== Duty rosters and the class quantification (section: duty) =========================

# (end of section: duty)


# ==== The class fund ledger (section: fund) =============================================

# (end of section: fund)
