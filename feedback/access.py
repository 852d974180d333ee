"""Who sees which suggestion. Its owner and the school's admins handle it; a signed author follows
their own; an anonymous author follows it only with the receipt shown once at submission (nothing
in the database links the two). A rectification is closed by its owner or an admin."""

import hashlib

from django.http import Http404

from schools.models import School, SchoolClass, Student
from schools.roles import Roles

from .models import Rectification, Suggestion


def _roles(request) -> Roles:
    return getattr(request, "roles", None) or Roles()


def receipt_hash(token: str) -> str:
    return hashlib.sha256(("feedback-receipt:" + token).encode()).hexdigest()


def access_where_to_suggest(request, school_id: int, class_id: int | None) -> tuple[School, SchoolClass | None]:
    """A school the user belongs to (a child there or staff), and optionally a class of it: one of
    their children's classes, or for staff any class of the school."""
    roles = _roles(request)
    if school_id not in roles.school_ids:
        raise Http404
    school = School.objects.filter(pk=school_id).first()
    if school is None:
        raise Http404
    if class_id is None:
        return school, None
    school_class = SchoolClass.objects.filter(pk=class_id, school=school).first()
    if school_class is None:
        raise Http404
    if not roles.is_staff_of(school.pk):
        own = Student.objects.filter(pk__in=roles.child_ids, school_class=school_class).exists()
        if not own:
            raise Http404
    return school, school_class


def may_handle(request, suggestion: Suggestion) -> bool:
    roles = _roles(request)
    return roles.is_admin_of(suggestion.school_id) or (
        roles.is_staff_of(suggestion.school_id) and suggestion.owner_id == request.user.pk
    )


def access_suggestion_to_handle(request, suggestion_id: int) -> Suggestion:
    suggestion = Suggestion.objects.filter(pk=suggestion_id).select_related("school", "school_class", "owner").first()
    if suggestion is None or not may_handle(request, suggestion):
        raise Http404
    return suggestion


def access_my_suggestion(request, suggestion_id: int) -> Suggestion:
    """A signed suggestion of the signed-in user."""
    suggestion = (
        Suggestion.objects.filter(pk=suggestion_id, author=request.user, anonymous=False)
        .select_related("school", "school_class")
        .first()
    )
    if suggestion is None:
        raise Http404
    return suggestion


def access_suggestion_by_receipt(token: str) -> Suggestion:
    """The suggestion a receipt belongs to (anonymous or not): the receipt is the key."""
    token = (token or "").strip()
    if len(token) < 16:
        raise Http404
    suggestion = (
        Suggestion.objects.filter(receipt_hash=receipt_hash(token)).select_related("school", "school_class").first()
    )
    if suggestion is None:
        raise Http404
    return suggestion


def access_rectification_to_close(request, rectification_id: int) -> Rectification:
    rect = Rectification.objects.filter(pk=rectification_id).select_related("suggestion", "school").first()
    if rect is None:
        raise Http404
    roles = _roles(request)
    if not (
        roles.is_admin_of(rect.school_id) or (roles.is_staff_of(rect.school_id) and rect.owner_id == request.user.pk)
    ):
        raise Http404
    return rect
