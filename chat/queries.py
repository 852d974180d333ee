"""Reading chat: a user's conversations with unread counts, a conversation's history as one member
sees it, search, the school's record for export, and what waits for a teacher's answer (the staff
home page's questions and private conversations). Fixed numbers of queries."""

from django.db.models import Count, Exists, IntegerField, Max, OuterRef, Q, Subquery, Value, Window
from django.db.models.functions import Coalesce

from schools.models import SchoolClass, StaffAssignment, StaffMember, Student, StudentGuardian

from .access import FAMILY, NOT_GONE, STAFF, message_visibility, visible_messages
from .actions import class_group
from .models import ChatSettings, Conversation, Message, Participant

PAGE = 50


def my_conversations(user, school) -> list[Conversation]:
    """The class groups of the user's classes (taught, or their children's), the private
    conversations about their children or with them as staff, and their staff groups; each with
    ``unread`` and ``role``."""
    is_admin = StaffMember.objects.filter(school=school, user=user, is_active=True, is_school_admin=True).exists()
    taught = set(
        StaffAssignment.objects.filter(
            school=school, staff__user=user, term__is_current=True, staff__is_active=True
        ).values_list("school_class_id", flat=True)
    )
    children = set(
        StudentGuardian.objects.filter(
            school=school, guardian__user=user, student__status=Student.Status.ACTIVE
        ).values_list("student_id", "student__school_class_id")
    )
    child_ids = {s for s, _c in children}
    family_classes = {c for _s, c in children if c}
    class_ids = taught | family_classes
    if is_admin:
        class_ids |= set(
            SchoolClass.objects.filter(school=school, graduated_at__isnull=True).values_list("pk", flat=True)
        )
    existing = set(
        Conversation.objects.filter(kind=Conversation.Kind.CLASS, school_class_id__in=class_ids).values_list(
            "school_class_id", flat=True
        )
    )
    for klass in SchoolClass.objects.filter(pk__in=class_ids - existing):
        class_group(klass)  # once per class, the first time anyone lists it
    conversations = list(
        Conversation.objects.filter(school=school)
        .filter(
            Q(kind=Conversation.Kind.CLASS, school_class_id__in=class_ids)
            | Q(kind=Conversation.Kind.PRIVATE, student_id__in=child_ids)
            | Q(participants__user=user, participants__is_member=True, participants__left_at__isnull=True)
        )
        .select_related("school_class", "student")
        .distinct()
    )
    last_read = dict(
        Participant.objects.filter(user=user, conversation__in=conversations).values_list(
            "conversation_id", "last_read_id"
        )
    )
    member_rows = set(
        Participant.objects.filter(user=user, is_member=True, left_at__isnull=True).values_list(
            "conversation_id", flat=True
        )
    )
    staff_side = {
        c.pk
        for c in conversations
        if (c.kind == Conversation.Kind.CLASS and (is_admin or c.school_class_id in taught)) or c.pk in member_rows
    }
    # One COUNT … GROUP BY over all of them: after my read position, not mine, and visible to me.
    unseen = Q(pk__in=[])
    for c in conversations:
        role = STAFF if c.pk in staff_side else FAMILY
        unseen |= Q(conversation_id=c.pk, id__gt=last_read.get(c.pk, 0)) & message_visibility(user, role)
    unread = (
        dict(
            Message.objects.filter(unseen)
            .exclude(sender=user)
            .filter(NOT_GONE)
            .values("conversation_id")
            .annotate(n=Count("id"))
            .values_list("conversation_id", "n")
        )
        if conversations
        else {}
    )
    for c in conversations:
        c.role = STAFF if c.pk in staff_side else FAMILY  # type: ignore[attr-defined]
        c.unread = unread.get(c.pk, 0)  # type: ignore[attr-defined]
    order: dict[str, int] = {Conversation.Kind.CLASS: 0, Conversation.Kind.PRIVATE: 1, Conversation.Kind.STAFF: 2}
    conversations.sort(key=lambda c: (-c.unread, order[c.kind], c.display_title))  # type: ignore[attr-defined]
    return conversations


