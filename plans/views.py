"""The term plan's pages: the plan month by month (admins adopt the template, copy last term's
plan, add tasks, issue it), and one task (its owner sets the status and the evidence)."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from community import queries as community_queries
from core.concurrency import EditConflict
from core.uploads import UploadRefused, accept_upload, file_response
from events import queries as events_queries
from notices import queries as notices_queries
from schools.access import access_admin_school, access_staff_school
from schools.queries import current_term
from surveys import queries as surveys_queries

from . import actions, queries
from .access import access_plan_to_manage, access_task_to_edit, access_task_to_update
from .evidence import evidence_from_ids
from .models import PlanTask


def _error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


@login_required
@require_GET
def plan(request):
    school = access_staff_school(request)
    term = current_term(school)
    the_plan = queries.plan_of(term)
    is_admin = request.roles.is_admin_of(school.pk)
    return render(
        request,
        "plans/plan.html",
        {
            "school": school,
            "term": term,
            "plan": the_plan,
            # The staff see the plan once it is issued; its admins while they draft it too.
            "months": queries.plan_months(the_plan) if the_plan and (is_admin or the_plan.issued_at) else [],
            "is_admin": is_admin,
            "mine": list(queries.open_tasks(request.user, request.roles, school)[:100]),
            "staff": events_queries.staff_to_choose(school) if is_admin else [],
            "owner_kinds": PlanTask.Owner.choices,
            "working_groups": community_queries.school_working_groups(school) if is_admin else [],
        },
    )


@login_required
@require_POST
def adopt(request):
    school = access_admin_school(request)
    term = current_term(school)
    if term is None:
        messages.error(request, _("Make the current term first."))
        return redirect("plans:plan")
    try:
        if request.POST.get("source") == "last":
            actions.do_copy_last_plan(term, acting_user=request.user)
        else:
            actions.do_adopt_template(term, acting_user=request.user)
    except ValidationError as error:
        messages.error(request, _error_text(error))
    return redirect("plans:plan")


def _date(value: str | None) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(value or "")
    except ValueError:
        return None


def _int(value: str | None) -> int | None:
    try:
        return int(value or "")
    except ValueError:
        return None


@login_required
@require_POST
def add_task(request, plan_id: int):
    the_plan = access_plan_to_manage(request, plan_id)
    fields = _task_fields(request.POST)
    if fields is None:
        messages.error(request, _("Give the task a due date."))
        return redirect("plans:plan")
    try:
        actions.do_add_task(the_plan, fields, acting_user=request.user)
        messages.success(request, _("Task added."))
    except ValidationError as error:
        messages.error(request, _error_text(error))
    return redirect("plans:plan")


def _task_fields(data) -> actions.TaskFields | None:
    due_on = _date(data.get("due_on"))
    if due_on is None:
        return None
    return actions.TaskFields(
        title=data.get("title", ""),
        description=data.get("description", ""),
        due_on=due_on,
        owner_kind=data.get("owner_kind", PlanTask.Owner.STAFF),
        owner_id=_int(data.get("owner_id")),
        grade=_int(data.get("grade")),
        working_group_id=_int(data.get("working_group_id")),
    )


@login_required
@require_POST
def edit_task(request, task_id: int):
    the_task = access_task_to_edit(request, task_id)
    fields = _task_fields(request.POST)
    try:
        if fields is None:
            raise ValidationError(_("Give the task a due date."))
        actions.do_edit_task(the_task, fields, version=_int(request.POST.get("version")), acting_user=request.user)
        messages.success(request, _("Task updated."))
    except ValidationError as error:
        messages.error(request, _error_text(error))
    return redirect("plans:task", task_id=the_task.pk)


@login_required
@require_POST
def issue(request, plan_id: int):
    the_plan = access_plan_to_manage(request, plan_id)
    try:
        actions.do_issue_plan(the_plan, acting_user=request.user)
        messages.success(request, _("The plan is issued."))
    except ValidationError as error:
        messages.error(request, _error_text(error))
    return redirect("plans:plan")


@login_required
@require_http_methods(["GET", "POST"])
def task(request, task_id: int):
    the_task = access_task_to_update(request, task_id)
    error = ""
    if request.method == "POST":
        try:
            evidence = evidence_from_ids(
                request,
                event_id=_int(request.POST.get("evidence_event")),
                notice_id=_int(request.POST.get("evidence_notice")),
                survey_id=_int(request.POST.get("evidence_survey")),
                roster_id=_int(request.POST.get("evidence_roster")),
            )
            upload = request.FILES.get("evidence_file")
            if upload is not None:
                try:
                    evidence["evidence_file"] = accept_upload(upload)
                except UploadRefused as refused:
                    raise ValidationError(str(refused)) from None
            actions.do_update_task(
                the_task,
                status=request.POST.get("status", ""),
                drop_reason=request.POST.get("drop_reason", ""),
                **evidence,
                evidence_note=request.POST.get("evidence_note", ""),
                version=_int(request.POST.get("version")),
                acting_user=request.user,
            )
            messages.success(request, _("Task updated."))
            return redirect("plans:task", task_id=the_task.pk)
        except EditConflict as conflict:
            error = _error_text(conflict)
            the_task = access_task_to_update(request, task_id)
        except ValidationError as invalid:
            error = _error_text(invalid)
    school = the_task.school
    events = events_queries.school_events(request, school, past=True) + events_queries.school_events(
        request, school, past=False
    )
    return render(
        request,
        "plans/task.html",
        {
            "task": the_task,
            "error": error,
            "statuses": PlanTask.Status.choices,
            "events": events,
            "notices": notices_queries.staff_notices(request, school)[:100],
            "surveys": surveys_queries.staff_surveys(request, school)[:100],
            "rosters": community_queries.rosters_to_manage(school, request.roles)[:100],
            "posted": request.POST if request.method == "POST" else None,
            "may_edit": the_task.parent_id is None and request.roles.is_admin_of(school.pk),
            "staff": events_queries.staff_to_choose(school)
            if the_task.parent_id is None and request.roles.is_admin_of(school.pk)
            else [],
        },
    )


@login_required
@require_GET
def evidence_file(request, task_id: int):
    """Re-authorised on every download: whoever may update the task."""
    the_task = access_task_to_update(request, task_id)
    if not the_task.evidence_file:
        raise Http404
    return file_response(
        the_task.evidence_file,
        filename=the_task.evidence_filename,
        mime=the_task.evidence_mime,
        inline=the_task.evidence_mime.startswith("image/"),
    )
