"""Surveys in the JSON API: the same actions, queries and access functions as the pages."""

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from notices.audience import TargetSpec
from schools.access import access_class, access_staff_school

from . import actions, queries
from .access import access_survey_to_answer, access_survey_to_manage, form_students
from .models import Participation, Response, Survey

router = Router(tags=["surveys"])


class ErrorOut(Schema):
    detail: str
    errors: dict[str, list[str]] = {}


class QuestionIn(Schema):
    kind: str
    text: str
    options: list[str] = []
    required: bool = True
    section: str = ""
    help_text: str = ""


class SurveyIn(Schema):
    title: str
    description: str = ""
    kind: str = "survey"
    anonymous: bool = True
    questions: list[QuestionIn] = []
    idempotency_key: str = ""


class SurveyTargetIn(Schema):
    kind: str
    grade: int | None = None
    class_id: int | None = None


class SurveySendIn(Schema):
    targets: list[SurveyTargetIn]
    opens_at: datetime | None = None
    closes_at: datetime | None = None
    guardrail_reason: str = ""


class QuestionOut(Schema):
    id: int
    kind: str
    text: str
    help_text: str
    section: str
    required: bool
    options: list[str]


class FormChildOut(Schema):
    student_id: int
    name: str
    filled_in: bool


class SurveyOut(Schema):
    id: int
    title: str
    description: str
    kind: str
    anonymous: bool
    status: str
    opens_at: datetime | None
    closes_at: datetime | None
    is_open: bool
    privacy: str
    questions: list[QuestionOut]
    answered: bool
    form_children: list["FormChildOut"] = []


class SurveyItem(Schema):
    id: int
    title: str
    kind: str
    anonymous: bool
    status: str
    audience: str
    answered: int
    audience_size: int
    closes_at: datetime | None


class AnswerIn(Schema):
    answers: dict[str, Any]
    student_id: int | None = None


class CreatedOut(Schema):
    id: int
    status: str


class SentOut(Schema):
    id: int
    status: str
    notice_id: int | None


class OkOut(Schema):
    ok: bool


class RemindedOut(Schema):
    reminded: int


class OptionResult(Schema):
    label: str
    count: int
    pct: int


class ClassMean(Schema):
    class_name: str = Field(alias="class")
    mean: float


class GradeMean(Schema):
    grade: int
    mean: float


class PartResult(Schema):
    row: int | None
    label: str
    mean: float | None
    nps: int | None
    options: list[OptionResult]
    by_class: list[ClassMean]
    by_grade: list[GradeMean]


class QuestionResult(QuestionOut):
    parts: list[PartResult]
    texts: list[str]


class FormRowOut(Schema):
    student: str
    class_name: str = Field(alias="class")
    filled_in: bool
    cells: list[str]


class SurveyResultsOut(Schema):
    audience: int
    answered: int
    answered_pct: int
    responses: int
    hidden: bool
    min_group: int
    held_back_classes: int
    questions: list[QuestionResult]
    rows: list[FormRowOut] | None = None  # collection forms only: one row per child


class TrendQuestion(Schema):
    label: str
    group: str
    means: list[float | None]


class TrendOut(Schema):
    months: list[str]
    response_rate: list[int | None]
    answered: list[int]
    questions: list[TrendQuestion]


def _error(exc: ValidationError) -> dict:
    errors = exc.message_dict if hasattr(exc, "error_dict") else {}
    detail = _("Some answers need another look.") if errors else " ".join(exc.messages)
    return {"detail": detail, "errors": errors}


def _question_out(q) -> dict:
    return {
        "id": q.pk,
        "kind": q.kind,
        "text": q.text,
        "help_text": q.help_text,
        "section": q.section,
        "required": q.required,
        "options": q.options,
    }


@router.get("/surveys", response=list[SurveyItem])
def survey_list(request):
    """The surveys the staff member sent (school admins: the school's)."""
    school = access_staff_school(request)
    return [
        {
            "id": s.pk,
            "title": s.title,
            "kind": s.kind,
            "anonymous": s.anonymous,
            "status": s.status,
            "audience": s.audience_label,
            "answered": s.n_rows if s.kind == Survey.Kind.FORM else s.n_participations,
            "audience_size": s.n_audience,
            "closes_at": s.closes_at,
        }
        for s in queries.staff_surveys(request, school)
    ]


@router.post("/surveys", response={201: CreatedOut, 400: ErrorOut})
def survey_create(request, payload: SurveyIn):
    """A draft with its questions, all or nothing."""
    school = access_staff_school(request)
    try:
        survey = actions.do_create_survey(
            school,
            acting_user=request.user,
            roles=request.roles,
            title=payload.title,
            description=payload.description,
            kind=payload.kind,
            anonymous=payload.anonymous,
            questions=[q.dict() for q in payload.questions],
            idempotency_key=payload.idempotency_key,
        )
    except ValidationError as exc:
        return Status(400, _error(exc))
    return Status(201, {"id": survey.pk, "status": survey.status})


@router.post("/surveys/{survey_id}/send", response={200: SentOut, 400: ErrorOut})
def survey_send(request, survey_id: int, payload: SurveySendIn):
    survey = access_survey_to_manage(request, survey_id)
    try:
        actions.do_send_survey(
            survey,
            acting_user=request.user,
            roles=request.roles,
            targets=[TargetSpec(t.kind, t.grade, t.class_id) for t in payload.targets],
            opens_at=payload.opens_at,
            closes_at=payload.closes_at,
            guardrail_reason=payload.guardrail_reason,
            request=request,
        )
    except ValidationError as exc:
        return Status(400, _error(exc))
    return {"id": survey.pk, "status": survey.status, "notice_id": survey.notice_id}


