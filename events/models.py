"""Every school event with families, from invitation to minutes (seeds R4, R10, R16, R17, R20, R27–R30,
R33, R36): parent meetings, the parent school, open days, salons, talks, activities, staff training.

An event's invitation is a notice (``notices``): its receipts are the invited families (one per
guardian, whatever the number of children) and staff; its feed entry, badge, email and reminders
reach them. RSVP, attendance and reflections hang off the receipt, so everything is per family and
a family answers once for all its children in the audience."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from notices.models import RsvpAnswer


def new_secret() -> str:
    return secrets.token_hex(16)


class Event(models.Model):
    class Kind(models.TextChoices):
        PARENT_MEETING = "parent_meeting", _("parent meeting (家长会)")
        PARENT_SCHOOL = "parent_school", _("parent-school lecture or training (家长学校)")
        OPEN_DAY = "open_day", _("open day (家长开放日)")
        SALON = "salon", _("growth salon")
        MENTAL_HEALTH = "mental_health", _("mental-health talk")
        SHARING = "sharing", _("experience-sharing meeting")
        ACTIVITY = "activity", _("school activity with parents")
        STAFF_TRAINING = "staff_training", _("staff training")

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("scheduled")
        CANCELLED = "cancelled", _("cancelled")

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="events")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="events_created")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.PARENT_MEETING)
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    online_link = models.URLField(_("online link"), blank=True)
    capacity = models.PositiveIntegerField(_("capacity (families)"), null=True, blank=True)
    materials = models.TextField(_("materials"), blank=True)
    speakers = models.CharField(_("speakers"), max_length=300, blank=True)
    organisers = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="events_organised")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.SCHEDULED)
    notice = models.OneToOneField(
        "notices.Notice", on_delete=models.SET_NULL, null=True, blank=True, related_name="event"
    )
    minutes_notice = models.OneToOneField(
        "notices.Notice", on_delete=models.SET_NULL, null=True, blank=True, related_name="minutes_of"
    )
    audience_label = models.CharField(max_length=255, blank=True)
    minutes = models.TextField(_("what was presented"), blank=True)
    minutes_published_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # Sign-in codes of this event are derived from this secret: a code of one event means nothing
    # for another, and nothing outside the database can make one.
    checkin_secret = models.CharField(max_length=32, default=new_secret, editable=False)
    idempotency_key = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(school="school")

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [models.Index(fields=["school", "starts_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["author", "idempotency_key"], condition=~Q(idempotency_key=""), name="event_idempotent"
            ),
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="event_ends_after_start"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_cancelled(self) -> bool:
        return self.status == self.Status.CANCELLED

    @property
    def counts_for_parent_school(self) -> bool:
        return self.kind == self.Kind.PARENT_SCHOOL


class Rsvp(models.Model):
    """A family's answer to the invitation: one per guardian's receipt, for all their children."""

    Answer = RsvpAnswer  # the invitation's two answers, as the notice (and its feed buttons) knows them

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE)
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="rsvps")
    receipt = models.ForeignKey("notices.Receipt", on_delete=models.CASCADE)
    answer = models.CharField(max_length=4, choices=Answer.choices)
    people = models.PositiveSmallIntegerField(default=1)
    note = models.CharField(max_length=200, blank=True)
    answered_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(school="school")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["event", "receipt"], name="rsvp_once_per_family")]


class Attendance(models.Model):
    class Status(models.TextChoices):
        PRESENT = "present", _("present")
        LATE = "late", _("late")
        ABSENT = "absent", _("absent")

    class Method(models.TextChoices):
        CODE = "code", _("family's code scanned")
        SCREEN = "screen", _("code on the screen")
        ROLL_CALL = "roll_call", _("roll call")

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE)
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="attendances")
    receipt = models.ForeignKey("notices.Receipt", on_delete=models.CASCADE)
    status = models.CharField(max_length=8, choices=Status.choices)
    method = models.CharField(max_length=10, choices=Method.choices)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)

    objects = ScopedManager(school="school")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["event", "receipt"], name="attendance_once_per_family")]


class Resolution(models.Model):
    """A decision of the meeting with its owner and deadline: in the owner's to-do list until done."""

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE)
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="resolutions")
    text = models.CharField(_("resolution"), max_length=300)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="event_resolutions")
    due_on = models.DateField(_("due"), null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(school="school")


class FollowUp(models.Model):
    """A child whose family did not come: a task in the head teacher's list until they have been
    in touch (recorded in the contact book)."""

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE)
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="follow_ups")
    student = models.ForeignKey("schools.Student", on_delete=models.CASCADE)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="event_follow_ups")
    done_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(school="school")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["event", "student"], name="follow_up_once_per_child")]


class Reflection(models.Model):
    """心得体会 (R33): a parent's reflection after a parent-school lecture; the teacher comments and
    may mark it excellent, and an excellent one may be shared with the class."""

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE)
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="reflections")
    receipt = models.ForeignKey("notices.Receipt", on_delete=models.CASCADE)
    text = models.TextField(_("reflection"))
    submitted_at = models.DateTimeField(default=timezone.now)
    comment = models.TextField(_("teacher's comment"), blank=True)
    commented_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    excellent = models.BooleanField(_("excellent"), default=False)
    shared = models.BooleanField(_("shared with the class"), default=False)

    objects = ScopedManager(school="school")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["event", "receipt"], name="reflection_once_per_family")]


class EventRules(models.Model):
    """The school's rule of the parent school (R27): every family attends at least this many
    sessions a term."""

    school = models.OneToOneField("schools.School", on_delete=models.CASCADE, related_name="event_rules")
    parent_school_sessions_per_term = models.PositiveSmallIntegerField(default=1)

    objects = ScopedManager(school="school")


class ConferenceDay(models.Model):
    """家长个别面谈: one or more teachers offer slots on a day to the families of a class; its
    announcement is a notice, so families find it in their feed and are reminded through it."""

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("title"), max_length=120)
    place = models.CharField(_("place"), max_length=200, blank=True)
    school_class = models.ForeignKey("schools.SchoolClass", on_delete=models.CASCADE)
    teachers = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="conference_days")
    notice = models.OneToOneField("notices.Notice", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(school="school")


class Slot(models.Model):
    school = models.ForeignKey("schools.School", on_delete=models.CASCADE)
    day = models.ForeignKey(ConferenceDay, on_delete=models.CASCADE, related_name="slots")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()

    objects = ScopedManager(school="school")

    class Meta:
        ordering = ["starts_at"]


class Booking(models.Model):
    """One family's booking of one slot (the unique slot makes exactly one of two families at once
    win), covering one or more of its children."""

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE)
    slot = models.OneToOneField(Slot, on_delete=models.CASCADE, related_name="booking")
    receipt = models.ForeignKey("notices.Receipt", on_delete=models.CASCADE)
    students = models.ManyToManyField("schools.Student")
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(school="school")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["receipt"], name="booking_one_slot_per_family"),
        ]


class CalendarFeed(models.Model):
    """A user's private iCalendar link. Revoking replaces the token: the old link shows nothing."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed")
    token = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
