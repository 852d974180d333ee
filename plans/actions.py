"""Every write of the term plan: adopting the built-in template or copying last term's plan,
adding a task (fanned out to the classes when head teachers own it), changing a task's status
with optimistic concurrency (``core.concurrency``), attaching evidence, issuing the plan."""

import calendar
import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.actions import record
from audit.models import AuditEntry
from community.models import WorkingGroup, WorkingGroupMember
from core.bulk import insert_select
from core.concurrency import check_version
from core.uploads import AcceptedUpload
from schools.models import SchoolClass, StaffMember, Term

from .models import PlanTask, TermPlan
from .template import TEMPLATE

AUDIT_PLAN = AuditEntry.Action.TERM_PLAN
AUDIT_TASK = AuditEntry.Action.PLAN_TASK


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def add_months(day: datetime.date, months: int) -> datetime.date:
    index = day.month - 1 + months
    return datetime.date(day.year + index // 12, index % 12 + 1, 1)


def month_end(first: datetime.date) -> datetime.date:
    return first.replace(day=calendar.monthrange(first.year, first.month)[1])


def term_months(term: Term) -> list[datetime.date]:
    months, month = [], month_start(term.start_date)
    while month <= term.end_date:
        months.append(month)
        month = add_months(month, 1)
    return months


@dataclass
class TaskFields:
    title: str
    due_on: datetime.date
    owner_kind: str = PlanTask.Owner.STAFF
    owner_id: int | None = None
    grade: int | None = None
    description: str = ""
    working_group_id: int | None = None


def _clean(plan: TermPlan, fields: TaskFields) -> None:
    term = plan.term
    errors: dict[str, str] = {}
    if not fields.title.strip():
        errors["title"] = _("Give the task a title.")
    if not term.start_date <= fields.due_on <= term.end_date:
        errors["due_on"] = _("The due date must fall inside the term (%(start)s to %(end)s).") % {
            "start": term.start_date.isoformat(),
            "end": term.end_date.isoformat(),
        }
    if fields.owner_kind not in PlanTask.Owner.values:
        errors["owner_kind"] = _("Choose who owns the task.")
    elif fields.owner_kind == PlanTask.Owner.STAFF:
        if not StaffMember.objects.filter(school=plan.school, user_id=fields.owner_id or 0, is_active=True).exists():
            errors["owner_id"] = _("The owner must be a staff member of this school.")
    elif fields.owner_kind == PlanTask.Owner.GRADE_HEADS and not (
        fields.grade and 1 <= fields.grade <= plan.school.grade_count
    ):
        errors["grade"] = _("Choose the grade whose head teachers own the task.")
    elif (
        fields.owner_kind == PlanTask.Owner.WORKING_GROUP
        and not WorkingGroup.objects.filter(
            school=plan.school, pk=fields.working_group_id or 0, archived_at__isnull=True
        ).exists()
    ):
        errors["working_group_id"] = _("The owner must be a working group of this school.")
    if errors:
        raise ValidationError(errors)


def _fan_out(task: PlanTask) -> int:
    """One task per class (one INSERT … SELECT): every head teacher's, or a grade's."""
    classes = SchoolClass.objects.filter(school=task.school, graduated_at__isnull=True)
    if task.owner_kind == PlanTask.Owner.GRADE_HEADS:
        classes = classes.filter(grade=task.grade or 0)
    columns = [
        "school_id", "plan_id", "parent_id", "month", "title", "description", "owner_kind", "grade",
        "due_on", "status", "drop_reason", "evidence_note", "evidence_file", "evidence_filename", "evidence_mime",
        "version", "school_class_id",
    ]  # fmt: skip
    constants = [
        task.school_id, task.plan_id, task.pk, task.month, task.title, task.description, task.owner_kind,
        task.grade, task.due_on, PlanTask.Status.PLANNED, "", "", "", "", "", 1,
    ]  # fmt: skip
    return insert_select(PlanTask._meta.db_table, columns, constants, classes.order_by().values("pk"))


def _create_task(plan: TermPlan, fields: TaskFields) -> PlanTask:
    task = PlanTask.objects.create(
        school=plan.school,
        plan=plan,
        month=month_start(fields.due_on),
        title=fields.title.strip()[:120],
        description=fields.description.strip(),
        owner_kind=fields.owner_kind,
        owner_id=fields.owner_id if fields.owner_kind == PlanTask.Owner.STAFF else None,
        grade=fields.grade if fields.owner_kind == PlanTask.Owner.GRADE_HEADS else None,
        working_group_id=fields.working_group_id if fields.owner_kind == PlanTask.Owner.WORKING_GROUP else None,
        due_on=fields.due_on,
    )
    if task.fans_out:
        _fan_out(task)
    return task


def do_add_task(plan: TermPlan, fields: TaskFields, *, acting_user) -> PlanTask:
    _clean(plan, fields)
    with transaction.atomic():
        task = _create_task(plan, fields)
        record(AUDIT_TASK, actor=acting_user, school=plan.school, target=task, summary=task.title[:200])
    return task


def do_adopt_template(term: Term, *, acting_user) -> TermPlan:
    """The term's plan from the built-in template, its admin-owned tasks given to the adopter.
    Refused when the term already has a plan."""
    if TermPlan.objects.filter(term=term).exists():
        raise ValidationError(_("This term already has a plan."))
    months = term_months(term)
    with transaction.atomic():
        plan = TermPlan.objects.create(school=term.school, term=term, created_by=acting_user)
        plan.term = term
        for item in TEMPLATE:
            month = months[min(item.month, len(months) - 1)]
            fields = TaskFields(
                title=str(item.title),
                description=str(item.description),
                due_on=min(month_end(month), term.end_date),
                owner_kind=PlanTask.Owner.STAFF if item.owner == "admin" else PlanTask.Owner.ALL_HEADS,
                owner_id=acting_user.pk if item.owner == "admin" else None,
            )
            _create_task(plan, fields)
        record(AUDIT_PLAN, actor=acting_user, school=term.school, target=plan, summary="adopted the template")
    return plan


def do_copy_last_plan(term: Term, *, acting_user) -> TermPlan:
    """A new term's plan copied from the latest earlier term's: the same tasks, month by month
    (the n-th month of the old term to the n-th of the new), statuses and evidence left behind."""
    if TermPlan.objects.filter(term=term).exists():
        raise ValidationError(_("This term already has a plan."))
    last = (
        TermPlan.objects.filter(school=term.school, term__start_date__lt=term.start_date)
        .select_related("term")
        .order_by("-term__start_date")
        .first()
    )
    if last is None:
        raise ValidationError(_("There is no earlier term's plan to copy."))
    old_months = term_months(last.term)
    new_months = term_months(term)
    with transaction.atomic():
        plan = TermPlan.objects.create(school=term.school, term=term, created_by=acting_user)
        plan.term = term
        for old in last.tasks.filter(parent__isnull=True).order_by("month", "due_on", "pk"):
            index = old_months.index(old.month) if old.month in old_months else 0
            month = new_months[min(index, len(new_months) - 1)]
            day = min(old.due_on.day, month_end(month).day)
            _create_task(
                plan,
                TaskFields(
                    title=old.title,
                    description=old.description,
                    due_on=min(max(month.replace(day=day), term.start_date), term.end_date),
                    owner_kind=old.owner_kind,
                    owner_id=old.owner_id,
                    grade=old.grade,
                ),
            )
        record(AUDIT_PLAN, actor=acting_user, school=term.school, target=plan, summary=f"copied from {last.term}")
    return plan


def do_issue_plan(plan: TermPlan, *, acting_user) -> TermPlan:
    if not plan.tasks.exists():
        raise ValidationError(_("The plan has no tasks: add at least one before issuing it."))
    with transaction.atomic():
        plan.issued_at = timezone.now()
        plan.save(update_fields=["issued_at"])
        record(AUDIT_PLAN, actor=acting_user, school=plan.school, target=plan, summary="issued")
    return plan


def do_edit_task(task: PlanTask, fields: TaskFields, *, version: int | None, acting_user) -> PlanTask:
    """The admin edits a school task (the template's included): its title, description, due date
    and, for a staff task, its owner. Its classes' tasks take the new title, description and date
    in one UPDATE; who owns it (a person, a grade's or every head teacher) stays what it was."""
    if task.parent_id is not None:
        raise ValidationError(_("Edit the school's task, not one class's."))
    fields.owner_kind = task.owner_kind
    fields.grade = task.grade
    if task.owner_kind != PlanTask.Owner.STAFF:
        fields.owner_id = None
    _clean(task.plan, fields)
    labels = {
        "title": _("the title"),
        "description": _("the description"),
        "due_on": _("the due date"),
        "owner_id": _("the owner"),
    }
    with transaction.atomic():
        current = PlanTask.objects.select_for_update(of=("self",)).select_related("updated_by").get(pk=task.pk)
        check_version(
            version,
            current.version,
            before={name: getattr(task, name) for name in labels},
            after={name: getattr(current, name) for name in labels},
            labels=labels,
            by=current.updated_by.display_name if current.updated_by else "",
            at=current.updated_at,
        )
        current.title = fields.title.strip()[:120]
        current.description = fields.description.strip()
        current.due_on = fields.due_on
        current.month = month_start(fields.due_on)
        if current.owner_kind == PlanTask.Owner.STAFF:
            current.owner_id = fields.owner_id
        current.version += 1
        current.updated_by = acting_user
        current.updated_at = timezone.now()
        current.save()
        current.class_tasks.update(
            title=current.title, description=current.description, due_on=current.due_on, month=current.month
        )
        record(AUDIT_TASK, actor=acting_user, school=current.school, target=current, summary="edited")
    return current


def _labels() -> dict[str, str]:
    return {"status": _("the status"), "drop_reason": _("the reason"), "evidence": _("the evidence")}


def do_update_task(
    task: PlanTask,
    *,
    status: str,
    drop_reason: str = "",
    evidence_event=None,
    evidence_notice=None,
    evidence_survey=None,
    evidence_roster=None,
    evidence_file: AcceptedUpload | None = None,
    evidence_note: str = "",
    version: int | None,
    acting_user,
) -> PlanTask:
    """Set a task's status and evidence. Each ``evidence_*`` comes from its app's access function
    (what the editor may manage: an event, a notice, a survey, a duty roster); None keeps the
    current one. The second of two editors who opened the same version is told (``EditConflict``),
    and nothing is written."""
    if status not in PlanTask.Status.values:
        raise ValidationError({"status": _("Choose a status.")})
    drop_reason = drop_reason.strip()[:200]
    if status == PlanTask.Status.DROPPED and not drop_reason:
        raise ValidationError({"drop_reason": _("Say why the task is dropped.")})
    with transaction.atomic():
        current = PlanTask.objects.select_for_update(of=("self",)).select_related("updated_by").get(pk=task.pk)
        check_version(
            version,
            current.version,
            before={"status": task.status, "drop_reason": task.drop_reason, "evidence": task.evidence_event_id},
            after={"status": current.status, "drop_reason": current.drop_reason, "evidence": current.evidence_event_id},
            labels=_labels(),
            by=current.updated_by.display_name if current.updated_by else "",
            at=current.updated_at,
        )
        current.status = status
        current.drop_reason = drop_reason if status == PlanTask.Status.DROPPED else ""
        if evidence_event is not None:
            current.evidence_event = evidence_event
        if evidence_notice is not None:
            current.evidence_notice = evidence_notice
        if evidence_survey is not None:
            current.evidence_survey = evidence_survey
        if evidence_roster is not None:
            current.evidence_roster = evidence_roster
        if evidence_file is not None:
            evidence_file.store(current.evidence_file)
            current.evidence_filename = evidence_file.name[:120]
            current.evidence_mime = evidence_file.kind.mime
        if evidence_note.strip():
            current.evidence_note = evidence_note.strip()[:300]
        current.version += 1
        current.updated_by = acting_user
        current.updated_at = timezone.now()
        current.save()
        record(AUDIT_TASK, actor=acting_user, school=current.school, target=current, summary=status)
    return current


def remind_owners(today: datetime.date) -> int:
    """The daily reminder (beat, ``plans.tasks.remind_plan_tasks``): every open task of an issued
    plan due within three days or overdue, not reminded today, is claimed (a conditional UPDATE,
    so two workers never both send) and its owner gets one email listing their tasks, when they
    gave an address and kept email on: a staff task's owner, a class's task's head teacher this
    term. Returns the number of people reminded. Not a user's action: no acting user."""
    from django.core.mail import send_mail

    from delivery.models import DeliveryPreference
    from schools.models import StaffAssignment

    from .queries import tasks_to_remind

    tasks = list(tasks_to_remind(today).select_related("school_class"))
    class_ids = {t.school_class_id for t in tasks if t.school_class_id}
    heads: dict[int, list[int]] = {}
    for class_id, user_id in StaffAssignment.objects.filter(
        school_class_id__in=class_ids, term__is_current=True, role=StaffAssignment.Role.HEAD_TEACHER
    ).values_list("school_class_id", "staff__user_id"):
        heads.setdefault(class_id, []).append(user_id)
    group_members: dict[int, list[int]] = {}
    for group_id, user_id in WorkingGroupMember.objects.filter(
        group_id__in={t.working_group_id for t in tasks if t.working_group_id},
        user__isnull=False,
        left_on__isnull=True,
    ).values_list("group_id", "user_id"):
        group_members.setdefault(group_id, []).append(user_id)
    by_user: dict[int, list[PlanTask]] = {}
    with transaction.atomic():
        claimed = set(
            PlanTask.objects.select_for_update()
            .filter(pk__in=[t.pk for t in tasks])
            .exclude(reminded_on=today)
            .values_list("pk", flat=True)
        )
        PlanTask.objects.filter(pk__in=claimed).update(reminded_on=today)
    for task in tasks:
        if task.pk not in claimed:
            continue
        if task.owner_id:
            owners = [task.owner_id]
        elif task.working_group_id:
            owners = group_members.get(task.working_group_id, [])
        else:
            owners = heads.get(task.school_class_id or 0, [])
        for user_id in owners:
            by_user.setdefault(user_id, []).append(task)
    addresses = dict(
        DeliveryPreference.objects.filter(user_id__in=by_user, email_enabled=True)
        .exclude(email="")
        .values_list("user_id", "email")
    )
    for user_id, owned in by_user.items():
        if user_id not in addresses:
            continue
        lines = [
            f"{t.due_on.isoformat()} {t.title}" + (f" ({t.school_class.name})" if t.school_class else "")
            + (" " + _("overdue") if t.due_on < today else "")
            for t in owned
        ]  # fmt: skip
        send_mail(_("Term plan tasks due"), "\n".join(lines), None, [addresses[user_id]])
    return len(by_user)
