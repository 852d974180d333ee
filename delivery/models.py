"""Delivery: how each message reaches each recipient, channel by channel, with its status.

In-app needs no row: a receipt is delivered in the app when it exists. Every other channel
(email now; SMS, push and messaging-app webhooks later) gets one ``Delivery`` row per recipient,
channel and round (0 = the notice, 1… = reminders), created in one INSERT … SELECT, sent by a
task, retried with backoff, and unique so that a retry never sends twice."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager


class DeliveryPreference(models.Model):
    """A family's (or a teacher's) choice of channels. Not school-owned: one per person."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="delivery_preference")
    email = models.EmailField(_("email address"), blank=True)
    email_enabled = models.BooleanField(_("send notices by email too"), default=True)
    sms_enabled = models.BooleanField(_("send reminders by SMS"), default=False)
    # The family's action list (home.weekly) as a digest: weekly (Sunday evening), daily, or none.
    digest = models.CharField(
        _("digest of what to do"),
        max_length=8,
        choices=[("weekly", _("weekly")), ("daily", _("daily")), ("off", _("none"))],
        default="weekly",
    )
    updated_at = models.DateTimeField(auto_now=True)


class Delivery(models.Model):
    class Channel(models.TextChoices):
        EMAIL = "email", _("email")
        SMS = "sms", _("SMS")

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE)
    # Reviewed: the one link up to notices, by the model's name only (no import). A delivery is the
    # sending of one receipt, and the cascade and the unique constraint below need the real foreign
    # key; the code of this app never imports notices, which hands in the receipts to deliver.
    receipt = models.ForeignKey("notices.Receipt", on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(max_length=16, choices=Channel.choices)
    round = models.PositiveSmallIntegerField(default=0)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(school="school")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["receipt", "channel", "round"], name="delivery_once_per_round"),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]
