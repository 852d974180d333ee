"""Every write of chat: send (with the guardrails, Q&A, quiet hours and idempotency), recall,
remove, mute, pin, mode, read positions, and starting conversations."""

import datetime
import functools
import re
from dataclasses import dataclass, field
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from audit.actions import record, record_guardrail_override
from audit.models import AuditEntry
from core.db import Statement, adopt_inserted, insert_statement, together
from core.guardrails import GuardrailOverride, check_class_message
from core.uploads import AcceptedUpload, UploadRefused, accept_upload
from guardrails.actions import do_check_guardrails, do_queue_picture_checks
from guardrails.queries import SchoolRules, school_rules_from_rows, school_rules_statement
from schools.models import SchoolClass, StaffMember, Student

from .access import (
    FAMILY,
    NOT_GONE,
    STAFF,
    Members,
    can_moderate,
    member_role,
    members_from_rows,
    role_of,
    roster_statement,
    visible_messages,
)
from .models import MAX_BODY, RECALL_WITHIN, ChatSettings, Conversation, Message, Participant, QuietHours

MAX_FILE_BYTES = 20 * 1024 * 1024
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def class_group(school_class: SchoolClass) -> Conversation:
    """The class's group, made the first time anyone opens it."""
    group = Conversation.objects.filter(kind=Conversation.Kind.CLASS, school_class=school_class).first()
    if group is not None:
        return group
    try:
        with transaction.atomic():
            group = Conversation.objects.create(
                school_id=school_class.school_id,
                kind=Conversation.Kind.CLASS,
                school_class=school_class,
                title=school_class.name,
            )
            from .live import tell_new_conversation  # (chat.live imports this module)

            tell_new_conversation(group)
            return group
    except IntegrityError:  # opened by two people at once
        return Conversation.objects.get(kind=Conversation.Kind.CLASS, school_class=school_class)


def private_conversation(staff_user, student: Student) -> Conversation:
    """The conversation between this staff member and the family of this child."""
    existing = Conversation.objects.filter(
        kind=Conversation.Kind.PRIVATE,
        student=student,
        participants__user=staff_user,
        participants__is_member=True,
        participants__left_at__isnull=True,
    ).first()
    if existing is not None:
        return existing
    with transaction.atomic():
        conversation = Conversation.objects.create(
            school_id=student.school_id,
            kind=Conversation.Kind.PRIVATE,
            student=student,
            title=student.name,
            created_by=staff_user,
        )
        Participant.objects.create(
            school_id=student.school_id, conversation=conversation, user=staff_user, is_member=True
        )
        from .live import tell_new_conversation

        tell_new_conversation(conversation)
    return conversation


def staff_group(school, *, title: str, creator, member_ids: list[int]) -> Conversation:
    title = (title or "").strip()
    if not title or len(title) > 80:
        raise ValidationError(_("Give the group a name of at most 80 characters."))
    existing = Conversation.objects.filter(
        school=school, kind=Conversation.Kind.STAFF, title=title[:80], created_by=creator
    ).first()
    if existing is not None:
        return existing  # a double tap: the group was made a moment ago
    members = set(
        StaffMember.objects.filter(school=school, is_active=True, user_id__in=[creator.pk, *member_ids]).values_list(
            "user_id", flat=True
        )
    )
    with transaction.atomic():
        conversation = Conversation.objects.create(
            school=school,
            kind=Conversation.Kind.STAFF,
            title=title[:80],
            created_by=creator,
            mode=Conversation.Mode.OPEN,
        )
        Participant.objects.bulk_create(
            [Participant(school=school, conversation=conversation, user_id=u, is_member=True) for u in members]
        )
        from .live import tell_new_conversation

        tell_new_conversation(conversation)
    return conversation


# --- sending -----------------------------------------------------------------------------------------


def _clean_body(body: str) -> str:
    body = _CONTROL.sub("", (body or "").replace("\r\n", "\n")).strip()
    if len(body) > MAX_BODY:
        raise ValidationError(_("A message is at most %(n)d characters.") % {"n": MAX_BODY})
    return body


def _check_file(upload) -> AcceptedUpload:
    try:
        return accept_upload(upload, max_bytes=MAX_FILE_BYTES, allowed_kinds=("image", "pdf", "office"))
    except UploadRefused as exc:
        raise ValidationError(str(exc)) from None


class SenderRow(NamedTuple):
    """The sender's own ``Participant`` row, as much of it as sending needs."""

    pk: int
    muted: bool
    muted_reason: str


