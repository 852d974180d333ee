"""Who belongs to a conversation, decided from the roster every time it is asked: on every page,
API call, socket connect and message. A parent whose child has left the class, or a teacher no
longer assigned to it, is out at once."""

from django.http import Http404

from schools.models import StaffAssignment, StaffMember, Student, StudentGuardian

from .models import Conversation, Participant

STAFF, FAMILY = "staff", "family"


def member_role(user, conversation: Conversation) -> str | None:
    """``"staff"``, ``"family"`` or None (not a member)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    is_admin = StaffMember.objects.filter(
        school_id=conversation.school_id, user=user, is_active=True, is_school_admin=True
    ).exists()
    if conversation.kind == Conversation.Kind.CLASS:
        if (
            is_admin
            or StaffAssignment.objects.filter(
                school_class_id=conversation.school_class_id,
                term__is_current=True,
                staff__user=user,
                staff__is_active=True,
            ).exists()
        ):
            return STAFF
        if StudentGuardian.objects.filter(
            student__school_class_id=conversation.school_class_id,
            student__status=Student.Status.ACTIVE,
            guardian__user=user,
        ).exists():
            return FAMILY
        return None
    staff_row = Participant.objects.filter(
        conversation=conversation,
        user=user,
        is_member=True,
        left_at__isnull=True,
        user__staff_memberships__school_id=conversation.school_id,
        user__staff_memberships__is_active=True,
    ).exists()
    if staff_row:
        return STAFF
    if (
        conversation.kind == Conversation.Kind.PRIVATE
        and StudentGuardian.objects.filter(
            student_id=conversation.student_id or 0, student__status=Student.Status.ACTIVE, guardian__user=user
        ).exists()
    ):
        return FAMILY
    return None


def member_ids(conversation: Conversation) -> tuple[set[int], set[int]]:
    """Every member's user id, and the staff among them, from the roster as it is now: sent with
    each message so that every open socket knows, without asking the database, whether its user
    may still receive it (a parent whose child left the class: no longer)."""
    school_id = conversation.school_id
    admins = StaffMember.objects.filter(
        school_id=school_id, is_active=True, is_school_admin=True, user__is_active=True
    ).values_list("user_id", flat=True)
    if conversation.kind == Conversation.Kind.CLASS:
        staff = set(admins) | set(
            StaffAssignment.objects.filter(
                school_class_id=conversation.school_class_id,
                term__is_current=True,
                staff__is_active=True,
                staff__user__is_active=True,
            ).values_list("staff__user_id", flat=True)
        )
        families = StudentGuardian.objects.filter(
            student__school_class_id=conversation.school_class_id, student__status=Student.Status.ACTIVE
        )
    else:
        staff = set(
            Participant.objects.filter(
                conversation=conversation,
                is_member=True,
                left_at__isnull=True,
                user__is_active=True,
                user__staff_memberships__school_id=school_id,
                user__staff_memberships__is_active=True,
            ).values_list("user_id", flat=True)
        )
        families = StudentGuardian.objects.filter(
            student_id=conversation.student_id or 0, student__status=Student.Status.ACTIVE
        )
        if conversation.kind == Conversation.Kind.STAFF:
            families = families.none()
    family = set(
        families.filter(guardian__user__isnull=False, guardian__user__is_active=True).values_list(
            "guardian__user_id", flat=True
        )
    )
    return staff | family, staff


def can_moderate(user, conversation: Conversation) -> bool:
    """The head teacher of the class (for its group) and the school's admins."""
    if StaffMember.objects.filter(
        school_id=conversation.school_id, user=user, is_active=True, is_school_admin=True
    ).exists():
        return True
    if conversation.kind == Conversation.Kind.CLASS:
        return StaffAssignment.objects.filter(
            school_class_id=conversation.school_class_id,
            term__is_current=True,
            staff__user=user,
            role=StaffAssignment.Role.HEAD_TEACHER,
        ).exists()
    return False


def access_conversation(user, conversation_id) -> tuple[Conversation, str]:
    """The conversation and the user's role in it, or a 404 (never saying whether it exists)."""
    from django_scopes import scopes_disabled

    if not isinstance(conversation_id, int) or isinstance(conversation_id, bool):
        raise Http404
    with scopes_disabled():  # reviewed: membership below decides; the school comes from the conversation
        conversation = Conversation.objects.filter(pk=conversation_id).select_related("school_class", "student").first()
        role = member_role(user, conversation) if conversation is not None else None
    if conversation is None or role is None:
        raise Http404
    return conversation, role
