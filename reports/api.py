"""Reports in the JSON API: recognition (表彰), the yearly summary and the archive, with the same actions,
queries and access as the pages."""

import base64

from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from ninja import Router, Schema, Status

from core.concurrency import EditConflict
from schools.access import access_admin_school, access_class, access_class_to_administer, access_staff_school
from schools.queries import require_current_term

from . import actions, archive, certificates, queries, rhythm, views_summary, workload
from . import summary as summaries
from .access import access_archive_term, access_class_dashboard, access_commendation, access_summary
from .models import YearlySummary

router = Router(tags=["reports"])


class ReportsErrorOut(Schema):
    detail: str


class EvidenceOut(Schema):
    key: str
    label: str
    count: float
    items: list[str]


class PersonOut(Schema):
    kind: str
    id: int
    name: str
    detail: str
    score: float
    evidence: list[EvidenceOut]


class EngagementOut(Schema):
    term: str
    teachers: list[PersonOut]
    families: list[PersonOut]


class CommendIn(Schema):
    kind: str  # "teacher" (id: a user id) or "family" (id: a guardian id)
    person_id: int
    award: str
    citation: str
    notify: bool = False


class CommendationOut(Schema):
    id: int
    kind: str
    name: str
    award: str
    citation: str
    notice_id: int | None
    certificate: str


def _person(p) -> dict:
    return {
        "kind": p.kind,
        "id": p.id,
        "name": p.name,
        "detail": p.detail,
        "score": p.score,
        "evidence": [{"key": e.key, "label": e.label, "count": e.count, "items": e.items} for e in p.evidence_list],
    }


def _commendation(c) -> dict:
    return {
        "id": c.pk,
        "kind": c.kind,
        "name": c.name,
        "award": c.award,
        "citation": c.citation,
        "notice_id": c.notice_id,
        "certificate": reverse("reports:certificate", args=[c.pk]),
    }


@router.get("/reports/engagement", response={200: EngagementOut, 400: ReportsErrorOut})
def engagement(request):
    """The current term's most engaged teachers and families, each with its evidence (admins)."""
    school = access_admin_school(request)
    try:
        term = require_current_term(school)
    except ValidationError as exc:
        return Status(400, {"detail": " ".join(exc.messages)})
    people = queries.engagement(term)
    return {
        "term": term.name,
        "teachers": [_person(p) for p in people[queries.TEACHER]],
        "families": [_person(p) for p in people[queries.FAMILY]],
    }


@router.get("/reports/commendations", response=list[CommendationOut])
def commendation_list(request):
    school = access_admin_school(request)
    term = require_current_term(school)
    return [_commendation(c) for c in queries.commendations(term)]


@router.post("/reports/commendations", response={201: CommendationOut, 400: ReportsErrorOut})
def commendation_create(request, payload: CommendIn):
    """Commend a teacher or a family of the engagement list; optionally tell them with a notice."""
    school = access_admin_school(request)
    try:
        commendation = actions.do_commend(
            require_current_term(school),
            acting_user=request.user,
            roles=request.roles,
            kind=payload.kind,
            person_id=payload.person_id,
            award=payload.award,
            citation=payload.citation,
            notify=payload.notify,
            request=request,
        )
    except ValidationError as exc:
        return Status(400, {"detail": " ".join(exc.messages)})
    return Status(201, _commendation(commendation))


class CertificateOut(Schema):
    filename: str
    mime: str
    content_base64: str  # the PDF


@router.get(
    "/reports/commendations/{commendation_id}/certificate", response={200: CertificateOut, 503: ReportsErrorOut}
)
def commendation_certificate(request, commendation_id: int):
    """The certificate as a PDF (base64 in JSON, as every answer of the API is JSON): the school's
    admins, and the teacher or family it commends. The page serves the same file directly."""
    commendation = access_commendation(request, commendation_id)
    try:
        data = certificates.certificate_pdf(commendation, day=timezone.localdate())
    except certificates.PdfUnavailable:
        return Status(503, {"detail": "PDF export is unavailable on this server."})
    actions.record_certificate_export(commendation, acting_user=request.user, request=request)
    return {
        "filename": f"{commendation.name}{commendation.award}荣誉证书.pdf",
        "mime": "application/pdf",
        "content_base64": base64.b64encode(data).decode(),
    }


