"""Reading surveys: results (counted by the database, a fixed number of queries whatever the number
of answers), the minimum-group rule, the collection form's table and the monthly evaluation's trend."""

from collections import defaultdict
from typing import TYPE_CHECKING, TypedDict

from django.db.models import Avg, Count, Q

from core.classnames import format_class_name
from notices.models import Receipt, StudentReceipt

if TYPE_CHECKING:  # a development dependency (django-stubs): for the type checker only
    from django_stubs_ext import WithAnnotations

from .models import MIN_GROUP, Answer, Participation, Question, Response, Survey

TEXTS_SHOWN = 200  # written answers listed per question on the page (the export: all of them)


def shown_groups(sizes: dict, parent_of: dict | None = None, minimum: int = MIN_GROUP) -> set:
    """Which groups' results may be shown: those with at least ``minimum`` answers, and then, within
    each parent group (a grade for classes), more are held back until what is held back is either
    nothing or at least ``minimum`` answers, so that nobody can subtract the shown groups from the
    parent's total and learn the result of a small group (complementary suppression)."""
    parent_of = parent_of or {}
    by_parent: dict = defaultdict(list)
    for key, n in sizes.items():
        by_parent[parent_of.get(key)].append((n, str(key), key))
    shown: set = set()
    for members in by_parent.values():
        members.sort()
        hidden = [m for m in members if m[0] < minimum]
        visible = [m for m in members if m[0] >= minimum]
        held_back = sum(m[0] for m in hidden)
        while visible and 0 < held_back < minimum:
            smallest = visible.pop(0)
            held_back += smallest[0]
        shown.update(m[2] for m in visible)
    return shown


def _pct(n: int, d: int) -> int:
    return round(100 * n / d) if d else 0


def survey_results(survey: Survey, *, texts_limit: int | None = TEXTS_SHOWN) -> dict:
    """Counts and percentages per question, means of ratings, per-class and per-grade means where a
    group is large enough, written answers without names. Eight queries at any size."""
    questions = list(survey.questions.all())
    audience = Receipt.objects.filter(notice_id=survey.notice_id or 0).count() if survey.notice_id else 0
    if survey.is_form:
        answered = Response.objects.filter(survey=survey).count()
        families = StudentReceipt.objects.filter(notice_id=survey.notice_id or 0).count() if survey.notice_id else 0
    else:
        answered = Participation.objects.filter(survey=survey).count()
        families = audience
    group_rows = list(
        Response.objects.filter(survey=survey)
        .values("school_class_id", "grade", "school_class__number")
        .annotate(n=Count("id"))
        .order_by()
    )
    total = sum(r["n"] for r in group_rows)
    hidden = survey.anonymous and total < MIN_GROUP
    counts: dict = defaultdict(int)
    for row in (
        Answer.objects.filter(survey=survey, number__isnull=False)
        .values("question_id", "row", "number")
        .annotate(n=Count("id"))
        .order_by()
    ):
        counts[(row["question_id"], row["row"], row["number"])] = row["n"]
    texts: dict = defaultdict(list)
    if not hidden:
        text_kinds = [*Question.TEXT_KINDS, Question.Kind.DATE] if not survey.anonymous else list(Question.TEXT_KINDS)
        # Anonymous answers come in the order of their random ids: never in the order they were sent.
        order = "id" if survey.anonymous else "response__submitted_at"
        for qid, text in (
            Answer.objects.filter(survey=survey, question__kind__in=text_kinds)
            .exclude(text="")
            .order_by("question_id", order)
            .values_list("question_id", "text")
        ):
            if texts_limit is None or len(texts[qid]) < texts_limit:
                texts[qid].append(text)
    # Means per class and per grade, shown only for groups large enough (and what subtraction cannot reveal).
    class_sizes = {r["school_class_id"]: r["n"] for r in group_rows if r["school_class_id"]}
    grade_sizes: dict = defaultdict(int)
    for r in group_rows:
        if r["grade"]:
            grade_sizes[r["grade"]] += r["n"]
    class_grade = {r["school_class_id"]: r["grade"] for r in group_rows if r["school_class_id"]}
    minimum = MIN_GROUP if survey.anonymous else 1
    shown_classes = shown_groups(class_sizes, class_grade, minimum) if not hidden else set()
    shown_grades = shown_groups(dict(grade_sizes), None, minimum) if not hidden else set()
    class_means: dict = defaultdict(dict)
    grade_means: dict = defaultdict(dict)
    for by_class in (
        Answer.objects.filter(survey=survey, question__kind__in=list(Question.SCALE))
        .values("question_id", "row", "response__school_class_id", "response__grade")
        .annotate(mean=Avg("number"))
        .order_by()
    ):
        if by_class["response__school_class_id"] in shown_classes:
            key = (by_class["question_id"], by_class["row"])
            class_means[key][by_class["response__school_class_id"]] = by_class["mean"]
    for by_grade in (
        Answer.objects.filter(survey=survey, question__kind__in=list(Question.SCALE))
        .values("question_id", "row", "response__grade")
        .annotate(mean=Avg("number"))
        .order_by()
    ):
        if by_grade["response__grade"] in shown_grades:
            grade_means[(by_grade["question_id"], by_grade["row"])][by_grade["response__grade"]] = by_grade["mean"]
    class_names = {
        r["school_class_id"]: format_class_name(r["grade"], r["school_class__number"])
        for r in group_rows
        if r["school_class_id"] and r["grade"]
    }
    out_questions = [] if hidden else [_question_result(q, counts, texts, total) for q in questions]
    for item in out_questions:
        for part in item["parts"]:
            key = (item["question"].pk, part["row"])
            part["by_class"] = sorted(
                ((class_names.get(c, ""), round(m, 2)) for c, m in class_means.get(key, {}).items()), key=lambda x: x[0]
            )
            part["by_grade"] = sorted((g, round(m, 2)) for g, m in grade_means.get(key, {}).items())
    return {
        "survey": survey,
        "audience": families,
        "answered": answered,
        "answered_pct": _pct(answered, families),
        "responses": total,
        "hidden": hidden,
        "min_group": MIN_GROUP,
        "held_back_classes": len(class_sizes) - len(shown_classes),
        "questions": out_questions,
    }


