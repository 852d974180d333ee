"""家校联系册: every contact with a family about a child, its agreed actions and follow-up, what the
family saw and answered, and the school's coverage rules. Students of concern (个别关注) have their
cases here too, behind stricter access (see access.py)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager


class Topic(models.TextChoices):
    LEARNING = "learning", _("learning")
    BEHAVIOUR = "behaviour", _("behaviour and habits")
    MENTAL_HEALTH = "mental_health", _("mental health")
    ADVICE = "advice", _("family-education advice")
    HOME_CHANGE = "home_change", _("change at home")
    SPECIAL_EVENT = "special_event", _("special event")
    PRAISE = "praise", _("praise")


CONCERN_TOPICS = {Topic.LEARNING, Topic.BEHAVIOUR, Topic.MENTAL_HEALTH, Topic.HOME_CHANGE, Topic.SPECIAL_EVENT}


class ContactRecord(models.Model):
    class Kind(models.TextChoices):
        HOME_VISIT = "home_visit", _("home visit (家访)")
        PHONE = "phone", _("phone call")
        SCHOOL_TALK = "school_talk", _("talk at school")
        PARENT_VISIT = "parent_visit", _("parent's visit")
        MEETING_TALK = "meeting_talk", _("talk at a parent meeting")
        ONLINE = "online", _("online message or video call")
        OTHER = "other", _("other")

    class Visibility(models.TextChoices):
        INTERNAL = "internal", _("staff only")
        SHARED = "shared", _("shared with the family")

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE)
    term = models.ForeignKey("schools.Term", on_delete=models.PROTECT)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="contact_records")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    occurred_on = models.DateField(_("date"))
    duration_minutes = models.PositiveSmallIntegerField(_("minutes"), default=15)
    participants = models.CharField(_("who took part"), max_length=200, blank=True)
    topics = models.JSONField(default=list, blank=True)
    # Kept beside the topics so that coverage counts are plain indexed filters on every database.
    has_praise = models.BooleanField(default=False)
    has_concern = models.BooleanField(default=False)
    summary = models.TextField(_("summary (for staff)"))
    visibility = models.CharField(max_length=16, choices=Visibility.choices, default=Visibility.INTERNAL)
    parent_summary = models.TextField(_("summary for the family"), blank=True)
    follow_up_on = models.DateField(_("follow up on"), null=True, blank=True)
    follow_up_done_at = models.DateTimeField(null=True, blank=True)
    # Collective guidance (R8): a record about the whole class, not one child.
    school_class = models.ForeignKey("schools.SchoolClass", on_delete=models.PROTECT, null=True, blank=True)
    conversation_request = models.OneToOneField(
        "ConversationRequest", on_delete=models.SET_NULL, null=True, blank=True, related_name="record"
    )
    idempotency_key = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # Optimistic concurrency (core.concurrency): the edit form carries the version it opened.
    version = models.PositiveIntegerField(default=1)
    edited_at = models.DateTimeField(null=True, blank=True)
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ScopedManager(school="school")

    class Meta:
        ordering = ["-occurred_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["author", "idempotency_key"], condition=~Q(idempotency_key=""), name="contact_idempotent"
            ),
            models.CheckConstraint(
                condition=~Q(visibility="shared") | ~Q(parent_summary=""), name="contact_shared_has_summary"
            ),
        ]

    @property
    def is_praise_only(self) -> bool:
        return set(self.topics) == {Topic.PRAISE}


class ContactRevision(models.Model):
    """A record's editable fields as they were at ``version``, kept when it is edited: the trail of
    a sensitive record, and what tells a second editor what the first one changed."""

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE)
    record = models.ForeignKey(ContactRecord, on_delete=models.CASCADE, related_name="revisions")
    version = models.PositiveIntegerField()
    fields = models.JSONField(default=dict)
    edited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    edited_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(school="school")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["record", "version"], name="contact_revision_unique")]


class ContactStudent(models.Model):
    school = models.ForeignKey("schools.School", on_delete=models.CASCADE)
    record = models.ForeignKey(ContactRecord, on_delete=models.CASCADE, related_name="student_links")
    student = models.ForeignKey("schools.Student", on_delete=models.CASCADE, related_name="contact_links")

    objects = ScopedManager(school="school")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["record", "student"], name="contact_student_unique")]


class ActionItem(models.Model):
    """An agreed action with its owner and due date: in the owner's to-do list until done."""

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE)
    record = models.ForeignKey(ContactRecord, on_delete=models.CASCADE, related_name="action_items")
    description = models.CharField(_("agreed action"), max_length=300)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="contact_actions")
    due_on = models.DateField(_("due"), null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(school="school")


class Acknowledgement(models.Model):
    """A guardian saw a shared record; their reply joins the record."""

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE)
    record = models.ForeignKey(ContactRecord, on_delete=models.CASCADE, related_name="acknowledgements")
    guardian = models.ForeignKey("schools.Guardian", on_delete=models.CASCADE)
    acknowledged_at = models.DateTimeField(default=timezone.now)
    reply = models.TextField(blank=True)
    replied_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(school="school")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["record", "guardian"], name="ack_once_per_guardian")]


