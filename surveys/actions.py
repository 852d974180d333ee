"""Every write of surveys: build, send, answer, remind, and the monthly evaluation's schedule."""

import calendar
import datetime
import re
from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext as _

from core.richtext import text_to_html
from core.uploads import UploadRefused, accept_upload
from notices.actions import do_create_notice, do_record_response, do_remind_receipts
from notices.audience import STAFF_KINDS, TargetSpec
from notices.models import Notice, NoticeTarget, Receipt, StudentReceipt
from schools.models import SchoolClass, Student
from schools.roles import Roles

from . import evaluation
from .models import MIN_GROUP, Answer, Participation, Question, Response, Survey

MAX_QUESTIONS = 60
MAX_OPTIONS = 20
MAX_TEXT: dict[str, int] = {Question.Kind.TEXT: 200, Question.Kind.LONG_TEXT: 2000}
MAX_FILE_BYTES = 10 * 1024 * 1024
EVALUATION_DAYS_OPEN = 7
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


# --- building -------------------------------------------------------------------------------------


def clean_question(spec: Mapping) -> dict:
    """One question as the builder or the API gives it, checked; raises with a clear message."""
    kind = str(spec.get("kind") or "")
    text = str(spec.get("text") or "").strip()
    if kind not in Question.Kind.values:
        raise ValidationError(_("Choose the kind of question."))
    if not text:
        raise ValidationError(_("A question needs its text."))
    if len(text) > 300 or _CONTROL.search(text):
        raise ValidationError(_("A question is one line of at most 300 characters."))
    raw_options = spec.get("options") or []
    if isinstance(raw_options, str):
        raw_options = raw_options.replace("／", "/").splitlines()
    options = [str(o).strip()[:100] for o in raw_options if str(o).strip()]
    if any(_CONTROL.search(o) for o in options):
        raise ValidationError(_("Each option is one line."))
    if kind in Question.CHOICE_KINDS:
        if len(options) < 2:
            raise ValidationError(_("A choice question needs at least two options, one per line."))
    elif kind == Question.Kind.MATRIX:
        if not options:
            raise ValidationError(_("A matrix needs at least one row to rate, one per line."))
    else:
        options = []
    if len(options) > MAX_OPTIONS or len(set(options)) != len(options):
        raise ValidationError(_("Give up to %(n)d different options.") % {"n": MAX_OPTIONS})
    return {
        "kind": kind,
        "text": text,
        "options": options,
        "required": bool(spec.get("required", True)),
        "section": str(spec.get("section") or "").strip()[:60],
        "help_text": str(spec.get("help_text") or "").strip()[:300],
        "key": str(spec.get("key") or "")[:40],
    }


def _check_title(title: str) -> str:
    title = (title or "").strip()
    if not title:
        raise ValidationError(_("Give the survey a title."))
    if len(title) > 120 or _CONTROL.search(title):
        raise ValidationError(_("The title is one line of at most 120 characters."))
    return title


def _check_kind(kind: str, anonymous: bool, questions: list[dict]) -> None:
    if kind not in Survey.Kind.values:
        raise ValidationError(_("Choose a questionnaire or a collection form."))
    if kind == Survey.Kind.FORM and anonymous:
        raise ValidationError(_("A collection form is named: the teacher sees each child's row."))
    if anonymous and any(q["kind"] == Question.Kind.FILE for q in questions):
        # A photo or a document says who sent it: it cannot be part of an anonymous answer.
        raise ValidationError(_("An anonymous survey cannot ask for files."))
    if kind != Survey.Kind.FORM and any(q["kind"] == Question.Kind.FILE for q in questions):
        raise ValidationError(_("Files are collected with a collection form, one row per child."))


def _store_questions(survey: Survey, specs: list[dict], start: int = 0) -> None:
    Question.objects.bulk_create(
        [
            Question(school_id=survey.school_id, survey=survey, position=start + i, **spec)
            for i, spec in enumerate(specs)
        ]
    )


