"""通知 with 回执: a notice, who it goes to, and one receipt row per guardian (per staff member for
staff audiences), with a rollup row per student. Receipts are created in one INSERT … SELECT by
``notices.fanout`` after the notice commits; unique constraints make a retry create nothing twice."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager


class DistrictNotice(models.Model):
    """A notice a district admin composed once for every school of a district (教育局 / 集团校). Each
    school gets its own ``Notice`` (owned by the school, ``Notice.district_notice`` pointing here),
    so the feed, receipts, reminders and results work there as for any notice; this row holds what
    was sent and by whom, and the district's pages add up its schools' receipts. It belongs to the
    district, not to a school, so it has no school scope: read it only through
    ``notices.access.access_district_notice``."""

    class Audience(models.TextChoices):
        FAMILIES = "families", _("every family")
        STAFF = "staff", _("all staff")
        BOTH = "both", _("every family and all staff")

    district = models.ForeignKey("schools.District", on_delete=models.PROTECT, related_name="notices")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="district_notices")
    title = models.CharField(_("title"), max_length=120)
    # The text as sent (sanitised by do_create_notice); a school may edit its own copy afterwards.
    body_html = models.TextField(_("text"), blank=True)
    action = models.CharField(_("what families must do"), max_length=16)
    audience = models.CharField(_("who it is for"), max_length=8, choices=Audience.choices)
    idempotency_key = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["author", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="district_notice_idempotent",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Notice(models.Model):
    class Action(models.TextChoices):
        NONE = "none", _("information only")
        READ = "read", _("read receipt")
        CONFIRM = "confirm", _("tap to confirm")
        ANSWER = "answer", _("answer")
        # Answered in the app that sent the notice, at ``respond_path``: reading is not answering.
        RSVP = "rsvp", _("reply whether you will come")
        SURVEY = "survey", _("fill in the survey")
        FORM = "form", _("fill in the collection form")

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        SCHEDULED = "scheduled", _("scheduled")
        PUBLISHED = "published", _("published")
        RECALLED = "recalled", _("recalled")

    class Kind(models.TextChoices):
        GENERAL = "general", _("notice")
        # 班级动态: what the class did this week, information only, usually with photos. Counted by
        # the class rhythm (reports.rhythm): class updates per week.
        CLASS_UPDATE = "class_update", _("class update (班级动态)")

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="notices")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="notices")
    title = models.CharField(_("title"), max_length=120)
    body_html = models.TextField(_("text"), blank=True)
    body_text = models.TextField(blank=True)
    action = models.CharField(_("what families must do"), max_length=16, choices=Action.choices, default=Action.READ)
    kind = models.CharField(_("kind of notice"), max_length=16, choices=Kind.choices, default=Kind.GENERAL)
    # A themed discussion (主题讨论) of the month: counted by the class rhythm (reports.rhythm).
    themed = models.BooleanField(_("themed discussion"), default=False)
    options = models.JSONField(default=list, blank=True)
    # Where a notice answered in another app (a survey, an invitation) is answered: a path on this
    # site, given by the app that sends it (notices knows no survey or event).
    respond_path = models.CharField(max_length=200, blank=True)
    allow_comment = models.BooleanField(default=False)
    every_guardian = models.BooleanField(
        _("every guardian must act"), default=False, help_text=_("Otherwise one guardian per student is enough.")
    )
    deadline = models.DateTimeField(_("deadline"), null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    publish_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    fanned_out_at = models.DateTimeField(null=True, blank=True)
    pinned = models.BooleanField(_("pinned"), default=False)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    recalled_at = models.DateTimeField(null=True, blank=True)
    last_reminded_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    audience_label = models.CharField(max_length=255, blank=True)
    guardrail_reason = models.TextField(blank=True)  # why the sender went ahead despite a warning
    # The escalation ladder (notices.ladder): URGENT (closure, early dismissal, outbreak; marked by
    # an admin or a head teacher) goes out on every channel at once, quiet settings ignored. The
    # sender may tighten the school's default steps (minutes after publishing), never loosen them.
    urgent = models.BooleanField(_("urgent (closure, early dismissal, outbreak)"), default=False)
    ladder_sms_after = models.PositiveIntegerField(null=True, blank=True)
    ladder_call_after = models.PositiveIntegerField(null=True, blank=True)
    # When the ladder's message step first ran for this notice (notices.ladder.message_step, in
    # the same transaction as its deliveries): before it, no delivery of the ladder can exist for
    # the notice, so that first run, the one that sends to every family due, needs no anti-join.
    ladder_sms_at = models.DateTimeField(null=True, blank=True)
    idempotency_key = models.CharField(max_length=64, blank=True)
    # Sent by a district to every school of it: this school's copy (notices.district).
    district_notice = models.ForeignKey(
        DistrictNotice, on_delete=models.PROTECT, null=True, blank=True, related_name="notices"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(school="school")

    class Meta:
        ordering = ["-pinned", "-published_at", "-id"]
        indexes = [models.Index(fields=["school", "status", "-published_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["author", "idempotency_key"], condition=~Q(idempotency_key=""), name="notice_idempotent"
            ),
            models.UniqueConstraint(
                fields=["district_notice", "school"],
                condition=Q(district_notice__isnull=False),
                name="notice_one_copy_per_school",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def sender_name(self) -> str:
        """Who the family sees the notice from: the district that sent it to every school of it
        (教育局 / 集团校), else its author."""
        if self.district_notice is not None:
            return self.district_notice.district.name
        return self.author.display_name

    @property
    def needs_action(self) -> bool:
        return self.action != self.Action.NONE

    @property
    def answered_elsewhere(self) -> bool:
        return self.action in ANSWERED_ELSEWHERE

    @property
    def is_live(self) -> bool:
        return self.status == self.Status.PUBLISHED and (self.expires_at is None or self.expires_at > timezone.now())


# The kinds of notice answered in the app that sent them (``respond_path``): a receipt of one is done
# when that app records the answer (``notices.actions.do_record_response``), never by being read.
ANSWERED_ELSEWHERE = frozenset({Notice.Action.RSVP, Notice.Action.SURVEY, Notice.Action.FORM})


class RsvpAnswer(models.TextChoices):
    """The two answers to an invitation (``Notice.Action.RSVP``): the feed's one-tap buttons post
    them, events stores them on its ``Rsvp`` and the receipt keeps the latest in ``answer``."""

    YES = "yes", _("will come")
    NO = "no", _("cannot come")


class NoticeTarget(models.Model):
    """One part of a notice's audience. Families: the school, a grade, a class, chosen students.
    Staff: all staff, or the teachers of a class."""

    class Kind(models.TextChoices):
        SCHOOL = "school", _("the whole school")
        GRADE = "grade", _("a grade")
        CLASS = "class", _("a class")
        STUDENT = "student", _("chosen students' families")
        STAFF = "staff", _("all staff")
        CLASS_TEACHERS = "class_teachers", _("a class's teachers")

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE)
    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="targets")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    grade = models.PositiveSmallIntegerField(null=True, blank=True)
    school_class = models.ForeignKey("schools.SchoolClass", on_delete=models.CASCADE, null=True, blank=True)
    student = models.ForeignKey("schools.Student", on_delete=models.CASCADE, null=True, blank=True)
    # A group of an audience kind another app registered (notices.audience.register_audience_kind);
    # ``kind`` is then that kind's name.
    ref_id = models.PositiveIntegerField(null=True, blank=True)

    objects = ScopedManager(school="school")


class Receipt(models.Model):
    """One recipient of one notice: a guardian (families) or a staff user (staff audiences)."""

    # A denormalised copy of notice.school, kept so that django-scopes can scope receipts by school.
    # fan_out writes it from notice.school_id, whose foreign key is checked, so no database
    # constraint here (db_constraint=False): that saves one foreign-key check per row on a
    # 200,000-row fan-out. Deleting a school still cascades, in Python (on_delete=CASCADE).
    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, db_constraint=False)
    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="receipts")
    guardian = models.ForeignKey("schools.Guardian", on_delete=models.CASCADE, null=True, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    # When somebody of this guardian's family (a guardian sharing a child with them, or they
    # themselves) first read the notice: stamped on every receipt of the family by the one helper
    # every read goes through (``notices.actions.mark_family_read``), so that the escalation
    # ladder's step knows "nobody of the family has read it" from the row itself, without joining
    # the family's links and receipts for every guardian due (bench/escalation.py). The family is
    # the one of the moment somebody read: a guardian linked to a child of it later is not stamped.
    family_read_at = models.DateTimeField(null=True, blank=True)
    # When the guardian stopped being a guardian of every child of theirs this notice is about whose
    # family has not done it (``home.family.do_unlink_guardian``): the ladder does not reach for them.
    left_family_at = models.DateTimeField(null=True, blank=True)
    acted_at = models.DateTimeField(null=True, blank=True)
    answer = models.CharField(max_length=64, blank=True)
    comment = models.CharField(max_length=500, blank=True)
    acted_via = models.CharField(max_length=16, blank=True)  # app / link
    seen_version = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(school="school")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["notice", "guardian"], condition=Q(guardian__isnull=False), name="receipt_one_per_guardian"
            ),
            models.UniqueConstraint(
                fields=["notice", "user"], condition=Q(guardian__isnull=True), name="receipt_one_per_staff_user"
            ),
            models.CheckConstraint(
                condition=Q(guardian__isnull=False) | Q(user__isnull=False), name="receipt_has_recipient"
            ),
        ]
        indexes = [models.Index(fields=["guardian", "notice"]), models.Index(fields=["user", "notice"])]


class StudentReceipt(models.Model):
    """The per-student rollup: done when one guardian (or, if the notice says so, every guardian)
    of the student has done what the notice asks."""

    # As on Receipt: a copy of notice.school for scoping, written by fan_out from notice.school_id
    # (whose foreign key is checked), so no database constraint; deleting a school cascades in Python.
    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, db_constraint=False)
    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="student_receipts")
    student = models.ForeignKey("schools.Student", on_delete=models.CASCADE)
    done_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(school="school")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["notice", "student"], name="student_receipt_unique")]


class NoticeRevision(models.Model):
    """The text as it was before an edit, so families see what changed."""

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE)
    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="revisions")
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=120)
    body_text = models.TextField(blank=True)
    edited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True)
    edited_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(school="school")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["notice", "version"], name="notice_revision_unique")]


class NoticeAttachment(models.Model):
    """A file of a notice, stored under a generated name; the original name is only shown."""

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE)
    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="notices/%Y/%m/")
    filename = models.CharField(max_length=120)
    mime = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(school="school")

    @property
    def is_image(self) -> bool:
        return self.mime.startswith("image/")


class CallTask(models.Model):
    """The ladder's last step: the head teacher phones a family (a student's guardians) that has not
    done what a notice asks. One per notice and student (the unique constraint makes the beat step
    idempotent); recorded by ``contactbook.actions.do_record_call``, which writes the contact book's
    phone entry and stamps the outcome here (the family's reachability reads it)."""

    class Outcome(models.TextChoices):
        REACHED = "reached", _("reached")
        NOT_REACHED = "not_reached", _("not reached")
        WRONG_NUMBER = "wrong_number", _("wrong number")

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE)
    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="call_tasks")
    student = models.ForeignKey("schools.Student", on_delete=models.CASCADE, related_name="call_tasks")
    school_class = models.ForeignKey("schools.SchoolClass", on_delete=models.CASCADE, null=True, blank=True)
    urgent = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, blank=True)
    recorded_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The contact book's entry (an app above notices): its id only.
    contact_record_id = models.PositiveIntegerField(null=True, blank=True)

    objects = ScopedManager(school="school")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["notice", "student"], name="call_task_once_per_family")]
        indexes = [models.Index(fields=["school_class", "outcome"])]