def history(
    conversation: Conversation, user, role: str, *, after: int = 0, before: int | None = None, limit: int = PAGE
):
    """Messages as this member sees them, oldest first: the last ``limit`` before ``before``, or
    everything after ``after`` (a reconnecting client catching up)."""
    messages = visible_messages(conversation, user, role).select_related("sender", "quote__sender", "removed_by")
    if after:
        return list(messages.filter(id__gt=after).order_by("id")[:500])
    if before:
        messages = messages.filter(id__lt=before)
    return list(reversed(messages.order_by("-id")[:limit]))


def search(user, school, text: str) -> list[Message]:
    text = (text or "").strip()
    if not text:
        return []
    conversations = my_conversations(user, school)
    staff_ids = [c.pk for c in conversations if c.role == STAFF]  # type: ignore[attr-defined]
    family_ids = [c.pk for c in conversations if c.role != STAFF]  # type: ignore[attr-defined]
    return list(
        Message.objects.filter(NOT_GONE, body__icontains=text)
        .filter(
            Q(conversation_id__in=staff_ids) & message_visibility(user, STAFF)
            | Q(conversation_id__in=family_ids) & message_visibility(user, FAMILY)
        )
        .select_related("sender", "conversation")
        .order_by("-id")[:100]
    )


def pinned_message(conversation: Conversation) -> Message | None:
    """The announcement pinned to the top, unless it has since been recalled or removed (only a
    message shown to all can be pinned, see ``actions.do_pin``)."""
    if not conversation.pinned_id:
        return None
    return Message.objects.filter(NOT_GONE, conversation=conversation, pk=conversation.pinned_id).first()


def answered_question(answer: Message) -> Message | None:
    """The question a teacher's answer answered (shown to all from now on), to tell the sockets."""
    if answer.kind != Message.Kind.ANSWER or not answer.question_id:
        return None
    return (
        Message.objects.filter(conversation_id=answer.conversation_id, pk=answer.question_id)
        .select_related("sender", "quote__sender")
        .first()
    )


def read_positions(conversation: Conversation, user, members: set[int]) -> list[int]:
    """How far the other current members have read (those who hide it left out): one query."""
    return list(
        Participant.objects.filter(conversation=conversation, hide_read=False, user_id__in=members)
        .exclude(user=user)
        .values_list("last_read_id", flat=True)
    )


def my_children(roles) -> list[Student]:
    """The signed-in family's children, to start a private conversation about one."""
    return list(Student.objects.filter(pk__in=roles.child_ids).select_related("school_class"))


def chat_settings(school) -> ChatSettings | None:
    return ChatSettings.objects.filter(school=school).first()


def record_rows(conversation: Conversation) -> list[Message]:
    """The school's record: every message, with recalls and removals and who removed what and why."""
    return list(
        Message.objects.filter(conversation=conversation).select_related("sender", "removed_by", "quote").order_by("id")
    )


def unread_total(user, roles, school_id: int) -> int:
    """``unread_summary``'s count: the 消息 badge."""
    return unread_summary(user, roles, school_id, with_latest=False)[0]


