"""Every write of the contact book and care cases: one transaction, audit where sensitive."""

import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit.actions import record
from audit.models import AuditEntry
from core.concurrency import check_version
from notices.models import CallTask
from schools.models import Guardian, SchoolClass, Student
from schools.queries import current_term
from schools.roles import Roles

from .access import may_record_about, may_see_care
from .models import (
    CONCERN_TOPICS,
    Acknowledgement,
    ActionItem,
    CareCase,
    CareReview,
    ContactRecord,
    ContactRevision,
    ContactStudent,
    ConversationRequest,
    CoverageRules,
    Topic,
)


@dataclass
class ActionSpec:
    description: str
    owner_id: int | None = None
    due_on: datetime.date | None = None


# Templates for common contacts: a head teacher starts from one and only changes what differs.
TEMPLATES = {
    "home_visit": {
        "kind": ContactRecord.Kind.HOME_VISIT,
        "duration_minutes": 45,
        "topics": [Topic.LEARNING, Topic.BEHAVIOUR, Topic.ADVICE],
        "summary": "学习情况：\n在家表现与习惯：\n家庭情况：\n家长的想法与建议：\n商定的做法：",
    },
    "phone_follow_up": {
        "kind": ContactRecord.Kind.PHONE,
        "duration_minutes": 10,
        "topics": [Topic.LEARNING],
        "summary": "近况：\n上次商定事项的进展：\n接下来：",
    },
    "praise": {
        "kind": ContactRecord.Kind.ONLINE,
        "duration_minutes": 5,
        "topics": [Topic.PRAISE],
        "summary": "值得表扬的地方：",
    },
}


