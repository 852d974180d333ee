"""A family's data rights (PIPL, 个人信息保护法): the download of everything Tongxin holds about a
guardian and their children, and (for the school's admins) erasing a family on a verified request.

Both read or write across every app (notices, surveys, events, the contact book, chat), so they live
in home, the layer above all of them.

The export is gathered in a fixed number of queries whatever the family's size (pinned in
``home/tests/test_privacy.py``), every one filtered by the signed-in user: their guardian rows, the
children linked to those, and rows that name the user or those guardian rows. Answers to anonymous
surveys carry no person by construction (``surveys.models``), so they cannot be found and are not in
it; the README in the zip says so."""

import io
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django_scopes import scopes_disabled

from accounts.models import Consent, User
from chat.models import Message
from community.models import CommitteeMessage, EntryQuestion
from contactbook.models import Acknowledgement, ContactRecord, ConversationRequest
from delivery.models import PushSubscription
from events.models import Rsvp
from notices.models import Receipt
from schools.models import Enrollment, Guardian, StudentGuardian
from surveys.models import Answer, Response

README = """Tongxin: everything held about you and your children
同心：关于您和您孩子的全部数据

data.json holds, as JSON: your account (profile), your guardian records at each school, your
children and their classes by term (enrolments), the notices you received with whether you read
and answered them (receipts), your answers to named forms and surveys, your answers to invitations
(RSVPs), the contact book's records the school shared with you and your replies, your requests for
a conversation, the chat messages you wrote, your messages to the parent committee and your
questions on the class fund's accounts (with their answers), and the consents you gave.
files/ holds the files you uploaded (chat attachments, files in your answers to forms).

data.json 包含：您的账户信息、您在各学校的家长记录、孩子及各学期的班级、您收到的通知及阅读和回执情况、
您对实名问卷和信息收集表的回答、活动报名回复、学校与您分享的家校联系记录及您的回复、约谈请求、
您发送的聊天消息、您给家委会的留言和对班费账目的提问（及回复）、您的同意记录。files/ 中是您上传的文件。

Answers to anonymous surveys are not here: they are stored without any link to a person, by
construction, so nobody (not the school, not Tongxin) can tell which answers are yours.
匿名问卷的回答不在其中：这些回答在保存时就不与任何人关联，任何人（包括学校和同心）都无法知道哪些回答是您的。
"""


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


@dataclass
class FamilyExport:
    data: dict[str, Any]
    files: list[tuple[str, Any]] = field(default_factory=list)  # (name in the zip, FieldFile)


