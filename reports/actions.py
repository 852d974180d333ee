"""Every write of reports: commending a teacher or a family at a term's end (表彰); drafting, editing
and issuing the yearly summary."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext as _

from audit.actions import record
from audit.models import AuditEntry
from core.concurrency import check_version
from core.richtext import text_to_html
from notices.actions import TargetSpec, do_create_notice
from notices.models import Notice
from schools.models import StudentGuardian
from schools.roles import Roles

from . import queries
from .models import Commendation, RhythmRules, YearlySummary

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


# --- the yearly summary and the archive ----------------------------------------------------------

YEARS = range(2000, 2100)


def do_draft_summary(school, year: int, *, acting_user, request=None) -> YearlySummary:
    """Draft (or redraft, while it is a draft) the year's summary from the records. A year without a
    term or without a single record is refused with a message, and nothing is written."""
    from . import summary as summaries

    if year not in YEARS:
        raise ValidationError(_("Give the school year as the year it starts in, e.g. 2026 for 2026—2027."))
    sections = summaries.gather(school, year)
    if sections is None:
        raise ValidationError(
            _("The school has no term in %(year)s—%(next)s: there is nothing to summarise.")
            % {"year": year, "next": year + 1}
        )
    if not summaries.has_records(sections):
        raise ValidationError(
            _(
                "There are no records in %(year)s—%(next)s yet (plan tasks, contacts, meetings, notices, "
                "evaluations): nothing to summarise."
            )
            % {"year": year, "next": year + 1}
        )
    data = [s.as_dict() for s in sections]
    with transaction.atomic():
        summary = YearlySummary.objects.select_for_update().filter(school=school, year=year).first()
        if summary is not None and summary.is_issued:
            raise ValidationError(_("The summary of this year has been issued; it is kept as it was issued."))
        if summary is None:
            try:
                with transaction.atomic():
                    summary = YearlySummary.objects.create(
                        school=school, year=year, sections=data, created_by=acting_user
                    )
            except IntegrityError:  # drafted at the same moment by another admin: theirs stands
                summary = YearlySummary.objects.get(school=school, year=year)
        else:
            summary.sections = data
            summary.version += 1
            summary.updated_by = acting_user
            summary.updated_at = timezone.now()
            summary.save(update_fields=["sections", "version", "updated_by", "updated_at"])
        record(
            AuditEntry.Action.SUMMARY_DRAFTED,
            actor=acting_user,
            school=school,
            target=summary,
            summary=summary.year_label,
            request=request,
        )
    return summary


def do_edit_summary_section(
    summary: YearlySummary, key: str, *, text: str, version: int | None, acting_user, request=None
) -> YearlySummary:
    """The admin's words for one section. Versioned: the second of two admins who opened the same
    version is told, and nothing is written."""
    text = (text or "").strip()
    if len(text) > 5000:
        raise ValidationError(_("A section's text may be at most 5000 characters."))
    with transaction.atomic():
        current = YearlySummary.objects.select_for_update(of=("self",)).select_related("updated_by").get(pk=summary.pk)
        if current.is_issued:
            raise ValidationError(_("The summary of this year has been issued; it is kept as it was issued."))
        index = next((i for i, s in enumerate(current.sections) if s.get("key") == key), None)
        if index is None:
            raise ValidationError(_("There is no such section in this summary."))
        check_version(
            version,
            current.version,
            before={},
            after={"text": current.sections[index].get("text")},
            labels={"text": current.sections[index].get("title", key)},
            by=current.updated_by.name if current.updated_by else "",
            at=current.updated_at,
        )
        current.sections[index]["text"] = text
        current.version += 1
        current.updated_by = acting_user
        current.updated_at = timezone.now()
        current.save(update_fields=["sections", "version", "updated_by", "updated_at"])
        record(
            AuditEntry.Action.SUMMARY_EDITED,
            actor=acting_user,
            school=current.school,
            target=current,
            summary=f"{current.year_label} · {current.sections[index].get('title', key)}",
            request=request,
        )
    return current


def do_issue_summary(summary: YearlySummary, *, acting_user, request=None) -> YearlySummary:
    """Issue the final version: the .docx and the PDF are made first (a missing PDF renderer is a
    message, nothing written), then kept with the summary in one transaction."""
    from django.core.files.base import ContentFile

    from . import summary as summaries

    if summary.is_issued:
        raise ValidationError(_("The summary of this year has been issued; it is kept as it was issued."))
    if not any((s.get("text") or "").strip() for s in summary.sections):
        raise ValidationError(_("The summary is empty: write at least one section before issuing it."))
    today = timezone.localdate()
    docx = summaries.docx_bytes(summary.school, summary.year, summary.sections, issued=today)
    try:
        pdf = summaries.pdf_bytes(summary.school, summary.year, summary.sections, issued=today)
    except summaries.PdfUnavailable:
        raise ValidationError(_("PDF export is not available on this server. Nothing was issued.")) from None
    stored: list = []
    try:
        with transaction.atomic():
            current = YearlySummary.objects.select_for_update().get(pk=summary.pk)
            if current.is_issued:
                raise ValidationError(_("The summary of this year has been issued; it is kept as it was issued."))
            name = f"summary-{current.school.code}-{current.year}"
            current.docx_file.save(f"{name}.docx", ContentFile(docx), save=False)
            stored.append(current.docx_file)
            current.pdf_file.save(f"{name}.pdf", ContentFile(pdf), save=False)
            stored.append(current.pdf_file)
            current.status = YearlySummary.Status.ISSUED
            current.issued_at = timezone.now()
            current.issued_by = acting_user
            current.save(update_fields=["docx_file", "pdf_file", "status", "issued_at", "issued_by"])
            record(
                AuditEntry.Action.SUMMARY_ISSUED,
                actor=acting_user,
                school=current.school,
                target=current,
                summary=current.year_label,
                request=request,
            )
    except Exception:
        for field_file in stored:  # nothing half-written: no file left behind without its summary
            field_file.delete(save=False)
        raise
    return current


def record_archive_export(school, label: str, *, acting_user, request=None) -> None:
    record(AuditEntry.Action.ARCHIVE_EXPORTED, actor=acting_user, school=school, summary=label, request=request)


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
