"""Questionnaires (问卷), collection forms (接龙 / 收集表) and the monthly evaluation (R15, R28).

A survey goes out as a notice (``notices``): the notice's receipts are its audience, its feed entry,
badge, email and reminders reach the families. Who has answered is kept apart from what was
answered: ``Participation`` names the receipt and nothing else; ``Response`` and ``Answer`` of an
anonymous survey carry no person, no child, no time and no sequential id (UUIDs), so no row can be
joined, sorted or timed back to the person who gave it. Named surveys and collection forms do name
the person, and say so on the page."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

# Results of a group with fewer answers than this are never shown (an anonymous survey's answers
# could otherwise be traced to the one or two people of a small class).
MIN_GROUP = 5


class Survey(models.Model):
    class Kind(models.TextChoices):
        SURVEY = "survey", _("questionnaire")
        FORM = "form", _("collection form (one row per child, named)")

    class Series(models.TextChoices):
        NONE = "", _("none")
        EVAL_PARENTS = "eval_parents", _("monthly evaluation, parents")
        EVAL_TEACHERS = "eval_teachers", _("monthly evaluation, teachers")

    class Status(models.TextChoices):
        TEMPLATE = "template", _("the school's template")
        DRAFT = "draft", _("draft")
        SENT = "sent", _("sent")

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="surveys")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="surveys")
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.SURVEY)
    anonymous = models.BooleanField(_("anonymous"), default=True)
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    series = models.CharField(max_length=16, choices=Series.choices, default="", blank=True)
    period = models.DateField(null=True, blank=True)  # first day of the month a monthly evaluation is about
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.DRAFT)
    opens_at = models.DateTimeField(null=True, blank=True)
    closes_at = models.DateTimeField(null=True, blank=True)
    notice = models.OneToOneField(
        "notices.Notice", on_delete=models.SET_NULL, null=True, blank=True, related_name="survey"
    )
    audience_label = models.CharField(max_length=255, blank=True)
    last_reminded_at = models.DateTimeField(null=True, blank=True)
    idempotency_key = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(school="school")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["school", "series", "period"])]
        constraints = [
            models.UniqueConstraint(
                fields=["author", "idempotency_key"], condition=~Q(idempotency_key=""), name="survey_idempotent"
            ),
            models.UniqueConstraint(
                fields=["school", "series"], condition=Q(status="template"), name="survey_one_template_per_series"
            ),
            models.CheckConstraint(condition=Q(kind="survey") | Q(anonymous=False), name="survey_forms_are_named"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        now = timezone.now()
        return (
            self.status == self.Status.SENT
            and self.opens_at is not None
            and self.opens_at <= now
            and (self.closes_at is None or now < self.closes_at)
        )

    @property
    def is_form(self) -> bool:
        return self.kind == self.Kind.FORM


class Question(models.Model):
    class Kind(models.TextChoices):
        SINGLE = "single", _("single choice")
        MULTIPLE = "multiple", _("multiple choice")
        RATING = "rating", _("rating 1–5")
        NPS = "nps", _("recommendation 0–10")
        TEXT = "text", _("short text")
        LONG_TEXT = "long_text", _("long text")
        MATRIX = "matrix", _("matrix of ratings 1–5")
        DATE = "date", _("date")
        FILE = "file", _("file")

    CHOICE_KINDS = {Kind.SINGLE, Kind.MULTIPLE}
    SCALE: dict[str, tuple[int, int]] = {Kind.RATING: (1, 5), Kind.NPS: (0, 10), Kind.MATRIX: (1, 5)}
    TEXT_KINDS = {Kind.TEXT, Kind.LONG_TEXT}

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE)
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField(default=0)
    section = models.CharField(_("section"), max_length=60, blank=True)
    kind = models.CharField(_("kind of question"), max_length=10, choices=Kind.choices)
    text = models.CharField(_("question"), max_length=300)
    help_text = models.CharField(_("explanation"), max_length=300, blank=True)
    required = models.BooleanField(_("required"), default=True)
    options = models.JSONField(default=list, blank=True)  # choices, or the rows of a matrix
    key = models.CharField(max_length=40, blank=True)  # the same question across monthly evaluations

    objects = ScopedManager(school="school")

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.text

    @property
    def scale(self) -> tuple[int, int] | None:
        return self.SCALE.get(self.kind)

    @property
    def scale_values(self) -> list[int]:
        low, high = self.scale or (0, -1)
        return list(range(low, high + 1))


class Participation(models.Model):
    """The "has answered" mark of one receipt: so nobody answers twice and reminders reach only
    those who have not. It says nothing about what was answered."""

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE)
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="participations")
    receipt = models.ForeignKey("notices.Receipt", on_delete=models.CASCADE)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(school="school")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["survey", "receipt"], name="participation_once")]


class Response(models.Model):
    """One filled-in questionnaire or one row of a collection form. Anonymous: only the class and
    grade (for the per-class results, shown from ``MIN_GROUP`` answers up); named: who and when;
    a collection form: the child the row is about."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    school = models.ForeignKey("schools.School", on_delete=models.CASCADE)
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses")
    school_class = models.ForeignKey("schools.SchoolClass", on_delete=models.SET_NULL, null=True, blank=True)
    grade = models.PositiveSmallIntegerField(null=True, blank=True)
    respondent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    guardian = models.ForeignKey("schools.Guardian", on_delete=models.SET_NULL, null=True, blank=True)
    student = models.ForeignKey("schools.Student", on_delete=models.CASCADE, null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(school="school")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "student"], condition=Q(student__isnull=False), name="response_one_row_per_child"
            ),
        ]


class Answer(models.Model):
    """One answer to one question (one row per chosen option of a multiple choice, per row of a
    matrix), so results are counted by the database with GROUP BY."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    school = models.ForeignKey("schools.School", on_delete=models.CASCADE)
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="answers")
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers")
    row = models.PositiveSmallIntegerField(null=True, blank=True)  # the matrix row
    number = models.SmallIntegerField(null=True, blank=True)  # option index, rating or score
    text = models.TextField(blank=True)  # text, a date (ISO) or a file's name
    file = models.FileField(upload_to="surveys/%Y/%m/", blank=True)

    objects = ScopedManager(school="school")

    class Meta:
        indexes = [models.Index(fields=["survey", "question", "row", "number"])]
