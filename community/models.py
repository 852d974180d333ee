"""What families and staff do together beyond the classroom: committees and working groups, volunteers,
duty rosters with the class quantification, and the class fund ledger. See docs/design/community.md."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

# ==== Committees and working groups (section: committees) ===============================

# (end of section: committees)


# ==== Volunteers, activities and recognition (section: volunteers) ======================


def new_volunteer_secret() -> str:
    return secrets.token_hex(16)


class Volunteer(models.Model):
    """A guardian who offered to help: their skills and when they can. One row per guardian (a guardian
    is per school); leaving keeps the row (the archive stays) and only clears ``active``."""

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    guardian = models.OneToOneField("schools.Guardian", on_delete=models.CASCADE, related_name="volunteer")
    skills = models.CharField(_("skills"), max_length=200, blank=True)
    availability = models.CharField(_("when you can help"), max_length=200, blank=True)
    active = models.BooleanField(default=True)
    joined_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(school="school")

    def __str__(self) -> str:
        return self.guardian.name


class VolunteerActivity(models.Model):
    """An activity needing helpers, published by staff for one class (``school_class``) or the whole
    school (none). Its slots carry the numbers; check-in codes derive from ``checkin_secret``."""

    class Kind(models.TextChoices):
        SPORTS_MEET = "sports_meet", _("sports meet (运动会)")
        SPRING_OUTING = "spring_outing", _("spring outing (踏青)")
        CHILDRENS_DAY = "childrens_day", _("Children's Day (六一)")
        CLASS_OUTING = "class_outing", _("class outing")
        OTHER = "other", _("other activity")

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    school_class = models.ForeignKey(
        "schools.SchoolClass", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(_("kind of activity"), max_length=16, choices=Kind.choices, default=Kind.CLASS_OUTING)
    title = models.CharField(_("activity title"), max_length=120)
    description = models.TextField(_("what helpers do"), blank=True)
    place = models.CharField(_("place"), max_length=200)
    withdraw_until = models.DateTimeField(_("families may withdraw until"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # The call for helpers as a notice to the class (or the school): the feed shows it, and the
    # day-before reminder reaches the families signed up through their receipts of it.
    notice = models.OneToOneField(
        "notices.Notice", on_delete=models.SET_NULL, null=True, blank=True, related_name="volunteer_activity"
    )
    checkin_secret = models.CharField(max_length=32, default=new_volunteer_secret, editable=False)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(school="school")

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title


class VolunteerSlot(models.Model):
    """One shift of an activity (检录 8:00–10:00) and how many helpers it needs. ``taken`` counts the
    sign-ups: a place is claimed by one conditional UPDATE (``taken < needed``), so two families
    asking for the last place at once cannot both have it; the check constraint is the last guard."""

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    activity = models.ForeignKey(VolunteerActivity, on_delete=models.CASCADE, related_name="slots")
    label = models.CharField(_("task"), max_length=60)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    needed = models.PositiveSmallIntegerField(_("helpers needed"))
    taken = models.PositiveSmallIntegerField(default=0)
    reminded_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(school="school")

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="volunteer_slot_ends_after_start"),
            models.CheckConstraint(condition=Q(needed__gte=1), name="volunteer_slot_needs_someone"),
            models.CheckConstraint(condition=Q(taken__lte=F("needed")), name="volunteer_slot_within_capacity"),
        ]

    @property
    def minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)

    @property
    def free(self) -> int:
        return max(self.needed - self.taken, 0)


class VolunteerSignup(models.Model):
    """A volunteer's place on a slot. Checked in on the day by code; the slot's length is then the
    hours served (``minutes``)."""

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    slot = models.ForeignKey(VolunteerSlot, on_delete=models.CASCADE, related_name="signups")
    volunteer = models.ForeignKey(Volunteer, on_delete=models.CASCADE, related_name="signups")
    created_at = models.DateTimeField(default=timezone.now)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    minutes = models.PositiveIntegerField(default=0)

    objects = ScopedManager(school="school")

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["slot", "volunteer"], name="volunteer_signup_once_per_slot")]


# (end of section: volunteers)


# ==== Duty rosters and the class quantification (section: duty) =========================

# (end of section: duty)


# ==== The class fund ledger (section: fund) =============================================

# (end of section: fund)
