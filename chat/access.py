"""Who belongs to a conversation, and which of its messages each member sees.

Membership is decided from the roster every time it is asked: on every page, API call, socket
connect and message. A parent whose child has left the class, or a teacher no longer assigned to
it, is out at once.

Which messages a member sees is one rule, written here once (``sees_message`` for one message,
``message_visibility`` as a query; the two are tested to agree): staff see every message of their
conversation; a family sees what is shown to all, and its own messages. In Q&A mode a family's
question is shown to all only once a teacher answers it (``Message.visible_to_all``), so until then
only staff and the asker see it. Quiet messages (sent in a teacher's quiet hours) are seen like any
other; they only wait for their alert. A recalled or removed message keeps its place in the history
(shown as recalled or removed, without its text, see ``live.payload``) but is not counted as
unread, found by search, pinned, quoted in full or served as a file (``NOT_GONE``)."""

import functools
from typing import NamedTuple

from django.db import connection
from django.db.models import F, Q, QuerySet, Value
from django.http import Http404
from django_scopes import scopes_disabled

from core.db import Statement, together
from schools.access import access_staff_school
from schools.models import School, StaffAssignment, StaffMember, Student, StudentGuardian

from .models import Conversation, Message, Participant

STAFF, FAMILY = "staff", "family"

# A message neither recalled by its sender nor removed by a moderator.
NOT_GONE = Q(recalled_at__isnull=True, removed_at__isnull=True)


def sees_message(role: str | None, user_id: int | None, *, visible_to_all: bool, sender_id: int | None) -> bool:
    """The rule for one message (a row or a socket's payload): staff see everything; a family
    what is shown to all, and its own."""
    if role is None:
        return False  # not a member
    return role == STAFF or visible_to_all or (user_id is not None and sender_id == user_id)


def message_visibility(user, role: str) -> Q:
    """``sees_message`` as a filter on messages, for a member of the conversation."""
    if role == STAFF:
        return Q()
    return Q(visible_to_all=True) | Q(sender=user)


def visible_messages(conversation: Conversation, user, role: str) -> QuerySet[Message]:
    """The messages of the conversation this member sees (recalled and removed ones included)."""
    return Message.objects.filter(conversation=conversation).filter(message_visibility(user, role))


def access_message(conversation: Conversation, user, role: str, message_id: int) -> Message:
    """One message of a conversation the user is a member of (``access_conversation``), if they
    may see it; otherwise a 404, never saying whether it exists."""
    if not isinstance(message_id, int) or isinstance(message_id, bool):
        raise Http404
    message = visible_messages(conversation, user, role).filter(pk=message_id).select_related("sender").first()
    if message is None:
        raise Http404
    return message


def chat_school_id(request) -> int | None:
    """The school whose conversations are listed: for staff the school they work in (their choice
    on 我的, ``access_staff_school``), for a family their first child's; None for neither. The
    chat list and the tab bar's unread count both ask here, so they always agree."""
    roles = request.roles
    if roles.staff:
        return access_staff_school(request).pk
    return min(roles.child_school_ids, default=None)


def access_chat_school(request) -> School:
    """The school of ``chat_school_id``, or a 404 for a user who is neither staff nor a family."""
    school_id = chat_school_id(request)
    if school_id is None:
        raise Http404
    return School.objects.get(pk=school_id)


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


class Members(NamedTuple):
    """A conversation's members by the roster now (user ids): everyone, the staff among them, and
    the moderators among those (the admins, and for a class group its head teacher this term)."""

    everyone: set[int]
    staff: set[int]
    moderators: set[int]


def member_ids(conversation: Conversation) -> Members:
    """Every member's user id, the staff and the moderators among them, from the roster as it is
    now: sent with each message so that every open socket knows, without asking the database,
    whether its user may still receive it (a parent whose child left the class: no longer) and
    which drawing of the message is theirs (``rendering``). The sender's own membership is read from
    it too (``role_of``: the same rules as ``member_role``). One query (a ``UNION ALL`` of the
    school's admins, the conversation's staff and its families, each row tagged with what it is)."""
    (rows,) = together([roster_statement(conversation)])
    return members_from_rows(conversation, rows)


def roster_statement(conversation: Conversation) -> Statement:
    """The query of ``member_ids``, to be run with others in one trip (``core.db.together``)."""
    return _roster_sql(
        connection.vendor,
        conversation.kind,
        conversation.pk,
        conversation.school_id,
        conversation.school_class_id,
        conversation.student_id,
    )