def do_create_survey(
    school,
    *,
    acting_user,
    roles: Roles,
    title: str,
    description: str = "",
    kind: str = Survey.Kind.SURVEY,
    anonymous: bool = True,
    series: str = "",
    questions: list[Mapping] | None = None,
    idempotency_key: str = "",
) -> Survey:
    """A draft, empty or with its questions, or a copy of the school's monthly evaluation."""
    if idempotency_key:
        existing = Survey.objects.filter(author=acting_user, idempotency_key=idempotency_key[:64]).first()
        if existing is not None:
            return existing
    if not roles.is_staff_of(school.pk):
        raise ValidationError(_("Only staff can build surveys."))
    if series:
        if series not in Survey.Series.values:
            raise ValidationError(_("Unknown evaluation."))
        if series == Survey.Series.EVAL_TEACHERS and not roles.is_admin_of(school.pk):
            raise ValidationError(_("Only school admins can survey the staff."))
        template = template_for(school, series, author=acting_user)
        title = title or template.title
        description = description or template.description
        kind, anonymous = Survey.Kind.SURVEY, True
        specs = [
            clean_question(
                {f: getattr(q, f) for f in ("kind", "text", "options", "required", "section", "help_text", "key")}
            )
            for q in template.questions.all()
        ]
    else:
        specs = [clean_question(q) for q in questions or []]
    title = _check_title(title)
    _check_kind(kind, anonymous, specs)
    if len(specs) > MAX_QUESTIONS:
        raise ValidationError(_("A survey has at most %(n)d questions.") % {"n": MAX_QUESTIONS})
    try:
        with transaction.atomic():
            survey = Survey.objects.create(
                school=school,
                author=acting_user,
                kind=kind,
                anonymous=anonymous,
                title=title,
                description=(description or "").strip()[:4000],
                series=series,
                idempotency_key=idempotency_key[:64],
            )
            _store_questions(survey, specs)
    except IntegrityError:
        existing = Survey.objects.filter(author=acting_user, idempotency_key=idempotency_key[:64]).first()
        if not idempotency_key or existing is None:
            raise
        return existing
    return survey


def template_for(school, series: str, *, author) -> Survey:
    """The school's own copy of a monthly evaluation, made from the built-in one the first time."""
    template = Survey.objects.filter(school=school, series=series, status=Survey.Status.TEMPLATE).first()
    if template is not None:
        return template
    try:
        with transaction.atomic():
            template = Survey.objects.create(
                school=school,
                author=author,
                title=evaluation.builtin_title(series),
                description=evaluation.builtin_description(series),
                series=series,
                status=Survey.Status.TEMPLATE,
            )
            _store_questions(template, [clean_question(q) for q in evaluation.builtin_questions(series)])
    except IntegrityError:  # two admins opened the page at once: theirs is the template
        template = Survey.objects.get(school=school, series=series, status=Survey.Status.TEMPLATE)
    return template


def _editable(survey: Survey) -> None:
    if survey.status == Survey.Status.SENT:
        raise ValidationError(_("This survey has been sent: its questions can no longer change."))


@transaction.atomic
def do_add_question(survey: Survey, spec: Mapping, *, acting_user) -> Question:
    _editable(survey)
    cleaned = clean_question(spec)
    _check_kind(survey.kind, survey.anonymous, [cleaned])
    locked = Survey.objects.select_for_update().get(pk=survey.pk)
    same = Question.objects.filter(
        survey=locked, kind=cleaned["kind"], text=cleaned["text"], options=cleaned["options"]
    )
    if same.exists():  # a double tap on "add" (the survey row is locked: the second one waits and sees it)
        raise ValidationError(_("This question is already in the survey."))
    count = Question.objects.filter(survey=locked).count()
    if count >= MAX_QUESTIONS:
        raise ValidationError(_("A survey has at most %(n)d questions.") % {"n": MAX_QUESTIONS})
    if survey.series and not cleaned["key"]:
        cleaned["key"] = f"custom-{count + 1}-{cleaned['kind']}"
    return Question.objects.create(school_id=survey.school_id, survey=survey, position=count, **cleaned)


