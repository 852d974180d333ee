"""Who sees which contact record and care case. Refusals are 404s."""

from django.http import Http404

from schools.models import Student
from schools.roles import Roles

from .models import ActionItem, CareCase, ContactRecord, ConversationRequest


def _roles(request) -> Roles:
    return getattr(request, "roles", None) or Roles()


def may_record_about(roles: Roles, student: Student) -> bool:
    """Teachers of the student's class (head or subject) and school admins."""
    return roles.is_admin_of(student.school_id) or (
        student.school_class_id is not None and student.school_class_id in roles.taught_class_ids
    )


def may_see_care(roles: Roles, student: Student) -> bool:
    """Only the head teacher, the school's designated care staff and admins."""
    return (
        roles.is_admin_of(student.school_id)
        or student.school_id in roles.care_school_ids
        or (student.school_class_id is not None and student.school_class_id in roles.head_class_ids)
    )


def access_student_to_record(request, student_id: int) -> Student:
    roles = _roles(request)
    student = Student.objects.filter(pk=student_id, status=Student.Status.ACTIVE).select_related("school_class").first()
    if student is None or not may_record_about(roles, student):
        raise Http404
    return student


def access_record(request, record_id: int) -> ContactRecord:
    """Staff: the author, school admins, care staff, and the head teachers of the students (or the
    class) the record is about."""
    roles = _roles(request)
    record = ContactRecord.objects.filter(pk=record_id).select_related("school_class", "author").first()
    if record is None:
        raise Http404
    if record.author_id == request.user.pk and roles.is_staff_of(record.school_id):
        return record
    if roles.is_admin_of(record.school_id) or record.school_id in roles.care_school_ids:
        return record
    if _classes_of(record) & roles.head_class_ids:
        return record
    raise Http404


def access_record_to_edit(request, record_id: int) -> ContactRecord:
    """Who may correct a record: its author, the head teachers of the children (or the class) it is
    about, and school admins. Care staff read every record but do not rewrite someone else's."""
    record = ContactRecord.objects.filter(pk=record_id).select_related("school_class", "author").first()
    if record is None or not may_edit_record(request, record):
        raise Http404
    return record


def may_edit_record(request, record: ContactRecord) -> bool:
    roles = _roles(request)
    if record.author_id == request.user.pk and roles.is_staff_of(record.school_id):
        return True
    return roles.is_admin_of(record.school_id) or bool(_classes_of(record) & roles.head_class_ids)


def _classes_of(record: ContactRecord) -> set[int]:
    """The classes a record is about: its students' classes, or the class of a collective record."""
    class_ids = {
        class_id
        for class_id in record.student_links.values_list("student__school_class_id", flat=True)
        if class_id is not None
    }
    if record.school_class_id:
        class_ids.add(record.school_class_id)
    return class_ids


def access_action_item_to_close(request, record: ContactRecord, item_id: int) -> ActionItem:
    """An agreed action of a record the user sees (``access_record`` first), which they may mark done:
    its owner, the record's author, the head teacher of a class the record is about, or a school
    admin. Care staff read every record, but an action someone else owns is not theirs to close."""
    roles = _roles(request)
    item = ActionItem.objects.filter(record=record, pk=item_id).first()
    if item is None:
        raise Http404
    if request.user.pk in (item.owner_id, record.author_id) or roles.is_admin_of(record.school_id):
        return item
    if _classes_of(record) & roles.head_class_ids:
        return item
    raise Http404


def access_open_conversation_request(request, request_id: int) -> ConversationRequest:
    """A family's request to talk that is still open, in the head teacher's list: only the head
    teacher of the child's class records the talk that answers it."""
    roles = _roles(request)
    conversation = (
        ConversationRequest.objects.filter(pk=request_id, status=ConversationRequest.Status.OPEN)
        .select_related("student")
        .first()
    )
    if conversation is None or conversation.student.school_class_id not in roles.head_class_ids:
        raise Http404
    return conversation


def access_shared_record_as_family(request, record_id: int) -> tuple[ContactRecord, list[int]]:
    """A shared record about one of the family's own children; returns it with those children's ids."""
    roles = _roles(request)
    record = ContactRecord.objects.filter(pk=record_id, visibility=ContactRecord.Visibility.SHARED).first()
    if record is None:
        raise Http404
    mine = [sid for sid in record.student_links.values_list("student_id", flat=True) if sid in roles.child_ids]
    if not mine:
        raise Http404
    return record, mine


def access_care_case(request, case_id: int) -> CareCase:
    roles = _roles(request)
    case = CareCase.objects.filter(pk=case_id).select_related("student__school_class", "opened_by").first()
    if case is None or not may_see_care(roles, case.student):
        raise Http404
    return case


def sees_internal_records_of(roles: Roles, student: Student) -> bool:
    """The whole record (internal summaries included): head teacher, care staff, admins."""
    return may_see_care(roles, student)


def visible_records(roles: Roles, user, student: Student, records):
    """A student's records as this staff member may see them: everything for the head teacher,
    designated staff and admins; for other teachers of the class only what they wrote themselves."""
    if sees_internal_records_of(roles, student):
        return records
    return records.filter(author=user)


def access_student_for_care(request, student_id: int) -> Student:
    """Care cases: the head teacher, designated care staff and admins, from anywhere in the school."""
    roles = _roles(request)
    student = Student.objects.filter(pk=student_id, status=Student.Status.ACTIVE).select_related("school_class").first()
    if student is None or not may_see_care(roles, student):
        raise Http404
    return student
