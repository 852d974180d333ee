"""Every write of reports: commending a teacher or a family at a term's end (表彰)."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext as _

from audit.actions import record
from audit.models import AuditEntry
from core.richtext import text_to_html
from notices.actions import TargetSpec, do_create_notice
from notices.models import Notice
from schools.models import StudentGuardian
from schools.roles import Roles

from . import queries
from .models import Commendation, RhythmRules

AUDIT_COMMENDED = AuditEntry.Action.COMMENDED


def do_commend(
    term,
    *,
    acting_user,
    roles: Roles,
    kind: str,
    person_id: int,
    award: str,
    citation: str,
    notify: bool = False,
    request=None,
) -> Commendation:
    """Commend one teacher or family of the term's engagement list, with the award's title and the
    citation; the evidence is kept as the admin saw it. With ``notify``, a notice tells the family
    (its children's guardians) or, for a teacher, the school's staff. All or nothing."""
    if not roles.is_admin_of(term.school_id):
        raise ValidationError(_("Only the school's admins commend."))
    if kind not in Commendation.Kind.values:
        raise ValidationError(_("Choose a teacher or a family."))
    award = (award or "").strip()
    citation = (citation or "").strip()
    if not award or len(award) > 40 or "\n" in award:
        raise ValidationError(_("Give the award a title of at most 40 characters, e.g. 优秀志愿者家长."))
    if not citation or len(citation) > 1000:
        raise ValidationError(_("Write the citation, at most 1000 characters."))
    person = queries.person_engagement(term, kind, person_id)
    if person is None:
        raise ValidationError(_("Choose someone from this term's list."))
    evidence = [{"label": e.label, "count": e.count, "items": e.items[:20]} for e in person.evidence_list]
    try:
        with transaction.atomic():
            commendation = Commendation.objects.create(
                school_id=term.school_id,
                term=term,
                kind=kind,
                user_id=person_id if kind == Commendation.Kind.TEACHER else None,
                guardian_id=person_id if kind == Commendation.Kind.FAMILY else None,
                name=person.name,
                award=award,
                citation=citation,
                evidence=evidence,
                created_by=acting_user,
            )
            if notify:
                commendation.notice = _notify(commendation, acting_user=acting_user, roles=roles, request=request)
                commendation.save(update_fields=["notice"])
            record(
                AUDIT_COMMENDED,
                actor=acting_user,
                school=commendation.school,
                target=commendation,
                summary=f"{commendation.name} · {award}"[:200],
                request=request,
            )
    except IntegrityError:
        raise ValidationError(_("%(name)s has already been commended this term.") % {"name": person.name}) from None
    return commendation


def _notify(commendation: Commendation, *, acting_user, roles: Roles, request=None) -> Notice:
    if commendation.kind == Commendation.Kind.FAMILY:
        children = StudentGuardian.objects.filter(
            guardian_id=commendation.guardian_id or 0, student__status="active"
        ).values_list("student_id", flat=True)
        targets = [TargetSpec("student", student_id=s) for s in children]
    else:
        targets = [TargetSpec("staff")]
    link = reverse("reports:certificate", args=[commendation.pk])
    certificate = escape(_("The certificate (PDF)"))
    body = (
        f"<p><strong>{escape(commendation.name)}</strong> · {escape(commendation.award)}</p>"
        + text_to_html(commendation.citation)
        + f'<p><a href="{link}">{certificate}</a></p>'
    )
    return do_create_notice(
        commendation.school,
        acting_user=acting_user,
        roles=roles,
        title=_("Commended: %(name)s, %(award)s") % {"name": commendation.name, "award": commendation.award},
        body_html=body,
        targets=targets,
        request=request,
    )


def record_certificate_export(commendation: Commendation, *, acting_user, request=None) -> None:
    record(
        AuditEntry.Action.EXPORT,
        actor=acting_user,
        school=commendation.school,
        target=commendation,
        summary="certificate PDF",
        detail={"format": "pdf"},
        request=request,
    )


RHYTHM_FIELDS = (
    "updates_per_week",
    "themed_per_month",
    "meetings_per_term",
    "parent_school_per_term",
    "trainings_per_term",
    "coverage_percent",
    "follow_up_percent",
    "evaluation_percent",
)
RHYTHM_LIMITS = {"updates_per_week": 7, "themed_per_month": 10, "coverage_percent": 100}


def do_save_rhythm_rules(school, values: dict, *, acting_user, request=None) -> RhythmRules:
    """The school's class-rhythm rules (admins): every field a whole number within its range, or a
    message per field and nothing written."""
    errors: dict[str, str] = {}
    cleaned: dict[str, int] = {}
    for name in RHYTHM_FIELDS:
        raw = values.get(name)
        try:
            number = int(str(raw).strip())
        except (TypeError, ValueError):
            errors[name] = _("Enter a whole number.")
            continue
        limit = 100 if name.endswith("_percent") else RHYTHM_LIMITS.get(name, 20)
        if not 0 <= number <= limit:
            errors[name] = _("Enter a number from 0 to %(max)d.") % {"max": limit}
            continue
        cleaned[name] = number
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        rules, _created = RhythmRules.objects.select_for_update().get_or_create(school=school)
        before = {name: getattr(rules, name) for name in RHYTHM_FIELDS}
        for name, number in cleaned.items():
            setattr(rules, name, number)
        rules.updated_at = timezone.now()
        rules.save()
        record(
            AuditEntry.Action.RHYTHM_RULES,
            actor=acting_user,
            school=school,
            target=rules,
            detail={"before": before, "after": cleaned},
            request=request,
        )
    return rules
