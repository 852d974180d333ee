"""Roster import (upload → preview → commit) and export, for admins (the school) and head
teachers (their class)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from audit.actions import record
from audit.models import AuditEntry
from core.xlsx import workbook_bytes, xlsx_response

from . import actions, queries
from .access import access_admin_school, access_class, access_roster_upload
from .forms import RosterUploadForm
from .models import Student
from .roster import plan_upload
from .rosterfile import MAX_FILE_BYTES, RosterFileError


@login_required
@require_http_methods(["GET", "POST"])
def import_roster(request, class_id: int | None = None):
    school_class = access_class(request, class_id, manage=True) if class_id else None
    school = school_class.school if school_class else access_admin_school(request)
    form = RosterUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        uploaded = form.cleaned_data["file"]
        try:
            upload = actions.do_upload_roster(
                school,
                school_class=school_class,
                filename=uploaded.name,
                content=uploaded.read(MAX_FILE_BYTES + 1),
                acting_user=request.user,
            )
        except RosterFileError as exc:
            form.add_error("file", str(exc))
        else:
            return redirect("schools:import_preview", upload_id=upload.pk)
    return render(
        request,
        "schools/import_upload.html",
        {"school": school, "school_class": school_class, "form": form},
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def import_preview(request, upload_id: int):
    upload = access_roster_upload(request, upload_id)
    if request.method == "POST":
        summary = actions.do_commit_roster_upload(upload, acting_user=request.user, request=request)
        messages.success(
            request,
            _(
                "Imported: %(created)d students added, %(updated)d updated, %(guardians)d guardians added, "
                "%(rejected)d rows refused."
            )
            % {
                "created": summary["students_created"],
                "updated": summary["students_updated"],
                "guardians": summary["guardians_created"],
                "rejected": len(summary["rejected"]),
            },
        )
        if upload.school_class_id:
            return redirect("schools:class", class_id=upload.school_class_id)
        return redirect("schools:setup_classes")
    plan = plan_upload(upload)
    return render(
        request,
        "schools/import_preview.html",
        {
            "upload": upload,
            "plan": plan,
            "summary": plan.summary(),
            "new_students": plan.new_students[:300],
            "updated_students": plan.updated_students[:300],
        },
    )


def _roster_rows(students):
    for s in students:
        links = list(s.guardian_links.all())
        cells = [s.school_class.name if s.school_class else "", s.name, s.student_number, s.get_gender_display()]
        for link in links[:2]:
            cells += [
                link.guardian.name,
                link.relationship,
                link.guardian.phone,
                "是" if link.guardian.is_activated else "否",
            ]
        yield cells


EXPORT_HEADER = [
    "班级",
    "学生姓名",
    "学号",
    "性别",
    "家长1姓名",
    "家长1关系",
    "家长1手机",
    "家长1已激活",
    "家长2姓名",
    "家长2关系",
    "家长2手机",
    "家长2已激活",
]


@login_required
@require_GET
def export_class_roster(request, class_id: int):
    school_class = access_class(request, class_id, manage=True)
    students = queries.class_roster(school_class).select_related("school_class")
    data = workbook_bytes(school_class.name, EXPORT_HEADER, _roster_rows(students))
    record(
        AuditEntry.Action.EXPORT,
        actor=request.user,
        school=school_class.school,
        target=school_class,
        summary=f"roster {school_class.name}",
        request=request,
    )
    return xlsx_response(data, f"{school_class.name}花名册.xlsx")


@login_required
@require_GET
def export_school_roster(request):
    school = access_admin_school(request)
    students = (
        Student.objects.filter(school=school, status=Student.Status.ACTIVE)
        .select_related("school_class")
        .prefetch_related("guardian_links__guardian")
        .order_by("school_class__grade", "school_class__number", "student_number", "name")
    )
    data = workbook_bytes(school.name, EXPORT_HEADER, _roster_rows(students))
    record(
        AuditEntry.Action.EXPORT, actor=request.user, school=school, summary="roster (whole school)", request=request
    )
    return xlsx_response(data, f"{school.name}花名册.xlsx")


@login_required
@require_POST
def discard_upload(request, upload_id: int):
    upload = access_roster_upload(request, upload_id)
    actions.do_discard_roster_upload(upload, acting_user=request.user)
    messages.info(request, _("The upload was discarded; nothing was imported."))
    return (
        redirect("schools:class", class_id=upload.school_class_id)
        if upload.school_class_id
        else redirect("schools:setup_classes")
    )
