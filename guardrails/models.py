"""What a school adds to the class-channel checker (core.guardrails) and what it learns from it.

* ``SchoolWords``: the school's own forbidden words (as WeCom admins can set), one list per school,
  checked in every class-wide notice and class-group message besides the authorities' rules.
* ``GuardrailTally``: per school, day and rule, how many class-wide messages were stopped by a
  warning and how many were sent anyway with a reason. Counts only: no message, no sender, no
  child's name; the admin page adds the days up per term.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

MAX_WORDS = 200
MAX_WORD_LENGTH = 20


class SchoolWords(models.Model):
    school = models.OneToOneField("schools.School", on_delete=models.CASCADE, related_name="guardrail_words")
    words = models.JSONField(_("words"), default=list, blank=True)  # normalised, unique, in the admin's order
    # Naming one child's award in a class channel is usual and allowed; a school may choose to be warned.
    warn_named_awards = models.BooleanField(_("warn when one child's award is named"), default=False)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")

    objects = ScopedManager(school="school")

    class Meta:
        verbose_name = _("school's forbidden words")


class GuardrailTally(models.Model):
    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    code = models.CharField(max_length=32)  # core.guardrails.ALL_CODES
    warned = models.PositiveIntegerField(default=0)  # the sender was stopped by a warning
    overridden = models.PositiveIntegerField(default=0)  # the sender went ahead with a reason

    objects = ScopedManager(school="school")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["school", "day", "code"], name="guardrail_tally_one_row")]


class PictureCheck(models.Model):
    """A picture attached to a class-wide notice or a class-group message, read with OCR in the
    background (guardrails.tasks.read_picture) and checked like the text: what the sender is shown.
    ``source`` and ``object_id`` name the notice or the chat message (this app sits below both)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("being read")
        CLEAN = "clean", _("nothing found")
        WARNED = "warned", _("looks like something the rules forbid")
        UNREADABLE = "unreadable", _("could not be read")
        NO_ENGINE = "no_engine", _("pictures are not read on this server")

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    source = models.CharField(max_length=8)  # "notice" or "chat"
    object_id = models.PositiveBigIntegerField()
    file = models.CharField(max_length=255)  # the storage name of the picture
    file_name = models.CharField(max_length=120)
    class_ids = models.JSONField(default=list)  # the classes it reaches: their rosters are checked
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    concerns = models.JSONField(default=list, blank=True)  # Concern.as_dict() of each concern found
    created_at = models.DateTimeField(default=timezone.now)
    checked_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(school="school")

    class Meta:
        indexes = [models.Index(fields=["source", "object_id"])]