@dataclass(frozen=True)
class SendFacts:
    """What storing a message needs to know, read in one trip to the database
    (``read_send_facts``): the roster (``access.member_ids``; the sender's membership is read from
    it, and the socket tells the others with it), the sender's own row (muted?), and for a class
    group the class's names and the school's own words for the guardrails."""

    members: Members
    me: SenderRow | None  # None: the sender has no row here yet (a first message)
    student_names: tuple[str, ...] = ()
    rules: SchoolRules = field(default_factory=SchoolRules)


def send_facts_statements(conversation: Conversation, user, body: str) -> list[Statement]:
    """The reads of ``read_send_facts``, to be run in one trip (``core.db.together`` or, on the
    socket's event loop, ``core.db.aread``); ``send_facts_from_rows`` makes the facts of their rows."""
    vendor = connection.vendor
    statements = [roster_statement(conversation), _sender_row_sql(vendor, conversation.pk, user.pk)]
    if _checked_by_guardrails(conversation, body):
        statements += [
            _class_names_sql(vendor, conversation.school_class_id),
            school_rules_statement(conversation.school_id),
        ]
    return statements


# Compiled once per process and ids, as the roster (``access._roster_sql``, which says why and why
# unscoped): compiling these querysets cost more than running them, at every message (issue 19).
# What they read is read at every call: nothing here goes stale.


@functools.lru_cache(maxsize=4096)
def _sender_row_sql(vendor: str, conversation_id: int, user_id: int) -> Statement:
    with scopes_disabled():
        return (
            Participant.objects.filter(conversation_id=conversation_id, user_id=user_id)
            .values_list("pk", "muted", "muted_reason")
            .query.sql_with_params()
        )


@functools.lru_cache(maxsize=1024)
def _class_names_sql(vendor: str, school_class_id: int | None) -> Statement:
    with scopes_disabled():
        return (
            Student.objects.filter(school_class_id=school_class_id, status=Student.Status.ACTIVE)
            .values_list("name", flat=True)
            .query.sql_with_params()
        )


def send_facts_from_rows(conversation: Conversation, body: str, rows: list[list[tuple]]) -> SendFacts:
    me = rows[1][0] if rows[1] else None
    checked = _checked_by_guardrails(conversation, body)
    return SendFacts(
        members=members_from_rows(conversation, rows[0]),
        me=SenderRow(me[0], bool(me[1]), me[2]) if me else None,
        student_names=tuple(name for (name,) in rows[2]) if checked else (),
        rules=school_rules_from_rows(rows[3]) if checked else SchoolRules(),
    )


def _checked_by_guardrails(conversation: Conversation, body: str) -> bool:
    """A class group's messages with text (as typed) are checked; the reads are skipped otherwise."""
    return conversation.kind == Conversation.Kind.CLASS and bool((body or "").strip())


def read_send_facts(conversation: Conversation, user, body: str) -> SendFacts:
    """``SendFacts`` for this sender and text, in one trip (``core.db.together``; issue 19: under
    load each trip of the socket's database thread costs far more than its query)."""
    return send_facts_from_rows(conversation, body, together(send_facts_statements(conversation, user, body)))


def _guardrails(
    conversation: Conversation, body: str, override_reason: str, sender, facts: SendFacts
) -> GuardrailOverride | None:
    """A class group is a class channel: its messages are checked against the class's roster and
    the school's own words (``GuardrailWarning`` without a reason, the override with one; both
    counted for the school's admins)."""
    if conversation.kind != Conversation.Kind.CLASS or not body:
        return None
    concerns = check_class_message(body, student_names=list(facts.student_names), **facts.rules.checker_kwargs)
    return do_check_guardrails(conversation.school_id, concerns, override_reason, acting_user=sender)


def in_quiet_hours(hours: QuietHours | None, at: datetime.datetime) -> bool:
    if hours is None or not hours.enabled:
        return False
    now = timezone.localtime(at).time()
    if hours.starts <= hours.ends:
        return hours.starts <= now < hours.ends
    return now >= hours.starts or now < hours.ends


def quiet_hours_of(school_id: int, user_id: int) -> QuietHours:
    """A teacher's quiet hours: their own, or the default 21:00–07:00 until they change it."""
    return QuietHours.objects.filter(school_id=school_id, user_id=user_id).first() or QuietHours(
        school_id=school_id, user_id=user_id
    )


