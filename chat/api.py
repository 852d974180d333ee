"""Chat in the JSON API: conversations with unread counts, history, sending, reading, search."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from ninja import Router, Schema, Status

from core.guardrails import GuardrailWarning

from . import actions, queries
from .access import access_chat_school, access_conversation
from .live import broadcast_after_send, payload

router = Router(tags=["chat"])


class ErrorOut(Schema):
    detail: str
    concerns: list[dict] = []


class SendIn(Schema):
    body: str = ""
    quote: int | None = None
    question: int | None = None
    client_key: str = ""
    guardrail_reason: str = ""


class ReadIn(Schema):
    up_to: int


@router.get("/conversations", response=list[dict])
def conversation_list(request):
    """The user's conversations with their unread counts (read positions, not rows per message)."""
    try:
        school = access_chat_school(request)
    except Http404:
        return []
    return [
        {
            "id": c.pk,
            "kind": c.kind,
            "title": c.display_title,
            "mode": c.mode,
            "student": c.student.name if c.student_id else None,
            "role": c.role,
            "unread": c.unread,
        }
        for c in queries.my_conversations(request.user, school)
    ]


@router.get("/conversations/{conversation_id}/messages", response=list[dict])
def conversation_messages(request, conversation_id: int, after: int = 0, before: int | None = None):
    conversation, role = access_conversation(request.user, conversation_id)
    return [payload(m) for m in queries.history(conversation, request.user, role, after=after, before=before)]


@router.post("/conversations/{conversation_id}/messages", response={201: dict, 400: ErrorOut})
def conversation_send(request, conversation_id: int, payload_in: SendIn):
    conversation, _role = access_conversation(request.user, conversation_id)
    try:
        with transaction.atomic():
            message, replies = actions.do_send(
                conversation,
                acting_user=request.user,
                body=payload_in.body,
                quote_id=payload_in.quote,
                question_id=payload_in.question,
                client_key=payload_in.client_key,
                guardrail_reason=payload_in.guardrail_reason,
            )
            broadcast_after_send(message, replies)
    except GuardrailWarning as exc:
        concerns = [{"code": c.code, "reason": str(c.reason), "suggestion": str(c.suggestion)} for c in exc.concerns]
        return Status(400, {"detail": " ".join(exc.messages), "concerns": concerns})
    except ValidationError as exc:
        return Status(400, {"detail": " ".join(exc.messages)})
    return Status(201, payload(message))


@router.post("/conversations/{conversation_id}/read", response=dict)
def conversation_read(request, conversation_id: int, payload_in: ReadIn):
    conversation, _role = access_conversation(request.user, conversation_id)
    actions.mark_read(conversation, request.user, payload_in.up_to)
    return {"ok": True}


@router.get("/chat/search", response=list[dict])
def chat_search(request, q: str = ""):
    try:
        school = access_chat_school(request)
    except Http404:
        return []
    return [
        payload(m) | {"conversation_title": m.conversation.display_title}
        for m in queries.search(request.user, school, q)
    ]
