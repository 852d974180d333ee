"""The school's term plan (学期计划): months, each with key tasks, each task owned by a staff
member, by the head teachers of a grade or by every head teacher, with a status and evidence
linking to what was done in Tongxin (an event, a notice, a survey, a duty roster) or a note.

A task owned by head teachers fans out into one task per class (``PlanTask.parent``), each with
its own status: the school sees which classes have done it. Working groups are not on main yet, so
a task cannot be owned by one (docs/design/plans.md)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager


class TermPlan(models.Model):
    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="term_plans")
    term = models.OneToOneField("schools.Term", on_delete=models.CASCADE, related_name="plan")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    issued_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(school="school")

    def __str__(self) -> str:
        return str(self.term)


class PlanTask(models.Model):
    class Owner(models.TextChoices):
        STAFF = "staff", _("a staff member")
        GRADE_HEADS = "grade_heads", _("the head teachers of a grade")
        ALL_HEADS = "all_heads", _("every head teacher")
        # A working group of the school (community.WorkingGroup): its staff members update the task.
        WORKING_GROUP = "group", _("a working group")

    class Status(models.TextChoices):
        PLANNED = "planned", _("planned")
        IN_PROGRESS = "in_progress", _("in progress")
        DONE = "done", _("done")
        DROPPED = "dropped", _("dropped")

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="plan_tasks")
    plan = models.ForeignKey(TermPlan, on_delete=models.CASCADE, related_name="tasks")
    # The school's task a class's task was fanned out from (None: the school's own task).
    parent = models.ForeignKey("self", on_delete=models.CASCADE, null=True, blank=True, related_name="class_tasks")
    school_class = models.ForeignKey("schools.SchoolClass", on_delete=models.CASCADE, null=True, blank=True)
    month = models.DateField(_("month"))  # the first day of the month
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    owner_kind = models.CharField(_("owner"), max_length=12, choices=Owner.choices, default=Owner.STAFF)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="plan_tasks"
    )
    grade = models.PositiveSmallIntegerField(_("grade"), null=True, blank=True)
    working_group = models.ForeignKey(
        "community.WorkingGroup", on_delete=models.PROTECT, null=True, blank=True, related_name="plan_tasks"
    )
    due_on = models.DateField(_("due"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PLANNED)
    drop_reason = models.CharField(_("why it was dropped"), max_length=200, blank=True)
    evidence_event = models.ForeignKey(
        "events.Event", on_delete=models.SET_NULL, null=True, blank=True, related_name="plan_tasks"
    )
    evidence_notice = models.ForeignKey(
        "notices.Notice", on_delete=models.SET_NULL, null=True, blank=True, related_name="plan_tasks"
    )
    evidence_survey = models.ForeignKey(
        "surveys.Survey", on_delete=models.SET_NULL, null=True, blank=True, related_name="plan_tasks"
    )
    evidence_roster = models.ForeignKey(
        "community.DutyRoster", on_delete=models.SET_NULL, null=True, blank=True, related_name="plan_tasks"
    )
    # An uploaded file (``core.uploads.accept_upload``), served by ``plans:evidence_file``.
    evidence_file = models.FileField(upload_to="plans/%Y/%m/", blank=True)
    evidence_filename = models.CharField(max_length=120, blank=True)
    evidence_mime = models.CharField(max_length=100, blank=True)
    evidence_note = models.CharField(_("evidence"), max_length=300, blank=True)
    version = models.PositiveIntegerField(default=1)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(null=True, blank=True)
    reminded_on = models.DateField(null=True, blank=True)

    objects = ScopedManager(school="school")

    class Meta:
        ordering = ["month", "due_on", "id"]
        indexes = [models.Index(fields=["school", "owner", "status"])]
        constraints = [
            models.UniqueConstraint(fields=["parent", "school_class"], name="plan_task_one_per_class"),
            models.CheckConstraint(
                condition=~Q(status="dropped") | ~Q(drop_reason=""), name="plan_task_dropped_has_reason"
            ),
            models.CheckConstraint(
                condition=~Q(owner_kind="staff") | Q(owner__isnull=False), name="plan_task_staff_has_owner"
            ),
            models.CheckConstraint(
                condition=~Q(owner_kind="group") | Q(working_group__isnull=False), name="plan_task_group_has_group"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def fans_out(self) -> bool:
        return self.owner_kind in (self.Owner.GRADE_HEADS, self.Owner.ALL_HEADS)