def _checked_sender(
    conversation: Conversation, sender, body: str, facts: SendFacts, *, with_file: bool = False
) -> tuple[str, str, str, bool]:
    """What every message checks first: the sender is a member (read from the roster: ``role_of``,
    the same rules as ``member_role``) and not muted, and may post in the group's mode. Returns
    their role, the cleaned text, and the message's kind and visibility (in Q&A mode a family's
    message is a question, seen by staff and the asker until it is answered)."""
    role = role_of(sender.pk, facts.members)
    if role is None:
        raise ValidationError(_("You are no longer a member of this conversation."))
    body = _clean_body(body)
    if not body and not with_file:
        raise ValidationError(_("Write a message or choose a file."))
    if facts.me is not None and facts.me.muted:
        raise ValidationError(_("The head teacher has muted you in this group: %(r)s") % {"r": facts.me.muted_reason})
    kind, visible = Message.Kind.TEXT, True
    if conversation.kind == Conversation.Kind.CLASS and role == FAMILY:
        if conversation.mode == Conversation.Mode.NOTICE_FIRST:
            raise ValidationError(_("In this group only teachers post; write to the teacher privately instead."))
        if conversation.mode == Conversation.Mode.QA:
            kind, visible = Message.Kind.QUESTION, False
    return role, body, kind, visible


def plain_message(conversation: Conversation, *, acting_user, body: str, client_key: str, facts: SendFacts):
    """The message ``do_send`` would store, unsaved, if it is an everyday one that the socket may
    store in one statement itself (``insert_with_read_position``); ``None`` when it needs more of
    ``do_send`` (a warning of the guardrails to count, a family writing to a teacher privately,
    whose quiet hours are read). Refuses, as ``do_send`` does, a sender who may not post it.
    (A quote, an answer, a file or a guardrail override are never plain: the caller checks.)"""
    role, body, kind, visible = _checked_sender(conversation, acting_user, body, facts)
    if conversation.kind == Conversation.Kind.PRIVATE and role == FAMILY:
        return None
    if conversation.kind == Conversation.Kind.CLASS and check_class_message(
        body, student_names=list(facts.student_names), **facts.rules.checker_kwargs
    ):
        return None
    return Message(
        school_id=conversation.school_id,
        conversation=conversation,
        sender=acting_user,
        kind=kind,
        body=body,
        visible_to_all=visible,
        client_key=(client_key or "")[:64],
    )


