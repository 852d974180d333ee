"""Recognition (表彰): whom the school's admins commended at a term's end, with the citation and the
evidence they saw, kept as it was (the records behind it may change later)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager


class Commendation(models.Model):
    class Kind(models.TextChoices):
        TEACHER = "teacher", _("teacher")
        FAMILY = "family", _("family")

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    term = models.ForeignKey("schools.Term", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    # A teacher is a user on the school's staff; a family is a guardian of the school.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    guardian = models.ForeignKey("schools.Guardian", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    name = models.CharField(max_length=100)  # as printed on the certificate
    award = models.CharField(_("title of the award"), max_length=40)
    citation = models.TextField(_("citation"))
    evidence = models.JSONField(default=list)  # [{"label": …, "count": …, "items": […]}] when commended
    notice = models.ForeignKey("notices.Notice", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(school="school")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="teacher", user__isnull=False, guardian__isnull=True))
                | Q(kind="family", guardian__isnull=False, user__isnull=True),
                name="commendation_one_person",
            ),
            models.UniqueConstraint(
                fields=["term", "user"], condition=Q(kind="teacher"), name="commendation_teacher_once_a_term"
            ),
            models.UniqueConstraint(
                fields=["term", "guardian"], condition=Q(kind="family"), name="commendation_family_once_a_term"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} · {self.award}"


class YearlySummary(models.Model):
    """The school year's summary (学年家校工作总结, R18): Tongxin drafts its sections from the year's
    records (``reports.summary``), the admins edit each section's text in the browser, and the final
    version is issued once and kept as the files it was issued as (.docx and PDF)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        ISSUED = "issued", _("issued")

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField(_("school year"))  # the year it starts in: 2026 for 2026—2027
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.DRAFT)
    # [{"key", "title", "text" (the admin's words), "figures": [{"label", "value", "source"}],
    #   "table": {"header": [...], "rows": [[...]]} | None}], as reports.summary drafted them.
    sections = models.JSONField(default=list)
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    issued_at = models.DateTimeField(null=True, blank=True)
    docx_file = models.FileField(upload_to="summaries/%Y/", blank=True)
    pdf_file = models.FileField(upload_to="summaries/%Y/", blank=True)

    objects = ScopedManager(school="school")

    class Meta:
        ordering = ["-year"]
        constraints = [
            models.UniqueConstraint(fields=["school", "year"], name="yearly_summary_one_per_year"),
            models.CheckConstraint(
                condition=Q(status="draft") | (Q(issued_at__isnull=False) & ~Q(docx_file="") & ~Q(pdf_file="")),
                name="yearly_summary_issued_has_files",
            ),
        ]

    def __str__(self) -> str:
        return self.year_label

    @property
    def year_label(self) -> str:
        return f"{self.year}—{self.year + 1}学年"

    @property
    def is_issued(self) -> bool:
        return self.status == self.Status.ISSUED


class RhythmRules(models.Model):
    """The class rhythm a school sets (seed 000, the class plan): how often each class does what,
    checked from the records by ``reports.rhythm`` with no data entry. One row per school; a school
    without one has the defaults."""

    school = models.OneToOneField("schools.School", on_delete=models.CASCADE, related_name="rhythm_rules")
    updates_per_week = models.PositiveSmallIntegerField(_("class updates per week"), default=1)
    themed_per_month = models.PositiveSmallIntegerField(_("themed discussions per month"), default=1)
    meetings_per_term = models.PositiveSmallIntegerField(_("parent meetings per term"), default=2)
    parent_school_per_term = models.PositiveSmallIntegerField(_("parent-school sessions per term"), default=1)
    trainings_per_term = models.PositiveSmallIntegerField(_("teacher trainings per term"), default=1)
    coverage_percent = models.PositiveSmallIntegerField(_("students with enough contacts this term (%)"), default=100)
    follow_up_percent = models.PositiveSmallIntegerField(_("students of concern phoned this month (%)"), default=100)
    evaluation_percent = models.PositiveSmallIntegerField(
        _("families who answered the monthly evaluation (%)"), default=60
    )
    updated_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(school="school")

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(coverage_percent__lte=100) & Q(follow_up_percent__lte=100) & Q(evaluation_percent__lte=100),
                name="rhythm_rules_percent",
            ),
        ]

    def __str__(self) -> str:
        return f"rhythm rules of {self.school_id}"