@router.get("/surveys/{survey_id}", response=SurveyOut)
def survey_detail(request, survey_id: int):
    """The survey as its recipient sees it: the questions, what is kept, whether they answered."""
    survey, receipt = access_survey_to_answer(request, survey_id)
    children = []
    if survey.is_form:
        filled = set(Response.objects.filter(survey=survey).values_list("student_id", flat=True))
        children = [
            {"student_id": sr.student_id, "name": sr.student.name, "filled_in": sr.student_id in filled}
            for sr in form_students(survey, receipt)
        ]
    return {
        "id": survey.pk,
        "title": survey.title,
        "description": survey.description,
        "kind": survey.kind,
        "anonymous": survey.anonymous,
        "status": survey.status,
        "opens_at": survey.opens_at,
        "closes_at": survey.closes_at,
        "is_open": survey.is_open,
        "privacy": actions.privacy_statement(survey),
        "questions": [_question_out(q) for q in survey.questions.all()],
        "answered": Participation.objects.filter(survey=survey, receipt=receipt).exists(),
        "form_children": children,
    }


@router.post("/surveys/{survey_id}/answer", response={201: OkOut, 400: ErrorOut})
def survey_answer(request, survey_id: int, payload: AnswerIn):
    """Answers by question id: an option index, a list of them, a number, a list of row ratings
    (matrix) or a text/date. A collection form names the child (``student_id``)."""
    survey, receipt = access_survey_to_answer(request, survey_id)
    try:
        if survey.is_form:
            student = next(
                (sr.student for sr in form_students(survey, receipt) if sr.student_id == payload.student_id), None
            )
            if student is None:
                raise Http404
            actions.do_fill_form_row(survey, receipt, student, payload.answers, acting_user=request.user)
        else:
            actions.do_answer(survey, receipt, payload.answers, acting_user=request.user)
    except ValidationError as exc:
        return Status(400, _error(exc))
    return Status(201, {"ok": True})


def _jsonable(results: dict) -> dict:
    return {
        "audience": results["audience"],
        "answered": results["answered"],
        "answered_pct": results["answered_pct"],
        "responses": results["responses"],
        "hidden": results["hidden"],
        "min_group": results["min_group"],
        "held_back_classes": results["held_back_classes"],
        "questions": [
            {
                **_question_out(item["question"]),
                "parts": [
                    {
                        "row": part["row"],
                        "label": part["label"],
                        "mean": part.get("mean"),
                        "nps": part.get("nps"),
                        "options": [{"label": lbl, "count": n, "pct": pct} for lbl, n, pct in part["options"]],
                        "by_class": [{"class": c, "mean": m} for c, m in part.get("by_class", [])],
                        "by_grade": [{"grade": g, "mean": m} for g, m in part.get("by_grade", [])],
                    }
                    for part in item["parts"]
                ],
                "texts": item["texts"],
            }
            for item in results["questions"]
        ],
    }


# ``class`` is a keyword in Python: the schemas name it by alias; ``rows`` is left out unless set.
@router.get("/surveys/{survey_id}/results", response=SurveyResultsOut, by_alias=True, exclude_unset=True)
def survey_results(request, survey_id: int):
    survey = access_survey_to_manage(request, survey_id)
    out = _jsonable(queries.survey_results(survey))
    if survey.is_form and survey.notice_id:
        table = queries.form_table(survey)
        out["rows"] = [
            {
                "student": row["student"].name,
                "class": row["student"].school_class.name if row["student"].school_class else "",
                "filled_in": row["response"] is not None,
                "cells": [c["text"] for c in row["cells"]],
            }
            for row in table["rows"]
        ]
    return out


@router.post("/surveys/{survey_id}/remind", response={200: RemindedOut, 400: ErrorOut})
def survey_remind(request, survey_id: int):
    survey = access_survey_to_manage(request, survey_id)
    try:
        count = actions.do_remind_survey(survey, acting_user=request.user)
    except ValidationError as exc:
        return Status(400, _error(exc))
    return {"reminded": count}


@router.get("/evaluations/{series}", response=TrendOut)
def evaluation_trend(request, series: str, class_id: int | None = None):
    """The monthly evaluation month by month, for the school (admins) or one of the head teacher's classes."""
    school = access_staff_school(request)
    roles = request.roles
    is_admin = roles.is_admin_of(school.pk)
    if series not in (Survey.Series.EVAL_PARENTS, Survey.Series.EVAL_TEACHERS):
        raise Http404
    if series == Survey.Series.EVAL_TEACHERS and not is_admin:
        raise Http404
    if class_id is None and not is_admin:
        raise Http404
    if class_id is not None and access_class(request, class_id, manage=True).school_id != school.pk:
        raise Http404  # a class of another school the user also manages: not this school's trend
    trend = queries.evaluation_trend(school, series, class_id)
    return {
        "months": [m.isoformat() for m in trend["months"]],
        "response_rate": [rate for _m, rate in trend["rate"]],
        "answered": [n for _m, n in trend["answered"]],
        "questions": [
            {"label": row["label"], "group": row["group"], "means": [v for _m, v in row["values"]]}
            for row in trend["rows"]
        ],
    }
