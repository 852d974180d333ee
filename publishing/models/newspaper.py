"""The parent newspaper (家长报): numbered issues (第8期) with a date and sections built from
published articles, photos and short items; sent to families as a notice and printed as an A4 PDF.
Past issues are kept and listed."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager


class Issue(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("being put together")
        SENT = "sent", _("sent")

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="newspaper_issues")
    number = models.PositiveIntegerField(_("issue number"))
    date = models.DateField(_("date"))
    title = models.CharField(_("title"), max_length=60, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.DRAFT)
    notice = models.ForeignKey("notices.Notice", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(school="school")

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["school", "number"], name="publishing_issue_number_once"),
            models.CheckConstraint(condition=Q(number__gte=1), name="publishing_issue_number_positive"),
        ]

    def __str__(self) -> str:
        return str(_("Issue %(n)d")) % {"n": self.number}


class Section(models.Model):
    class Kind(models.TextChoices):
        ARTICLE = "article", _("an article")
        PHOTO = "photo", _("a photo")
        ITEM = "item", _("a short item")

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="sections")
    position = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    heading = models.CharField(_("heading"), max_length=120, blank=True)
    article = models.ForeignKey("publishing.Article", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    text = models.TextField(_("text"), blank=True)
    photo = models.FileField(upload_to="publishing/%Y/%m/", blank=True)

    objects = ScopedManager(school="school")

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="article") | Q(article__isnull=False), name="publishing_section_article_named"
            ),
        ]