def family_export(user: User) -> FamilyExport:
    """Everything about ``user`` and the children of their guardian rows: 11 queries."""
    # Reviewed unscoped reads: a family spans schools, and every query below is filtered by this user,
    # their guardian rows or the children linked to those.
    with scopes_disabled():
        guardians = list(Guardian.objects.filter(user=user).select_related("school"))
        guardian_ids = [g.pk for g in guardians]
        links = list(
            StudentGuardian.objects.filter(guardian_id__in=guardian_ids).select_related(
                "student__school_class", "student__school"
            )
        )
        child_ids = sorted({link.student_id for link in links})
        enrolments = list(Enrollment.objects.filter(student_id__in=child_ids).select_related("term"))
        mine = Q(user=user) | Q(guardian_id__in=guardian_ids)
        receipts = list(Receipt.objects.filter(mine).select_related("notice"))
        responses = list(
            Response.objects.filter(
                Q(respondent=user) | Q(guardian_id__in=guardian_ids), survey__anonymous=False
            ).select_related("survey", "student")
        )
        answers = list(
            Answer.objects.filter(response__in=[r.pk for r in responses], response__survey__anonymous=False)
            .select_related("question")
            .order_by("response_id", "question__position", "question_id")
        )
        rsvps = list(Rsvp.objects.filter(receipt__in=[r.pk for r in receipts]).select_related("event"))
        records = list(
            ContactRecord.objects.filter(
                visibility=ContactRecord.Visibility.SHARED, student_links__student_id__in=child_ids
            )
            .distinct()
            .order_by("occurred_on", "id")
        )
        acknowledgements = list(Acknowledgement.objects.filter(guardian_id__in=guardian_ids))
        conversation_requests = list(
            ConversationRequest.objects.filter(guardian_id__in=guardian_ids).select_related("student")
        )
        messages = list(Message.objects.filter(sender=user).select_related("conversation").order_by("created_at"))
        consents = list(Consent.objects.filter(user=user).order_by("given_at", "id"))
        push_devices = list(PushSubscription.objects.filter(user=user).select_related("school").order_by("pk"))
        committee_messages = list(
            CommitteeMessage.objects.filter(sender=user)
            .select_related("committee__school_class")
            .order_by("created_at", "pk")
        )
        fund_questions = list(
            EntryQuestion.objects.filter(asked_by=user).select_related("entry").order_by("created_at", "pk")
        )

    files: list[tuple[str, Any]] = []
    for m in messages:
        if m.file and not m.removed_at:
            files.append((f"files/chat/{m.pk}-{m.file_name or 'file'}", m.file))
    for a in answers:
        if a.file:
            files.append((f"files/forms/{a.pk}-{a.text or 'file'}", a.file))

    data: dict[str, Any] = {
        "exported_at": timezone.now().isoformat(),
        "profile": {
            "username": user.username,
            "name": user.name,
            "phone": user.phone,
            "email": user.email,
            "language": user.language,
            "date_joined": _iso(user.date_joined),
        },
        "guardian_records": [
            {"school": g.school.name, "name": g.name, "phone": g.phone, "activated_at": _iso(g.activated_at)}
            for g in guardians
        ],
        "children": [
            {
                "id": link.student_id,
                "school": link.student.school.name,
                "name": link.student.name,
                "student_number": link.student.student_number,
                "gender": link.student.gender,
                "class": link.student.school_class.name if link.student.school_class else None,
                "status": link.student.status,
                "relationship": link.relationship,
            }
            for link in links
        ],
        "enrolments": [{"child_id": e.student_id, "term": e.term.name, "class": e.class_name} for e in enrolments],
        "receipts": [
            {
                "notice": r.notice.title,
                "published_at": _iso(r.notice.published_at),
                "delivered_at": _iso(r.delivered_at),
                "read_at": _iso(r.read_at),
                "answered_at": _iso(r.acted_at),
                "answer": r.answer,
                "comment": r.comment,
            }
            for r in receipts
        ],
        "form_answers": [
            {
                "form": resp.survey.title,
                "child": resp.student.name if resp.student else None,
                "submitted_at": _iso(resp.submitted_at),
                "answers": [
                    {"question": a.question.text, "answer": a.text} for a in answers if a.response_id == resp.pk
                ],
            }
            for resp in responses
        ],
        "rsvps": [
            {"event": v.event.title, "answer": v.answer, "note": v.note, "answered_at": _iso(v.answered_at)}
            for v in rsvps
        ],
        "contact_book": [
            {
                "kind": c.kind,
                "date": _iso(c.occurred_on),
                "summary_for_the_family": c.parent_summary,
                "your_replies": [
                    {"acknowledged_at": _iso(a.acknowledged_at), "reply": a.reply}
                    for a in acknowledgements
                    if a.record_id == c.pk
                ],
            }
            for c in records
        ],
        "conversation_requests": [
            {"child": q.student.name, "topic": q.topic, "status": q.status, "created_at": _iso(q.created_at)}
            for q in conversation_requests
        ],
        "chat_messages": [
            {
                "conversation": m.conversation.title or m.conversation.kind,
                "sent_at": _iso(m.created_at),
                "text": "" if m.removed_at else m.body,
                "file": m.file_name,
                "removed": m.removed_at is not None,
            }
            for m in messages
        ],
        "consents": [
            {"kind": c.kind, "version": c.version, "given_at": _iso(c.given_at), "withdrawn_at": _iso(c.withdrawn_at)}
            for c in consents
        ],
        "committee_messages": [
            {
                "committee": str(c.committee),
                "sent_at": _iso(c.created_at),
                "text": c.text,
                "reply": c.reply,
                "replied_at": _iso(c.replied_at),
            }
            for c in committee_messages
        ],
        "class_fund_questions": [
            {
                "entry": q.entry.purpose,
                "asked_at": _iso(q.created_at),
                "question": q.text,
                "answer": q.answer,
                "answered_at": _iso(q.answered_at),
            }
            for q in fund_questions
        ],
        "phones_with_notifications": [
            {"school": d.school.name, "browser": d.user_agent, "since": _iso(d.created_at)} for d in push_devices
        ],
    }
    return FamilyExport(data=data, files=files)


def export_zip_chunks(export: FamilyExport, chunk_size: int = 64 * 1024) -> Iterator[bytes]:
    """The zip, in chunks for a streamed response: README.txt, data.json and the files."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.txt", README)
        archive.writestr("data.json", json.dumps(export.data, ensure_ascii=False, indent=2))
        for name, field_file in export.files:
            try:
                with field_file.open("rb") as fh:
                    archive.writestr(name, fh.read())
            except OSError:
                continue  # a file gone from storage: the JSON still names it
    buffer.seek(0)
    while chunk := buffer.read(chunk_size):
        yield chunk
