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
