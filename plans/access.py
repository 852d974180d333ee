"""Who sees which plan and task. The school's admins manage the plan and every task; a staff
owner updates their own task; a head teacher updates their class's task (fanned out from one
owned by head teachers). Anyone else: 404."""

from django.http import Http404

from community.models import WorkingGroupMember
from schools.roles import Roles

from .models import PlanTask, TermPlan


def group_staff(group_id: int | None):
    """The staff members (users) of a working group who have not left it: who owns its tasks."""
    return WorkingGroupMember.objects.filter(group_id=group_id or 0, user__isnull=False, left_on__isnull=True)


def _roles(request) -> Roles:
    return getattr(request, "roles", None) or Roles()


def may_update(roles: Roles, user_id: int | None, task: PlanTask) -> bool:
    if roles.is_admin_of(task.school_id):
        return True
    if not roles.is_staff_of(task.school_id):
        return False
    if task.owner_kind == PlanTask.Owner.STAFF:
        return task.owner_id == user_id
    if task.owner_kind == PlanTask.Owner.WORKING_GROUP:
        return group_staff(task.working_group_id).filter(user_id=user_id).exists()
    return task.school_class_id is not None and task.school_class_id in roles.head_class_ids


def access_plan_to_manage(request, plan_id: int) -> TermPlan:
    plan = TermPlan.objects.filter(pk=plan_id).select_related("school", "term").first()
    if plan is None or not _roles(request).is_admin_of(plan.school_id):
        raise Http404
    return plan


def access_task_to_edit(request, task_id: int) -> PlanTask:
    """A school task (not a class's copy) its school's admin may edit."""
    task = PlanTask.objects.filter(pk=task_id, parent__isnull=True).select_related("school", "plan__term").first()
    if task is None or not _roles(request).is_admin_of(task.school_id):
        raise Http404
    return task


def access_task_to_update(request, task_id: int) -> PlanTask:
    task = (
        PlanTask.objects.filter(pk=task_id)
        .select_related(
            "school",
            "plan__term",
            "school_class",
            "owner",
            "evidence_event",
            "evidence_notice",
            "evidence_survey",
            "evidence_roster",
            "updated_by",
        )
        .first()
    )
    if task is None or (
        task.fans_out and task.school_class_id is None and not _roles(request).is_admin_of(task.school_id)
    ):
        raise Http404
    if not may_update(_roles(request), request.user.pk, task):
        raise Http404
    return task
