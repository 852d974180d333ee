"""Every write of the suggestion box: submit, route, acknowledge, reply, decide, rectify, close,
publish ("you said, we did"), set the routing, and the overdue sweep.

An anonymous submission writes no author, no actor and no address anywhere (the audit row has
neither), keeps its time to the hour, and logs nothing about the request."""

import datetime
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.actions import record
from audit.models import AuditEntry
from core.guardrails import check_class_message
from core.ratelimit import hit
from schools.models import SchoolClass, StaffAssignment, StaffMember

from .access import receipt_hash
from .models import Kind, Rectification, Route, Suggestion

MAX_TEXT = 2000
DEFAULT_ACK_HOURS = 48
# Submissions per user per day: a box, not a chat. Counted in the cache under a hash of the user.
SUBMIT_LIMIT = 5
SUBMIT_WINDOW = 24 * 3600
# An overdue step is reminded to its owner at once, and escalated to the admins a day later.
ESCALATE_AFTER = datetime.timedelta(hours=24)


@dataclass
class Submitted:
    suggestion: Suggestion
    receipt: str  # shown once; only its hash is kept


def _clean(text: str, message: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError(message)
    if len(text) > MAX_TEXT:
        raise ValidationError(_("Keep it under %(n)d characters.") % {"n": MAX_TEXT})
    return text


def _admins(school_id: int) -> list[int]:
    return list(
        StaffMember.objects.filter(school_id=school_id, is_active=True, is_school_admin=True)
        .order_by("pk")
        .values_list("user_id", flat=True)
    )


def _head_teacher(school_class: SchoolClass | None) -> int | None:
    if school_class is None:
        return None
    return (
        StaffAssignment.objects.filter(
            school_class=school_class, role=StaffAssignment.Role.HEAD_TEACHER, term__is_current=True
        )
        .values_list("staff__user_id", flat=True)
        .first()
    )


def route_of(school, kind: str, school_class: SchoolClass | None) -> tuple[int, str, int]:
    """(owner user id, department, hours to acknowledge) for a suggestion of this kind."""
    route = Route.objects.filter(school=school, kind=kind).first()
    hours = route.ack_hours if route else DEFAULT_ACK_HOURS
    department = route.department if route else ""
    owner = None
    if (route is not None and route.head_teacher) or (route is None and kind == Kind.CLASS):
        owner = _head_teacher(school_class)
    if owner is None and route is not None and route.owner_id:
        owner = route.owner_id
    if owner is None:
        admins = _admins(school.pk)
        if not admins:
            raise ValidationError(_("This school has nobody to receive suggestions yet."))
        owner = admins[0]
    return owner, department, hours


def do_submit_suggestion(
    school,
    school_class: SchoolClass | None,
    *,
    acting_user,
    kind: str,
    text: str,
    anonymous: bool = False,
    public_consent: bool = False,
) -> Submitted:
    if kind not in Kind.values:
        raise ValidationError(_("Choose what the suggestion is about."))
    text = _clean(text, _("Write your suggestion or concern first."))
    if kind == Kind.CLASS and school_class is None:
        raise ValidationError(_("Choose the class the suggestion is about."))
    if not hit("feedback-submit", f"{acting_user.pk}", SUBMIT_LIMIT, SUBMIT_WINDOW):
        raise ValidationError(_("You have sent many suggestions today; please try again tomorrow."))
    owner_id, department, hours = route_of(school, kind, school_class)
    now = timezone.now()
    # An anonymous suggestion's time is kept to the hour, so that it cannot be matched to the
    # author's other activity (sessions, sign-ins) by the second.
    created = now.replace(minute=0, second=0, microsecond=0) if anonymous else now
    token = secrets.token_urlsafe(18)
    with transaction.atomic():
        suggestion = Suggestion.objects.create(
            school=school,
            school_class=school_class,
            kind=kind,
            text=text,
            anonymous=anonymous,
            author=None if anonymous else acting_user,
            receipt_hash=receipt_hash(token),
            public_consent=public_consent,
            owner_id=owner_id,
            department=department,
            created_at=created,
            ack_due_at=created + datetime.timedelta(hours=hours),
        )
        record(
            AuditEntry.Action.FEEDBACK_SUBMITTED,
            actor=None if anonymous else acting_user,
            school=school,
            target=suggestion,
            summary="anonymous suggestion" if anonymous else "suggestion",
        )
        transaction.on_commit(lambda: _mail(owner_id, _("A new suggestion is waiting for you")))
    return Submitted(suggestion, token)


def _mail(user_id: int, subject: str) -> None:
    from accounts.models import User

    email = User.objects.filter(pk=user_id).values_list("email", flat=True).first()
    if email:
        send_mail(subject, subject, settings.DEFAULT_FROM_EMAIL, [email], fail_silently=True)


def _step(suggestion: Suggestion, allowed: set[str], message: str) -> None:
    if suggestion.status not in allowed:
        raise ValidationError(message)


def do_acknowledge(suggestion: Suggestion, *, acting_user) -> Suggestion:
    _step(suggestion, {Suggestion.Status.SUBMITTED}, _("This suggestion was already acknowledged."))
    with transaction.atomic():
        suggestion.status = Suggestion.Status.ACKNOWLEDGED
        suggestion.acknowledged_at = timezone.now()
        suggestion.save(update_fields=["status", "acknowledged_at"])
        record(AuditEntry.Action.FEEDBACK_ACKNOWLEDGED, actor=acting_user, school=suggestion.school, target=suggestion)
    return suggestion


def _guard(text: str, school_class: SchoolClass | None) -> None:
    """A public answer is read by every family of the school: the class-channel guardrails (no
    scores or rankings, no named criticism of a child) apply."""
    names: list[str] = []
    if school_class is not None:
        from schools.models import Student

        names = list(Student.objects.filter(school_class=school_class).values_list("name", flat=True))
    concerns = check_class_message(text, student_names=names)
    if concerns:
        raise ValidationError(" ".join(f"{c.reason} {c.suggestion}" for c in concerns))


def do_reply(suggestion: Suggestion, *, acting_user, reply: str) -> Suggestion:
    _step(
        suggestion,
        {Suggestion.Status.SUBMITTED, Suggestion.Status.ACKNOWLEDGED},
        _("This suggestion was already answered."),
    )
    reply = _clean(reply, _("Write the reply first."))
    now = timezone.now()
    with transaction.atomic():
        suggestion.status = Suggestion.Status.ANSWERED
        suggestion.acknowledged_at = suggestion.acknowledged_at or now
        suggestion.answered_at = now
        suggestion.reply = reply
        suggestion.save(update_fields=["status", "acknowledged_at", "answered_at", "reply"])
        record(AuditEntry.Action.FEEDBACK_REPLIED, actor=acting_user, school=suggestion.school, target=suggestion)
        if suggestion.author_id:
            author_id = suggestion.author_id
            transaction.on_commit(lambda: _mail(author_id, _("Your suggestion was answered")))
    return suggestion


def do_decide(suggestion: Suggestion, *, acting_user, decision: str) -> Suggestion:
    _step(suggestion, {Suggestion.Status.ANSWERED}, _("Reply to the family before recording the decision."))
    decision = _clean(decision, _("Write what was decided."))
    with transaction.atomic():
        suggestion.status = Suggestion.Status.DECIDED
        suggestion.decided_at = timezone.now()
        suggestion.decision = decision
        suggestion.save(update_fields=["status", "decided_at", "decision"])
        record(AuditEntry.Action.FEEDBACK_DECIDED, actor=acting_user, school=suggestion.school, target=suggestion)
    return suggestion


def do_open_rectification(
    suggestion: Suggestion, *, acting_user, what: str, owner_id: int, due_on: datetime.date
) -> Rectification:
    _step(suggestion, {Suggestion.Status.DECIDED}, _("Record the decision before opening a rectification."))
    what = _clean(what, _("Say what must change."))
    if not StaffMember.objects.filter(school_id=suggestion.school_id, user_id=owner_id, is_active=True).exists():
        raise ValidationError(_("Choose a staff member of the school as its owner."))
    if due_on is None or due_on < timezone.localdate():
        raise ValidationError(_("The deadline cannot be in the past."))
    with transaction.atomic():
        rect = Rectification.objects.create(
            school_id=suggestion.school_id, suggestion=suggestion, what=what, owner_id=owner_id, due_on=due_on
        )
        record(AuditEntry.Action.RECTIFICATION_OPENED, actor=acting_user, school=suggestion.school, target=rect)
        transaction.on_commit(lambda: _mail(owner_id, _("A rectification was given to you")))
    return rect


def do_close_rectification(rect: Rectification, *, acting_user, note: str) -> Rectification:
    if rect.closed_at is not None:
        raise ValidationError(_("This rectification is already closed."))
    note = _clean(note, _("Write the closing note: what was done."))
    with transaction.atomic():
        rect.closed_at = timezone.now()
        rect.closing_note = note
        rect.save(update_fields=["closed_at", "closing_note"])
        record(AuditEntry.Action.RECTIFICATION_CLOSED, actor=acting_user, school=rect.school, target=rect)
    return rect


def do_close_suggestion(suggestion: Suggestion, *, acting_user) -> Suggestion:
    _step(suggestion, {Suggestion.Status.DECIDED}, _("Record the decision before closing."))
    if suggestion.rectifications.filter(closed_at__isnull=True).exists():
        raise ValidationError(_("Close its rectifications first."))
    with transaction.atomic():
        suggestion.status = Suggestion.Status.CLOSED
        suggestion.closed_at = timezone.now()
        suggestion.save(update_fields=["status", "closed_at"])
        record(AuditEntry.Action.FEEDBACK_CLOSED, actor=acting_user, school=suggestion.school, target=suggestion)
    return suggestion


def do_publish_answer(suggestion: Suggestion, *, acting_user, answer: str) -> Suggestion:
    """ "You said, we did": only with the author's consent, only once decided."""
    if not suggestion.public_consent:
        raise ValidationError(_("The author did not agree to a public answer."))
    _step(
        suggestion,
        {Suggestion.Status.DECIDED, Suggestion.Status.CLOSED},
        _("Record the decision before answering publicly."),
    )
    answer = _clean(answer, _("Write the public answer."))
    _guard(answer, suggestion.school_class)
    with transaction.atomic():
        suggestion.public_answer = answer
        suggestion.published_at = timezone.now()
        suggestion.save(update_fields=["public_answer", "published_at"])
        record(AuditEntry.Action.FEEDBACK_PUBLISHED, actor=acting_user, school=suggestion.school, target=suggestion)
    return suggestion


def do_set_route(
    school, *, acting_user, kind: str, head_teacher: bool, owner_id: int | None, department: str, ack_hours: int
) -> Route:
    if kind not in Kind.values:
        raise ValidationError(_("Choose what the suggestion is about."))
    if not 1 <= ack_hours <= 24 * 14:
        raise ValidationError(_("The time to acknowledge is between 1 hour and 14 days."))
    if (
        owner_id is not None
        and not StaffMember.objects.filter(school=school, user_id=owner_id, is_active=True).exists()
    ):
        raise ValidationError(_("Choose a staff member of the school as its owner."))
    if not head_teacher and owner_id is None:
        raise ValidationError(_("Choose who receives these suggestions."))
    with transaction.atomic():
        route, _created = Route.objects.update_or_create(
            school=school,
            kind=kind,
            defaults={
                "head_teacher": head_teacher,
                "owner_id": owner_id,
                "department": (department or "").strip()[:60],
                "ack_hours": ack_hours,
            },
        )
        record(AuditEntry.Action.FEEDBACK_ROUTE, actor=acting_user, school=school, target=route, summary=kind)
    return route


def do_sweep_overdue(*, acting_user=None, now: datetime.datetime | None = None) -> dict:
    """Remind the owner of each overdue step once, and a day later escalate it to the school's
    admins once. Each step is claimed with a conditional UPDATE, so a second run sends nothing."""
    now = now or timezone.now()
    counts = {"reminded": 0, "escalated": 0}
    waiting = Suggestion.objects.filter(status=Suggestion.Status.SUBMITTED)
    for s in waiting.filter(ack_due_at__lt=now, reminded_at__isnull=True).values("pk", "owner_id"):
        if Suggestion.objects.filter(pk=s["pk"], reminded_at__isnull=True).update(reminded_at=now):
            counts["reminded"] += 1
            _remind(s["owner_id"], _("A suggestion is waiting past its time to acknowledge"))
    late = waiting.filter(ack_due_at__lt=now - ESCALATE_AFTER, escalated_at__isnull=True)
    for pk, school_id in late.values_list("pk", "school_id"):
        if Suggestion.objects.filter(pk=pk, escalated_at__isnull=True).update(escalated_at=now):
            counts["escalated"] += 1
            for admin in _admins(school_id):
                _remind(admin, _("A suggestion was not acknowledged in time"))
    today = timezone.localtime(now).date()
    open_rects = Rectification.objects.filter(closed_at__isnull=True)
    for r in open_rects.filter(due_on__lt=today, reminded_at__isnull=True).values("pk", "owner_id"):
        if Rectification.objects.filter(pk=r["pk"], reminded_at__isnull=True).update(reminded_at=now):
            counts["reminded"] += 1
            _remind(r["owner_id"], _("A rectification is past its deadline"))
    late_rects = open_rects.filter(due_on__lt=today - datetime.timedelta(days=1), escalated_at__isnull=True)
    for pk, school_id in late_rects.values_list("pk", "school_id"):
        if Rectification.objects.filter(pk=pk, escalated_at__isnull=True).update(escalated_at=now):
            counts["escalated"] += 1
            for admin in _admins(school_id):
                _remind(admin, _("A rectification is past its deadline"))
    return counts


def _remind(user_id: int, subject: str) -> None:
    transaction.on_commit(lambda: _mail(user_id, subject))