@transaction.atomic
def do_remove_question(survey: Survey, question_id: int, *, acting_user) -> None:
    _editable(survey)
    deleted, _rows = Question.objects.filter(survey=survey, pk=question_id).delete()
    if not deleted:
        raise ValidationError(_("This question is not part of the survey."))


@transaction.atomic
def do_move_question(survey: Survey, question_id: int, step: int, *, acting_user) -> None:
    _editable(survey)
    questions = list(Question.objects.select_for_update().filter(survey=survey))
    index = next((i for i, q in enumerate(questions) if q.pk == question_id), None)
    if index is None:
        raise ValidationError(_("This question is not part of the survey."))
    other = index + (1 if step > 0 else -1)
    if 0 <= other < len(questions):
        questions[index], questions[other] = questions[other], questions[index]
    for position, q in enumerate(questions):
        q.position = position
    Question.objects.bulk_update(questions, ["position"])


# --- sending --------------------------------------------------------------------------------------


def privacy_statement(survey: Survey) -> str:
    """What is and is not kept, in words a parent understands: shown on the survey and in its notice."""
    if survey.is_form:
        return _(
            "This is a named collection form: you fill in one row for each child, and the teacher sees "
            "what you wrote. You can change your rows until the form closes."
        )
    if not survey.anonymous:
        return _("This survey is named: the school sees your name with your answers.")
    return _(
        "This survey is anonymous. Tongxin keeps only that you have answered (so you are not asked twice "
        "or reminded again), never which answers are yours: answers are stored without your name, your "
        "account, your child or the time you sent them, with your child's class only. Results of any group "
        "of fewer than %(n)d answers are not shown to anyone, and written answers are shown without names."
    ) % {"n": MIN_GROUP}


def _notice_body(survey: Survey) -> str:
    # Site-relative, so the page shows it on the reader's own address; the email makes it absolute
    # on SITE_URL (core.richtext.absolute_links).
    link = reverse("surveys:answer", args=[survey.pk])
    action = _("Fill in the form") if survey.is_form else _("Answer the survey")
    parts = [text_to_html(survey.description)] if survey.description else []
    parts.append(f"<p>{escape(privacy_statement(survey))}</p>")
    parts.append(f'<p><a href="{link}">{escape(action)}</a></p>')
    return "".join(parts)


def _check_times(opens_at, closes_at) -> datetime.datetime:
    now = timezone.now()
    opens_at = opens_at or now
    if closes_at is None:
        raise ValidationError(_("Set when the survey closes."))
    if closes_at <= opens_at:
        raise ValidationError(_("The survey must close after it opens."))
    if closes_at <= now:
        raise ValidationError(_("The closing time is in the past."))
    return opens_at


