"""Pages of the archive (档案): a class's or a grade's records of a term as one zip download. A
class: its head teacher and the school's admins; a grade: the admins."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from core.uploads import download_response
from schools.access import access_class, access_class_to_administer, access_staff_school
from schools.models import SchoolClass, Term

from . import actions, archive
from .access import _roles, access_archive_term


def _term_id(request) -> int | None:
    try:
        return int(request.GET["term"])
    except (KeyError, ValueError):
        return None


def zip_response(data: bytes, filename: str) -> HttpResponse:
    return download_response(data, filename, "application/zip")


@login_required
@require_GET
def archive_page(request):
    """The classes (and, for admins, the grades) whose archive the user may download, per term."""
    school = access_staff_school(request)
    roles = _roles(request)
    is_admin = roles.is_admin_of(school.pk)
    classes = SchoolClass.objects.filter(school=school, graduated_at__isnull=True)
    if not is_admin:
        classes = classes.filter(pk__in=roles.head_class_ids)
    classes_list = list(classes.order_by("grade", "number"))
    if not is_admin and not classes_list:
        raise Http404
    return render(
        request,
        "reports/archive.html",
        {
            "school": school,
            "classes": classes_list,
            # A grade's archive is asked for through its first class.
            "grades": list({c.grade: c for c in reversed(classes_list)}.values())[::-1] if is_admin else [],
            "terms": list(Term.objects.filter(school=school).order_by("-start_date")),
            "term_id": _term_id(request),
        },
    )


@login_required
@require_GET
def class_zip(request, class_id: int):
    school_class = access_class(request, class_id, manage=True)
    term = access_archive_term(request, school_class.school_id, _term_id(request))
    found = archive.class_archive(school_class, term)
    data = archive.archive_zip(found)
    actions.record_archive_export(school_class.school, found.filename, acting_user=request.user, request=request)
    return zip_response(data, found.filename)


@login_required
@require_GET
def grade_zip(request, class_id: int):
    """The archive of the whole grade a class is in (addressed by one of its classes, so that an id
    of another school's class is a 404): the school's admins."""
    school_class = access_class_to_administer(request, class_id)
    term = access_archive_term(request, school_class.school_id, _term_id(request))
    found = archive.grade_archive(school_class.school, school_class.grade, term)
    if found is None:
        raise Http404
    data = archive.archive_zip(found)
    actions.record_archive_export(school_class.school, found.filename, acting_user=request.user, request=request)
    return zip_response(data, found.filename)
