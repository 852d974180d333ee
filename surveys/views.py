import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from audit.actions import record
from audit.models import AuditEntry
from core.guardrails import GuardrailWarning
from core.uploads import file_response
from core.xlsx import workbook_bytes, xlsx_response
from notices.actions import can_remind
from notices.audience import TargetSpec, audience_choices, target_specs
from schools.access import access_class, access_staff_school
from schools.models import SchoolClass
from schools.queries import current_term

from . import actions, queries
from .access import access_answer_file, access_survey_to_answer, access_survey_to_manage, form_students
from .forms import QuestionForm, ScheduleForm, SendForm, SurveyForm
from .models import MIN_GROUP, Participation, Question, Response, Survey


def answers_from_post(questions: list[Question], post, prefix: str = "") -> dict:
    """The form's fields (``q<id>``, ``q<id>_r<row>`` for a matrix) as the answers ``actions`` reads."""
    raw = {}
    for q in questions:
        name = f"{prefix}q{q.pk}"
        if q.kind == Question.Kind.MULTIPLE:
            raw[str(q.pk)] = post.getlist(name)
        elif q.kind == Question.Kind.MATRIX:
            raw[str(q.pk)] = [post.get(f"{name}_r{i}", "") for i in range(len(q.options))]
        else:
            raw[str(q.pk)] = post.get(name, "")
    return raw


def files_from_post(questions: list[Question], files, prefix: str = "") -> dict:
    return {str(q.pk): files[f"{prefix}q{q.pk}"] for q in questions if f"{prefix}q{q.pk}" in files}


# --- staff: build, send, results ----------------------------------------------------------------


@login_required
@require_GET
def manage_list(request):
    school = access_staff_school(request)
    return render(
        request,
        "surveys/manage_list.html",
        {"school": school, "surveys": queries.staff_surveys(request, school), "now": timezone.now()},
    )