def do_record_contact(
    school,
    *,
    acting_user,
    roles: Roles,
    kind: str,
    occurred_on: datetime.date,
    duration_minutes: int = 15,
    participants: str = "",
    student_ids: list[int] | None = None,
    class_id: int | None = None,
    topics: list[str] | None = None,
    summary: str,
    shared: bool = False,
    parent_summary: str = "",
    follow_up_on: datetime.date | None = None,
    action_items: list[ActionSpec] | None = None,
    conversation_request: ConversationRequest | None = None,
    idempotency_key: str = "",
) -> ContactRecord:
    if idempotency_key:
        existing = ContactRecord.objects.filter(author=acting_user, idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing
    today = timezone.localdate()
    if kind not in ContactRecord.Kind.values:
        raise ValidationError(_("Choose the kind of contact."))
    if occurred_on > today:
        raise ValidationError(_("The date of a contact cannot be in the future."))
    if follow_up_on is not None and follow_up_on < occurred_on:
        raise ValidationError(_("The follow-up cannot be before the contact."))
    if not summary.strip():
        raise ValidationError(_("Write what was said and agreed."))
    if shared and not parent_summary.strip():
        raise ValidationError(_("A record shared with the family needs a summary for the family."))
    topics = [t for t in (topics or []) if t in Topic.values]
    students = list(Student.objects.filter(pk__in=student_ids or [], school=school, status=Student.Status.ACTIVE))
    if len(students) != len(set(student_ids or [])):
        raise ValidationError(_("You may only record contacts about students you teach."))
    if any(not may_record_about(roles, s) for s in students):
        raise ValidationError(_("You may only record contacts about students you teach."))
    school_class = None
    if class_id is not None:
        school_class = SchoolClass.objects.filter(pk=class_id, school=school).first()
        if school_class is None or not (roles.is_admin_of(school.pk) or school_class.pk in roles.taught_class_ids):
            raise ValidationError(_("You may only record contacts about students you teach."))
    if not students and school_class is None:
        raise ValidationError(_("Choose the child (or the class) the contact was about."))
    if conversation_request is not None and conversation_request.student_id not in {s.pk for s in students}:
        raise ValidationError(_("The record of a requested talk must be about the child the family asked about."))
    term = current_term(school)
    if term is None:
        raise ValidationError(_("The school has no current term yet. An admin must create one first."))
    if occurred_on < term.start_date:
        # It would count towards this term's coverage although it happened before it.
        raise ValidationError(_("The date is before the current term began."))
    with transaction.atomic():
        contact = ContactRecord.objects.create(
            school=school,
            term=term,
            author=acting_user,
            kind=kind,
            occurred_on=occurred_on,
            duration_minutes=max(1, min(duration_minutes or 15, 600)),
            participants=participants.strip()[:200],
            topics=topics,
            has_praise=Topic.PRAISE in topics,
            has_concern=bool(set(topics) & CONCERN_TOPICS),
            summary=summary.strip(),
            visibility=ContactRecord.Visibility.SHARED if shared else ContactRecord.Visibility.INTERNAL,
            parent_summary=parent_summary.strip() if shared else "",
            follow_up_on=follow_up_on,
            school_class=school_class,
            conversation_request=conversation_request,
            idempotency_key=idempotency_key[:64],
        )
        ContactStudent.objects.bulk_create([ContactStudent(school=school, record=contact, student=s) for s in students])
        items = [a for a in (action_items or []) if a.description.strip()]
        ActionItem.objects.bulk_create(
            [
                ActionItem(
                    school=school,
                    record=contact,
                    description=a.description.strip()[:300],
                    owner_id=a.owner_id or acting_user.pk,
                    due_on=a.due_on,
                )
                for a in items
            ]
        )
        if conversation_request is not None:
            ConversationRequest.objects.filter(pk=conversation_request.pk).update(
                status=ConversationRequest.Status.HELD
            )
    return contact


# What an editor may change after the fact, and how a second editor is told about each. The students,
# the class, the date and the term stay: they decide whose book and which term's coverage it counts in.
EDITABLE = {
    "kind": gettext_lazy("the kind"),
    "duration_minutes": gettext_lazy("the minutes"),
    "participants": gettext_lazy("who took part"),
    "topics": gettext_lazy("the topics"),
    "summary": gettext_lazy("the summary"),
    "visibility": gettext_lazy("whether it is shared with the family"),
    "parent_summary": gettext_lazy("the summary for the family"),
    "follow_up_on": gettext_lazy("the follow-up date"),
}


def _editable_fields(contact: ContactRecord) -> dict:
    """The editable fields as JSON values (a ContactRevision's ``fields``)."""
    values = {name: getattr(contact, name) for name in EDITABLE}
    values["follow_up_on"] = contact.follow_up_on.isoformat() if contact.follow_up_on else None
    values["topics"] = sorted(contact.topics)
    return values


@transaction.atomic
def do_edit_contact(
    contact: ContactRecord,
    *,
    acting_user,
    opened_version: int | None,
    kind: str,
    duration_minutes: int,
    participants: str,
    topics: list[str],
    summary: str,
    shared: bool,
    parent_summary: str,
    follow_up_on: datetime.date | None,
) -> ContactRecord:
    """Correct or complete a record. Two staff editing it at once: the record is locked and the
    version the editor opened compared, so the second save is refused with who changed what
    (``core.concurrency.EditConflict``) instead of silently overwriting the first. The version
    before the edit is kept as a ContactRevision."""
    if kind not in ContactRecord.Kind.values:
        raise ValidationError(_("Choose the kind of contact."))
    if not summary.strip():
        raise ValidationError(_("Write what was said and agreed."))
    if shared and not parent_summary.strip():
        raise ValidationError(_("A record shared with the family needs a summary for the family."))
    locked = ContactRecord.objects.select_for_update(of=("self",)).select_related("edited_by").get(pk=contact.pk)
    if follow_up_on is not None and follow_up_on < locked.occurred_on:
        raise ValidationError(_("The follow-up cannot be before the contact."))
    topics = sorted({t for t in topics if t in Topic.values})
    new = {
        "kind": kind,
        "duration_minutes": max(1, min(duration_minutes or 15, 600)),
        "participants": participants.strip()[:200],
        "topics": topics,
        "summary": summary.strip(),
        "visibility": ContactRecord.Visibility.SHARED if shared else ContactRecord.Visibility.INTERNAL,
        "parent_summary": parent_summary.strip() if shared else "",
        "follow_up_on": follow_up_on.isoformat() if follow_up_on else None,
    }
    now = _editable_fields(locked)
    if new == now:
        return locked  # nothing to change: a save sent twice, or the same as the other editor's
    if opened_version is not None and opened_version != locked.version:
        opened = ContactRevision.objects.filter(record=locked, version=opened_version).first()
        check_version(
            opened_version,
            locked.version,
            before=opened.fields if opened is not None else {},
            after=now,
            labels=EDITABLE,
            by=locked.edited_by.display_name if locked.edited_by is not None else "",
            at=locked.edited_at,
        )
    ContactRevision.objects.create(
        school_id=locked.school_id, record=locked, version=locked.version, fields=now, edited_by=acting_user
    )
    for name, value in new.items():
        setattr(locked, name, value)
    locked.follow_up_on = follow_up_on
    locked.has_praise = Topic.PRAISE in topics
    locked.has_concern = bool(set(topics) & CONCERN_TOPICS)
    locked.version += 1
    locked.edited_at = timezone.now()
    locked.edited_by = acting_user
    locked.save()
    return locked


def do_complete_follow_up(contact: ContactRecord, *, acting_user) -> None:
    """The record's follow-up is done (its page is its author's and the staff above them)."""
    ContactRecord.objects.filter(pk=contact.pk, follow_up_done_at__isnull=True).update(follow_up_done_at=timezone.now())


def do_complete_action(item: ActionItem, *, acting_user) -> None:
    """An agreed action is done (``access_action_item_to_close`` says who may)."""
    ActionItem.objects.filter(pk=item.pk, done_at__isnull=True).update(done_at=timezone.now())


def _family_guardian(user, contact: ContactRecord, child_ids: list[int]) -> Guardian:
    guardian = Guardian.objects.filter(
        user=user, school_id=contact.school_id, student_links__student_id__in=child_ids
    ).first()
    if guardian is None:
        raise ValidationError(_("You are not a guardian of this child."))
    return guardian


def do_acknowledge(contact: ContactRecord, child_ids: list[int], *, acting_user, reply: str = "") -> Acknowledgement:
    guardian = _family_guardian(acting_user, contact, child_ids)
    ack, _created = Acknowledgement.objects.get_or_create(
        school_id=contact.school_id, record=contact, guardian=guardian
    )
    reply = reply.strip()[:2000]
    if reply:
        Acknowledgement.objects.filter(pk=ack.pk).update(reply=reply, replied_at=timezone.now())
    return ack


def do_request_conversation(student: Student, topic: str, *, acting_user) -> ConversationRequest:
    topic = topic.strip()
    if not topic:
        raise ValidationError(_("Say what you would like to talk about."))
    guardian = Guardian.objects.filter(user=acting_user, student_links__student=student).first()
    if guardian is None:
        raise ValidationError(_("You are not a guardian of this child."))
    return ConversationRequest.objects.create(
        school_id=student.school_id, student=student, guardian=guardian, topic=topic[:300]
    )


def do_save_coverage_rules(
    school,
    *,
    acting_user,
    min_contacts_per_term: int,
    concern_phone_per_month: int,
    require_home_visit: bool,
    require_praise: bool,
    request=None,
) -> CoverageRules:
    """The school's own rules of contact (the seeds' defaults until an admin changes them)."""
    values = {
        "min_contacts_per_term": min_contacts_per_term,
        "concern_phone_per_month": concern_phone_per_month,
        "require_home_visit": require_home_visit,
        "require_praise": require_praise,
    }
    with transaction.atomic():
        rules, _created = CoverageRules.objects.update_or_create(school=school, defaults=values)
        record(
            AuditEntry.Action.ROLE_CHANGED,
            actor=acting_user,
            school=school,
            summary="coverage rules changed",
            detail=values,
            request=request,
        )
    return rules


# --- care cases ---------------------------------------------------------------------------------


def do_open_care_case(
    student: Student,
    *,
    roles: Roles,
    acting_user,
    concern: str,
    description: str,
    goals: str = "",
    measures: str = "",
    next_review_on=None,
    request=None,
) -> CareCase:
    if not may_see_care(roles, student):
        raise ValidationError(_("Only the head teacher, designated staff and admins handle care cases."))
    if concern not in CareCase.Concern.values:
        raise ValidationError(_("Choose the concern."))
    if not description.strip():
        raise ValidationError(_("Describe what you see."))
    if CareCase.objects.filter(student=student, closed_at__isnull=True).exists():
        raise ValidationError(_("This student already has an open care case."))
    with transaction.atomic():
        case = CareCase.objects.create(
            school_id=student.school_id,
            student=student,
            concern=concern,
            description=description.strip(),
            goals=goals.strip(),
            measures=measures.strip(),
            next_review_on=next_review_on,
            opened_by=acting_user,
        )
        record(
            AuditEntry.Action.SENSITIVE_VIEW,
            actor=acting_user,
            school=student.school,
            target=case,
            summary="care case opened",
            request=request,
        )
    return case


def do_review_care_case(case: CareCase, *, acting_user, progress: str, next_review_on=None, request=None) -> CareReview:
    if case.closed_at is not None:
        raise ValidationError(_("This case is closed."))
    if not progress.strip():
        raise ValidationError(_("Write the progress since the last review."))
    with transaction.atomic():
        review = CareReview.objects.create(
            school_id=case.school_id, case=case, progress=progress.strip(), author=acting_user
        )
        CareCase.objects.filter(pk=case.pk).update(next_review_on=next_review_on)
        record(
            AuditEntry.Action.SENSITIVE_VIEW,
            actor=acting_user,
            school=case.school,
            target=case,
            summary="care case reviewed",
            request=request,
        )
    return review


def do_close_care_case(case: CareCase, *, acting_user, note: str, request=None) -> None:
    with transaction.atomic():
        CareCase.objects.filter(pk=case.pk, closed_at__isnull=True).update(
            closed_at=timezone.now(), closing_note=note.strip()
        )
        record(
            AuditEntry.Action.SENSITIVE_VIEW,
            actor=acting_user,
            school=case.school,
            target=case,
            summary="care case closed",
            request=request,
        )


CALL_OUTCOMES = {
    "reached": gettext_lazy("Reached the family"),
    "not_reached": gettext_lazy("Did not reach the family"),
    "wrong_number": gettext_lazy("Wrong number"),
}


def do_record_call(task, *, acting_user, roles: Roles, outcome: str, note: str = "") -> ContactRecord:
    """Record the call of a ladder's call task (``notices.models.CallTask``): a contact-book entry
    of kind phone about the child, and the task's outcome, which the family's reachability reads
    (``notices.queries.class_reachability``). Recording a task twice is refused."""
    if outcome not in CALL_OUTCOMES:
        raise ValidationError(_("Choose how the call went."))
    if task.outcome:
        raise ValidationError(_("This call is already recorded."))
    summary = f"{CALL_OUTCOMES[outcome]}: {task.notice.title}"
    if note.strip():
        summary += "\n" + note.strip()
    with transaction.atomic():
        claimed = CallTask.objects.filter(pk=task.pk, outcome="").update(
            outcome=outcome, recorded_at=timezone.now(), recorded_by=acting_user
        )
        if not claimed:
            raise ValidationError(_("This call is already recorded."))
        contact = do_record_contact(
            task.school,
            acting_user=acting_user,
            roles=roles,
            kind=ContactRecord.Kind.PHONE,
            occurred_on=timezone.localdate(),
            duration_minutes=5,
            student_ids=[task.student_id],
            summary=summary,
        )
        CallTask.objects.filter(pk=task.pk).update(contact_record_id=contact.pk)
        record(
            AuditEntry.Action.CALL_RECORDED,
            actor=acting_user,
            school=task.school,
            target=task.notice,
            summary=outcome,
            detail={"student": task.student_id},
        )
    return contact
