"""Chat in the JSON API: conversations with unread counts, history, sending, reading, search."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from ninja import Router, Schema, Status

from core.guardrails import GuardrailWarning

from . import actions, queries
from .access import access_chat_school, access_conversation
from .live import broadcast_after_send, payload
from .models import Conversation

router = Router(tags=["chat"])


class ConcernOut(Schema):
    """One guardrail concern (``core.guardrails.Concern``): send again with a ``guardrail_reason``."""

    code: str
    reason: str
    suggestion: str
    evidence: str = ""  # the words that triggered it
    channel: str = ""  # where it belongs instead: private_message, survey, class_fund, duty_roster, nowhere
    channel_label: str = ""


class ErrorOut(Schema):
    detail: str
    concerns: list[ConcernOut] = []


class ConversationOut(Schema):
    """A conversation in the user's list, as ``queries.my_conversations`` gives it."""

    id: int
    kind: str
    title: str
    mode: str
    student: str | None  # the child a private conversation is about
    role: str  # the user's side: "staff" or "family"
    unread: int

    @staticmethod
    def resolve_title(conversation: Conversation) -> str:
        return conversation.display_title

    @staticmethod
    def resolve_student(conversation: Conversation) -> str | None:
        return conversation.student.name if conversation.student is not None else None


class QuoteOut(Schema):
    id: int
    sender_name: str
    body: str  # the first 80 characters; empty once the quoted message is recalled or removed


class FileOut(Schema):
    name: str
    url: str
    image: bool


class MessageOut(Schema):
    """A message as this member sees it (``live.payload``, the same as the socket sends)."""

    id: int
    conversation: int
    sender: int
    sender_name: str
    kind: str
    body: str  # empty once recalled or removed
    gone: str  # why the text is gone ("recalled", "removed by the teacher"), or empty
    quote: QuoteOut | None
    question: int | None  # the question a teacher's answer answers
    visible_to_all: bool
    file: FileOut | None
    created_at: str  # ISO 8601, with the offset
    quiet: bool


class FoundMessageOut(MessageOut):
    conversation_title: str


class ReadOut(Schema):
    ok: bool


class SendIn(Schema):
    body: str = ""
    quote: int | None = None
    question: int | None = None
    client_key: str = ""
    guardrail_reason: str = ""


class ReadIn(Schema):
    up_to: int


@router.get("/conversations", response=list[ConversationOut])
def conversation_list(request):
    """The user's conversations with their unread counts (read positions, not rows per message)."""
    try:
        school = access_chat_school(request)
    except Http404:
        return []
    return queries.my_conversations(request.user, school)


@router.get("/conversations/{conversation_id}/messages", response=list[MessageOut])
def conversation_messages(request, conversation_id: int, after: int = 0, before: int | None = None):
    conversation, role = access_conversation(request.user, conversation_id)
    return [payload(m) for m in queries.history(conversation, request.user, role, after=after, before=before)]


@router.post("/conversations/{conversation_id}/messages", response={201: MessageOut, 400: ErrorOut})
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
        concerns = [c.as_dict() for c in exc.concerns]
        return Status(400, {"detail": " ".join(exc.messages), "concerns": concerns})
    except ValidationError as exc:
        return Status(400, {"detail": " ".join(exc.messages)})
    return Status(201, payload(message))


@router.post("/conversations/{conversation_id}/read", response=ReadOut)
def conversation_read(request, conversation_id: int, payload_in: ReadIn):
    conversation, _role = access_conversation(request.user, conversation_id)
    actions.mark_read(conversation, request.user, payload_in.up_to)
    return {"ok": True}


@router.get("/chat/search", response=list[FoundMessageOut])
def chat_search(request, q: str = ""):
    try:
        school = access_chat_school(request)
    except Http404:
        return []
    return [
        payload(m) | {"conversation_title": m.conversation.display_title}
        for m in queries.search(request.user, school, q)
    ]