def _question_result(q: Question, counts: dict, texts: dict, total: int) -> dict:
    parts = []
    if q.kind in Question.CHOICE_KINDS:
        n_answered = total
        options = [(label, counts.get((q.pk, None, i), 0)) for i, label in enumerate(q.options)]
        parts.append({"row": None, "label": "", "options": [(label, n, _pct(n, n_answered)) for label, n in options]})
    elif q.kind in Question.SCALE:
        rows = list(enumerate(q.options)) if q.kind == Question.Kind.MATRIX else [(None, "")]
        for row, label in rows:
            values = [(v, counts.get((q.pk, row, v), 0)) for v in q.scale_values]
            n = sum(c for _v, c in values)
            mean = sum(v * c for v, c in values) / n if n else None
            part = {
                "row": row,
                "label": label,
                "n": n,
                "mean": round(mean, 2) if mean is not None else None,
                "options": [(str(v), c, _pct(c, n)) for v, c in values],
            }
            if q.kind == Question.Kind.NPS and n:
                promoters = sum(c for v, c in values if v >= 9)
                detractors = sum(c for v, c in values if v <= 6)
                part["nps"] = round(100 * (promoters - detractors) / n)
            parts.append(part)
    return {"question": q, "parts": parts, "texts": texts.get(q.pk, [])}


def form_table(survey: Survey) -> dict:
    """The collection form as a table: one row per child of the audience, filled in or not."""
    questions = list(survey.questions.all())
    students = list(
        StudentReceipt.objects.filter(notice_id=survey.notice_id or 0)
        .select_related("student__school_class")
        .order_by(
            "student__school_class__grade", "student__school_class__number", "student__student_number", "student__name"
        )
    )
    responses = {
        r.student_id: r
        for r in Response.objects.filter(survey=survey).select_related("guardian").prefetch_related("answers")
    }
    rows = []
    for sr in students:
        response = responses.get(sr.student_id)
        cells = _cells(questions, response) if response is not None else []
        rows.append({"student": sr.student, "response": response, "cells": cells})
    missing = [r["student"] for r in rows if r["response"] is None]
    return {"questions": questions, "rows": rows, "missing": missing, "filled": len(rows) - len(missing)}


def named_table(survey: Survey) -> dict:
    """A named questionnaire as a table: one row per answer, with who gave it."""
    questions = list(survey.questions.all())
    responses = (
        Response.objects.filter(survey=survey)
        .select_related("guardian", "respondent", "school_class")
        .prefetch_related("answers")
        .order_by("submitted_at")
    )
    rows = []
    for response in responses:
        if response.guardian is not None:
            name = response.guardian.name
        else:
            name = response.respondent.display_name if response.respondent else ""
        rows.append(
            {
                "response": response,
                "student": None,
                "class_name": response.school_class.name if response.school_class else "",
                "name": name,
                "cells": _cells(questions, response),
            }
        )
    return {"questions": questions, "rows": rows}


def _cells(questions: list[Question], response: Response) -> list[dict]:
    by_question: dict = defaultdict(list)
    for a in response.answers.all():
        by_question[a.question_id].append(a)
    return [_cell(q, by_question.get(q.pk, [])) for q in questions]


def _cell(q: Question, answers: list[Answer]) -> dict:
    if not answers:
        return {"text": "", "answer": None}
    if q.kind in Question.CHOICE_KINDS:
        return {
            "text": "、".join(
                q.options[a.number] for a in answers if a.number is not None and a.number < len(q.options)
            ),
            "answer": None,
        }
    if q.kind == Question.Kind.MATRIX:
        return {
            "text": "；".join(
                f"{q.options[a.row]} {a.number}" for a in answers if a.row is not None and a.row < len(q.options)
            ),
            "answer": None,
        }
    if q.kind in Question.SCALE:
        return {"text": str(answers[0].number), "answer": None}
    if q.kind == Question.Kind.FILE:
        return {"text": answers[0].text, "answer": answers[0]}
    return {"text": answers[0].text, "answer": None}