# --- the yearly summary and the archive (same actions and access as the pages) --------------------


class FigureOut(Schema):
    label: str
    value: str
    source: str


class TableOut(Schema):
    header: list[str]
    rows: list[list[str | int | float]]
    # The plan's section has a second table, per class.
    classes_header: list[str] | None = None
    classes: list[list[str | int | float]] | None = None


class SummarySectionOut(Schema):
    key: str
    title: str
    text: str
    figures: list[FigureOut]
    table: TableOut | None


class SummaryOut(Schema):
    id: int
    year: int
    label: str
    status: str
    version: int
    issued_at: str | None
    sections: list[SummarySectionOut]


class SummaryItemOut(Schema):
    id: int
    year: int
    label: str
    status: str


class SummaryDraftIn(Schema):
    year: int


class SummarySectionIn(Schema):
    text: str
    version: int | None = None


class ReportFileOut(Schema):
    filename: str
    mime: str
    content_base64: str


def _summary(s: YearlySummary) -> dict:
    return {
        "id": s.pk,
        "year": s.year,
        "label": s.year_label,
        "status": s.status,
        "version": s.version,
        "issued_at": s.issued_at.isoformat() if s.issued_at else None,
        "sections": [
            {
                "key": x.get("key", ""),
                "title": x.get("title", ""),
                "text": x.get("text", ""),
                "figures": x.get("figures", []),
                "table": x.get("table"),
            }
            for x in s.sections
        ],
    }


def _file(filename: str, mime: str, data: bytes) -> dict:
    return {"filename": filename, "mime": mime, "content_base64": base64.b64encode(data).decode()}


@router.get("/reports/summaries", response=list[SummaryItemOut])
def summary_list(request):
    school = access_admin_school(request)
    return [
        {"id": s.pk, "year": s.year, "label": s.year_label, "status": s.status}
        for s in YearlySummary.objects.filter(school=school).order_by("-year")
    ]


@router.post("/reports/summaries", response={201: SummaryOut, 400: ReportsErrorOut})
def summary_draft(request, payload: SummaryDraftIn):
    """Draft (or redraft) the school year's summary from its records (``year``: 2026 for 2026—2027)."""
    school = access_admin_school(request)
    try:
        summary = actions.do_draft_summary(school, payload.year, acting_user=request.user, request=request)
    except ValidationError as exc:
        return Status(400, {"detail": " ".join(exc.messages)})
    return Status(201, _summary(summary))


@router.get("/reports/summaries/{summary_id}", response=SummaryOut)
def summary_detail(request, summary_id: int):
    return _summary(access_summary(request, summary_id))


@router.post(
    "/reports/summaries/{summary_id}/sections/{key}",
    response={200: SummaryOut, 400: ReportsErrorOut, 409: ReportsErrorOut},
)
def summary_section_edit(request, summary_id: int, key: str, payload: SummarySectionIn):
    summary = access_summary(request, summary_id)
    try:
        summary = actions.do_edit_summary_section(
            summary, key, text=payload.text, version=payload.version, acting_user=request.user, request=request
        )
    except EditConflict as exc:
        return Status(409, {"detail": " ".join(exc.messages)})
    except ValidationError as exc:
        return Status(400, {"detail": " ".join(exc.messages)})
    return _summary(summary)


@router.post("/reports/summaries/{summary_id}/issue", response={200: SummaryOut, 400: ReportsErrorOut})
def summary_issue(request, summary_id: int):
    summary = access_summary(request, summary_id)
    try:
        summary = actions.do_issue_summary(summary, acting_user=request.user, request=request)
    except ValidationError as exc:
        return Status(400, {"detail": " ".join(exc.messages)})
    return _summary(summary)


@router.get(
    "/reports/summaries/{summary_id}/documents/{kind}",
    response={200: ReportFileOut, 404: ReportsErrorOut, 503: ReportsErrorOut},
)
def summary_document(request, summary_id: int, kind: str):
    """The summary as .docx or PDF (base64 in JSON): the issued files as kept, or the draft."""
    summary = access_summary(request, summary_id)
    if kind not in ("docx", "pdf"):
        return Status(404, {"detail": "Not Found"})
    title = summaries.document_title(summary.school, summary.year)
    mime = views_summary.DOCX_MIME if kind == "docx" else "application/pdf"
    if summary.is_issued:
        field = summary.docx_file if kind == "docx" else summary.pdf_file
        with field.open("rb") as fh:
            return _file(f"{title}.{kind}", mime, fh.read())
    if kind == "pdf":
        try:
            return _file(
                f"{title}（草稿）.pdf", mime, summaries.pdf_bytes(summary.school, summary.year, summary.sections)
            )
        except summaries.PdfUnavailable:
            return Status(503, {"detail": "PDF export is unavailable on this server."})
    return _file(f"{title}（草稿）.docx", mime, summaries.docx_bytes(summary.school, summary.year, summary.sections))


