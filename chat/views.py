import uuid

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from audit.actions import record
from audit.models import AuditEntry
from core.guardrails import GuardrailWarning
from core.uploads import file_response
from core.xlsx import workbook_bytes, xlsx_response
from guardrails.queries import picture_checks
from schools.access import access_my_child, access_staff_school, access_student
from schools.models import StaffAssignment, StaffMember, Student

from . import actions, queries
from .access import STAFF, access_chat_school, access_conversation, access_message
from .live import broadcast, broadcast_after_send
from .models import Conversation, Message, Participant
from .rendering import draw_history, reader_for


def _conversation(request, conversation_id: int):
    return access_conversation(request.user, conversation_id)


def _message(request, conversation_id: int, message_id: int) -> Message:
    """A message the user may see, of a conversation they are a member of."""
    conversation, role = _conversation(request, conversation_id)
    return access_message(conversation, request.user, role, message_id)


@login_required
@require_GET
def conversation_list(request):
    school = access_chat_school(request)
    conversations = queries.my_conversations(request.user, school)
    roles = request.roles
    is_staff = roles.is_staff_of(school.pk)
    return render(
        request,
        "chat/list.html",
        {
            "conversations": conversations,
            "is_staff": is_staff,
            "is_admin": roles.is_admin_of(school.pk),
            "children": queries.my_children(roles),
            "staff": StaffMember.objects.filter(school=school, is_active=True).select_related("user")
            if roles.is_admin_of(school.pk)
            else [],
            "q": request.GET.get("q", ""),
        },
    )


@login_required
@require_GET
def search(request):
    school = access_chat_school(request)
    text = request.GET.get("q", "")
    return render(request, "chat/search.html", {"results": queries.search(request.user, school, text), "q": text})


@login_required
@require_http_methods(["GET", "POST"])
def conversation(request, conversation_id: int):
    conversation, role = _conversation(request, conversation_id)
    concerns = []
    draft = ""
    if request.method == "POST":
        draft = request.POST.get("body", "")
        try:
            with transaction.atomic():
                message, replies = actions.do_send(
                    conversation,
                    acting_user=request.user,
                    body=draft,
                    quote_id=int(request.POST["quote"]) if request.POST.get("quote", "").isdigit() else None,
                    question_id=int(request.POST["question"]) if request.POST.get("question", "").isdigit() else None,
                    upload=request.FILES.get("file"),
                    client_key=request.POST.get("client_key", ""),
                    guardrail_reason=request.POST.get("guardrail_reason", ""),
                )
                broadcast_after_send(message, replies)
        except GuardrailWarning as exc:
            concerns = exc.concerns
        except ValidationError as exc:
            flash.error(request, " ".join(exc.messages))
        else:
            return redirect("chat:conversation", conversation_id=conversation.pk)
    history = queries.history(conversation, request.user, role)
    reader = reader_for(request.user, conversation, role)
    # The page and the socket draw a message the same way (chat/rendering.py).
    drawn = draw_history(conversation, reader, history, csrf_token=get_token(request))
    if history:
        actions.mark_read(conversation, request.user, history[-1].pk)
    pinned = queries.pinned_message(conversation)
    me = Participant.objects.filter(conversation=conversation, user=request.user).first()
    return render(
        request,
        "chat/conversation.html",
        {
            "conversation": conversation,
            "role": role,
            "history": drawn,
            "pinned": pinned,
            "me": me,
            "moderator": reader.moderator,
            "modes": Conversation.Mode.choices,
            "concerns": concerns,
            "picture_checks": picture_checks("chat", [m.pk for m in history], sender=request.user)
            if conversation.kind == Conversation.Kind.CLASS
            else [],
            "draft": draft,
            "client_key": uuid.uuid4().hex,
            "can_post": reader.can_post,
            "class_students": Student.objects.filter(school_class_id=conversation.school_class_id, status="active")
            if conversation.kind == Conversation.Kind.CLASS and role == STAFF
            else [],
        },
        status=400 if concerns else 200,
    )


@login_required
@require_POST
def recall(request, conversation_id: int, message_id: int):
    message = _message(request, conversation_id, message_id)
    try:
        message = actions.do_recall(message, acting_user=request.user)
        transaction.on_commit(lambda: broadcast(message, kind="update"), robust=True)
    except ValidationError as exc:
        flash.error(request, " ".join(exc.messages))
    return redirect("chat:conversation", conversation_id=message.conversation_id)


@login_required
@require_POST
def remove(request, conversation_id: int, message_id: int):
    message = _message(request, conversation_id, message_id)
    try:
        message = actions.do_remove(message, acting_user=request.user, reason=request.POST.get("reason", ""))
        transaction.on_commit(lambda: broadcast(message, kind="update"), robust=True)
    except ValidationError as exc:
        flash.error(request, " ".join(exc.messages))
    return redirect("chat:conversation", conversation_id=message.conversation_id)


