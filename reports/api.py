"""Reports in the JSON API: recognition (表彰), with the same actions, queries and access as the pages."""

import base64

from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from ninja import Router, Schema, Status

from schools.access import access_admin_school
from schools.queries import require_current_term

from . import actions, certificates, queries
from .access import access_commendation

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
