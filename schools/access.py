"""The one place that decides who sees which school object. Views and API endpoints fetch
user-visible objects only through these functions. A refusal is a 404, never a 403, so that
nobody learns whether an id exists in a class or school that is not theirs."""

from django.http import Http404

from .models import (
    District,
    Guardian,
    RosterUpload,
    School,
    SchoolClass,
    StaffAssignment,
    StaffMember,
    Student,
    StudentGuardian,
    Term,
)
from .roles import Roles


def _roles(request) -> Roles:
    return getattr(request, "roles", None) or Roles()


def access_admin_school(request) -> School:
    """The school the signed-in admin is managing (the one chosen in the session, else their first)."""
    roles = _roles(request)
    if not roles.admin_school_ids:
        raise Http404
    chosen = request.session.get("school_id") if hasattr(request, "session") else None
    school_id = chosen if chosen in roles.admin_school_ids else min(roles.admin_school_ids)
    return School.objects.get(pk=school_id)


# The setup pages (terms, classes, staff) manage the school the admin has chosen: each object they
# act on by id must belong to that school.


def access_term(request, term_id: int) -> Term:
    """A term of the school the admin is managing."""
    school = access_admin_school(request)
    term = Term.objects.filter(school=school, pk=term_id).first()
    if term is None:
        raise Http404
    return term


def access_class_to_administer(request, class_id: int) -> SchoolClass:
    """A class (not graduated or graduated) of the school the admin is managing."""
    school = access_admin_school(request)
    school_class = SchoolClass.objects.filter(school=school, pk=class_id).select_related("school").first()
    if school_class is None:
        raise Http404
    return school_class


def access_staff_member(request, member_id: int, *, active_only: bool = False) -> StaffMember:
    """A staff member of the school the admin is managing (``active_only``: who has not left)."""
    school = access_admin_school(request)
    members = StaffMember.objects.filter(school=school, pk=member_id)
    if active_only:
        members = members.filter(is_active=True)
    member = members.select_related("school", "user").first()
    if member is None:
        raise Http404
    return member


def access_assignment(request, assignment_id: int) -> StaffAssignment:
    """A teacher's role in a class, of the school the admin is managing."""
    school = access_admin_school(request)
    assignment = (
        StaffAssignment.objects.filter(school=school, pk=assignment_id).select_related("school_class", "staff").first()
    )
    if assignment is None:
        raise Http404
    return assignment


def access_school_to_work_in(request, school_id: int) -> School:
    """One of the schools the user is a current staff member of (to switch to it), or a 404."""
    member = _roles(request).staff.get(school_id)
    if member is None:
        raise Http404
    return member.school


def access_staff_school(request) -> School:
    roles = _roles(request)
    if not roles.staff:
        raise Http404
    chosen = request.session.get("school_id") if hasattr(request, "session") else None
    school_id = chosen if chosen in roles.staff else min(roles.staff)
    return roles.staff[school_id].school


def access_class(request, class_id: int, *, manage: bool = False) -> SchoolClass:
    """A class its school's admins, its head teacher and (to view) its subject teachers may open."""
    roles = _roles(request)
    school_class = SchoolClass.objects.filter(pk=class_id).select_related("school").first()
    if school_class is None:
        raise Http404
    allowed = roles.can_manage_class(school_class) if manage else roles.can_view_class(school_class)
    if not allowed:
        raise Http404
    return school_class


def access_student(request, student_id: int) -> Student:
    """A student: their own guardians, the staff who teach their class, their school's admins."""
    roles = _roles(request)
    student = Student.objects.filter(pk=student_id).select_related("school_class", "school").first()
    if student is None:
        raise Http404
    if student.id in roles.child_ids:
        return student
    if roles.is_admin_of(student.school_id):
        return student
    if student.school_class_id is not None and student.school_class_id in roles.taught_class_ids:
        return student
    raise Http404


