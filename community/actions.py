"""Every write of the community app: a transaction, an audit row, side effects after commit."""

import datetime
import re

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.actions import record
from core.uploads import AcceptedUpload, UploadRefused, accept_upload
from schools.models import Guardian, School, SchoolClass, StaffMember, Student, StudentGuardian
from schools.queries import require_current_term

from .models import (
    ClassFund,
    Committee,
    CommitteeMember,
    CommitteeMessage,
    EntryQuestion,
    LedgerEntry,
    WorkingGroup,
    WorkingGroupMember,
    school_year_of,
)

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

# (end of section: volunteers)


# ==== Duty rosters and the class quantification (section: duty) =========================

# (end of section: duty)


# ==== The class fund ledger (section: fund) =============================================

AUDIT_FUND = "fund_changed"
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