def unread_summary(user, roles, school_id: int, *, with_latest: bool = True) -> tuple[int, list[int], int]:
    """The unread count (below), the ids of the conversations it covers, and the newest message id
    of the school when it was counted (``with_latest``: one more query): an open page's
    socket (``home.badges``) listens to those conversations and adds the messages newer than that
    id as they come, without counting again.

    How many messages wait for the user in the conversations ``my_conversations`` lists, summed:
    the 消息 badge of the bottom bar, on every page. Two queries whatever the number of classes,
    children or conversations, and no writes (a class group nobody has opened yet has no messages,
    so there is no need to create it as the list does). The roles are the request's (no query)."""
    is_admin = roles.is_admin_of(school_id)
    taught = roles.taught_class_ids if roles.is_staff_of(school_id) else set()
    class_q = Q(school_class__students__id__in=roles.child_ids, school_class__students__status=Student.Status.ACTIVE)
    if is_admin:
        class_q = Q(school_class__graduated_at__isnull=True)
    elif taught:
        class_q |= Q(school_class_id__in=taught)
    mine = Participant.objects.filter(conversation=OuterRef("pk"), user=user)
    rows = (
        Conversation.objects.filter(school_id=school_id)
        .filter(
            Q(kind=Conversation.Kind.CLASS) & class_q
            | Q(kind=Conversation.Kind.PRIVATE, student_id__in=roles.child_ids)
            | Q(participants__user=user, participants__is_member=True, participants__left_at__isnull=True)
        )
        .annotate(
            last_read=Coalesce(Subquery(mine.values("last_read_id")[:1]), Value(0), output_field=IntegerField()),
            member=Exists(mine.filter(is_member=True, left_at__isnull=True)),
        )
        .values_list("pk", "kind", "school_class_id", "last_read", "member")
        .distinct()
    )
    conversations = list(rows)
    latest = (Message.objects.filter(school_id=school_id).aggregate(m=Max("id"))["m"] or 0) if with_latest else 0
    if not conversations:
        return 0, [], latest
    unseen = Q(pk__in=[])
    for pk, kind, class_id, last_read, member in conversations:
        staff_side = (kind == Conversation.Kind.CLASS and (is_admin or class_id in taught)) or member
        role = STAFF if staff_side else FAMILY
        unseen |= Q(conversation_id=pk, id__gt=last_read) & message_visibility(user, role)
    count = Message.objects.filter(unseen).exclude(sender=user).filter(NOT_GONE).count()
    return count, sorted({row[0] for row in conversations}), latest


# --- what waits for a teacher (the staff home page reads these) -------------------------------------


def waiting_questions(user, roles, school, *, limit: int = 5) -> list[Message]:
    """Families' questions in Q&A mode that no teacher has answered yet, in the class groups the
    user is staff of (``member_role``: the classes they teach this term; a school admin: every
    class of the school), oldest first: the one waiting longest leads. Each with its sender and
    class, and ``waiting``, how many there are in all. One query, whatever their number."""
    questions = Message.objects.filter(
        NOT_GONE,
        school=school,
        kind=Message.Kind.QUESTION,
        answered_at__isnull=True,
        conversation__kind=Conversation.Kind.CLASS,
    )
    if not roles.is_admin_of(school.pk):
        questions = questions.filter(conversation__school_class_id__in=roles.taught_class_ids)
    return list(
        questions.exclude(sender=user)
        .annotate(waiting=Window(Count("pk")))
        .select_related("sender", "conversation__school_class")
        .order_by("id")[:limit]
    )


def waiting_private(user, school, *, limit: int = 5) -> list[Conversation]:
    """Private conversations the user answers for (a staff member of it) whose last message is a
    family's: waiting for a reply, longest-waiting first. An automatic reply (quiet hours) is not a
    reply. Each with ``last_body``, ``last_at``, the child and class, and ``waiting``, how many
    there are in all. One query, whatever their number."""
    said = Message.objects.filter(NOT_GONE, conversation=OuterRef("pk")).exclude(kind=Message.Kind.AUTO_REPLY)
    last = said.order_by("-id")
    staff = Participant.objects.filter(conversation=OuterRef("pk"), user_id=OuterRef("last_sender"), is_member=True)
    mine = Participant.objects.filter(conversation=OuterRef("pk"), user=user, is_member=True, left_at__isnull=True)
    return list(
        Conversation.objects.filter(Exists(mine), school=school, kind=Conversation.Kind.PRIVATE)
        .annotate(
            last_sender=Subquery(last.values("sender_id")[:1]),
            last_body=Subquery(last.values("body")[:1]),
            last_at=Subquery(last.values("created_at")[:1]),
        )
        .filter(last_sender__isnull=False)
        .exclude(Exists(staff))
        .annotate(waiting=Window(Count("pk")))
        .select_related("student__school_class")
        .order_by("last_at", "pk")[:limit]
    )
