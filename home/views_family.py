"""A head teacher or a school admin removes a guardian from a child (``home.family``): a page that
says what happens, then the removal. In home because the removal writes across apps."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from core.phones import mask_phone
from schools.access import access_guardian_link_to_remove, access_student
from schools.models import StudentGuardian

from .family import do_unlink_guardian


@login_required
@require_http_methods(["GET", "POST"])
def unlink_guardian(request, student_id: int, guardian_id: int):
    """GET: who would be removed from which child, and what that does. POST: remove them."""
    try:
        link = access_guardian_link_to_remove(request, student_id, guardian_id)
    except Http404:
        if request.method == "POST":
            return _already_removed(request, student_id, guardian_id)
        raise
    student, guardian = link.student, link.guardian
    if request.method == "POST":
        closed = do_unlink_guardian(student, guardian, acting_user=request.user, request=request)
        messages.success(
            request,
            ngettext(
                "%(guardian)s is no longer a guardian of %(student)s; %(count)s notice stops reaching them.",
                "%(guardian)s is no longer a guardian of %(student)s; %(count)s notices stop reaching them.",
                closed,
            )
            % {"guardian": guardian.name, "student": student.name, "count": closed},
        )
        return _back(student)
    others = student.guardian_links.exclude(guardian=guardian).count()
    return render(
        request,
        "home/unlink_guardian.html",
        {"link": link, "student": student, "guardian": guardian, "phone": mask_phone(guardian.phone), "others": others},
    )


def _back(student):
    if student.school_class_id is not None:
        return redirect("schools:class", class_id=student.school_class_id)
    return redirect("schools:setup_classes")


def _already_removed(request, student_id: int, guardian_id: int):
    """A second tap, or a retry after a lost answer: the link went with the first one. Whoever may
    manage the child's class is told so and taken back as the first time; anyone else, or a link
    that is still there (refused, not gone), gets the 404."""
    student = access_student(request, student_id)
    manages = request.roles.is_admin_of(student.school_id) or (
        student.school_class_id is not None and student.school_class_id in request.roles.head_class_ids
    )
    if not manages or StudentGuardian.objects.filter(student=student, guardian_id=guardian_id).exists():
        raise Http404
    messages.info(request, _("This guardian is no longer linked to %(student)s.") % {"student": student.name})
    return _back(student)