def do_send_survey(
    survey: Survey,
    *,
    acting_user,
    roles: Roles,
    targets: list[TargetSpec],
    opens_at=None,
    closes_at=None,
    guardrail_reason: str = "",
    request=None,
) -> Survey:
    """Send a draft to its audience as a notice (now, or when it opens). Nothing is written unless
    all of it is: the survey, its notice and the notice's audience."""
    if survey.status != Survey.Status.DRAFT:
        raise ValidationError(_("Only a draft can be sent."))
    questions = list(survey.questions.all())
    if not questions:
        raise ValidationError(_("Add at least one question before sending."))
    for q in questions:
        clean_question({"kind": q.kind, "text": q.text, "options": q.options})
    if survey.is_form and any(t.kind in STAFF_KINDS for t in targets):
        raise ValidationError(_("A collection form goes to families: one row per child."))
    if survey.series == Survey.Series.EVAL_TEACHERS and any(t.kind not in STAFF_KINDS for t in targets):
        raise ValidationError(_("The teachers' evaluation goes to staff only."))
    if survey.series == Survey.Series.EVAL_PARENTS and any(t.kind in STAFF_KINDS for t in targets):
        raise ValidationError(_("The parents' evaluation goes to families only."))
    opens_at = _check_times(opens_at, closes_at)
    publish_at = opens_at if opens_at > timezone.now() + datetime.timedelta(minutes=1) else None
    with transaction.atomic():
        locked = Survey.objects.select_for_update().get(pk=survey.pk)
        if locked.status != Survey.Status.DRAFT:
            raise ValidationError(_("Only a draft can be sent."))
        notice = do_create_notice(
            survey.school,
            acting_user=acting_user,
            roles=roles,
            title=survey.title,
            body_html=_notice_body(survey),
            # Done when answered here, not when the notice is read (do_answer, do_fill_form_row).
            action=Notice.Action.FORM if survey.is_form else Notice.Action.SURVEY,
            respond_path=reverse("surveys:answer", args=[survey.pk]),
            deadline=closes_at,
            publish_at=publish_at,
            targets=targets,
            guardrail_reason=guardrail_reason,
            request=request,
        )
        survey.notice = notice
        survey.status = Survey.Status.SENT
        survey.opens_at = publish_at or timezone.now()
        survey.closes_at = closes_at
        survey.audience_label = notice.audience_label
        survey.save(update_fields=["notice", "status", "opens_at", "closes_at", "audience_label"])
    return survey


# --- answering ------------------------------------------------------------------------------------


def _one(raw):
    if isinstance(raw, list | tuple):
        return raw[0] if raw else None
    return raw


def _int(raw) -> int | None:
    raw = _one(raw)
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str) and re.fullmatch(r"\s*-?\d{1,3}\s*", raw):
        return int(raw)
    return None


def _is_blank(raw) -> bool:
    if raw is None:
        return True
    if isinstance(raw, str):
        return not raw.strip()
    if isinstance(raw, list | tuple):
        return all(_is_blank(r) for r in raw)
    return False


def clean_answers(questions: list[Question], raw: Mapping, files: Mapping) -> list[Answer]:
    """The answers as unsaved rows, or a ValidationError whose message names every question that
    needs another look (``error_dict`` by question id, for the form)."""
    rows: list[Answer] = []
    errors: dict[str, list[str]] = {}
    for q in questions:
        key = str(q.pk)
        value = raw.get(key)
        upload = files.get(key)
        try:
            rows += _clean_one(q, value, upload)
        except ValidationError as exc:
            errors[key] = exc.messages
    if errors:
        raise ValidationError(errors)
    return rows