def access_guardian_to_manage(request, guardian_id: int) -> Guardian:
    """A guardian whose access a staff member may reset: admins of the school, or the head
    teacher of a class one of the guardian's children is in."""
    roles = _roles(request)
    guardian = Guardian.objects.filter(pk=guardian_id).first()
    if guardian is None:
        raise Http404
    if roles.is_admin_of(guardian.school_id):
        return guardian
    class_ids = set(guardian.student_links.values_list("student__school_class_id", flat=True))
    if not class_ids & roles.head_class_ids or _is_staff_somewhere(guardian):
        raise Http404
    return guardian


def _is_staff_somewhere(guardian: Guardian) -> bool:
    """A parent who is also on a school's staff keeps their account and their family safe from a
    colleague: only a school admin may reset their access or remove them from a child."""
    from django_scopes import scopes_disabled

    with scopes_disabled():  # reviewed: existence check on this guardian's own account
        return guardian.user_id is not None and StaffMember.objects.filter(user_id=guardian.user_id).exists()


def access_guardian_link_to_remove(request, student_id: int, guardian_id: int) -> StudentGuardian:
    """A guardian's link to a child that a staff member may remove (``home.family``): admins of
    the child's school, or the head teacher of the child's class."""
    roles = _roles(request)
    link = (
        StudentGuardian.objects.filter(student_id=student_id, guardian_id=guardian_id)
        .select_related("student__school_class", "student__school", "guardian")
        .first()
    )
    if link is None:
        raise Http404
    if roles.is_admin_of(link.school_id):
        return link
    if link.student.school_class_id not in roles.head_class_ids or _is_staff_somewhere(link.guardian):
        raise Http404
    return link


def access_guardian_to_erase(request, guardian_id: int) -> Guardian:
    """A guardian whose family data may be erased: admins of the guardian's school only."""
    guardian = Guardian.objects.filter(pk=guardian_id).first()
    if guardian is None or not _roles(request).is_admin_of(guardian.school_id):
        raise Http404
    return guardian


def access_roster_upload(request, upload_id: int) -> RosterUpload:
    """An upload waiting for its commit: its uploader, or an admin of its school."""
    roles = _roles(request)
    upload = RosterUpload.objects.filter(pk=upload_id, committed_at__isnull=True).select_related("school_class").first()
    if upload is None:
        raise Http404
    own_class_upload = (
        upload.uploaded_by_id == request.user.pk
        and upload.school_class is not None
        and roles.can_manage_class(upload.school_class)
    )
    if not (roles.is_admin_of(upload.school_id) or own_class_upload):
        raise Http404
    return upload


def access_join_request(request, join_request_id: int):
    """A family's request to join: decided by the class's head teacher or a school admin."""
    from .models import JoinRequest

    roles = _roles(request)
    join_request = JoinRequest.objects.filter(pk=join_request_id).select_related("school_class", "school").first()
    if join_request is None or not roles.can_manage_class(join_request.school_class):
        raise Http404
    return join_request


def access_my_child(request, student_id: int) -> Student:
    """One of the signed-in parent's own children."""
    roles = _roles(request)
    if student_id not in roles.child_ids:
        raise Http404
    return Student.objects.select_related("school", "school_class").get(pk=student_id)


# Districts (教育局 / 集团校). A district admin is no one in the district's schools: these functions
# give the district and nothing below it; every child, family, contact, chat and answer stays behind
# the functions above, which read only school roles (schools.roles), so they keep answering 404.


def access_district(request, district_id: int) -> District:
    """A district the signed-in user administers (a ``DistrictAdmin`` row), or a 404."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        raise Http404
    district = District.objects.filter(pk=district_id, admins__user=user).first()
    if district is None:
        raise Http404
    return district


def access_my_schools(request) -> list[School]:
    """Every school the signed-in user belongs to (staff or family), by their roles; none: 404."""
    roles = _roles(request)
    if not roles.school_ids:
        raise Http404
    return list(School.objects.filter(pk__in=roles.school_ids).order_by("pk"))
