"""Articles (文章): the family-education column (网络家教专栏, R29) for families, and the staff-only
space where teachers share class-management experience (R26). A draft is reviewed (审核) by an
editor or an admin before it is published; families comment when the author allows it, and staff
may hide a comment. A parent the school invites (R30) writes a draft the same way, reviewed like any
other. ``source`` says where a published piece came from (staff, an invited parent, the contest)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager


class Space(models.TextChoices):
    COLUMN = "column", _("family-education column")
    STAFF = "staff", _("teachers' experience")


class Topic(models.TextChoices):
    HABITS = "habits", _("habits and self-care")
    LEARNING = "learning", _("learning at home")
    READING = "reading", _("reading together")
    EMOTIONS = "emotions", _("feelings and growing up")
    HEALTH = "health", _("health and safety")
    TOGETHER = "together", _("home and school together")
    CLASSROOM = "classroom", _("running a class")


class Editor(models.Model):
    """A staff member who reviews and publishes articles and edits the newspaper (admins always may)."""

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(school="school")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["school", "user"], name="publishing_editor_once")]


class Invitation(models.Model):
    """A parent the school asks to write for the column (R30): they may write one draft."""

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    note = models.CharField(_("what we would like to read"), max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(school="school")

    class Meta:
        ordering = ["-created_at", "-id"]


class Article(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        SUBMITTED = "submitted", _("waiting for review")
        RETURNED = "returned", _("returned for changes")
        PUBLISHED = "published", _("published")
        WITHDRAWN = "withdrawn", _("withdrawn")

    class Source(models.TextChoices):
        STAFF = "staff", _("staff")
        PARENT = "parent", _("an invited parent")
        CONTEST = "contest", _("the essay contest")

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="articles")
    space = models.CharField(_("where"), max_length=8, choices=Space.choices, default=Space.COLUMN)
    title = models.CharField(_("title"), max_length=120)
    body_html = models.TextField(_("text"))
    body_text = models.TextField(blank=True)
    summary = models.CharField(_("summary"), max_length=200, blank=True)
    topic = models.CharField(_("topic"), max_length=16, choices=Topic.choices, default=Topic.TOGETHER)
    # The grades the piece suits, 1–6; both empty: every grade.
    grade_from = models.PositiveSmallIntegerField(_("from grade"), null=True, blank=True)
    grade_to = models.PositiveSmallIntegerField(_("to grade"), null=True, blank=True)
    cover = models.FileField(upload_to="publishing/%Y/%m/", blank=True)
    # Empty for a piece that came from outside (the contest): ``author_name`` is then what is shown.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    author_name = models.CharField(_("byline"), max_length=60)
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.STAFF)
    invitation = models.OneToOneField(
        Invitation, on_delete=models.SET_NULL, null=True, blank=True, related_name="article"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    # On the school's public page (only a published column article).
    public = models.BooleanField(_("on the school's public page"), default=False)
    allow_comments = models.BooleanField(_("families may comment"), default=False)
    review_note = models.TextField(_("review note"), blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    idempotency_key = models.CharField(max_length=64, blank=True)

    objects = ScopedManager(school="school")

    class Meta:
        ordering = ["-published_at", "-id"]
        indexes = [models.Index(fields=["school", "space", "status", "published_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(public=False) | Q(space="column", status="published"),
                name="publishing_public_is_published_column",
            ),
            models.CheckConstraint(
                condition=Q(grade_from__isnull=True)
                | Q(grade_to__isnull=True)
                | Q(grade_from__lte=models.F("grade_to")),
                name="publishing_grade_range",
            ),
            models.UniqueConstraint(
                fields=["school", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="publishing_article_idempotency",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def grades_label(self) -> str:
        if self.grade_from is None and self.grade_to is None:
            return str(_("all grades"))
        low, high = self.grade_from or 1, self.grade_to or self.grade_from or 6
        if low == high:
            return str(_("grade %(n)d")) % {"n": low}
        return str(_("grades %(low)d–%(high)d")) % {"low": low, "high": high}


class Comment(models.Model):
    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    text = models.TextField(_("comment"))
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(school="school")

    class Meta:
        ordering = ["created_at", "id"]


class PublicNotice(models.Model):
    """A whole-school notice an admin has put on the school's public page (formal notices on the
    school's website, R11)."""

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    notice = models.OneToOneField("notices.Notice", on_delete=models.CASCADE, related_name="+")
    marked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    marked_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(school="school")