def _clean_one(q: Question, value, upload) -> list[Answer]:
    kind = q.kind
    blank = upload is None if kind == Question.Kind.FILE else _is_blank(value)
    if blank:
        if q.required:
            raise ValidationError(_("Please answer this question."))
        return []
    if kind == Question.Kind.SINGLE:
        n = _int(value)
        if n is None or not 0 <= n < len(q.options):
            raise ValidationError(_("Choose one of the options."))
        return [Answer(question=q, number=n)]
    if kind == Question.Kind.MULTIPLE:
        values = value if isinstance(value, list | tuple) else [value]
        chosen = [_int(v) for v in values if not _is_blank(v)]
        if any(n is None or not 0 <= n < len(q.options) for n in chosen) or len(set(chosen)) != len(chosen):
            raise ValidationError(_("Choose among the options, each at most once."))
        return [Answer(question=q, number=n) for n in sorted(chosen)]  # type: ignore[type-var]
    if kind in (Question.Kind.RATING, Question.Kind.NPS):
        low, high = q.scale or (0, 0)
        n = _int(value)
        if n is None or not low <= n <= high:
            raise ValidationError(_("Give a number from %(low)d to %(high)d.") % {"low": low, "high": high})
        return [Answer(question=q, number=n)]
    if kind == Question.Kind.MATRIX:
        values = list(value) if isinstance(value, list | tuple) else [value]
        if len(values) != len(q.options):
            raise ValidationError(_("Rate every row from 1 to 5."))
        out = []
        for row, v in enumerate(values):
            if _is_blank(v):
                if q.required:
                    raise ValidationError(_("Rate every row from 1 to 5."))
                continue
            n = _int(v)
            if n is None or not 1 <= n <= 5:
                raise ValidationError(_("Rate every row from 1 to 5."))
            out.append(Answer(question=q, row=row, number=n))
        return out
    if kind in Question.TEXT_KINDS:
        text = str(_one(value)).strip().replace("\r\n", "\n")
        limit = MAX_TEXT[kind]
        if len(text) > limit:
            raise ValidationError(_("At most %(n)d characters, please.") % {"n": limit})
        if kind == Question.Kind.TEXT:
            text = " ".join(text.split())
        return [Answer(question=q, text=_CONTROL.sub("", text) if kind == Question.Kind.TEXT else text)]
    if kind == Question.Kind.DATE:
        try:
            day = datetime.date.fromisoformat(str(_one(value)).strip().replace("/", "-"))
        except ValueError:
            raise ValidationError(_("Give a date such as 2026-09-01.")) from None
        return [Answer(question=q, text=day.isoformat())]
    if kind == Question.Kind.FILE:
        try:
            accepted = accept_upload(upload, max_bytes=MAX_FILE_BYTES, allowed_kinds=("image", "pdf", "office"))
        except UploadRefused as exc:
            raise ValidationError(str(exc)) from None
        answer = Answer(question=q, text=accepted.name)
        accepted.store(answer.file)
        return [answer]
    raise ValidationError(_("Choose the kind of question."))


def _class_of(survey: Survey, receipt: Receipt) -> SchoolClass | None:
    """The class an answer counts for: the guardian's child in the audience (the lowest grade and
    class if there are several), nothing for staff."""
    if receipt.guardian_id is None:
        return None
    link = (
        StudentReceipt.objects.filter(
            notice_id=survey.notice_id or 0, student__guardian_links__guardian_id=receipt.guardian_id
        )
        .select_related("student__school_class")
        .order_by("student__school_class__grade", "student__school_class__number", "student_id")
        .first()
    )
    return link.student.school_class if link else None


def _respondent(receipt: Receipt):
    return receipt.guardian.user if receipt.guardian is not None else receipt.user


def _check_open(survey: Survey) -> None:
    if not survey.is_open:
        if survey.closes_at is not None and timezone.now() >= survey.closes_at:
            raise ValidationError(_("This survey has closed."))
        raise ValidationError(_("This survey is not open yet."))


def do_answer(
    survey: Survey, receipt: Receipt, raw: Mapping, files: Mapping | None = None, *, acting_user=None
) -> None:
    """Answer a questionnaire once. The "has answered" mark and the answers are written together;
    two taps at once meet the unique mark and exactly one of them is kept. Who answers is the
    receipt's person: ``acting_user`` is never stored (an anonymous answer has no name); the demo
    and the benchmarks answer without one."""
    _check_open(survey)
    if survey.is_form:
        raise ValidationError(_("This is a collection form: fill in a row for your child."))
    questions = list(survey.questions.all())
    rows = clean_answers(questions, raw, files or {})
    klass = _class_of(survey, receipt)
    try:
        with transaction.atomic():
            Participation.objects.create(school_id=survey.school_id, survey=survey, receipt=receipt)
            named = not survey.anonymous
            response = Response.objects.create(
                school_id=survey.school_id,
                survey=survey,
                school_class=klass,
                grade=klass.grade if klass else None,
                respondent=_respondent(receipt) if named else None,
                guardian=receipt.guardian if named else None,
                submitted_at=timezone.now() if named else None,
            )
            _write_answers(survey, response, rows)
            if survey.notice is not None:  # the family's notice is done: its feed, badge and home say so
                do_record_response(survey.notice, Receipt.objects.filter(pk=receipt.pk), acting_user=acting_user)
    except IntegrityError:
        raise ValidationError(_("You have already answered this survey. Thank you!")) from None


