"""Who may do what with a survey. The author and the school's admins manage it and see its results;
a family or a staff member answers it only through their own receipt of the survey's notice."""

from django.db.models import Q
from django.http import Http404

from notices.models import Notice, Receipt, StudentReceipt
from schools.roles import Roles

from .models import Answer, Question, Survey


def _roles(request) -> Roles:
    return getattr(request, "roles", None) or Roles()


def may_manage(request, survey: Survey) -> bool:
    roles = _roles(request)
    if roles.is_admin_of(survey.school_id):
        return True
    if survey.status == Survey.Status.TEMPLATE:  # the school's evaluation template is the admins' alone
        return False
    return survey.author_id == request.user.pk and roles.is_staff_of(survey.school_id)


def access_survey_to_manage(request, survey_id: int) -> Survey:
    survey = Survey.objects.filter(pk=survey_id).select_related("school", "notice").first()
    if survey is None or not may_manage(request, survey):
        raise Http404
    return survey


def access_survey_to_answer(request, survey_id: int) -> tuple[Survey, Receipt]:
    """A sent survey whose notice is published and reached this user: the survey and the user's
    receipt. A survey not sent to them is a 404, whether or not it exists."""
    survey = (
        Survey.objects.filter(pk=survey_id, status=Survey.Status.SENT, notice__status=Notice.Status.PUBLISHED)
        .select_related("school", "notice")
        .first()
    )
    if survey is None:
        raise Http404
    receipt = (
        Receipt.objects.filter(notice_id=survey.notice_id or 0)
        .filter(Q(guardian__user=request.user) | Q(guardian__isnull=True, user=request.user))
        .select_related("guardian")
        .first()
    )
    if receipt is None:
        raise Http404
    return survey, receipt


def access_answer_file(request, survey_id: int, answer_id: str) -> Answer:
    """A file sent with a collection form, re-authorised on every download: for the form's
    managers, or the family who sent it (a recipient whose own guardian row filled in the row)."""
    try:
        survey = access_survey_to_manage(request, survey_id)
        answers = Answer.objects.filter(survey=survey)
    except Http404:
        survey, receipt = access_survey_to_answer(request, survey_id)
        answers = Answer.objects.filter(survey=survey, response__guardian_id=receipt.guardian_id or 0)
    item = answers.filter(pk=answer_id, question__kind=Question.Kind.FILE).exclude(file="").first()
    if item is None:
        raise Http404
    return item


def form_students(survey: Survey, receipt: Receipt):
    """The children of this guardian that a collection form asks about: one row each."""
    if receipt.guardian_id is None:
        return StudentReceipt.objects.none()
    return (
        StudentReceipt.objects.filter(
            notice_id=survey.notice_id or 0, student__guardian_links__guardian_id=receipt.guardian_id
        )
        .select_related("student__school_class")
        .order_by("student__school_class__grade", "student__school_class__number", "student__name")
    )