def do_send(
    conversation: Conversation,
    *,
    acting_user,
    body: str = "",
    quote_id: int | None = None,
    question_id: int | None = None,
    upload=None,
    client_key: str = "",
    guardrail_reason: str = "",
    facts: SendFacts | None = None,
) -> tuple[Message, list[Message]]:
    """Store a message (the database first; the socket only tells the others). Returns the message
    and any automatic reply it caused. The same ``client_key`` twice returns the first message.

    ``facts``: ``read_send_facts`` for this sender and body, read just now (the socket reads them
    itself, as it tells the others with the roster); read here otherwise. The sender's membership
    is read from their roster (``role_of``: the same rules as ``member_role``)."""
    if facts is None:
        facts = read_send_facts(conversation, acting_user, body)
    role, body, kind, visible = _checked_sender(conversation, acting_user, body, facts, with_file=upload is not None)
    client_key = (client_key or "")[:64]
    me = facts.me
    question = None
    if question_id:
        question = Message.objects.filter(pk=question_id, conversation=conversation, kind=Message.Kind.QUESTION).first()
        if question is None or role != STAFF:
            raise ValidationError(_("Only teachers answer questions."))
        kind = Message.Kind.ANSWER
    # Only a message the sender sees can be quoted (a family cannot quote another's unanswered question).
    quote = (
        visible_messages(conversation, acting_user, role).filter(pk=quote_id).select_related("sender").first()
        if quote_id
        else None
    )  # with its sender: the message is drawn for the sockets from what is loaded here
    if quote_id and quote is None:
        raise ValidationError(_("The quoted message is not in this conversation."))
    override = _guardrails(conversation, body, guardrail_reason, acting_user, facts)
    file_parts = _check_file(upload) if upload is not None else None
    now = timezone.now()
    quiet, auto_replies = False, []  # type: tuple[bool, list[Message]]
    if conversation.kind == Conversation.Kind.PRIVATE and role == FAMILY:
        quiet, auto_replies = _quiet_hours(conversation, now)
    message = Message(
        school_id=conversation.school_id,
        conversation=conversation,
        sender=acting_user,
        kind=kind,
        body=body,
        quote=quote,
        question=question,
        visible_to_all=visible,
        client_key=client_key,
        guardrail_reason=override.logged_reason if override else "",
        quiet=quiet,
    )
    try:
        if (
            connection.vendor == "postgresql"
            and not connection.in_atomic_block
            and not (file_parts or question or override or auto_replies)
        ):
            # The socket's everyday message: one statement (see the function).
            _insert_with_read_position(message, conversation, acting_user)
        else:
            with transaction.atomic():
                if file_parts is not None:
                    message.file_name, message.file_mime = file_parts.name, file_parts.kind.mime
                    message.file_size = file_parts.size
                    file_parts.store(message.file)
                message.save()
                if question is not None:
                    Message.objects.filter(pk=question.pk).update(visible_to_all=True, answered_at=now)
                for reply in auto_replies:
                    reply.save()
                if override:
                    record_guardrail_override(
                        override, actor=acting_user, school=conversation.school, target=message, chat=conversation.pk
                    )
                if file_parts is not None and file_parts.kind.mime.startswith("image/"):
                    _read_picture(conversation, message, acting_user)
                if me is None:
                    # A first message here: the sender's row, unless another of their sockets or
                    # pages made it since the facts were read; then the position moved as usual.
                    Participant.objects.bulk_create(
                        [Participant(school_id=conversation.school_id, conversation=conversation, user=acting_user)],
                        ignore_conflicts=True,
                    )
                    Participant.objects.filter(
                        conversation=conversation, user=acting_user, last_read_id__lt=message.pk
                    ).update(last_read_id=message.pk)
                else:  # the sender's row was read with the facts: move its position without reading it
                    Participant.objects.filter(pk=me.pk, last_read_id__lt=message.pk).update(last_read_id=message.pk)
    except IntegrityError:
        existing = Message.objects.filter(conversation=conversation, sender=acting_user, client_key=client_key).first()
        if not client_key or existing is None:
            raise
        existing.duplicate = True  # type: ignore[attr-defined]  # the caller tells nobody twice
        return existing, []
    return message, auto_replies


def _insert_with_read_position(message: Message, conversation: Conversation, sender) -> None:
    with connection.cursor() as cursor:
        cursor.execute(*insert_with_read_position(message, conversation, sender))
        (pk,) = cursor.fetchone()
    adopt_inserted(message, pk)


def insert_with_read_position(message: Message, conversation: Conversation, sender) -> Statement:
    """One statement (PostgreSQL) that stores a new message and moves its sender's read position
    to it, all or nothing, without a ``BEGIN`` and a ``COMMIT`` of its own: one trip where a
    transaction took four (``core.db``; issue 19). The sender's row is made at their first message
    here, or, if it exists (also if another of their sockets made it a moment ago), its position
    moved forward: never back. It returns the message's id (``core.db.adopt_inserted``). Only
    outside a transaction (the socket), and only for a message that needs nothing else written
    with it: ``do_send`` and the socket's ``plain_message`` decide."""
    insert_sql, insert_params = insert_statement(message)
    fields = _participant_fields()
    new_row = Participant(school_id=conversation.school_id, conversation=conversation, user=sender)
    row_params = [f.get_db_prep_save(f.pre_save(new_row, True), connection) for f in fields if f.name != "last_read_id"]
    return _with_read_position_sql(insert_sql, connection.vendor), [*insert_params, *row_params]


@functools.lru_cache(maxsize=1)
def _participant_fields() -> list:
    meta = Participant._meta
    return [f for f in meta.local_concrete_fields if f is not meta.auto_field]


@functools.lru_cache(maxsize=8)
def _with_read_position_sql(insert_sql: str, vendor: str) -> str:
    """``insert_with_read_position``'s text, built once (the vendor is part of the key: a test run
    may switch databases)."""
    fields = _participant_fields()
    qn = connection.ops.quote_name
    columns = {f.name: qn(str(f.column)) for f in fields}
    table, position = qn(Participant._meta.db_table), columns["last_read_id"]
    # Names from the models' metadata; every value is a parameter.
    return (
        f"WITH m AS ({insert_sql}), "  # noqa: S608
        f"p AS (INSERT INTO {table} ({', '.join(columns.values())}) "
        f"SELECT {', '.join('m.id' if f.name == 'last_read_id' else '%s' for f in fields)} FROM m "
        f"ON CONFLICT ({columns['conversation']}, {columns['user']}) "
        f"DO UPDATE SET {position} = GREATEST({table}.{position}, EXCLUDED.{position})) "
        "SELECT id FROM m"
    )


