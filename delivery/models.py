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
        WECOM = "wecom", _("WeCom")
        PUSH = "push", _("push notification")

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
    # What a provider said (delivery/sms_providers.py): the kind of the last failure (a key of
    # FAILURE_KINDS, shown to the sender in plain words), the provider's id of the sent message
    # (Alibaba Cloud BizId, Tencent Cloud SerialNo, WeCom msgid) and the phone's delivery report.
    # (Database defaults: the INSERT … SELECT of delivery.actions names only the older columns.)
    error_kind = models.CharField(max_length=16, blank=True, db_default="")
    provider_ref = models.CharField(max_length=64, blank=True, db_default="")
    report = models.CharField(max_length=16, blank=True, db_default="")  # "", "delivered", "undelivered"
    reported_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(school="school")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["receipt", "channel", "round"], name="delivery_once_per_round"),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]


class WecomParent(models.Model):
    """A parent in the school's WeCom education organisation (企业微信家校), as its parent list
    names them: matched to the school's guardians by mobile number (``guardian.phone``), so the
    WeCom channel finds a family's ``parent_userid`` without a link up to schools."""

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE)
    phone = models.CharField(max_length=11)
    parent_userid = models.CharField(max_length=64)
    subscribed = models.BooleanField(default=True)  # follows the school's notifications in WeChat
    synced_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(school="school")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["school", "phone"], name="wecom_parent_once_per_phone")]


class PushSubscription(models.Model):
    """One device's Web Push subscription (a browser's push service endpoint and its keys), for one
    user in one school: a device of a parent with children in two schools has a row per school, so
    each school's notices reach it only while the parent belongs there. Removed when the push
    service answers 404/410 (the browser dropped it) or when the user turns notifications off."""

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="push_subscriptions")
    endpoint = models.URLField(max_length=1000)
    p256dh = models.CharField(max_length=200)
    auth = models.CharField(max_length=100)
    user_agent = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(school="school")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["endpoint", "school"], name="push_once_per_device_school")]
        indexes = [models.Index(fields=["user", "school"])]


class DigestSent(models.Model):
    """One family member's digest of one period (home.weekly): written before it is sent and
    marked sent after, so a retry of the beat task, or a second worker, never sends it twice. A
    send that failed (the provider down) is marked so and tried again by the next run of the
    period. Not school-owned: a digest covers all the family's schools, like the preference."""

    class Status(models.TextChoices):
        SENDING = "sending", _("being sent")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digests_sent")
    frequency = models.CharField(max_length=8)  # weekly / daily
    period = models.DateField()  # the day (daily) or the Sunday that starts the week (weekly)
    channel = models.CharField(max_length=16, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.SENDING)
    items = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=255, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "frequency", "period"], name="digest_once_per_period")]