def _write_answers(survey: Survey, response: Response, rows: list[Answer]) -> None:
    for a in rows:
        a.school_id, a.survey, a.response = survey.school_id, survey, response
    Answer.objects.bulk_create(rows)


def do_fill_form_row(
    survey: Survey, receipt: Receipt, student: Student, raw: Mapping, files: Mapping | None = None, *, acting_user
):
    """Fill in, or correct until the form closes, the row of one child of this guardian. A correction
    without a new file keeps the file sent before."""
    _check_open(survey)
    if not survey.is_form:
        raise ValidationError(_("This survey is not a collection form."))
    questions = list(survey.questions.all())
    files = files or {}
    existing = Response.objects.filter(survey=survey, student=student).first()
    kept_files = set()
    if existing is not None:
        kept_files = set(
            existing.answers.filter(question__kind=Question.Kind.FILE)
            .exclude(question_id__in=[int(k) for k in files if str(k).isdigit()])
            .values_list("question_id", flat=True)
        )
    rows = clean_answers([q for q in questions if q.pk not in kept_files], raw, files)
    now = timezone.now()
    user = receipt.guardian.user if receipt.guardian else None
    try:
        with transaction.atomic():
            response = Response.objects.select_for_update().filter(survey=survey, student=student).first()
            if response is None:
                response = Response.objects.create(
                    school_id=survey.school_id,
                    survey=survey,
                    student=student,
                    school_class_id=student.school_class_id,
                    grade=student.school_class.grade if student.school_class else None,
                    respondent=user,
                    guardian=receipt.guardian,
                    submitted_at=now,
                )
            else:
                response.answers.exclude(question_id__in=kept_files).delete()
                response.respondent, response.guardian, response.submitted_at = user, receipt.guardian, now
                response.save(update_fields=["respondent", "guardian", "submitted_at"])
            _write_answers(survey, response, rows)
            Participation.objects.get_or_create(school_id=survey.school_id, survey=survey, receipt=receipt)
            if survey.notice is not None:
                # The form is done for each guardian of this child with no row of theirs left empty
                # (the rule of pending_receipts): one UPDATE.
                done = Receipt.objects.filter(
                    notice_id=survey.notice_id or 0, guardian__student_links__student=student
                ).exclude(Exists(_empty_rows(survey)))
                do_record_response(survey.notice, done, acting_user=acting_user)
    except IntegrityError:
        raise ValidationError(
            _("Someone else in your family filled in this row at the same moment. Please look again.")
        ) from None
    return response


# --- reminding ------------------------------------------------------------------------------------


def _empty_rows(survey: Survey):
    """A form's children of the receipt's guardian (``OuterRef("guardian")``) whose row is empty."""
    return StudentReceipt.objects.filter(
        notice_id=survey.notice_id or 0, student__guardian_links__guardian=OuterRef("guardian")
    ).exclude(Exists(Response.objects.filter(survey=survey, student_id=OuterRef("student_id"))))


def pending_receipts(survey: Survey):
    """Those who have not answered: for a form, the guardians of every child whose row is empty."""
    receipts = Receipt.objects.filter(notice_id=survey.notice_id or 0)
    if survey.is_form:
        return receipts.filter(Exists(_empty_rows(survey)))
    return receipts.exclude(Exists(Participation.objects.filter(survey=survey, receipt=OuterRef("pk"))))


@transaction.atomic
def do_remind_survey(survey: Survey, *, acting_user) -> int:
    """Remind only those who have not answered, at most once every few hours."""
    locked = Survey.objects.select_for_update().get(pk=survey.pk)
    if not locked.is_open or survey.notice is None:
        raise ValidationError(_("Only an open survey can be reminded."))
    return do_remind_receipts(survey.notice, pending_receipts(survey), acting_user=acting_user, pace=locked)


# --- the monthly evaluation -----------------------------------------------------------------------