def _read_picture(conversation: Conversation, message: Message, sender) -> None:
    """A picture in a class group is read in the background and checked like the text (a photo of
    a score sheet); the sender sees what was found above the conversation."""
    if conversation.kind == Conversation.Kind.CLASS and conversation.school_class_id:
        do_queue_picture_checks(
            conversation.school_id,
            source="chat",
            object_id=message.pk,
            files=[(message.file.name or "", message.file_name)],
            class_ids=[conversation.school_class_id],
            acting_user=sender,
        )


def _quiet_hours(conversation: Conversation, now) -> tuple[bool, list[Message]]:
    """A family writes to a teacher in their quiet hours: the message waits quietly, and the family
    is told once that evening when it will be read, and where to call if it is urgent."""
    staff = list(
        Participant.objects.filter(conversation=conversation, is_member=True, left_at__isnull=True).values_list(
            "user_id", flat=True
        )
    )
    resting = [u for u in staff if in_quiet_hours(quiet_hours_of(conversation.school_id, u), now)]
    if not resting:
        return False, []
    hours = quiet_hours_of(conversation.school_id, resting[0])
    since = now - datetime.timedelta(hours=12)
    told = Message.objects.filter(
        conversation=conversation, kind=Message.Kind.AUTO_REPLY, created_at__gte=since
    ).exists()
    if told:
        return True, []
    settings_row = ChatSettings.objects.filter(school_id=conversation.school_id).first()
    phone = settings_row.office_phone if settings_row else ""
    text = _("The teacher is resting now and will read your message after %(t)s.") % {"t": hours.ends.strftime("%H:%M")}
    if phone:
        text += " " + _("If it is urgent, please call the school: %(p)s.") % {"p": phone}
    else:
        text += " " + _("If it is urgent, please call the school office.")
    reply = Message(
        school_id=conversation.school_id,
        conversation=conversation,
        sender_id=resting[0],
        kind=Message.Kind.AUTO_REPLY,
        body=text,
    )
    return True, [reply]


# --- changing messages -------------------------------------------------------------------------------


def do_recall(message: Message, *, acting_user) -> Message:
    if message.sender_id != acting_user.pk:
        raise ValidationError(_("You can recall only your own messages."))
    if timezone.now() - message.created_at > RECALL_WITHIN:
        raise ValidationError(_("A message can be recalled within 2 minutes of sending."))
    Message.objects.filter(pk=message.pk, recalled_at__isnull=True).update(recalled_at=timezone.now())
    message.refresh_from_db()
    return message