@login_required
@require_POST
def manage(request, conversation_id: int):
    """Mode, pinning and muting (moderators); hiding one's read status (anyone)."""
    conversation, _role = _conversation(request, conversation_id)
    op = request.POST.get("op")
    try:
        if op == "mode":
            actions.do_set_mode(conversation, request.POST.get("mode", ""), acting_user=request.user)
        elif op == "pin":
            value = request.POST.get("message", "")
            actions.do_pin(conversation, int(value) if value.isdigit() else None, acting_user=request.user)
        elif op == "theme":
            value = request.POST.get("message", "")
            actions.do_mark_theme(
                conversation,
                int(value) if value.isdigit() else None,
                request.POST.get("theme", ""),
                acting_user=request.user,
            )
        elif op in ("mute", "unmute"):
            user_id = request.POST.get("user", "")
            if not user_id.isdigit():
                raise ValidationError(_("Choose a member."))
            actions.do_mute(
                conversation,
                acting_user=request.user,
                user_id=int(user_id),
                muted=op == "mute",
                reason=request.POST.get("reason", ""),
            )
        elif op == "hide_read":
            actions.do_set_hide_read(conversation, request.POST.get("hide") == "1", acting_user=request.user)
        elif op == "leave":
            actions.do_leave(conversation, acting_user=request.user)
            return redirect("chat:list")
        else:
            raise ValidationError(_("Unknown request."))
    except ValidationError as exc:
        flash.error(request, " ".join(exc.messages))
    else:
        flash.success(request, _("Saved."))
    return redirect("chat:conversation", conversation_id=conversation.pk)


@login_required
@require_GET
def message_file(request, conversation_id: int, message_id: int):
    message = _message(request, conversation_id, message_id)
    if not message.file or message.is_gone:
        raise Http404
    return file_response(message.file, filename=message.file_name, mime=message.file_mime, inline=True)


@login_required
@require_GET
def export(request, conversation_id: int):
    """The school's record of the conversation: every message, with recalls and removals."""
    conversation, role = _conversation(request, conversation_id)
    if role != STAFF:
        raise Http404
    rows = [
        [
            timezone.localtime(m.created_at).strftime("%Y-%m-%d %H:%M"),
            m.sender.display_name,
            m.get_kind_display(),
            m.body,
            m.file_name,
            timezone.localtime(m.recalled_at).strftime("%Y-%m-%d %H:%M") if m.recalled_at else "",
            m.removed_by.display_name if m.removed_by else "",
            m.removed_reason,
            m.guardrail_reason,
        ]
        for m in queries.record_rows(conversation)
    ]
    header = [
        _("Time"),
        _("Sender"),
        _("Type of message"),
        _("Message"),
        _("File"),
        _("Recalled"),
        _("Removed by"),
        _("Why removed"),
        _("Why sent despite a warning"),
    ]
    record(
        AuditEntry.Action.EXPORT,
        actor=request.user,
        school=conversation.school,
        target=conversation,
        summary="chat record",
    )
    return xlsx_response(
        workbook_bytes(conversation.display_title or "chat", header, rows),
        f"{conversation.display_title or 'chat'}.xlsx",
    )


@login_required
@require_POST
def start_private(request):
    """Open (or return to) the private conversation about one child: a staff member with that
    child's family, or the family with the child's head teacher."""
    student_id = request.POST.get("student", "")
    if not student_id.isdigit():
        raise Http404
    roles = request.roles
    if int(student_id) in roles.child_ids:
        student = access_my_child(request, int(student_id))
        head = (
            StaffAssignment.objects.filter(
                school_class_id=student.school_class_id, role=StaffAssignment.Role.HEAD_TEACHER, term__is_current=True
            )
            .select_related("staff__user")
            .first()
        )
        if head is None:
            flash.error(request, _("Your child's class has no head teacher this term yet."))
            return redirect("chat:list")
        conversation = actions.private_conversation(head.staff.user, student)
        return redirect("chat:conversation", conversation_id=conversation.pk)
    school = access_staff_school(request)
    student = access_student(request, int(student_id))
    if student.school_id != school.pk:
        raise Http404
    conversation = actions.private_conversation(request.user, student)
    return redirect("chat:conversation", conversation_id=conversation.pk)


@login_required
@require_POST
def new_staff_group(request):
    school = access_staff_school(request)
    try:
        conversation = actions.staff_group(
            school,
            title=request.POST.get("title", ""),
            creator=request.user,
            member_ids=[int(u) for u in request.POST.getlist("members") if u.isdigit()],
        )
    except ValidationError as exc:
        flash.error(request, " ".join(exc.messages))
        return redirect("chat:list")
    return redirect("chat:conversation", conversation_id=conversation.pk)


@login_required
@require_http_methods(["GET", "POST"])
def quiet_hours(request):
    import datetime

    school = access_staff_school(request)
    hours = actions.quiet_hours_of(school.pk, request.user.pk)
    settings_row = queries.chat_settings(school)
    if request.method == "POST":
        try:
            starts = datetime.time.fromisoformat(request.POST.get("starts", ""))
            ends = datetime.time.fromisoformat(request.POST.get("ends", ""))
        except ValueError:
            flash.error(request, _("Give the times as 21:00."))
        else:
            try:
                actions.do_set_quiet_hours(
                    school,
                    acting_user=request.user,
                    enabled=request.POST.get("enabled") == "on",
                    starts=starts,
                    ends=ends,
                )
                if request.roles.is_admin_of(school.pk) and "office_phone" in request.POST:
                    actions.do_set_office_phone(school, request.POST["office_phone"], acting_user=request.user)
            except ValidationError as exc:
                flash.error(request, " ".join(exc.messages))
            else:
                flash.success(request, _("Saved."))
                return redirect("chat:quiet_hours")
    staff = StaffMember.objects.filter(school=school, is_active=True).select_related("user").order_by("user__name")
    return render(
        request,
        "chat/quiet_hours.html",
        {
            "hours": hours,
            "is_admin": request.roles.is_admin_of(school.pk),
            "office_phone": settings_row.office_phone if settings_row else "",
            "staff": staff,
        },
    )
