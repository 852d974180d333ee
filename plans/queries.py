"""Reads of the term plan: the plan month by month with each class's progress on fanned-out
tasks (a fixed number of queries), a user's open tasks (for home's to-do list) and the tasks the
reminder is due for."""

import datetime
from collections import defaultdict

from django.db.models import Q, QuerySet

from community.models import WorkingGroupMember
from schools.models import Term
from schools.roles import Roles

from .models import PlanTask, TermPlan


def plan_of(term: Term | None) -> TermPlan | None:
    if term is None:
        return None
    return TermPlan.objects.filter(term=term).select_related("term").first()


def plan_months(plan: TermPlan) -> list[dict]:
    """[{month, tasks: [task with .classes (its class tasks) and .done_count]}], three queries."""
    tasks = list(
        plan.tasks.filter(parent__isnull=True)
        .select_related("owner", "working_group", "evidence_event")
        .order_by("month", "due_on", "pk")
    )
    by_parent: dict[int, list[PlanTask]] = defaultdict(list)
    for child in (
        PlanTask.objects.filter(plan=plan, parent__isnull=False)
        .select_related("school_class", "evidence_event")
        .order_by("school_class__grade", "school_class__number")
    ):
        by_parent[child.parent_id].append(child)  # type: ignore[index]
    months: dict[datetime.date, list[PlanTask]] = defaultdict(list)
    for task in tasks:
        classes = by_parent.get(task.pk, [])
        task.classes = classes  # type: ignore[attr-defined]
        task.done_count = len([c for c in classes if c.status == PlanTask.Status.DONE])  # type: ignore[attr-defined]
        months[task.month].append(task)
    return [{"month": month, "tasks": items} for month, items in sorted(months.items())]


def open_tasks(user, roles: Roles, school) -> QuerySet[PlanTask]:
    """The tasks of the school's current term's issued plan this user owns, not done nor dropped:
    their own, and their classes' (fanned out). What home's to-do list shows (due: ``due_on``)."""
    mine = (
        Q(owner=user, owner_kind=PlanTask.Owner.STAFF)
        | Q(school_class_id__in=roles.head_class_ids)
        | Q(
            owner_kind=PlanTask.Owner.WORKING_GROUP,
            working_group_id__in=WorkingGroupMember.objects.filter(
                school=school, user=user, left_on__isnull=True
            ).values("group_id"),
        )
    )
    return (
        PlanTask.objects.filter(school=school, plan__term__is_current=True, plan__issued_at__isnull=False)
        .filter(mine)
        .exclude(status__in=[PlanTask.Status.DONE, PlanTask.Status.DROPPED])
        .select_related("school_class")
        .order_by("due_on", "pk")
    )


def open_todo_due_dates(user, roles: Roles, school) -> list[datetime.date | None]:
    """The due date of every open task above, in one query: what home's to-do count reads."""
    return list(open_tasks(user, roles, school).order_by().values_list("due_on", flat=True))


def tasks_to_remind(today: datetime.date, *, days_ahead: int = 3) -> QuerySet[PlanTask]:
    """Open tasks due within ``days_ahead`` days or overdue, not yet reminded today, of issued plans
    of current terms (the school's own tasks that fan out are followed through their classes')."""
    return (
        PlanTask.objects.filter(
            plan__issued_at__isnull=False,
            plan__term__is_current=True,
            due_on__lte=today + datetime.timedelta(days=days_ahead),
        )
        .exclude(status__in=[PlanTask.Status.DONE, PlanTask.Status.DROPPED])
        .exclude(reminded_on=today)
        .filter(Q(owner_kind__in=[PlanTask.Owner.STAFF, PlanTask.Owner.WORKING_GROUP]) | Q(school_class__isnull=False))
    )