class SurveyCounts(TypedDict):
    n_participations: int
    n_rows: int
    n_audience: int


def staff_surveys(request, school) -> "list[WithAnnotations[Survey, SurveyCounts]]":
    roles = request.roles
    surveys = Survey.objects.filter(school=school).exclude(status=Survey.Status.TEMPLATE)
    if not roles.is_admin_of(school.pk):
        surveys = surveys.filter(author=request.user)
    surveys = surveys.annotate(
        n_participations=Count("participations", distinct=True),
        n_rows=Count("responses", filter=Q(responses__student__isnull=False), distinct=True),
        n_audience=Count("notice__receipts", distinct=True),
    )
    return list(surveys.select_related("author")[:200])


def evaluation_trend(school, series: str, class_id: int | None = None) -> dict:
    """The monthly evaluation month by month: for each numeric question (by its key) the mean of the
    school or of one class, and the month's response rate. A class's month is shown only when it
    passes the minimum-group rule. Six queries whatever the months, classes and answers."""
    surveys = list(
        Survey.objects.filter(school=school, series=series, status=Survey.Status.SENT, period__isnull=False).order_by(
            "period", "id"
        )
    )
    months = sorted({s.period for s in surveys if s.period})
    survey_month = {s.pk: s.period for s in surveys}
    questions: dict = {}
    for q in Question.objects.filter(survey__in=surveys, kind__in=list(Question.SCALE)).order_by("position"):
        matrix_rows = list(enumerate(q.options)) if q.kind == Question.Kind.MATRIX else [(None, "")]
        for row_index, label in matrix_rows:
            # A matrix's rows are listed under the matrix's question (``group``).
            questions.setdefault((q.key, row_index), (label or q.text, q.text if label else ""))
    groups = list(
        Response.objects.filter(survey__in=surveys)
        .values("survey_id", "school_class_id", "grade")
        .annotate(n=Count("id"))
        .order_by()
    )
    audience: dict = defaultdict(int)
    for sent in (
        Receipt.objects.filter(notice__survey__in=surveys).values("notice__survey").annotate(n=Count("id")).order_by()
    ):
        audience[survey_month[sent["notice__survey"]]] += sent["n"]
    class_audience: dict = defaultdict(int)
    if class_id is not None:
        # The class's families: the guardians reached through a child of the class.
        for sent in (
            Receipt.objects.filter(
                notice__survey__in=surveys, guardian__student_links__student__school_class_id=class_id
            )
            .values("notice__survey")
            .annotate(n=Count("id", distinct=True))
            .order_by()
        ):
            class_audience[survey_month[sent["notice__survey"]]] += sent["n"]
    answered: dict = defaultdict(int)
    per_class: dict = defaultdict(lambda: defaultdict(int))
    class_grade = {}
    for g in groups:
        month = survey_month[g["survey_id"]]
        answered[month] += g["n"]
        if g["school_class_id"]:
            per_class[month][g["school_class_id"]] += g["n"]
            class_grade[g["school_class_id"]] = g["grade"]
    shown_months = [
        m
        for m in months
        if (answered[m] >= MIN_GROUP if class_id is None else class_id in shown_groups(per_class[m], class_grade))
    ]
    filters = Q(survey__in=surveys, question__kind__in=list(Question.SCALE))
    if class_id is not None:
        filters &= Q(response__school_class_id=class_id)
    sums: dict = defaultdict(dict)
    for mean in (
        Answer.objects.filter(filters)
        .values("survey__period", "question__key", "row")
        .annotate(mean=Avg("number"), n=Count("id"))
        .order_by()
    ):
        if mean["survey__period"] in shown_months:
            sums[(mean["question__key"], mean["row"])][mean["survey__period"]] = round(mean["mean"], 2)
    rate = {}
    for m in months:
        if class_id is None:
            rate[m] = _pct(answered[m], audience[m])
        elif m in shown_months:
            rate[m] = _pct(per_class[m].get(class_id, 0), class_audience[m])
    return {
        "months": months,
        "shown_months": shown_months,
        "rate": [(m, rate.get(m)) for m in months],
        "answered": [(m, answered[m] if class_id is None else per_class[m].get(class_id, 0)) for m in months],
        "rows": [
            {"label": label, "group": group, "values": [(m, sums.get(key, {}).get(m)) for m in months]}
            for key, (label, group) in questions.items()
        ],
    }


def months_of_term(term) -> list:
    import datetime

    months: list[datetime.date] = []
    if term is None:
        return months
    day = term.start_date.replace(day=1)
    while day <= term.end_date:
        months.append(day)
        day = (day + datetime.timedelta(days=32)).replace(day=1)
    return months
