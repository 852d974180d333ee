"""Class groups, private conversations about one child, and staff groups (seed R1), within the rules
of PRODUCT.md: what may not be said in a class channel, and teachers' evenings.

Messages are written to the database first; the WebSocket is only the fast path. Who belongs to a
class group or a private conversation is derived from the roster every time (a parent whose child
leaves the class is out, without anyone removing them); ``Participant`` rows hold what is personal:
the read position (unread counts without a row per message per member), hiding one's read status,
being muted, and the members of staff groups."""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

RECALL_WITHIN = datetime.timedelta(minutes=2)
MAX_BODY = 2000


class Conversation(models.Model):
    class Kind(models.TextChoices):
        CLASS = "class", _("class group")
        PRIVATE = "private", _("private conversation")
        STAFF = "staff", _("staff group")

    class Mode(models.TextChoices):
        NOTICE_FIRST = "notice_first", _("notice-first: only staff post, families react")
        QA = "qa", _("Q&A: families ask, staff answer, answered questions are shown to all")
        OPEN = "open", _("open discussion")

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="conversations")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    title = models.CharField(_("group name"), max_length=80, blank=True)
    school_class = models.ForeignKey("schools.SchoolClass", on_delete=models.CASCADE, null=True, blank=True)
    student = models.ForeignKey("schools.Student", on_delete=models.CASCADE, null=True, blank=True)
    mode = models.CharField(_("mode"), max_length=12, choices=Mode.choices, default=Mode.QA)
    pinned = models.ForeignKey("Message", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(school="school")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["school_class"], condition=Q(kind="class"), name="one_group_per_class"),
            models.CheckConstraint(
                condition=~Q(kind="class") | Q(school_class__isnull=False), name="class_group_has_class"
            ),
            models.CheckConstraint(
                condition=~Q(kind="private") | Q(student__isnull=False), name="private_conversation_has_child"
            ),
        ]

    def __str__(self) -> str:
        return self.display_title

    @property
    def display_title(self) -> str:
        """A class group is named after its class as it is now (a new school year renames it)."""
        if self.kind == self.Kind.CLASS and self.school_class is not None:
            return self.school_class.name
        if self.kind == self.Kind.PRIVATE and self.student is not None:
            return self.student.name
        return self.title


class Participant(models.Model):
    """A member's own state in a conversation. For staff groups and the staff side of a private
    conversation the row is the membership itself (``left_at`` ends it)."""

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE)
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chat_participations")
    is_member = models.BooleanField(default=False)  # staff groups, staff of a private conversation
    last_read_id = models.BigIntegerField(default=0)
    hide_read = models.BooleanField(default=False)
    muted = models.BooleanField(default=False)
    muted_reason = models.CharField(max_length=300, blank=True)
    left_at = models.DateTimeField(null=True, blank=True)
    joined_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(school="school")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["conversation", "user"], name="one_participant_row")]


class Message(models.Model):
    class Kind(models.TextChoices):
        TEXT = "text", _("message")
        QUESTION = "question", _("question")
        ANSWER = "answer", _("teacher's answer")
        AUTO_REPLY = "auto_reply", _("automatic reply")

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE)
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="chat_messages")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.TEXT)
    body = models.TextField(blank=True)
    quote = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    question = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="answers")
    # In Q&A mode a family's question is seen by staff and the asker until it is answered.
    visible_to_all = models.BooleanField(default=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    file = models.FileField(upload_to="chat/%Y/%m/", blank=True)
    file_name = models.CharField(max_length=120, blank=True)
    file_mime = models.CharField(max_length=100, blank=True)
    file_size = models.PositiveIntegerField(default=0)
    client_key = models.CharField(max_length=64, blank=True)
    quiet = models.BooleanField(default=False)  # sent in a teacher's quiet hours: no alert until morning
    guardrail_reason = models.TextField(blank=True)
    recalled_at = models.DateTimeField(null=True, blank=True)
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    removed_reason = models.CharField(max_length=300, blank=True)
    # A moderator marked this message as opening the month's themed discussion (主题讨论): the
    # theme's name. Counted by the class rhythm (reports.rhythm).
    theme = models.CharField(_("theme"), max_length=80, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(school="school")

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["conversation", "id"])]
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "sender", "client_key"],
                condition=~Q(client_key=""),
                name="message_sent_once",
            ),
        ]

    @property
    def is_gone(self) -> bool:
        return self.recalled_at is not None or self.removed_at is not None


class QuietHours(models.Model):
    """A teacher's evenings: messages sent to them in these hours wait quietly until morning."""

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    enabled = models.BooleanField(_("quiet hours on"), default=True)
    starts = models.TimeField(_("from"), default=datetime.time(21, 0))
    ends = models.TimeField(_("until"), default=datetime.time(7, 0))

    objects = ScopedManager(school="school")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["school", "user"], name="quiet_hours_once")]


class ChatSettings(models.Model):
    school = models.OneToOneField("schools.School", on_delete=models.CASCADE, related_name="chat_settings")
    office_phone = models.CharField(_("school office phone for urgent matters"), max_length=20, blank=True)

    objects = ScopedManager(school="school")