class ConversationRequest(models.Model):
    """A parent asks to talk ("I would like to talk about …"); once held, it becomes a record."""

    class Status(models.TextChoices):
        OPEN = "open", _("waiting")
        HELD = "held", _("held")
        DECLINED = "declined", _("closed without a talk")

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE)
    student = models.ForeignKey("schools.Student", on_delete=models.CASCADE)
    guardian = models.ForeignKey("schools.Guardian", on_delete=models.CASCADE)
    topic = models.CharField(_("I would like to talk about"), max_length=300)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(school="school")


class CoverageRules(models.Model):
    """The school's rules of contact (defaults from the seeds: R3, R5, R25)."""

    school = models.OneToOneField("schools.School", on_delete=models.CASCADE, related_name="coverage_rules")
    min_contacts_per_term = models.PositiveSmallIntegerField(_("contacts per student per term"), default=2)
    concern_phone_per_month = models.PositiveSmallIntegerField(
        _("phone follow-ups a month for a student of concern"), default=1
    )
    require_home_visit = models.BooleanField(_("each student needs a home visit each term"), default=False)
    require_praise = models.BooleanField(_("not only concerns: each student needs a praise contact"), default=True)

    objects = ScopedManager(school="school")


class CareCase(models.Model):
    """个别关注: a student who needs care, with an improvement plan and reviews. Sensitive: only the
    head teacher, the school's designated care staff and admins see it; every view is logged."""

    class Concern(models.TextChoices):
        LEARNING = "learning", _("learning difficulty")
        BEHAVIOUR = "behaviour", _("behaviour")
        MENTAL_HEALTH = "mental_health", _("mental health")
        FAMILY_CHANGE = "family_change", _("family change")
        SPECIAL_EVENT = "special_event", _("special event")

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE)
    student = models.ForeignKey("schools.Student", on_delete=models.CASCADE, related_name="care_cases")
    concern = models.CharField(_("concern"), max_length=16, choices=Concern.choices)
    description = models.TextField(_("what we see"))
    goals = models.TextField(_("goals"), blank=True)
    measures = models.TextField(_("measures: who does what"), blank=True)
    next_review_on = models.DateField(_("next review"), null=True, blank=True)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    closing_note = models.TextField(blank=True)

    objects = ScopedManager(school="school")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["student"], condition=Q(closed_at__isnull=True), name="care_one_open_case_per_student"
            )
        ]


class CareReview(models.Model):
    school = models.ForeignKey("schools.School", on_delete=models.CASCADE)
    case = models.ForeignKey(CareCase, on_delete=models.CASCADE, related_name="reviews")
    reviewed_on = models.DateField(default=timezone.localdate)
    progress = models.TextField(_("progress"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    objects = ScopedManager(school="school")