def do_remove(message: Message, *, acting_user, reason: str) -> Message:
    """The head teacher or an admin removes a message from the group; the school's record keeps it,
    with who removed it and why."""
    moderator = acting_user
    if not can_moderate(moderator, message.conversation):
        raise ValidationError(_("Only the head teacher or a school admin can remove messages."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Say why the message is removed."))
    Message.objects.filter(pk=message.pk, removed_at__isnull=True).update(
        removed_at=timezone.now(), removed_by=moderator, removed_reason=reason[:300]
    )
    record(
        AuditEntry.Action.CHAT_REMOVED,
        actor=moderator,
        school=message.conversation.school,
        target=message,
        summary=reason[:255],
        detail={"conversation": message.conversation_id},
    )
    message.refresh_from_db()
    return message


def do_mute(conversation: Conversation, *, acting_user, user_id: int, muted: bool, reason: str = "") -> None:
    moderator = acting_user
    if not can_moderate(moderator, conversation):
        raise ValidationError(_("Only the head teacher or a school admin can mute members."))
    reason = (reason or "").strip()
    if muted and not reason:
        raise ValidationError(_("Say why the member is muted."))
    from accounts.models import User

    target = User.objects.filter(pk=user_id).first()
    if target is None or member_role(target, conversation) is None:
        raise ValidationError(_("Choose a member."))
    Participant.objects.update_or_create(
        conversation=conversation,
        user_id=user_id,
        defaults={"muted": muted, "muted_reason": reason[:300] if muted else ""},
        create_defaults={"school_id": conversation.school_id, "muted": muted, "muted_reason": reason[:300]},
    )
    record(
        AuditEntry.Action.CHAT_MUTED,
        actor=moderator,
        school=conversation.school,
        target=conversation,
        summary=reason[:255],
        detail={"user": user_id, "muted": muted},
    )


def do_set_mode(conversation: Conversation, mode: str, *, acting_user) -> None:
    if conversation.kind != Conversation.Kind.CLASS or not can_moderate(acting_user, conversation):
        raise ValidationError(_("Only the head teacher or a school admin can change the group's mode."))
    if mode not in Conversation.Mode.values:
        raise ValidationError(_("Choose a mode."))
    Conversation.objects.filter(pk=conversation.pk).update(mode=mode)


def do_pin(conversation: Conversation, message_id: int | None, *, acting_user) -> None:
    """Pin an announcement to the top of the group (None: unpin): a message every member sees."""
    if not can_moderate(acting_user, conversation):
        raise ValidationError(_("Only the head teacher or a school admin can pin messages."))
    if (
        message_id is not None
        and not Message.objects.filter(NOT_GONE, pk=message_id, conversation=conversation, visible_to_all=True).exists()
    ):
        raise ValidationError(_("The message is not in this conversation."))
    Conversation.objects.filter(pk=conversation.pk).update(pinned_id=message_id)


def do_mark_theme(conversation: Conversation, message_id: int | None, theme: str, *, acting_user) -> None:
    """Mark a message of a class group as opening a themed discussion (主题讨论) named ``theme``; an
    empty theme unmarks it. The class rhythm counts the themed discussions of each month."""
    if conversation.kind != Conversation.Kind.CLASS or not can_moderate(acting_user, conversation):
        raise ValidationError(_("Only the head teacher or a school admin can mark a themed discussion."))
    theme = " ".join(theme.split())[:80]
    with transaction.atomic():
        message = (
            Message.objects.select_for_update()
            .filter(NOT_GONE, pk=message_id, conversation=conversation, visible_to_all=True)
            .first()
            if message_id is not None
            else None
        )
        if message is None:
            raise ValidationError(_("The message is not in this conversation."))
        Message.objects.filter(pk=message.pk).update(theme=theme)
        record(
            AuditEntry.Action.CHAT_THEME,
            actor=acting_user,
            school=conversation.school,
            target=message,
            summary=theme or "-",
            detail={"conversation": conversation.pk},
        )


def mark_read(conversation: Conversation, user, up_to_id: int) -> None:
    """The read position only moves forward: one row per member, not one per message."""
    row, created = Participant.objects.get_or_create(
        conversation=conversation, user=user, defaults={"school_id": conversation.school_id, "last_read_id": up_to_id}
    )
    if not created and row.last_read_id < up_to_id:
        Participant.objects.filter(pk=row.pk, last_read_id__lt=up_to_id).update(last_read_id=up_to_id)


def do_set_hide_read(conversation: Conversation, hide: bool, *, acting_user) -> None:
    Participant.objects.update_or_create(
        conversation=conversation,
        user=acting_user,
        defaults={"hide_read": hide},
        create_defaults={"school_id": conversation.school_id, "hide_read": hide},
    )


def do_leave(conversation: Conversation, *, acting_user) -> None:
    if conversation.kind == Conversation.Kind.CLASS:
        raise ValidationError(_("A class group follows the roster: it cannot be left."))
    Participant.objects.filter(conversation=conversation, user=acting_user, is_member=True).update(
        left_at=timezone.now()
    )


def do_set_quiet_hours(school, *, acting_user, enabled: bool, starts: datetime.time, ends: datetime.time) -> QuietHours:
    """A teacher's own quiet hours."""
    if starts == ends:
        raise ValidationError(_("Quiet hours need a start and a different end."))
    row, _created = QuietHours.objects.update_or_create(
        school=school,
        user=acting_user,
        defaults={"enabled": enabled, "starts": starts, "ends": ends},
    )
    return row


@transaction.atomic
def do_set_office_phone(school, phone: str, *, acting_user) -> ChatSettings:
    """The school office's number, given to families who write in a teacher's quiet hours (admins)."""
    phone = (phone or "").strip()[:20]
    row, _created = ChatSettings.objects.update_or_create(school=school, defaults={"office_phone": phone})
    record(
        AuditEntry.Action.SETTINGS_CHANGED,
        actor=acting_user,
        school=school,
        target=row,
        summary=phone,
    )
    return row


def latest_id(conversation: Conversation) -> int:
    return Message.objects.filter(conversation=conversation).aggregate(m=Max("id"))["m"] or 0