@router.get("/reports/archive/classes/{class_id}", response=ReportFileOut)
def archive_class(request, class_id: int, term_id: int | None = None):
    """A class's archive of a term (its current term by default) as a zip: its head teacher, the
    school's admins."""
    school_class = access_class(request, class_id, manage=True)
    term = access_archive_term(request, school_class.school_id, term_id)
    found = archive.class_archive(school_class, term)
    data = archive.archive_zip(found)
    actions.record_archive_export(school_class.school, found.filename, acting_user=request.user, request=request)
    return _file(found.filename, "application/zip", data)


@router.get("/reports/archive/classes/{class_id}/grade", response={200: ReportFileOut, 404: ReportsErrorOut})
def archive_grade(request, class_id: int, term_id: int | None = None):
    """The archive of the whole grade a class is in, for a term, as a zip: the school's admins."""
    school_class = access_class_to_administer(request, class_id)
    term = access_archive_term(request, school_class.school_id, term_id)
    found = archive.grade_archive(school_class.school, school_class.grade, term)
    if found is None:
        return Status(404, {"detail": "Not Found"})
    data = archive.archive_zip(found)
    actions.record_archive_export(school_class.school, found.filename, acting_user=request.user, request=request)
    return _file(found.filename, "application/zip", data)


# -- the dashboards (issue 15) --------------------------------------------------------------------


class RuleFigureOut(Schema):
    rule: str
    label: str
    unit: str  # "count" or "percent"
    value: float | None
    due: float
    target: float
    state: str  # met, behind, missed, na
    detail: str
    source: str


class ClassRhythmOut(Schema):
    class_id: int
    class_name: str
    head_teacher: str
    students: int
    figures: list[RuleFigureOut]
    read_rate: float | None
    confirm_rate: float | None
    unanswered: int
    overdue: int


class RuleSummaryOut(Schema):
    rule: str
    label: str
    met: int
    behind: int
    missed: int
    na: int
    last_term_met: int | None
    last_term_classes: int | None


class MonthOut(Schema):
    month: str
    average: float
    answers: int


class DashboardOut(Schema):
    term: str
    classes: list[ClassRhythmOut]
    rules: list[RuleSummaryOut]
    satisfaction: list[MonthOut]


class TeacherContactsOut(Schema):
    user_id: int
    name: str
    families: int
    total: int
    by_kind: dict[str, int]


class WorkloadWeekOut(Schema):
    week: str
    after_hours: int
    waiting: int


class WorkloadOut(Schema):
    user_id: int
    name: str
    overdue: int
    many_overdue: bool
    weeks: list[WorkloadWeekOut]


class RhythmRulesIO(Schema):
    updates_per_week: int
    themed_per_month: int
    meetings_per_term: int
    parent_school_per_term: int
    trainings_per_term: int
    coverage_percent: int
    follow_up_percent: int
    evaluation_percent: int


def _class_rhythm(row: rhythm.ClassRhythm) -> dict:
    return {
        "class_id": row.school_class.pk,
        "class_name": row.school_class.name,
        "head_teacher": row.head_teacher,
        "students": row.students,
        "figures": [
            {
                "rule": f.rule.key,
                "label": str(f.rule.label),
                "unit": f.rule.unit,
                "value": f.value,
                "due": f.due,
                "target": f.target,
                "state": f.state,
                "detail": f.detail,
                "source": str(f.rule.source),
            }
            for f in row.figures
        ],
        "read_rate": row.read_rate,
        "confirm_rate": row.confirm_rate,
        "unanswered": row.unanswered,
        "overdue": row.overdue,
    }


