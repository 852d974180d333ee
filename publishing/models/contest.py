"""The essay contest (征文评选, issue 16): a call with a theme, rules, who may submit, a deadline and a
rubric of weighted criteria; entries as text or a stripped .docx/PDF; anonymised judging by at least
two judges per entry, none from the author's class or family; results, prizes and certificates.

Anonymity: an entry's author is kept on ``Entry`` (the organiser needs it to announce the prizes),
but nothing a judge is shown reads it: judges get ``Entry.number``, the title, ``judge_text`` (the
text with the author's and their children's names blanked) and ``judge_file`` (the file with its
author metadata stripped, under a random name, served as "作品12.docx"). The original upload is
never stored."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

__all__ = ["Assignment", "Contest", "ContestJudge", "Criterion", "Entry", "Prize", "Score"]


class Prize(models.TextChoices):
    FIRST = "first", _("First prize")
    SECOND = "second", _("Second prize")
    THIRD = "third", _("Third prize")
    MERIT = "merit", _("Merit award")


class Contest(models.Model):
    class Audience(models.TextChoices):
        STAFF = "staff", _("staff")
        PARENTS = "parents", _("parents")
        BOTH = "both", _("staff and parents")

    class Status(models.TextChoices):
        OPEN = "open", _("open for entries")
        JUDGING = "judging", _("being judged")
        ANNOUNCED = "announced", _("results announced")

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="contests")
    title = models.CharField(_("title"), max_length=120)
    theme = models.CharField(_("theme"), max_length=200)
    rules = models.TextField(_("rules"), blank=True)
    audience = models.CharField(_("who may submit"), max_length=8, choices=Audience.choices)
    deadline = models.DateTimeField(_("deadline"))
    judges_per_entry = models.PositiveSmallIntegerField(_("judges per entry"), default=2)
    # Two judges' weighted results (0–100) further apart than this are shown as a disagreement.
    disagreement_points = models.PositiveSmallIntegerField(_("disagreement above (points of 100)"), default=20)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    announced_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(school="school")

    class Meta:
        ordering = ["-deadline", "-id"]
        constraints = [models.CheckConstraint(condition=Q(judges_per_entry__gte=2), name="contest_two_judges_or_more")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_past_deadline(self) -> bool:
        return timezone.now() >= self.deadline


class Criterion(models.Model):
    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    contest = models.ForeignKey(Contest, on_delete=models.CASCADE, related_name="criteria")
    name = models.CharField(_("criterion"), max_length=60)
    weight = models.PositiveSmallIntegerField(_("weight"))
    max_score = models.PositiveSmallIntegerField(_("highest score"), default=10)
    position = models.PositiveSmallIntegerField(default=0)

    objects = ScopedManager(school="school")

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["contest", "name"], name="contest_criterion_unique_name"),
            models.CheckConstraint(condition=Q(weight__gte=1, max_score__gte=1), name="contest_criterion_positive"),
        ]


class ContestJudge(models.Model):
    """A member of the contest's panel of judges (a staff member of the school)."""

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    contest = models.ForeignKey(Contest, on_delete=models.CASCADE, related_name="judges")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    objects = ScopedManager(school="school")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["contest", "user"], name="contest_judge_once")]


class Entry(models.Model):
    class FileKind(models.TextChoices):
        NONE = "", _("text")
        DOCX = "docx", "Word (.docx)"
        PDF = "pdf", "PDF"

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    contest = models.ForeignKey(Contest, on_delete=models.CASCADE, related_name="entries")
    number = models.PositiveIntegerField()  # what judges see: 作品 12
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # The classes and children the author is tied to when they submitted (their children's classes,
    # or the classes a teacher teaches): no judge is given an entry that shares one.
    class_ids = models.JSONField(default=list)
    student_ids = models.JSONField(default=list)
    title = models.CharField(_("title"), max_length=120)
    text = models.TextField(_("text"), blank=True)  # as written (the author and the organiser see it)
    judge_title = models.CharField(max_length=120, blank=True)  # names blanked
    judge_text = models.TextField(blank=True)  # names blanked: what judges read
    file_kind = models.CharField(max_length=4, choices=FileKind.choices, blank=True, default="")
    judge_file = models.FileField(upload_to="contest/", blank=True)  # author metadata stripped
    submitted_at = models.DateTimeField(default=timezone.now)
    prize = models.CharField(_("prize"), max_length=8, choices=Prize.choices, blank=True)
    publish_consent = models.BooleanField(_("may be published in the column or the newspaper"), default=False)
    consent_at = models.DateTimeField(null=True, blank=True)
    published = models.BooleanField(default=False)
    published_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(school="school")

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["contest", "number"], name="contest_entry_number_unique"),
            models.UniqueConstraint(fields=["contest", "author"], name="contest_entry_one_per_author"),
            models.CheckConstraint(
                condition=Q(published=False) | Q(publish_consent=True), name="entry_published_with_consent"
            ),
        ]

    @property
    def label(self) -> str:
        return _("Entry %(n)d") % {"n": self.number}


class Assignment(models.Model):
    """One judge's copy of one entry: their scores per criterion, a comment, the weighted result."""

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="assignments")
    judge = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    assigned_at = models.DateTimeField(default=timezone.now)
    comment = models.TextField(_("comment"), blank=True)
    result = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)  # 0–100, weighted
    scored_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(school="school")

    class Meta:
        ordering = ["entry__number", "id"]
        constraints = [models.UniqueConstraint(fields=["entry", "judge"], name="contest_assignment_once")]


class Score(models.Model):
    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="scores")
    criterion = models.ForeignKey(Criterion, on_delete=models.CASCADE, related_name="+")
    value = models.PositiveSmallIntegerField()

    objects = ScopedManager(school="school")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["assignment", "criterion"], name="contest_score_once")]
