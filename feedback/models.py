"""The suggestion box (意见箱, issue 16): a family or a staff member writes a suggestion or a concern,
signed or anonymous; it is routed by kind to an owner who acknowledges it within the school's time,
replies, records the decision and, where something must change, opens a rectification (整改).

Anonymous means no row anywhere names the author: ``author`` is empty, the audit row has no actor
and no address, the time is kept to the hour, and the author follows it with a receipt whose hash
alone is stored (``receipt_hash``)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager


class Kind(models.TextChoices):
    CLASS = "class", _("the class")
    TEACHING = "teaching", _("teaching and homework")
    SAFETY = "safety", _("safety")
    CANTEEN = "canteen", _("canteen and services")
    SCHOOL = "school", _("the school in general")


class Route(models.Model):
    """Who owns the suggestions of one kind in one school, and how soon they must be acknowledged.
    With no route, the class's head teacher owns "the class" and the school's admins the rest."""

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="feedback_routes")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    head_teacher = models.BooleanField(_("the class's head teacher"), default=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    department = models.CharField(_("department"), max_length=60, blank=True)
    ack_hours = models.PositiveSmallIntegerField(_("acknowledge within (hours)"), default=48)

    objects = ScopedManager(school="school")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["school", "kind"], name="feedback_route_one_per_kind")]


class Suggestion(models.Model):
    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("received")
        ACKNOWLEDGED = "acknowledged", _("being looked at")
        ANSWERED = "answered", _("answered")
        DECIDED = "decided", _("decided")
        CLOSED = "closed", _("done")

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="suggestions")
    school_class = models.ForeignKey(
        "schools.SchoolClass", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    text = models.TextField(_("suggestion"))
    anonymous = models.BooleanField(_("anonymous"), default=False)
    # Empty when anonymous: nothing else in the database names the author either.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    receipt_hash = models.CharField(max_length=64, blank=True, db_index=True)
    public_consent = models.BooleanField(_("may be answered publicly"), default=False)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.SUBMITTED)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    department = models.CharField(max_length=60, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    ack_due_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    reply = models.TextField(_("reply"), blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decision = models.TextField(_("what was decided"), blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    public_answer = models.TextField(_("public answer"), blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(school="school")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["school", "created_at"]), models.Index(fields=["owner", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(anonymous=False) | Q(author__isnull=True), name="suggestion_anonymous_has_no_author"
            ),
        ]


class Rectification(models.Model):
    """Something that must change (整改), with its owner, deadline and closing note."""

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    suggestion = models.ForeignKey(Suggestion, on_delete=models.CASCADE, related_name="rectifications")
    what = models.TextField(_("what must change"))
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    due_on = models.DateField(_("deadline"))
    opened_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    closing_note = models.TextField(_("closing note"), blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(school="school")

    class Meta:
        ordering = ["due_on", "id"]