@login_required
@require_http_methods(["GET", "POST"])
def new(request):
    school = access_staff_school(request)
    form = SurveyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            survey = actions.do_create_survey(
                school,
                acting_user=request.user,
                roles=request.roles,
                title=data["title"],
                description=data["description"],
                kind=data["kind"],
                anonymous=data["anonymous"] and data["kind"] == Survey.Kind.SURVEY,
                idempotency_key=data.get("idempotency_key", ""),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return redirect("surveys:edit", survey_id=survey.pk)
    return render(request, "surveys/new.html", {"form": form}, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def edit(request, survey_id: int):
    """The builder: the questions so far, and a form to add one. Move and remove by POST."""
    survey = access_survey_to_manage(request, survey_id)
    form = QuestionForm(request.POST if request.POST.get("op") == "add" else None, initial={"required": True})
    if request.method == "POST":
        op = request.POST.get("op")
        try:
            if op == "add":
                if form.is_valid():
                    actions.do_add_question(survey, form.cleaned_data, acting_user=request.user)
                    messages.success(request, _("Question added."))
                    return redirect("surveys:edit", survey_id=survey.pk)
            elif op in ("remove", "up", "down") and request.POST.get("question", "").isdigit():
                question_id = int(request.POST["question"])
                if op == "remove":
                    actions.do_remove_question(survey, question_id, acting_user=request.user)
                else:
                    actions.do_move_question(survey, question_id, -1 if op == "up" else 1, acting_user=request.user)
                return redirect("surveys:edit", survey_id=survey.pk)
            else:
                raise ValidationError(_("Unknown request."))
        except ValidationError as exc:
            form.add_error(None, exc)
    return render(
        request,
        "surveys/edit.html",
        {"survey": survey, "questions": list(survey.questions.all()), "form": form},
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def send(request, survey_id: int):
    survey = access_survey_to_manage(request, survey_id)
    if survey.status != Survey.Status.DRAFT:
        return redirect("surveys:results", survey_id=survey.pk)
    form = SendForm(request.POST or None, **audience_choices(request, survey.school))
    concerns = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.do_send_survey(
                survey,
                acting_user=request.user,
                roles=request.roles,
                targets=target_specs(data),
                opens_at=data.get("opens_at"),
                closes_at=data.get("closes_at"),
                guardrail_reason=data.get("guardrail_reason", ""),
                request=request,
            )
        except GuardrailWarning as exc:
            concerns = exc.concerns
            form.ask_reason()
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Sent. Answers appear on this page as they come in."))
            return redirect("surveys:results", survey_id=survey.pk)
    return render(
        request,
        "surveys/send.html",
        {"survey": survey, "form": form, "concerns": concerns, "question_count": survey.questions.count()},
        status=400 if form.errors or concerns else 200,
    )


@login_required
@require_GET
def results(request, survey_id: int):
    survey = access_survey_to_manage(request, survey_id)
    context = {
        "survey": survey,
        "r": queries.survey_results(survey),
        "can_remind": can_remind(survey) and survey.is_open,
    }
    if survey.is_form and survey.notice_id:
        context["table"] = queries.form_table(survey)
    return render(request, "surveys/results.html", context)


@login_required
@require_POST
def remind(request, survey_id: int):
    survey = access_survey_to_manage(request, survey_id)
    try:
        count = actions.do_remind_survey(survey, acting_user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Reminded %(n)d who have not answered yet.") % {"n": count})
    return redirect("surveys:results", survey_id=survey.pk)


@login_required
@require_GET
def export(request, survey_id: int):
    """Anonymous: the counts and the written answers, in no order that follows who sent them. Named
    and forms: one row per answer, with names."""
    survey = access_survey_to_manage(request, survey_id)
    if survey.anonymous:
        r = queries.survey_results(survey, texts_limit=None)
        rows = []
        for item in r["questions"]:
            q = item["question"]
            for part in item["parts"]:
                for label, n, pct in part["options"]:
                    rows.append([q.text, part["label"], label, n, f"{pct}%"])
                if part.get("mean") is not None:
                    rows.append([q.text, part["label"], _("mean"), part["mean"], ""])
            for text in item["texts"]:
                rows.append([q.text, "", _("written answer"), "", text])
        header = [_("Question"), _("Row"), _("Answer"), _("Count"), _("Share / text")]
        if r["hidden"]:
            rows = [[_("Fewer than %(n)d answers: results are not shown.") % {"n": MIN_GROUP}, "", "", "", ""]]
    else:
        table = queries.form_table(survey) if survey.is_form else queries.named_table(survey)
        header = [_("Class"), _("Student") if survey.is_form else _("Name"), _("Filled in by"), _("Time")]
        header += [q.text for q in table["questions"]]
        rows = []
        for row in table["rows"]:
            response = row["response"]
            student = row.get("student")
            rows.append(
                [
                    student.school_class.name if student and student.school_class else row.get("class_name", ""),
                    student.name if student else row.get("name", ""),
                    response.guardian.name if response and response.guardian else row.get("name", ""),
                    timezone.localtime(response.submitted_at).strftime("%Y-%m-%d %H:%M")
                    if response and response.submitted_at
                    else "",
                    *[c["text"] for c in row["cells"]],
                ]
            )
    data = workbook_bytes(survey.title[:31] or "survey", header, rows)
    record(AuditEntry.Action.EXPORT, actor=request.user, school=survey.school, target=survey, summary="survey results")
    return xlsx_response(data, f"{survey.title[:40]}.xlsx")


@login_required
@require_GET
def answer_file(request, survey_id: int, answer_id: str):
    """A file sent with a collection form: for the form's managers, or the family of that child."""
    item = access_answer_file(request, survey_id, answer_id)
    return file_response(item.file, filename=item.text or "file")


# --- families and staff answering -----------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def answer(request, survey_id: int):
    survey, receipt = access_survey_to_answer(request, survey_id)
    questions = list(survey.questions.all())
    errors: dict = {}
    submitted: dict = {}
    if survey.is_form:
        return _form_rows(request, survey, receipt, questions)
    already = Participation.objects.filter(survey=survey, receipt=receipt).exists()
    if request.method == "POST" and not already:
        submitted = answers_from_post(questions, request.POST)
        try:
            actions.do_answer(
                survey, receipt, submitted, files_from_post(questions, request.FILES), acting_user=request.user
            )
        except ValidationError as exc:
            errors = _answer_errors(request, exc)
        else:
            messages.success(request, _("Thank you, your answers are in."))
            return redirect("surveys:answer", survey_id=survey.pk)
    return render(
        request,
        "surveys/answer.html",
        {
            "survey": survey,
            "questions": _with_state(questions, submitted, errors),
            "already": already,
            "privacy": actions.privacy_statement(survey),
            "is_open": survey.is_open,
            "closed": survey.closes_at is not None and timezone.now() >= survey.closes_at,
        },
        status=400 if errors else 200,
    )


def _answer_errors(request, exc: ValidationError) -> dict:
    """Per-question messages for the form (and one line at the top), or the one message there is."""
    if hasattr(exc, "error_dict"):
        messages.error(request, _("Some answers need another look."))
        return {key: " ".join(texts) for key, texts in exc.message_dict.items()}
    messages.error(request, " ".join(exc.messages))
    return {}


def _with_state(questions: list[Question], submitted: dict, errors: dict, prefix: str = "") -> list[dict]:
    """Each question with what was typed (after an error, or a form row to correct) and its error."""
    items = []
    section = None
    for q in questions:
        value = submitted.get(str(q.pk))
        values = [str(v) for v in value] if isinstance(value, list) else []
        single = "" if isinstance(value, list) or value is None else str(value)
        items.append(
            {
                "q": q,
                "name": f"{prefix}q{q.pk}",
                "new_section": q.section if q.section and q.section != section else "",
                "value": single,
                "values": values,
                "choices": [(v, str(v) == single) for v in q.scale_values],
                "matrix": [
                    {
                        "index": i,
                        "label": label,
                        "choices": [(v, i < len(values) and values[i] == str(v)) for v in q.scale_values],
                    }
                    for i, label in enumerate(q.options)
                ]
                if q.kind == Question.Kind.MATRIX
                else [],
                "error": errors.get(str(q.pk), ""),
            }
        )
        section = q.section or section
    return items


def _form_rows(request, survey: Survey, receipt, questions: list[Question]):
    """A collection form: one row per child of this family in the audience."""
    links = list(form_students(survey, receipt))
    students = {sr.student_id: sr.student for sr in links}
    existing = {
        r.student_id: r
        for r in Response.objects.filter(survey=survey, student_id__in=list(students)).prefetch_related("answers")
    }
    errors: dict = {}
    submitted: dict = {}
    posted_student = None
    if request.method == "POST":
        student_id = request.POST.get("student", "")
        posted_student = students.get(int(student_id)) if student_id.isdigit() else None
        if posted_student is None:
            raise Http404
        prefix = f"s{posted_student.pk}-"
        submitted = answers_from_post(questions, request.POST, prefix)
        try:
            actions.do_fill_form_row(
                survey,
                receipt,
                posted_student,
                submitted,
                files_from_post(questions, request.FILES, prefix),
                acting_user=request.user,
            )
        except ValidationError as exc:
            errors = _answer_errors(request, exc)
        else:
            messages.success(request, _("Saved. You can change it until the form closes."))
            return redirect("surveys:answer", survey_id=survey.pk)
    rows = []
    for sr in links:
        student = sr.student
        response = existing.get(student.pk)
        prefix = f"s{student.pk}-"
        if posted_student is not None and posted_student.pk == student.pk:
            state = _with_state(questions, submitted, errors, prefix)
        else:
            state = _with_state(questions, _previous(questions, response), {}, prefix)
        rows.append({"student": student, "response": response, "questions": state})
    return render(
        request,
        "surveys/form_rows.html",
        {"survey": survey, "rows": rows, "privacy": actions.privacy_statement(survey), "is_open": survey.is_open},
        status=400 if errors else 200,
    )


def _previous(questions: list[Question], response) -> dict:
    """A row already filled in, as form values, so the family corrects rather than retypes it."""
    if response is None:
        return {}
    by_question: dict = {}
    for a in response.answers.all():
        by_question.setdefault(a.question_id, []).append(a)
    values: dict = {}
    for q in questions:
        answers = by_question.get(q.pk, [])
        if not answers:
            continue
        if q.kind == Question.Kind.MULTIPLE:
            values[str(q.pk)] = [str(a.number) for a in answers]
        elif q.kind == Question.Kind.MATRIX:
            rows = {a.row: str(a.number) for a in answers}
            values[str(q.pk)] = [rows.get(i, "") for i in range(len(q.options))]
        elif q.kind in (Question.Kind.SINGLE, Question.Kind.RATING, Question.Kind.NPS):
            values[str(q.pk)] = str(answers[0].number)
        else:
            values[str(q.pk)] = answers[0].text
    return values


# --- the monthly evaluation -----------------------------------------------------------------------


@login_required
@require_GET
def evaluation(request):
    """The monthly evaluation: the trend of each question month by month for the school or a class
    (head teachers see their own classes), with the response rate; admins adjust and schedule it."""
    school = access_staff_school(request)
    roles = request.roles
    is_admin = roles.is_admin_of(school.pk)
    class_rows = SchoolClass.objects.filter(school=school, graduated_at__isnull=True)
    if not is_admin:
        class_rows = class_rows.filter(pk__in=roles.head_class_ids)
    classes = list(class_rows)
    series = request.GET.get("series", Survey.Series.EVAL_PARENTS)
    if series not in (Survey.Series.EVAL_PARENTS, Survey.Series.EVAL_TEACHERS) or (
        series == Survey.Series.EVAL_TEACHERS and not is_admin
    ):
        series = Survey.Series.EVAL_PARENTS
    class_id = int(request.GET["class"]) if request.GET.get("class", "").isdigit() else None
    if class_id is not None and class_id not in {c.pk for c in classes}:
        raise Http404
    if class_id is None and not is_admin:
        class_id = classes[0].pk if classes else None
    trend = queries.evaluation_trend(school, series, class_id) if (is_admin or class_id) else None
    term = current_term(school)
    months = queries.months_of_term(term)
    templates = (
        {
            s: actions.template_for(school, s, author=request.user)
            for s in (Survey.Series.EVAL_PARENTS, Survey.Series.EVAL_TEACHERS)
        }
        if is_admin
        else {}
    )
    return render(
        request,
        "surveys/evaluation.html",
        {
            "series": series,
            "classes": classes,
            "class_id": class_id,
            "trend": trend,
            "is_admin": is_admin,
            "templates": templates,
            "schedule_form": ScheduleForm(month_choices=[(m.isoformat(), f"{m.year}年{m.month}月") for m in months]),
            "head_classes": [c for c in classes if c.pk in roles.head_class_ids],
            "min_group": MIN_GROUP,
        },
    )


@login_required
@require_POST
def schedule(request):
    school = access_staff_school(request)
    term = current_term(school)
    months = queries.months_of_term(term)
    if not request.roles.is_admin_of(school.pk):
        raise Http404
    form = ScheduleForm(request.POST, month_choices=[(m.isoformat(), m.isoformat()) for m in months])
    if not form.is_valid():
        messages.error(request, _("Choose at least one month."))
        return redirect("surveys:evaluation")
    series = form.cleaned_data["series"]
    targets = [TargetSpec("staff")] if series == Survey.Series.EVAL_TEACHERS else [TargetSpec("school")]
    try:
        created = actions.do_schedule_evaluation(
            school,
            series=series,
            months=[datetime.date.fromisoformat(m) for m in form.cleaned_data["months"]],
            acting_user=request.user,
            roles=request.roles,
            targets=targets,
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Scheduled for %(n)d months.") % {"n": len(created)})
    return redirect(f"{reverse('surveys:evaluation')}?series={series}")


@login_required
@require_POST
def send_class_evaluation(request):
    school = access_staff_school(request)
    class_id = request.POST.get("class", "")
    if not class_id.isdigit():
        raise Http404
    klass = access_class(request, int(class_id), manage=True)  # its head teacher or a school admin
    if klass.school_id != school.pk:
        raise Http404
    try:
        survey = actions.do_send_class_evaluation(
            school, acting_user=request.user, roles=request.roles, class_id=klass.pk
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("surveys:evaluation")
    messages.success(request, _("This month's evaluation has gone to the class. It is open for a week."))
    return redirect("surveys:results", survey_id=survey.pk)