def month_window(month: datetime.date, now: datetime.datetime) -> tuple[datetime.datetime, datetime.datetime]:
    """When a month's evaluation is open: from the 25th at 08:00 (or now, if later) to the end of the
    month, and at least three days."""
    tz = timezone.get_current_timezone()
    opens = datetime.datetime(month.year, month.month, 25, 8, 0, tzinfo=tz)
    last_day = calendar.monthrange(month.year, month.month)[1]
    closes = datetime.datetime(month.year, month.month, last_day, 22, 0, tzinfo=tz)
    opens = max(opens, now)
    closes = max(closes, opens + datetime.timedelta(days=3))
    return opens, closes


def _copy_for_month(template: Survey, month: datetime.date, *, author) -> Survey:
    survey = Survey.objects.create(
        school_id=template.school_id,
        author=author,
        title=f"{template.title}（{month.year}年{month.month}月）",
        description=template.description,
        series=template.series,
        period=month,
        anonymous=True,
    )
    specs = [
        {f: getattr(q, f) for f in ("kind", "text", "options", "required", "section", "help_text", "key")}
        for q in template.questions.all()
    ]
    _store_questions(survey, specs)
    return survey


def do_schedule_evaluation(
    school, *, series: str, months: list[datetime.date], acting_user, roles: Roles, targets: list[TargetSpec]
) -> list[Survey]:
    """One anonymous survey per chosen month, copied from the school's template, each sent as a
    notice that goes out when the month's evaluation opens. A month already scheduled for the same
    audience is skipped."""
    if not roles.is_admin_of(school.pk):
        raise ValidationError(_("Only school admins can schedule the monthly evaluation."))
    if not months:
        raise ValidationError(_("Choose at least one month."))
    template = template_for(school, series, author=acting_user)
    if not template.questions.exists():
        raise ValidationError(_("Add at least one question before sending."))
    now = timezone.now()
    created = []
    with transaction.atomic():
        for month in sorted(set(months)):
            month = month.replace(day=1)
            next_month = (month + datetime.timedelta(days=32)).replace(day=1)
            if next_month <= timezone.localdate(now):
                continue  # a month that is over cannot be asked about any more
            if Survey.objects.filter(
                school=school,
                series=series,
                period=month,
                status=Survey.Status.SENT,
                notice__targets__kind__in=[t.kind for t in targets],
            ).exists():
                continue  # already scheduled for this audience: families are not asked twice
            opens, closes = month_window(month, now)
            survey = _copy_for_month(template, month, author=acting_user)
            do_send_survey(
                survey, acting_user=acting_user, roles=roles, targets=targets, opens_at=opens, closes_at=closes
            )
            created.append(survey)
    if not created:
        raise ValidationError(_("Those months are over or already scheduled: choose another month."))
    return created


def do_send_class_evaluation(school, *, acting_user, roles: Roles, class_id: int) -> Survey:
    """A head teacher sends this month's parents' evaluation to their class, open for a week."""
    if not (roles.is_admin_of(school.pk) or class_id in roles.head_class_ids):
        raise ValidationError(_("You may not send to this class."))
    now = timezone.localtime()
    month = now.date().replace(day=1)
    already = Survey.objects.filter(
        school=school,
        series=Survey.Series.EVAL_PARENTS,
        period=month,
        status=Survey.Status.SENT,
        notice__targets__kind=NoticeTarget.Kind.CLASS,
        notice__targets__school_class_id=class_id,
    ).first()
    if already is not None:
        return already  # a double tap, or sent earlier this month: families are not asked twice
    template = template_for(school, Survey.Series.EVAL_PARENTS, author=acting_user)
    with transaction.atomic():
        survey = _copy_for_month(template, month, author=acting_user)
        do_send_survey(
            survey,
            acting_user=acting_user,
            roles=roles,
            targets=[TargetSpec("class", class_id=class_id)],
            closes_at=now + datetime.timedelta(days=EVALUATION_DAYS_OPEN),
        )
    return survey