def _dashboard(school, term, rows, last_rows, class_ids=None) -> dict:
    today = timezone.localdate()
    previous = rhythm.previous_term(term)
    months = rhythm.satisfaction(school, previous.start_date if previous else term.start_date, today, class_ids)
    return {
        "term": term.name,
        "classes": [_class_rhythm(r) for r in rows],
        "rules": [
            {
                "rule": s.rule.key,
                "label": str(s.rule.label),
                "met": s.met,
                "behind": s.behind,
                "missed": s.missed,
                "na": s.na,
                "last_term_met": s.last_term_met,
                "last_term_classes": s.last_term_classes,
            }
            for s in rhythm.summarise(rows, last_rows)
        ],
        "satisfaction": [{"month": m.month.isoformat(), "average": m.average, "answers": m.answers} for m in months],
    }


@router.get("/reports/dashboard", response={200: DashboardOut, 400: ReportsErrorOut})
def dashboard(request):
    """The school's dashboard (admins): every class's rhythm, each rule's states term over term, the
    parents' satisfaction per month."""
    school = access_admin_school(request)
    try:
        term = require_current_term(school)
    except ValidationError as exc:
        return Status(400, {"detail": " ".join(exc.messages)})
    today = timezone.localdate()
    rows = rhythm.class_rhythm(school, term, today=today)
    previous = rhythm.previous_term(term)
    last_rows = rhythm.class_rhythm(school, previous, today=today) if previous else None
    return _dashboard(school, term, rows, last_rows)


@router.get("/reports/dashboard/classes/{class_id}", response={200: DashboardOut, 400: ReportsErrorOut})
def dashboard_class(request, class_id: int):
    """One class's rhythm: its head teacher and the school's admins."""
    school_class = access_class_dashboard(request, class_id)
    school = school_class.school
    try:
        term = require_current_term(school)
    except ValidationError as exc:
        return Status(400, {"detail": " ".join(exc.messages)})
    rows = rhythm.class_rhythm(school, term, class_ids=[school_class.pk])
    return _dashboard(school, term, rows, None, class_ids=[school_class.pk])


@router.get("/reports/dashboard/teachers", response={200: list[TeacherContactsOut], 400: ReportsErrorOut})
def dashboard_teachers(request):
    """Per teacher, the families contacted this term by kind (admins: everyone; a teacher: their own)."""
    school = access_staff_school(request)
    try:
        term = require_current_term(school)
    except ValidationError as exc:
        return Status(400, {"detail": " ".join(exc.messages)})
    user_id = None if request.roles.is_admin_of(school.pk) else request.user.pk
    return [
        {"user_id": p.user_id, "name": p.name, "families": p.families, "total": p.total, "by_kind": p.by_kind}
        for p in workload.teacher_contacts(school, term, user_id=user_id)
    ]


@router.get("/reports/dashboard/workload", response={200: list[WorkloadOut], 400: ReportsErrorOut})
def dashboard_workload(request):
    """Workload signals per teacher and week (admins only), framed as support."""
    school = access_admin_school(request)
    try:
        term = require_current_term(school)
    except ValidationError as exc:
        return Status(400, {"detail": " ".join(exc.messages)})
    weeks, people = workload.workload(school, term)
    return [
        {
            "user_id": p.user_id,
            "name": p.name,
            "overdue": p.overdue,
            "many_overdue": p.many_overdue,
            "weeks": [
                {
                    "week": w.isoformat(),
                    "after_hours": p.weeks[w].get("after_hours", 0),
                    "waiting": p.weeks[w].get("waiting", 0),
                }
                for w in weeks
                if w in p.weeks
            ],
        }
        for p in people
    ]


def _rules_out(rules) -> dict:
    return {name: getattr(rules, name) for name in actions.RHYTHM_FIELDS}


@router.get("/reports/rhythm-rules", response=RhythmRulesIO)
def rhythm_rules(request):
    school = access_admin_school(request)
    return _rules_out(rhythm.rules_of(school))


@router.post("/reports/rhythm-rules", response={200: RhythmRulesIO, 400: ReportsErrorOut})
def rhythm_rules_save(request, payload: RhythmRulesIO):
    """Set the school's rhythm rules (admins); a number out of range is a 400, nothing written."""
    school = access_admin_school(request)
    try:
        rules = actions.do_save_rhythm_rules(school, payload.dict(), acting_user=request.user, request=request)
    except ValidationError as exc:
        return Status(400, {"detail": " ".join(exc.messages)})
    return _rules_out(rules)