def members_from_rows(conversation: Conversation, rows: list[tuple]) -> Members:
    """``member_ids`` from the rows of ``roster_statement``."""
    admin_ids: set[int] = set()
    staff: set[int] = set()
    heads: set[int] = set()
    family: set[int] = set()
    for user_id, what, role in rows:
        if what == _ADMIN:
            admin_ids.add(user_id)
        elif what == _STAFF:
            staff.add(user_id)
            if role == StaffAssignment.Role.HEAD_TEACHER:
                heads.add(user_id)
        else:
            family.add(user_id)
    if conversation.kind == Conversation.Kind.CLASS:
        staff |= admin_ids  # the school's admins are staff of every class group
        moderators = admin_ids | heads
    else:
        moderators = staff & admin_ids  # an admin moderates where they are a member
    return Members(everyone=staff | family, staff=staff, moderators=moderators)


@functools.lru_cache(maxsize=4096)
def _roster_sql(
    vendor: str, kind: str, conversation_id: int, school_id: int, school_class_id: int | None, student_id: int | None
) -> tuple[str, tuple]:
    """The roster query of ``member_ids``, compiled once per conversation and process (issue 19:
    building and compiling the three-part queryset cost more than running it, at every message).
    The SQL is a function of the arguments alone (the conversation's fixed fields; no date, no
    user): what it reads is read from the database at every call, so nothing here goes stale.
    ``vendor`` keeps a compilation for one database from serving another. Compiled unscoped: the
    scope active at the first call (a task's, a page's) must not end up in every later one's SQL;
    the ids above already keep it to the conversation's school."""
    with scopes_disabled():
        return _compile_roster(kind, conversation_id, school_id, school_class_id, student_id)


def _compile_roster(
    kind: str, conversation_id: int, school_id: int, school_class_id: int | None, student_id: int | None
) -> tuple[str, tuple]:
    admins = (
        StaffMember.objects.filter(school_id=school_id, is_active=True, is_school_admin=True, user__is_active=True)
        .annotate(what=Value(_ADMIN), role=Value(""))
        .values_list("user_id", "what", "role")
    )
    staff_rows: QuerySet
    if kind == Conversation.Kind.CLASS:
        staff_rows = (
            StaffAssignment.objects.filter(
                school_class_id=school_class_id,
                term__is_current=True,
                staff__is_active=True,
                staff__user__is_active=True,
            )
            .annotate(what=Value(_STAFF), staff_role=F("role"))
            .values_list("staff__user_id", "what", "staff_role")
        )
        families = StudentGuardian.objects.filter(
            student__school_class_id=school_class_id, student__status=Student.Status.ACTIVE
        )
    else:
        staff_rows = (
            Participant.objects.filter(
                conversation_id=conversation_id,
                is_member=True,
                left_at__isnull=True,
                user__is_active=True,
                user__staff_memberships__school_id=school_id,
                user__staff_memberships__is_active=True,
            )
            .annotate(what=Value(_STAFF), role=Value(""))
            .values_list("user_id", "what", "role")
        )
        families = StudentGuardian.objects.filter(student_id=student_id or 0, student__status=Student.Status.ACTIVE)
        if kind == Conversation.Kind.STAFF:
            families = families.none()
    family_rows = (
        families.filter(guardian__user__isnull=False, guardian__user__is_active=True)
        .annotate(what=Value(_FAMILY), role=Value(""))
        .values_list("guardian__user_id", "what", "role")
    )
    parts = [admins, staff_rows] + ([] if kind == Conversation.Kind.STAFF else [family_rows])
    sql, params = parts[0].union(*parts[1:], all=True).query.sql_with_params()
    return sql, tuple(params)


_ADMIN, _STAFF, _FAMILY = "a", "s", "f"


def role_of(user_id: int, members: Members) -> str | None:
    """``member_role`` read from ``member_ids``: staff, family or None. The same rules, as
    ``chat/tests/test_access.py`` checks for every kind of member and former member; it also asks
    that the user's account is active in the database (not as loaded with the socket's session)."""
    if user_id in members.staff:
        return STAFF
    if user_id in members.everyone:
        return FAMILY
    return None


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


def can_post(conversation: Conversation, role: str | None) -> bool:
    """Whether this member may write here: everyone, except families in a notice-first class group
    (``actions.do_send`` refuses them; the page offers them no form and no 引用)."""
    return role is not None and not (
        conversation.kind == Conversation.Kind.CLASS
        and role != STAFF
        and conversation.mode == Conversation.Mode.NOTICE_FIRST
    )


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
