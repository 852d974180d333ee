"""The district admin's API (教育局 / 集团校): the same figures and notices as the pages
(``home.views_district``), counts only; every operation starts from ``access_district``."""

from datetime import datetime

from django.core.exceptions import ValidationError
from ninja import Field, Router, Schema, Status

from notices import district as district_notices
from notices.access import access_district_notice
from notices.api import ErrorOut, RemindedOut, _error
from notices.models import DistrictNotice
from schools.access import access_district
from schools.district import district_schools, districts_of

from . import district as figures_of
from .district import Figures

router = Router(tags=["district"])


class DistrictOut(Schema):
    id: int
    name: str
    kind: str


class FiguresOut(Schema):
    school_id: int | None = Field(None, description="None for the district's total")
    school: str
    has_term: bool
    students: int
    families: int
    activated: int
    activation_rate: int
    notices: int
    asked: int
    acted: int
    confirmation_rate: int
    contacts: int
    events: int
    surveyed: int
    answered: int
    survey_response_rate: int


class OverviewOut(Schema):
    district: DistrictOut
    schools: list[FiguresOut]
    total: FiguresOut


class DistrictNoticeOut(Schema):
    id: int
    title: str
    action: str
    audience: str
    created_at: datetime
    schools: int
    total: int
    families: int
    read: int
    acted: int


class SchoolReceiptsOut(Schema):
    school_id: int
    school: str
    sent: bool
    recalled: bool
    total: int
    families: int
    read: int
    acted: int


class DistrictNoticeDetailOut(Schema):
    id: int
    title: str
    body_html: str
    action: str
    audience: str
    created_at: datetime
    total: int
    read: int
    acted: int
    schools: list[SchoolReceiptsOut]


class DistrictNoticeIn(Schema):
    title: str = Field(..., max_length=120)
    body_html: str = Field("", max_length=200_000)
    action: str = Field("confirm", description="none, read or confirm")
    audience: str = Field("families", description="families, staff or both")
    deadline: datetime | None = None
    guardrail_reason: str = Field("", max_length=500)
    idempotency_key: str = Field("", max_length=64)


class DistrictCreatedOut(Schema):
    id: int
    schools: int


def _figures(f: Figures) -> dict:
    return {
        "school_id": f.school.pk if f.school else None,
        "school": f.school.name if f.school else "",
        "has_term": f.has_term,
        **f.counts,
        "activation_rate": f.activation_rate,
        "confirmation_rate": f.confirmation_rate,
        "survey_response_rate": f.survey_response_rate,
    }


@router.get("/district", response=list[DistrictOut])
def my_districts(request):
    """The districts the user administers (empty for everyone else)."""
    return [{"id": d.pk, "name": d.name, "kind": d.kind} for d in districts_of(request.user)]


@router.get("/district/{district_id}/overview", response=OverviewOut)
def district_overview(request, district_id: int):
    """Each school's figures this term and the district's total: counts and rates, never a name."""
    district = access_district(request, district_id)
    rows, total = figures_of.district_overview(district)
    return {
        "district": {"id": district.pk, "name": district.name, "kind": district.kind},
        "schools": [_figures(f) for f in rows],
        "total": _figures(total),
    }


@router.get("/district/{district_id}/notices", response=list[DistrictNoticeOut])
def district_notice_list(request, district_id: int):
    district = access_district(request, district_id)
    return [
        {
            "id": n.pk,
            "title": n.title,
            "action": n.action,
            "audience": n.audience,
            "created_at": n.created_at,
            **{k: getattr(n, k) for k in ("schools", "total", "families", "read", "acted")},
        }
        for n in district_notices.district_notices(district)
    ]


@router.post("/district/{district_id}/notices", response={201: DistrictCreatedOut, 400: ErrorOut})
def district_notice_create(request, district_id: int, payload: DistrictNoticeIn):
    """Compose once, publish in every school of the district. A guardrail warning answers 400 with
    ``concerns``; send again with a ``guardrail_reason`` to go ahead (logged in each school)."""
    district = access_district(request, district_id)
    try:
        sent: DistrictNotice = district_notices.do_send_district_notice(
            district,
            acting_user=request.user,
            title=payload.title,
            body_html=payload.body_html,
            action=payload.action,
            audience=payload.audience,
            deadline=payload.deadline,
            guardrail_reason=payload.guardrail_reason,
            idempotency_key=payload.idempotency_key,
            request=request,
        )
    except ValidationError as exc:
        return Status(400, _error(exc))
    return Status(201, {"id": sent.pk, "schools": len(district_schools(district))})


@router.get("/district/{district_id}/notices/{notice_id}", response=DistrictNoticeDetailOut)
def district_notice_detail(request, district_id: int, notice_id: int):
    district, sent = access_district_notice(request, district_id, notice_id)
    rows, total = district_notices.district_notice_by_school(sent, district_schools(district))
    return {
        "id": sent.pk,
        "title": sent.title,
        "body_html": sent.body_html,
        "action": sent.action,
        "audience": sent.audience,
        "created_at": sent.created_at,
        "total": total["total"],
        "read": total["read"],
        "acted": total["acted"],
        "schools": [
            {"school_id": r["school"].pk, "school": r["school"].name, **{k: v for k, v in r.items() if k != "school"}}
            for r in rows
        ],
    }


@router.post("/district/{district_id}/notices/{notice_id}/remind", response={200: RemindedOut, 400: ErrorOut})
def district_notice_remind(request, district_id: int, notice_id: int):
    _district, sent = access_district_notice(request, district_id, notice_id)
    try:
        count = district_notices.do_remind_district_notice(sent, acting_user=request.user)
    except ValidationError as exc:
        return Status(400, _error(exc))
    return Status(200, {"reminded": count})
