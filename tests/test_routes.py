"""Who may NOT use each route: the authorization matrix.

Every URL route (pages, API, WebSocket) must have an entry here, or ``test_every_route_has_an_
access_entry`` fails: a new route cannot land without saying who is refused. Each entry is then
exercised with the named cast (conftest.py): the people allowed succeed; everyone refused gets a
404 (never 403: nobody learns that an id exists elsewhere) with none of school A's data in the
body; anonymous visitors are sent to sign in (pages) or get 401 (API).
"""

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django_scopes import scopes_disabled

from chat.routing import websocket_urlpatterns as chat_websockets
from conftest import Cast
from delivery.routing import websocket_urlpatterns
from schools.roles import compute_roles

# Strings only school A's people may ever see.
SCHOOL_A_MARKERS = ["阳光小学", "刘小明", "陈小红", "李老师", "13800000001"]
# The titles of a notice, a survey and an event school A's head teacher sent to class 1: made before
# every "own only" case and every case that must show them, so that a list that forgot its school
# filter shows them to another school's users and fails (issue 20).
SCHOOL_A_CONTENT = ["春游通知", "午餐满意度", "阳光家长会"]


@dataclass
class Route:
    method: str = "get"
    kwargs: Callable[[Cast], dict] | None = None
    data: Callable[[Cast], dict] | None = None
    public: bool = False  # anonymous visitors may use it
    allowed: tuple[str, ...] = ()  # succeed (2xx or a redirect that is not to the sign-in page)
    refused: tuple[str, ...] = ()  # 404 with no school A data
    own_only: tuple[str, ...] = ()  # succeed, but see only their own school: no school A data
    # For lists: what an allowed user must see of school A's content (SCHOOL_A_CONTENT), so that a
    # list that lost its filters cannot pass by showing nothing to anyone.
    shows: dict[str, tuple[str, ...]] = field(default_factory=dict)
    api: bool = False
    expected_public_status: tuple[int, ...] = (200,)
    notes: str = ""
    extra: dict = field(default_factory=dict)


PUSH_ENDPOINT = "https://fcm.googleapis.com/fcm/send/routes-test"


def _push_subscription(cast: Cast) -> dict:
    import base64

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    point = ec.generate_private_key(ec.SECP256R1()).public_key()
    raw = point.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return {
        "endpoint": PUSH_ENDPOINT,
        "p256dh": base64.urlsafe_b64encode(raw).decode().rstrip("="),
        "auth": base64.urlsafe_b64encode(b"0123456789abcdef").decode().rstrip("="),
    }


def _push_subscription_json(cast: Cast) -> dict:
    data = _push_subscription(cast)
    return {"endpoint": data["endpoint"], "keys": {"p256dh": data["p256dh"], "auth": data["auth"]}}


def _push_endpoint(cast: Cast) -> dict:
    return {"endpoint": PUSH_ENDPOINT}


def _member_pk(cast: Cast, user) -> int:
    from schools.models import StaffMember

    with scopes_disabled():
        return StaffMember.objects.get(user=user, school=cast.school).pk


def _assignment_pk(cast: Cast) -> int:
    from schools.models import StaffAssignment

    with scopes_disabled():
        return StaffAssignment.objects.get(staff__user=cast.mr_wang).pk


def _upload_pk(cast: Cast) -> int:
    from schools.models import RosterUpload

    with scopes_disabled():
        return RosterUpload.objects.create(
            school=cast.school,
            school_class=cast.class1,
            uploaded_by=cast.ms_li,
            filename="a.csv",
            content="姓名,学号\n新同学,X1\n".encode(),
        ).pk


def _join_request_pk(cast: Cast) -> int:
    from schools.models import JoinRequest

    with scopes_disabled():
        return JoinRequest.objects.create(
            school=cast.school,
            school_class=cast.class1,
            user=cast.carol,
            phone="13800000003",
            guardian_name="周可",
            child_name="刘小明",
            fact="x",
        ).pk


def _join_token(cast: Cast) -> str:
    from schools.onboarding import active_join_link

    with scopes_disabled():
        return active_join_link(cast.class1, acting_user=cast.ms_li).token


def _activation_token(cast: Cast) -> str:
    from schools.models import Guardian, StudentGuardian
    from schools.onboarding import do_create_activation_links

    with scopes_disabled():
        guardian = Guardian.objects.create(school=cast.school, name="刘爷爷", phone="13700000099")
        StudentGuardian.objects.create(school=cast.school, student=cast.alice_child, guardian=guardian)
        [(_, token)] = do_create_activation_links(
            [guardian], acting_user=cast.ms_li, send_sms=False, school=cast.school
        )
    return token


def _notice_pk(cast: Cast) -> int:
    from notices.actions import TargetSpec, do_create_notice
    from notices.fanout import fan_out
    from schools.roles import compute_roles

    with scopes_disabled():
        notice = do_create_notice(
            cast.school,
            acting_user=cast.ms_li,
            roles=compute_roles(cast.ms_li),
            title="春游通知",
            body_html="<p>周五春游</p>",
            action="confirm",
            targets=[TargetSpec("class", class_id=cast.class1.pk)],
        )
        from django_scopes import scope

        with scope(school=[cast.school.pk]):
            fan_out(notice)
        return notice.pk


def _attachment_kwargs(cast: Cast) -> dict:
    from django.core.files.base import ContentFile

    from notices.models import NoticeAttachment

    notice_id = _notice_pk(cast)
    with scopes_disabled():
        item = NoticeAttachment(
            school=cast.school, notice_id=notice_id, filename="a.pdf", mime="application/pdf", size=8
        )
        item.file.save("test-attachment.pdf", ContentFile(b"%PDF-1.4"), save=False)
        item.save()
    return {"notice_id": notice_id, "attachment_id": item.pk}


def _link_token(cast: Cast) -> str:
    from delivery.channels import receipt_link_token
    from notices.models import Receipt

    notice_id = _notice_pk(cast)
    with scopes_disabled():
        return receipt_link_token(Receipt.objects.filter(notice_id=notice_id).order_by("pk")[0].pk)


def _survey_pk(cast: Cast, kind: str = "survey") -> int:
    """A survey (or collection form) the head teacher of class 1 sent to its families."""
    import datetime

    from django.utils import timezone
    from django_scopes import scope

    from notices.actions import TargetSpec
    from notices.fanout import fan_out
    from schools.roles import compute_roles
    from surveys.actions import do_create_survey, do_send_survey

    roles = compute_roles(cast.ms_li)
    with scopes_disabled():
        survey = do_create_survey(
            cast.school,
            acting_user=cast.ms_li,
            roles=roles,
            title="午餐满意度",
            kind=kind,
            anonymous=kind == "survey",
            questions=[{"kind": "rating", "text": "饭菜好吗？"}, {"kind": "file", "text": "照片", "required": False}]
            if kind == "form"
            else [{"kind": "rating", "text": "饭菜好吗？"}],
        )
        do_send_survey(
            survey,
            acting_user=cast.ms_li,
            roles=roles,
            targets=[TargetSpec("class", class_id=cast.class1.pk)],
            closes_at=timezone.now() + datetime.timedelta(days=3),
        )
        with scope(school=[cast.school.pk]):
            assert survey.notice is not None
            fan_out(survey.notice)
        return survey.pk


def _survey_file_kwargs(cast: Cast) -> dict:
    from django.core.files.base import ContentFile

    from surveys.models import Answer, Question, Response

    survey_id = _survey_pk(cast, "form")
    with scopes_disabled():
        question = Question.objects.get(survey_id=survey_id, kind="file")
        response = Response.objects.create(
            school=cast.school, survey_id=survey_id, student=cast.alice_child, guardian=cast.alice_guardian
        )
        answer = Answer(school=cast.school, survey_id=survey_id, response=response, question=question, text="a.pdf")
        answer.file.save("a.pdf", ContentFile(b"%PDF-1.4"), save=True)
    return {"survey_id": survey_id, "answer_id": answer.pk}


SURVEY_MANAGER = Route(
    kwargs=lambda c: {"survey_id": _survey_pk(c)},
    allowed=("ms_li", "admin_zhang"),
    refused=("mr_wang", "alice", "carol", "dave", "erin"),
)
SURVEY_RECIPIENT = Route(
    kwargs=lambda c: {"survey_id": _survey_pk(c)},
    allowed=("alice", "bob"),
    refused=("carol", "mr_wang", "dave", "erin"),
)


def _event_pk(cast: Cast, kind: str = "parent_meeting", started: bool = False) -> int:
    """A parent meeting of class 1 that its head teacher created (started: it began a minute ago)."""
    import datetime

    from django.utils import timezone
    from django_scopes import scope

    from events.actions import EventFields, do_create_event
    from events.models import Event
    from notices.actions import TargetSpec
    from notices.fanout import fan_out
    from schools.roles import compute_roles

    starts = timezone.now() + datetime.timedelta(days=1)
    with scopes_disabled():
        event = do_create_event(
            cast.school,
            acting_user=cast.ms_li,
            roles=compute_roles(cast.ms_li),
            fields=EventFields(
                kind=kind, title="家长会", starts_at=starts, ends_at=starts + datetime.timedelta(hours=2), place="教室"
            ),
            targets=[TargetSpec("class", class_id=cast.class1.pk)],
        )
        with scope(school=[cast.school.pk]):
            assert event.notice is not None
            fan_out(event.notice)
        if started:
            now = timezone.now() - datetime.timedelta(minutes=1)
            Event.objects.filter(pk=event.pk).update(starts_at=now, ends_at=now + datetime.timedelta(hours=2))
        return event.pk


def _reflection_pk(cast: Cast) -> int:
    from events.models import Reflection
    from notices.models import Receipt

    event_id = _event_pk(cast, "parent_school", started=True)
    with scopes_disabled():
        receipt = Receipt.objects.get(notice__event__pk=event_id, guardian=cast.alice_guardian)
        return Reflection.objects.create(school=cast.school, event_id=event_id, receipt=receipt, text="很有收获").pk


def _follow_up_pk(cast: Cast) -> int:
    from events.models import FollowUp

    event_id = _event_pk(cast, started=True)
    with scopes_disabled():
        return FollowUp.objects.create(
            school=cast.school, event_id=event_id, student=cast.bob_child, owner=cast.ms_li
        ).pk


def _resolution_pk(cast: Cast) -> int:
    from events.models import Resolution

    event_id = _event_pk(cast, started=True)
    with scopes_disabled():
        return Resolution.objects.create(school=cast.school, event_id=event_id, text="成立读书会", owner=cast.ms_li).pk


def _conference_pk(cast: Cast) -> int:
    import datetime

    from django.utils import timezone
    from django_scopes import scope

    from events.actions import do_create_conference_day
    from notices.fanout import fan_out
    from schools.roles import compute_roles

    with scopes_disabled():
        day = do_create_conference_day(
            cast.school,
            acting_user=cast.ms_li,
            roles=compute_roles(cast.ms_li),
            title="个别面谈",
            place="办公室",
            class_id=cast.class1.pk,
            day=timezone.localdate() + datetime.timedelta(days=3),
            start=datetime.time(14, 0),
            end=datetime.time(15, 0),
            slot_minutes=15,
            break_minutes=5,
            teacher_ids=[],
        )
        with scope(school=[cast.school.pk]):
            assert day.notice is not None
            fan_out(day.notice)
        return day.pk


def _feed_token(cast: Cast) -> str:
    from events.actions import calendar_feed

    with scopes_disabled():
        return calendar_feed(cast.alice).token


# --- the suggestion box (feedback) ---


def _suggestion(cast: Cast, *, decided: bool = False) -> dict:
    """A signed suggestion of alice about class 1 (owner ms_li), with its receipt."""
    import datetime

    from django.utils import timezone

    from feedback.access import receipt_hash
    from feedback.models import Rectification, Suggestion

    with scopes_disabled():
        s = Suggestion.objects.create(
            school=cast.school,
            school_class=cast.class1,
            kind="class",
            text="教室的窗户关不上",
            author=cast.alice,
            receipt_hash=receipt_hash("route-matrix-receipt-0001"),
            owner=cast.ms_li,
            ack_due_at=timezone.now() + datetime.timedelta(hours=48),
            status="decided" if decided else "submitted",
        )
        rect = Rectification.objects.create(
            school=cast.school, suggestion=s, what="修窗户", owner=cast.ms_li, due_on=timezone.localdate()
        )
    return {"suggestion_id": s.pk, "rectification_id": rect.pk, "receipt": "route-matrix-receipt-0001"}


FEEDBACK_HANDLER = Route(
    kwargs=lambda c: {"suggestion_id": _suggestion(c)["suggestion_id"]},
    allowed=("ms_li", "admin_zhang"),
    refused=("mr_wang", "alice", "carol", "dave", "erin"),
)
FEEDBACK_AUTHOR = Route(
    kwargs=lambda c: {"suggestion_id": _suggestion(c)["suggestion_id"]},
    allowed=("alice",),
    refused=("bob", "carol", "ms_li", "dave", "erin"),
)
FEEDBACK_FOLLOW = Route(
    method="post",
    data=lambda c: {"receipt": _suggestion(c)["receipt"]},
    allowed=("alice",),
    refused=("dave", "erin"),
    notes="the receipt is the key: within the school whoever holds it follows it; a wrong one is 404 (feedback tests)",
)
FEEDBACK_RECT = Route(
    method="post",
    kwargs=lambda c: {"rectification_id": _suggestion(c, decided=True)["rectification_id"]},
    data=lambda c: {"note": "已修好"},
    allowed=("ms_li", "admin_zhang"),
    refused=("mr_wang", "alice", "carol", "dave", "erin"),
)


# --- the column, the newspaper and the public page (publishing) ---

PNG_1PX = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f0"
    "1f0005000201a5a0fd2f0000000049454e44ae426082"
)


def _publishing(cast: Cast) -> dict:
    """School A's column: a published column article by ms_li (with a cover, comments open, on the
    public page) with alice's comment, a submitted one, a draft, an invitation to alice, and a sent
    newspaper issue with an item and a photo."""
    import datetime

    from django.core.files.base import ContentFile
    from django.utils import timezone

    from publishing.models import Article, Comment, Invitation, Issue, Section

    now = timezone.now()
    with scopes_disabled():

        def article(status, **extra):
            return Article.objects.create(
                school=cast.school,
                title="阳光专栏文章",
                body_html="<p>陪孩子读书</p>",
                body_text="陪孩子读书",
                author=cast.ms_li,
                author_name="李老师",
                status=status,
                published_at=now if status == "published" else None,
                **extra,
            )

        published = article("published", allow_comments=True, public=True)
        published.cover.save("c.png", ContentFile(PNG_1PX), save=True)
        submitted = article("submitted")
        draft = article("draft")
        comment = Comment.objects.create(school=cast.school, article=published, author=cast.alice, text="谢谢老师")
        invitation = Invitation.objects.create(school=cast.school, user=cast.alice, invited_by=cast.admin_zhang)
        issue = Issue.objects.create(
            school=cast.school, number=8, date=datetime.date(2026, 5, 1), status="sent", created_by=cast.admin_zhang
        )
        draft_issue = Issue.objects.create(
            school=cast.school, number=9, date=datetime.date(2026, 7, 1), created_by=cast.admin_zhang
        )
        Section.objects.create(school=cast.school, issue=issue, position=1, kind="item", text="阳光短讯")
        photo = Section(school=cast.school, issue=issue, position=2, kind="photo", heading="运动会")
        photo.photo.save("p.png", ContentFile(PNG_1PX), save=True)
        draft_section = Section.objects.create(
            school=cast.school, issue=draft_issue, position=1, kind="item", text="草稿短讯"
        )
    return {
        "article": published.pk,
        "submitted": submitted.pk,
        "draft": draft.pk,
        "comment": comment.pk,
        "invitation": invitation.pk,
        "issue": issue.pk,
        "draft_issue": draft_issue.pk,
        "photo": photo.pk,
        "draft_section": draft_section.pk,
    }


PUB_READ = Route(
    kwargs=lambda c: {"article_id": _publishing(c)["article"]},
    allowed=("alice", "carol", "mr_wang"),
    refused=("dave", "erin"),
)
PUB_DRAFT = Route(
    kwargs=lambda c: {"article_id": _publishing(c)["draft"]},
    allowed=("ms_li", "admin_zhang"),
    refused=("mr_wang", "alice", "dave", "erin"),
)
PUB_REVIEW = Route(
    method="post",
    kwargs=lambda c: {"article_id": _publishing(c)["submitted"]},
    data=lambda c: {"decision": "publish"},
    allowed=("admin_zhang",),
    refused=("ms_li", "mr_wang", "alice", "dave", "erin"),
)
PUB_HIDE = Route(
    method="post",
    kwargs=lambda c: {"comment_id": _publishing(c)["comment"]},
    allowed=("admin_zhang", "ms_li"),
    refused=("mr_wang", "alice", "dave", "erin"),
)
PUB_ISSUE_READ = Route(
    kwargs=lambda c: {"issue_id": _publishing(c)["issue"]},
    allowed=("alice", "ms_li"),
    refused=("dave", "erin"),
)
PUB_ISSUE_EDIT = Route(
    kwargs=lambda c: {"issue_id": _publishing(c)["draft_issue"]},
    allowed=("admin_zhang",),
    refused=("ms_li", "alice", "dave", "erin"),
)
PUB_EDITOR = Route(allowed=("admin_zhang",), refused=("ms_li", "alice", "erin"), own_only=("dave",))
PUB_SCHOOL_LIST = Route(allowed=("alice", "ms_li"), own_only=("dave", "erin"))
PUB_PUBLIC = Route(public=True, notes="the public page: anybody, by design; no personal data (publishing tests)")

EVENT_MANAGER = Route(
    kwargs=lambda c: {"event_id": _event_pk(c)},
    allowed=("ms_li", "admin_zhang"),
    refused=("mr_wang", "alice", "carol", "dave", "erin"),
)
EVENT_INVITED = Route(
    kwargs=lambda c: {"event_id": _event_pk(c)},
    allowed=("alice", "bob"),
    refused=("carol", "mr_wang", "dave", "erin"),
)


def _class_group_pk(cast: Cast) -> int:
    from chat.actions import class_group

    with scopes_disabled():
        return class_group(cast.class1).pk


def _chat_message_kwargs(cast: Cast) -> dict:
    """A message of ms_li's in class 1's group (with a file, for the file route)."""
    from django.core.files.base import ContentFile

    from chat.models import Message

    conversation_id = _class_group_pk(cast)
    with scopes_disabled():
        message = Message(school=cast.school, conversation_id=conversation_id, sender=cast.ms_li, body="通知")
        message.file_name, message.file_mime = "a.pdf", "application/pdf"
        message.file.save("a.pdf", ContentFile(b"%PDF-1.4"), save=False)
        message.save()
    return {"conversation_id": conversation_id, "message_id": message.pk}


CHAT_MEMBER = Route(
    kwargs=lambda c: {"conversation_id": _class_group_pk(c)},
    allowed=("ms_li", "mr_wang", "admin_zhang", "alice", "bob"),
    refused=("carol", "dave", "erin"),
)


NOTICE_MANAGER = Route(
    kwargs=lambda c: {"notice_id": _notice_pk(c)},
    allowed=("ms_li", "admin_zhang"),
    refused=("mr_wang", "alice", "carol", "dave", "erin"),
)


def _record_pk(cast: Cast, shared: bool = True) -> int:
    from contactbook.actions import do_record_contact
    from schools.roles import compute_roles

    with scopes_disabled():
        return do_record_contact(
            cast.school,
            acting_user=cast.ms_li,
            roles=compute_roles(cast.ms_li),
            kind="phone",
            occurred_on=cast.term.start_date,
            student_ids=[cast.alice_child.pk],
            summary="内部记录",
            shared=shared,
            parent_summary="给家长的摘要" if shared else "",
        ).pk


def _care_case_pk(cast: Cast) -> int:
    from contactbook.models import CareCase

    with scopes_disabled():
        return CareCase.objects.create(
            school=cast.school, student=cast.alice_child, concern="learning", description="x", opened_by=cast.ms_li
        ).pk


def _plan_pk(cast: Cast) -> int:
    from plans.actions import do_adopt_template
    from plans.models import TermPlan

    with scopes_disabled():
        existing = TermPlan.objects.filter(term=cast.term).first()
        return (existing or do_adopt_template(cast.term, acting_user=cast.admin_zhang)).pk


def _class1_plan_task_pk(cast: Cast, *, with_file: bool = False) -> int:
    from plans.models import PlanTask

    plan_pk = _plan_pk(cast)
    with scopes_disabled():
        task = PlanTask.objects.filter(plan_id=plan_pk, school_class=cast.class1).first()
        assert task is not None
        if with_file and not task.evidence_file:
            from django.core.files.base import ContentFile

            task.evidence_file.save("evidence.pdf", ContentFile(b"%PDF-1.4\n%%EOF"), save=False)
            task.evidence_filename, task.evidence_mime = "evidence.pdf", "application/pdf"
            task.save()
        return task.pk


def _school_plan_task_pk(cast: Cast) -> int:
    from plans.models import PlanTask

    plan_pk = _plan_pk(cast)
    with scopes_disabled():
        return PlanTask.objects.filter(plan_id=plan_pk, owner=cast.admin_zhang).first().pk  # type: ignore[union-attr]


PLAN_ADMIN = Route(
    method="post",
    kwargs=lambda c: {"plan_id": _plan_pk(c)},
    allowed=("admin_zhang",),
    refused=("ms_li", "mr_wang", "alice", "dave", "erin"),
)
CLASS1_PLAN_TASK = Route(
    kwargs=lambda c: {"task_id": _class1_plan_task_pk(c)},
    allowed=("admin_zhang", "ms_li"),
    refused=("mr_wang", "alice", "carol", "dave", "erin"),
)


# A district (教育局 / 集团校) holding school A, and its admin ``qian``: people outside the shared cast,
# made by the entries that need them (EXTRA_PEOPLE). qian is no one in school A: every other entry's
# refusals hold for them too (home/tests/test_district.py walks this matrix as qian).
def _district(cast: Cast):
    from accounts.models import User
    from schools.models import District, DistrictAdmin, School

    with scopes_disabled():
        district = District.objects.filter(code="matrix").first()
        if district is None:
            district = District.objects.create(name="城区教育局", code="matrix")
            School.objects.filter(pk=cast.school.pk).update(district=district)
            qian = User.objects.create_user("qian", "correct-horse-42", name="钱局长")
            DistrictAdmin.objects.create(district=district, user=qian)
    return district


def _qian(cast: Cast):
    from schools.models import DistrictAdmin

    return DistrictAdmin.objects.select_related("user").get(district=_district(cast)).user


EXTRA_PEOPLE: dict[str, Callable[[Cast], object]] = {"qian": _qian}


def _district_notice_kwargs(cast: Cast) -> dict:
    from notices.district import do_send_district_notice

    district = _district(cast)
    sent = do_send_district_notice(
        district, acting_user=_qian(cast), title="区级通知", body_html="<p>请注意安全</p>", action="confirm"
    )
    return {"district_id": district.pk, "notice_id": sent.pk}


NOT_DISTRICT = ("admin_zhang", "ms_li", "mr_wang", "alice", "carol", "dave", "erin")
DISTRICT_PAGE = Route(
    kwargs=lambda c: {"district_id": _district(c).pk},
    allowed=("qian",),
    refused=NOT_DISTRICT,
    shows={"qian": ("阳光小学",)},
)
DISTRICT_NOTICE = Route(kwargs=_district_notice_kwargs, allowed=("qian",), refused=NOT_DISTRICT)


def _volunteer_world(cast: Cast) -> dict:
    """Class 1 asked for helpers (ms_li) with one slot in five days; alice volunteers and has a place."""
    cached = getattr(cast, "_volunteer_world", None)
    if cached is not None:
        return cached
    import datetime

    from django.utils import timezone

    from community import actions as community_actions
    from schools.models import Guardian

    with scopes_disabled():
        start = timezone.now().replace(microsecond=0) + datetime.timedelta(days=5)
        activity = community_actions.do_create_activity(
            cast.school,
            acting_user=cast.ms_li,
            roles=compute_roles(cast.ms_li),
            school_class=cast.class1,
            fields=community_actions.ActivityFields(
                kind="sports_meet",
                title="秋季运动会",
                place="操场",
                withdraw_until=start - datetime.timedelta(days=1),
                slots=[community_actions.SlotSpec("检录", start, start + datetime.timedelta(hours=2), 5)],
            ),
        )
        guardian = Guardian.objects.get(user=cast.alice)
        volunteer = community_actions.do_register_volunteer(
            guardian, acting_user=cast.alice, skills="", availability="周末"
        )
        slot = activity.slots.get()
        signup = community_actions.do_sign_up(slot, volunteer, acting_user=cast.alice)
    world = {"activity": activity.pk, "slot": slot.pk, "volunteer": volunteer.pk, "signup": signup.pk}
    cast._volunteer_world = world  # type: ignore[attr-defined]
    return world


def _activity_payload(cast: Cast) -> dict:
    import datetime

    from django.utils import timezone

    start = timezone.now().replace(microsecond=0) + datetime.timedelta(days=5)
    return {
        "class_id": cast.class1.pk,
        "kind": "sports_meet",
        "title": "运动会",
        "place": "操场",
        "withdraw_until": (start - datetime.timedelta(days=1)).isoformat(),
        "slots": [
            {
                "label": "检录",
                "starts_at": start.isoformat(),
                "ends_at": (start + datetime.timedelta(hours=2)).isoformat(),
                "needed": 3,
            }
        ],
    }


# --- community: committees ---------------------------------------------------------------------------


def _committee_pk(cast: Cast) -> int:
    """Class 1's committee of this school year: alice its chair, bob its treasurer."""
    from community.actions import do_add_committee_member, do_start_committee
    from schools.models import Guardian

    with scopes_disabled():
        committee, _ = do_start_committee(cast.school, level="class", school_class=cast.class1, acting_user=cast.ms_li)
        for user, role in ((cast.alice, "chair"), (cast.bob, "treasurer")):
            guardian = Guardian.objects.get(user=user)
            if not committee.members.filter(guardian=guardian).exists():
                do_add_committee_member(committee, guardian_id=guardian.pk, role=role, acting_user=cast.ms_li)
        return committee.pk


def _class1_grandparent_pk(cast: Cast) -> int:
    """A guardian of class 1 not on its committee yet (alice's child's grandfather)."""
    from schools.models import Guardian, StudentGuardian

    with scopes_disabled():
        guardian = Guardian.objects.create(school=cast.school, name="刘爷爷", phone="13700000098")
        StudentGuardian.objects.create(school=cast.school, student=cast.alice_child, guardian=guardian)
        return guardian.pk


def _committee_seat_pk(cast: Cast, user) -> int:
    from community.models import CommitteeMember

    committee_id = _committee_pk(cast)
    with scopes_disabled():
        return CommitteeMember.objects.get(committee_id=committee_id, guardian__user=user, left_on__isnull=True).pk


def _committee_message_pk(cast: Cast) -> int:
    """bob's message to alice, the chair."""
    from community.actions import do_write_to_committee_member
    from community.models import CommitteeMember

    seat = _committee_seat_pk(cast, cast.alice)
    with scopes_disabled():
        member = CommitteeMember.objects.select_related("committee__school").get(pk=seat)
        return do_write_to_committee_member(member, text="班费什么时候交？", acting_user=cast.bob).pk


def _working_group_pk(cast: Cast) -> int:
    """School A's 家校沟通工作小组: ms_li its leader, alice's family a member."""
    from community.actions import do_add_working_group_member, do_create_working_group
    from community.models import WorkingGroup
    from schools.models import StaffMember

    with scopes_disabled():
        group = WorkingGroup.objects.filter(school=cast.school).first()
        if group is None:
            group = do_create_working_group(cast.school, name="家校沟通工作小组", acting_user=cast.admin_zhang)
            li = StaffMember.objects.get(user=cast.ms_li, school=cast.school)
            do_add_working_group_member(group, staff_member_id=li.pk, role="leader", acting_user=cast.admin_zhang)
            do_add_working_group_member(group, guardian_id=cast.alice_guardian.pk, acting_user=cast.admin_zhang)
        return group.pk


def _working_group_seat_pk(cast: Cast) -> int:
    from community.models import WorkingGroupMember

    group_id = _working_group_pk(cast)
    with scopes_disabled():
        return WorkingGroupMember.objects.get(group_id=group_id, guardian=cast.alice_guardian).pk


# --- community: fund ---------------------------------------------------------------------------------


def _fund_entry_pk(cast: Cast, *, kind: str = "income", signed: bool = False) -> int:
    """An entry of class 1's fund recorded by bob (the committee's treasurer), countersigned by alice
    (its chair) when ``signed``; an expense carries a receipt photo."""
    import struct
    import zlib

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone

    from community.actions import accept_receipt, do_countersign_entry, do_record_entry

    def chunk(k: bytes, d: bytes) -> bytes:
        return struct.pack(">I", len(d)) + k + d + struct.pack(">I", zlib.crc32(k + d))

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b"")
    _committee_pk(cast)
    with scopes_disabled():
        entry = do_record_entry(
            cast.class1,
            kind=kind,
            amount="12.50",
            occurred_on=timezone.localdate(),
            purpose="收班费" if kind == "income" else "买彩纸",
            receipt=accept_receipt(SimpleUploadedFile("r.png", png)) if kind == "expense" else None,
            acting_user=cast.bob,
        )
        if signed:
            do_countersign_entry(entry, acting_user=cast.alice)
        return entry.pk


def _fund_question_pk(cast: Cast) -> int:
    from community.actions import do_ask_about_entry
    from community.models import LedgerEntry

    entry_id = _fund_entry_pk(cast)
    with scopes_disabled():
        entry = LedgerEntry.objects.select_related("school_class__school").get(pk=entry_id)
        return do_ask_about_entry(entry, text="收了多少户？", acting_user=cast.alice).pk


ADMIN_PAGE = Route(allowed=("admin_zhang",), refused=("ms_li", "mr_wang", "alice", "erin"), own_only=("dave",))
ANY_SIGNED_IN = ("admin_zhang", "ms_li", "mr_wang", "alice")
HEAD_OF_CLASS1 = Route(
    kwargs=lambda c: {"class_id": c.class1.pk},
    allowed=("admin_zhang", "ms_li"),
    refused=("mr_wang", "alice", "carol", "dave", "erin"),
)


def _commendation_pk(cast: Cast) -> int:
    """School A's admin commended alice's family this term."""
    from reports.models import Commendation
    from schools.models import Guardian

    with scopes_disabled():
        return Commendation.objects.create(
            school=cast.school,
            term=cast.term,
            kind="family",
            guardian=Guardian.objects.get(user=cast.alice),
            name="刘爱丽",
            award="优秀志愿者家长",
            citation="积极参与",
            created_by=cast.admin_zhang,
        ).pk


def _summary_pk(cast: Cast) -> int:
    """School A's draft yearly summary (its admins only)."""
    from reports.models import YearlySummary

    with scopes_disabled():
        summary, _ = YearlySummary.objects.get_or_create(
            school=cast.school,
            year=2026,
            defaults={
                "created_by": cast.admin_zhang,
                "sections": [{"key": "plan", "title": "计划", "text": "阳光小学的计划", "figures": [], "table": None}],
            },
        )
        return summary.pk


SUMMARY_ADMIN = Route(
    kwargs=lambda c: {"summary_id": _summary_pk(c)},
    allowed=("admin_zhang",),
    refused=("ms_li", "mr_wang", "alice", "dave", "erin"),
)
CLASS1_ARCHIVE = Route(
    kwargs=lambda c: {"class_id": c.class1.pk},
    allowed=("admin_zhang", "ms_li"),
    refused=("mr_wang", "alice", "carol", "dave", "erin"),
)
GRADE3_ARCHIVE = Route(
    kwargs=lambda c: {"class_id": c.class1.pk},
    allowed=("admin_zhang",),
    refused=("ms_li", "mr_wang", "alice", "carol", "dave", "erin"),
)


VOLUNTEER_ARCHIVE = Route(
    kwargs=lambda c: {"volunteer_id": _volunteer_world(c)["volunteer"]},
    allowed=("alice", "ms_li", "mr_wang", "admin_zhang"),
    refused=("bob", "carol", "dave", "erin"),
)
ACTIVITY_FAMILY = Route(
    kwargs=lambda c: {"activity_id": _volunteer_world(c)["activity"]},
    allowed=("alice", "bob"),
    refused=("carol", "ms_li", "dave", "erin"),
)
ACTIVITY_MANAGER = Route(
    kwargs=lambda c: {"activity_id": _volunteer_world(c)["activity"]},
    allowed=("ms_li", "admin_zhang"),
    refused=("mr_wang", "alice", "carol", "dave", "erin"),
)
OWN_SIGNUP = Route(
    kwargs=lambda c: {"signup_id": _volunteer_world(c)["signup"]},
    allowed=("alice",),
    refused=("bob", "ms_li", "dave", "erin"),
)
CERTIFICATE = Route(
    kwargs=lambda c: {"commendation_id": _commendation_pk(c)},
    allowed=("admin_zhang", "alice"),
    refused=("bob", "ms_li", "mr_wang", "dave", "erin"),
)
CLASS1_VOLUNTEERS = Route(
    kwargs=lambda c: {"class_id": c.class1.pk},
    allowed=("admin_zhang", "ms_li", "mr_wang"),
    refused=("alice", "carol", "dave", "erin"),
)


def _duty_roster(cast: Cast, *, published: bool = False):
    """A duty roster of class 1 by its head teacher: shifts every day of the coming week, the fair
    rotation proposed (alice's and bob's families on them), published if asked."""
    import datetime

    from django.utils import timezone
    from django_scopes import scope

    from community import actions as duty
    from schools.roles import compute_roles

    with scope(school=[cast.school.pk]):
        roster = duty.do_create_roster(
            cast.school, acting_user=cast.ms_li, term=cast.term, title="护学岗", school_class=cast.class1
        )
        first = timezone.localdate() + datetime.timedelta(days=1)
        duty.do_add_shifts(
            roster,
            acting_user=cast.ms_li,
            first=first,
            last=first + datetime.timedelta(days=6),
            weekdays=range(7),
            starts_at="07:20",
            ends_at="08:00",
            place="校门口",
        )
        duty.do_propose_rotation(roster, acting_user=cast.ms_li)
        if published:
            duty.do_publish_roster(roster, acting_user=cast.ms_li, roles=compute_roles(cast.ms_li))
    return roster


def _duty_assignment_pk(cast: Cast, user=None) -> int:
    from community.models import DutyAssignment

    roster = _duty_roster(cast, published=True)
    with scopes_disabled():
        return (
            DutyAssignment.objects.filter(shift__roster=roster, family__members__guardian__user=user or cast.alice)
            .order_by("shift__date")
            .first()
            .pk
        )


def _duty_family_pk(cast: Cast) -> int:
    from community.models import DutyFamily

    roster = _duty_roster(cast, published=True)
    with scopes_disabled():
        return DutyFamily.objects.get(roster=roster, members__guardian__user=cast.alice).pk


def _duty_swap_pk(cast: Cast) -> int:
    from django_scopes import scope

    from community import actions as duty
    from community.models import DutyAssignment, DutyFamily

    assignment_id = _duty_assignment_pk(cast)
    with scope(school=[cast.school.pk]):
        assignment = DutyAssignment.objects.select_related("shift__roster").get(pk=assignment_id)
        bob = DutyFamily.objects.get(roster=assignment.shift.roster, members__guardian__user=cast.bob)
        return duty.do_request_swap(assignment, acting_user=cast.alice, to_family_id=bob.pk).pk


def _duty_shift_kwargs(cast: Cast) -> dict:
    roster = _duty_roster(cast)
    with scopes_disabled():
        return {"roster_id": roster.pk, "shift_id": roster.shifts.first().pk}


def _call_task_pk(cast: Cast) -> int:
    """A call task of the escalation ladder for alice's family (class 1), on a notice by ms_li."""
    from notices.models import CallTask, Notice

    with scopes_disabled():
        notice = Notice.objects.create(
            school=cast.school, author=cast.ms_li, title="回执", action="confirm", status="published"
        )
        return CallTask.objects.create(
            school=cast.school, notice=notice, student=cast.alice_child, school_class=cast.class1
        ).pk


def _open_call_task_pk(cast: Cast) -> int:
    """A call task of the ladder for alice's family on 春游通知 (fanned out, the family not done)."""
    from notices.models import CallTask

    notice_pk = _notice_pk(cast)
    with scopes_disabled():
        return CallTask.objects.create(
            school=cast.school, notice_id=notice_pk, student=cast.alice_child, school_class=cast.class1
        ).pk


def _with_open_call_task(cast: Cast) -> dict:
    """No arguments (a list): creates the call task the list must show."""
    _open_call_task_pk(cast)
    return {}


DUTY_ROSTER_MANAGER = Route(
    kwargs=lambda c: {"roster_id": _duty_roster(c).pk},
    allowed=("ms_li", "admin_zhang"),
    refused=("mr_wang", "alice", "carol", "dave", "erin"),
)
DUTY_FAMILY_REFUSED = ("bob", "carol", "ms_li", "dave", "erin")
COMMITTEE_SEEN = Route(
    kwargs=lambda c: {"committee_id": _committee_pk(c)},
    allowed=("alice", "bob", "ms_li", "mr_wang", "admin_zhang"),
    refused=("carol", "dave", "erin"),
)

FUND_SEEN = Route(
    kwargs=lambda c: {"class_id": (_fund_entry_pk(c, kind="expense", signed=True), c.class1.pk)[1]},
    allowed=("alice", "bob", "ms_li", "admin_zhang"),
    refused=("carol", "mr_wang", "dave", "erin"),
)

GROUP_SEEN = Route(
    kwargs=lambda c: {"group_id": _working_group_pk(c)},
    allowed=("admin_zhang", "ms_li", "alice"),
    refused=("bob", "mr_wang", "carol", "dave", "erin"),
)

# --- the essay contest (publishing, contest) ---


def _contest_world(cast: Cast, stage: str = "open") -> dict:
    """A contest of school A open to staff and parents, with carol's entry (class 2, a PDF) judged by
    ms_li and mr_wang (class 1: no tie) and 孙老师 on the panel with no copy. ``stage``: open (before
    the deadline), closed (past it, not given out), judging, scored, announced (carol's first
    prize, her consent given)."""
    import datetime

    from django.core.files.base import ContentFile
    from django.utils import timezone

    from accounts.models import User
    from publishing.models import Assignment, Contest, ContestJudge, Criterion, Entry, Score
    from schools.models import StaffMember

    now = timezone.now()
    status = {"open": "open", "closed": "open", "judging": "judging", "scored": "judging"}.get(stage, "announced")
    with scopes_disabled():
        contest = Contest.objects.create(
            school=cast.school,
            title="我的教育故事",
            theme="家庭教育",
            audience="both",
            deadline=now + datetime.timedelta(days=3) if stage == "open" else now - datetime.timedelta(hours=1),
            status=status,
            created_by=cast.admin_zhang,
            announced_at=now if status == "announced" else None,
        )
        criterion = Criterion.objects.create(school=cast.school, contest=contest, name="立意", weight=1, max_score=10)
        sun = User.objects.create_user("ms_sun", "correct-horse-42", name="孙老师", phone="13900000005")
        StaffMember.objects.create(school=cast.school, user=sun)
        for user in (cast.ms_li, cast.mr_wang, sun):
            ContestJudge.objects.create(school=cast.school, contest=contest, user=user)
        entry = Entry(
            school=cast.school,
            contest=contest,
            number=1,
            author=cast.carol,
            class_ids=[cast.class2.pk],
            student_ids=[cast.carol_child.pk],
            title="陪伴",
            judge_title="陪伴",
            text="陪伴是最好的教育。",
            judge_text="陪伴是最好的教育。",
            file_kind="pdf",
            prize="first" if status == "announced" else "",
            publish_consent=status == "announced",
        )
        entry.judge_file.save("route-matrix-entry.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"), save=False)
        entry.save()
        assignments = {}
        if stage in ("judging", "scored", "announced"):
            for user in (cast.ms_li, cast.mr_wang):
                a = Assignment.objects.create(school=cast.school, entry=entry, judge=user)
                if stage != "judging":
                    a.result = 80
                    a.scored_at = now
                    a.save()
                    Score.objects.create(school=cast.school, assignment=a, criterion=criterion, value=8)
                assignments[user.username] = a.pk
    return {
        "contest_id": contest.pk,
        "contest_entry_id": entry.pk,
        "judging_id": assignments.get("ms_li"),
        "criterion_id": criterion.pk,
        "sun": sun.pk,
    }


def _contest_criterion(cast: Cast) -> int:
    from publishing.models import Criterion

    with scopes_disabled():
        return Criterion.objects.filter(school=cast.school).order_by("-pk").values_list("pk", flat=True)[0]


def _contest_sun(cast: Cast) -> int:
    from accounts.models import User

    return User.objects.get(username="ms_sun").pk


def _contest_kwargs(stage: str, key: str) -> Callable[[Cast], dict]:
    return lambda c: {key: _contest_world(c, stage)[key]}


CONTEST_ORGANISER = ("admin_zhang",)
CONTEST_NOT_ORGANISER = ("ms_li", "mr_wang", "alice", "carol", "dave", "erin")
CONTEST_ROUTES = {
    "contest:list": Route(allowed=("admin_zhang", "ms_li", "alice"), own_only=("dave", "erin")),
    "contest:new": ADMIN_PAGE,
    "contest:detail": Route(
        kwargs=_contest_kwargs("open", "contest_id"),
        allowed=("admin_zhang", "ms_li", "alice", "carol"),
        refused=("dave", "erin"),
    ),
    "contest:submit": Route(
        kwargs=_contest_kwargs("open", "contest_id"), allowed=("alice", "ms_li"), refused=("dave", "erin")
    ),
    "contest:manage": Route(
        kwargs=_contest_kwargs("judging", "contest_id"), allowed=CONTEST_ORGANISER, refused=CONTEST_NOT_ORGANISER
    ),
    "contest:judge_add": Route(
        method="post",
        kwargs=_contest_kwargs("open", "contest_id"),
        data=lambda c: {"user": c.mr_wang.pk},
        allowed=CONTEST_ORGANISER,
        refused=CONTEST_NOT_ORGANISER,
    ),
    "contest:assign": Route(
        method="post",
        kwargs=_contest_kwargs("closed", "contest_id"),
        allowed=CONTEST_ORGANISER,
        refused=CONTEST_NOT_ORGANISER,
    ),
    "contest:announce": Route(
        method="post",
        kwargs=_contest_kwargs("scored", "contest_id"),
        allowed=CONTEST_ORGANISER,
        refused=CONTEST_NOT_ORGANISER,
    ),
    "contest:entry": Route(
        kwargs=_contest_kwargs("open", "contest_entry_id"),
        allowed=("carol",),
        refused=("alice", "bob", "ms_li", "admin_zhang", "dave", "erin"),
    ),
    "contest:certificate": Route(
        kwargs=_contest_kwargs("announced", "contest_entry_id"),
        allowed=("carol", "admin_zhang"),
        refused=("alice", "ms_li", "dave", "erin"),
    ),
    "contest:entry_add_judge": Route(
        method="post",
        kwargs=_contest_kwargs("judging", "contest_entry_id"),
        data=lambda c: {"user": _contest_sun(c)},
        allowed=CONTEST_ORGANISER,
        refused=CONTEST_NOT_ORGANISER,
    ),
    "contest:entry_published": Route(
        method="post",
        kwargs=_contest_kwargs("announced", "contest_entry_id"),
        allowed=CONTEST_ORGANISER,
        refused=CONTEST_NOT_ORGANISER,
    ),
    "contest:judging": Route(allowed=("ms_li", "admin_zhang"), refused=("alice", "erin"), own_only=("dave",)),
    "contest:score": Route(
        kwargs=_contest_kwargs("judging", "judging_id"),
        allowed=("ms_li",),
        refused=("mr_wang", "admin_zhang", "alice", "carol", "dave", "erin"),
    ),
    "contest:judge_file": Route(
        kwargs=_contest_kwargs("judging", "judging_id"),
        allowed=("ms_li",),
        refused=("mr_wang", "admin_zhang", "alice", "carol", "dave", "erin"),
    ),
}


def _api(route: Route, **changes) -> Route:
    return Route(**{**route.__dict__, "api": True, **changes})


CONTEST_API_ROUTES = {
    "api:contest_list": Route(api=True, allowed=("admin_zhang", "ms_li", "alice"), own_only=("dave", "erin")),
    "api:contest_create": _api(
        ADMIN_PAGE,
        allowed=("admin_zhang", "dave"),  # each in their own school
        own_only=(),
        method="post",
        data=lambda c: {
            "title": "我的教育故事",
            "theme": "家庭教育",
            "audience": "both",
            "deadline": "2099-03-31T17:00:00+08:00",
            "criteria": [{"name": "立意", "weight": 1}],
        },
    ),
    "api:contest_detail": _api(CONTEST_ROUTES["contest:detail"]),
    "api:contest_entry_submit": _api(
        CONTEST_ROUTES["contest:submit"], method="post", data=lambda c: {"title": "一件小事", "text": "正文"}
    ),
    "api:contest_entry_mine": _api(CONTEST_ROUTES["contest:entry"]),
    "api:contest_entry_consent": _api(CONTEST_ROUTES["contest:entry"], method="post", data=lambda c: {"consent": True}),
    "api:contest_judges": _api(CONTEST_ROUTES["contest:manage"]),
    "api:contest_judge_add": _api(CONTEST_ROUTES["contest:judge_add"], data=lambda c: {"user_id": c.mr_wang.pk}),
    "api:contest_assign": _api(CONTEST_ROUTES["contest:assign"]),
    "api:contest_results": _api(CONTEST_ROUTES["contest:manage"]),
    "api:contest_entry_add_judge": _api(
        CONTEST_ROUTES["contest:entry_add_judge"], data=lambda c: {"user_id": _contest_sun(c)}
    ),
    "api:contest_announce": _api(CONTEST_ROUTES["contest:announce"], data=lambda c: {"prizes": {}}),
    "api:contest_entry_published": _api(CONTEST_ROUTES["contest:entry_published"]),
    "api:contest_judging": _api(CONTEST_ROUTES["contest:judging"]),
    "api:contest_judging_entry": _api(CONTEST_ROUTES["contest:score"]),
    "api:contest_score": _api(
        CONTEST_ROUTES["contest:score"],
        method="post",
        data=lambda c: {"scores": {str(_contest_criterion(c)): 8}, "comment": "好"},
    ),
}


MATRIX: dict[str, Route] = {
    "home:home": Route(allowed=(*ANY_SIGNED_IN, "carol"), own_only=("dave", "erin")),
    "home:me": Route(allowed=(*ANY_SIGNED_IN, "carol"), own_only=("dave", "erin")),
    # A family's own data and consents (PIPL): families only; the download holds only their own
    # (home/tests/test_privacy.py checks that another family's data never appears).
    "home:privacy": Route(allowed=("alice", "bob", "carol"), refused=("ms_li", "mr_wang", "dave"), own_only=("erin",)),
    # erin (school B) downloads her own: a streamed zip, whose content test_privacy.py checks.
    "home:export": Route(
        method="post", allowed=("alice", "bob", "carol", "erin"), refused=("ms_li", "mr_wang", "dave")
    ),
    # A district's admin (教育局 / 集团校): the schools' figures and district-wide notices.
    "home:district_home": Route(allowed=("qian",), refused=NOT_DISTRICT),
    "home:district": DISTRICT_PAGE,
    "home:district_notices": Route(
        **{
            **DISTRICT_PAGE.__dict__,
            "kwargs": lambda c: {"district_id": _district_notice_kwargs(c)["district_id"]},
            "shows": {"qian": ("区级通知",)},
        }
    ),
    "home:district_compose": Route(
        **{
            **DISTRICT_PAGE.__dict__,
            "method": "post",
            "data": lambda c: {"title": "区级通知", "body": "请注意安全", "action": "read", "audience": "families"},
            "shows": {},
        }
    ),
    "home:district_notice": DISTRICT_NOTICE,
    "home:district_notice_remind": Route(**{**DISTRICT_NOTICE.__dict__, "method": "post"}),
    "api:my_districts": Route(api=True, allowed=("qian",), own_only=NOT_DISTRICT),
    "api:district_overview": Route(**{**DISTRICT_PAGE.__dict__, "api": True}),
    "api:district_notice_list": Route(
        **{
            **DISTRICT_PAGE.__dict__,
            "api": True,
            "kwargs": lambda c: {"district_id": _district_notice_kwargs(c)["district_id"]},
            "shows": {"qian": ("区级通知",)},
        }
    ),
    "api:district_notice_create": Route(
        **{
            **DISTRICT_PAGE.__dict__,
            "api": True,
            "method": "post",
            "data": lambda c: {"title": "区级通知", "body_html": "<p>请注意安全</p>", "action": "read"},
            "shows": {},
        }
    ),
    "api:district_notice_detail": Route(**{**DISTRICT_NOTICE.__dict__, "api": True}),
    "api:district_notice_remind": Route(**{**DISTRICT_NOTICE.__dict__, "api": True, "method": "post"}),
    "home:manifest": Route(public=True),
    "home:service_worker": Route(public=True),
    "home:push_key": Route(allowed=(*ANY_SIGNED_IN, "carol"), own_only=("dave", "erin")),
    "home:push_subscribe": Route(
        method="post", data=_push_subscription, allowed=(*ANY_SIGNED_IN, "carol"), own_only=("dave", "erin")
    ),
    "home:push_unsubscribe": Route(
        method="post", data=_push_endpoint, allowed=(*ANY_SIGNED_IN, "carol"), own_only=("dave", "erin")
    ),
    "api:push_key": Route(api=True, allowed=(*ANY_SIGNED_IN, "carol"), own_only=("dave", "erin")),
    "api:push_subscribe": Route(
        api=True,
        method="post",
        data=_push_subscription_json,
        allowed=(*ANY_SIGNED_IN, "carol"),
        own_only=("dave", "erin"),
    ),
    "api:push_unsubscribe": Route(
        api=True, method="post", data=_push_endpoint, allowed=(*ANY_SIGNED_IN, "carol"), own_only=("dave", "erin")
    ),
    "home:todo": Route(allowed=("ms_li", "admin_zhang"), refused=("alice", "erin"), own_only=("dave",)),
    "accounts:login": Route(public=True),
    "accounts:login_code": Route(public=True),
    "accounts:logout": Route(
        method="post",
        allowed=ANY_SIGNED_IN,
        public=True,
        expected_public_status=(302,),
        extra={"ends_at_sign_in": True},
    ),
    "accounts:set_password": Route(allowed=ANY_SIGNED_IN, own_only=("dave",)),
    # Without a half-done sign-in in the session it sends everyone back to sign in.
    "accounts:login_two_factor": Route(public=True, expected_public_status=(302,)),
    # Staff only: a parent has no authenticator to set up (they sign in by SMS code).
    "accounts:two_factor": Route(
        allowed=("admin_zhang", "ms_li", "mr_wang"), refused=("alice", "erin"), own_only=("dave",)
    ),
    "schools:setup_terms": ADMIN_PAGE,
    "schools:setup_classes": ADMIN_PAGE,
    "schools:setup_staff": ADMIN_PAGE,
    "schools:promote_year": ADMIN_PAGE,
    "schools:audit_log": ADMIN_PAGE,
    "guardrails:admin": ADMIN_PAGE,
    "api:guardrail_settings": Route(api=True, allowed=("admin_zhang",), refused=("ms_li", "alice"), own_only=("dave",)),
    "api:guardrail_words_set": Route(
        api=True,
        method="put",
        data=lambda c: {"words": ["补课"]},
        allowed=("admin_zhang",),
        refused=("ms_li", "alice"),
        own_only=("dave",),
    ),
    "schools:make_term_current": Route(
        method="post",
        kwargs=lambda c: {"term_id": c.term.pk},
        allowed=("admin_zhang",),
        refused=("ms_li", "alice", "dave", "erin"),
    ),
    "schools:set_staff_admin": Route(
        method="post",
        kwargs=lambda c: {"member_id": _member_pk(c, c.ms_li)},
        data=lambda c: {"is_admin": "1"},
        allowed=("admin_zhang",),
        refused=("ms_li", "mr_wang", "alice", "dave"),
    ),
    "schools:switch_school": Route(
        method="post",
        data=lambda c: {"school": c.school.pk},
        allowed=("ms_li", "mr_wang", "admin_zhang"),
        refused=("alice", "dave", "erin"),
    ),
    "schools:set_two_factor_required": Route(
        method="post",
        data=lambda c: {"required": "0"},
        allowed=("admin_zhang",),
        refused=("ms_li", "mr_wang", "alice", "erin"),
        own_only=("dave",),
    ),
    "schools:set_staff_care": Route(
        method="post",
        kwargs=lambda c: {"member_id": _member_pk(c, c.ms_li)},
        data=lambda c: {"is_care_staff": "1"},
        allowed=("admin_zhang",),
        refused=("ms_li", "mr_wang", "alice", "dave"),
    ),
    "schools:deactivate_staff": Route(
        method="post",
        kwargs=lambda c: {"member_id": _member_pk(c, c.mr_wang)},
        allowed=("admin_zhang",),
        refused=("ms_li", "mr_wang", "alice", "dave"),
    ),
    "schools:remove_assignment": Route(
        method="post",
        kwargs=lambda c: {"assignment_id": _assignment_pk(c)},
        allowed=("admin_zhang",),
        refused=("ms_li", "mr_wang", "alice", "dave"),
    ),
    "schools:class": Route(
        kwargs=lambda c: {"class_id": c.class1.pk},
        allowed=("admin_zhang", "ms_li", "mr_wang"),
        refused=("alice", "carol", "dave", "erin"),
    ),
    "schools:reset_guardian": Route(
        method="post",
        kwargs=lambda c: {"guardian_id": c.alice_guardian.pk},
        allowed=("admin_zhang", "ms_li"),
        refused=("mr_wang", "bob", "carol", "dave", "erin"),
    ),
    # Removing a guardian from a child (home/views_family.py): the page that says what happens;
    # the removal (POST) and who may do it are in home/tests/test_unlink_guardian.py.
    "home:unlink_guardian": Route(
        kwargs=lambda c: {"student_id": c.alice_child.pk, "guardian_id": c.alice_guardian.pk},
        allowed=("admin_zhang", "ms_li"),
        refused=("mr_wang", "alice", "bob", "carol", "dave", "erin"),
    ),
    "home:erase_family": Route(
        kwargs=lambda c: {"guardian_id": c.alice_guardian.pk},
        allowed=("admin_zhang",),
        refused=("ms_li", "mr_wang", "alice", "bob", "dave", "erin"),
    ),
    # How long the school keeps each kind of record, with a dry run of the purge (home/retention.py);
    # dave sees school B's periods and counts only (home/tests/test_retention.py).
    "home:retention": ADMIN_PAGE,
    "schools:children": Route(allowed=("alice", "bob", "carol"), refused=("ms_li", "dave"), own_only=("erin",)),
    "schools:select_child": Route(
        method="post",
        kwargs=lambda c: {"student_id": c.alice_child.pk},
        allowed=("alice",),
        refused=("bob", "carol", "ms_li", "mr_wang", "dave", "erin"),
    ),
    "schools:import_school": ADMIN_PAGE,
    "schools:export_school": ADMIN_PAGE,
    "schools:import_class": HEAD_OF_CLASS1,
    "schools:export_class": HEAD_OF_CLASS1,
    "schools:onboarding": HEAD_OF_CLASS1,
    "schools:join_link": Route(**{**HEAD_OF_CLASS1.__dict__, "method": "post"}),
    "schools:remind": Route(**{**HEAD_OF_CLASS1.__dict__, "method": "post"}),
    "schools:activation_sheet": Route(**{**HEAD_OF_CLASS1.__dict__, "method": "post"}),
    "schools:import_preview": Route(
        kwargs=lambda c: {"upload_id": _upload_pk(c)},
        allowed=("ms_li", "admin_zhang"),
        refused=("mr_wang", "alice", "dave", "erin"),
    ),
    "schools:import_discard": Route(
        method="post",
        kwargs=lambda c: {"upload_id": _upload_pk(c)},
        allowed=("ms_li", "admin_zhang"),
        refused=("mr_wang", "alice", "dave", "erin"),
    ),
    "schools:decide_join": Route(
        method="post",
        kwargs=lambda c: {"join_request_id": _join_request_pk(c)},
        data=lambda c: {"decision": "refuse"},
        allowed=("ms_li", "admin_zhang"),
        refused=("mr_wang", "alice", "carol", "dave", "erin"),
    ),
    "schools:join": Route(
        public=True, kwargs=lambda c: {"token": _join_token(c)}, notes="forged and revoked tokens: test_onboarding.py"
    ),
    "schools:activate": Route(
        public=True, kwargs=lambda c: {"token": _activation_token(c)}, notes="used and expired: test_onboarding.py"
    ),
    "schools:family": Route(
        allowed=("alice", "bob", "carol"), refused=("ms_li", "mr_wang", "dave"), own_only=("erin",)
    ),
    "schools:family_phone": Route(
        method="post", data=lambda c: {"phone": "13711112222"}, allowed=("alice",), refused=("ms_li", "dave")
    ),
    "notices:feed": Route(allowed=("alice", "ms_li"), own_only=("dave", "erin"), shows={"alice": ("春游通知",)}),
    "notices:compose": Route(allowed=("ms_li", "mr_wang", "admin_zhang"), refused=("alice",), own_only=("dave",)),
    "notices:manage_list": Route(
        allowed=("ms_li", "admin_zhang"),
        refused=("alice", "erin"),
        own_only=("dave",),
        shows={"ms_li": ("春游通知",), "admin_zhang": ("春游通知",)},
    ),
    "notices:read": Route(
        kwargs=lambda c: {"notice_id": _notice_pk(c)},
        allowed=("alice", "bob"),
        refused=("carol", "mr_wang", "dave", "erin"),
    ),
    "notices:results": NOTICE_MANAGER,
    "notices:export": NOTICE_MANAGER,
    "notices:edit": NOTICE_MANAGER,
    "notices:remind": Route(**{**NOTICE_MANAGER.__dict__, "method": "post"}),
    "notices:recall": Route(**{**NOTICE_MANAGER.__dict__, "method": "post"}),
    "notices:pin": Route(**{**NOTICE_MANAGER.__dict__, "method": "post"}),
    "notices:attachment": Route(
        kwargs=_attachment_kwargs, allowed=("alice", "ms_li"), refused=("carol", "mr_wang", "dave", "erin")
    ),
    "notices:by_link": Route(
        public=True, kwargs=lambda c: {"token": _link_token(c)}, notes="forged/expired: notices/tests/test_notices.py"
    ),
    "notices:preferences": Route(allowed=("alice", "ms_li"), own_only=("dave", "erin")),
    "api:notice_feed": Route(
        api=True,
        allowed=("alice", "bob"),
        own_only=("dave", "erin"),
        shows={"alice": ("春游通知",), "bob": ("春游通知",)},
    ),
    "api:notice_sent": Route(
        api=True,
        allowed=("ms_li", "admin_zhang"),
        refused=("alice", "erin"),
        own_only=("dave",),
        shows={"ms_li": ("春游通知",), "admin_zhang": ("春游通知",)},
    ),
    "api:notice_create": Route(
        api=True,
        method="post",
        data=lambda c: {"title": "通知", "targets": [{"kind": "class", "class_id": c.class1.pk}]},
        allowed=("ms_li", "admin_zhang"),
        refused=("alice", "erin"),
        notes="dave (school B) may not address school A's class: 400, tested in notices/tests/test_api.py",
    ),
    "api:notice_detail": Route(
        api=True,
        kwargs=lambda c: {"notice_id": _notice_pk(c)},
        allowed=("alice", "bob"),
        refused=("carol", "mr_wang", "dave", "erin"),
    ),
    "api:notice_respond": Route(
        api=True,
        method="post",
        kwargs=lambda c: {"notice_id": _notice_pk(c)},
        data=lambda c: {},
        allowed=("alice",),
        refused=("carol", "mr_wang", "dave", "erin"),
    ),
    "api:notice_results": Route(**{**NOTICE_MANAGER.__dict__, "api": True}),
    "api:notice_remind": Route(**{**NOTICE_MANAGER.__dict__, "api": True, "method": "post"}),
    "api:notice_recall": Route(**{**NOTICE_MANAGER.__dict__, "api": True, "method": "post"}),
    "api:notice_edit": Route(
        **{**NOTICE_MANAGER.__dict__, "api": True, "method": "post", "data": lambda c: {"title": "改过的通知"}}
    ),
    "api:notice_pin": Route(
        **{**NOTICE_MANAGER.__dict__, "api": True, "method": "post", "data": lambda c: {"pinned": True}}
    ),
    "contactbook:new": Route(
        allowed=("ms_li", "mr_wang", "admin_zhang"), refused=("alice", "erin"), own_only=("dave",)
    ),
    "contactbook:record": Route(
        kwargs=lambda c: {"record_id": _record_pk(c)},
        allowed=("ms_li", "admin_zhang"),
        refused=("mr_wang", "alice", "bob", "carol", "dave", "erin"),
    ),
    "contactbook:edit": Route(
        kwargs=lambda c: {"record_id": _record_pk(c)},
        allowed=("ms_li", "admin_zhang"),
        refused=("mr_wang", "alice", "bob", "carol", "dave", "erin"),
    ),
    "contactbook:class_coverage": HEAD_OF_CLASS1,
    "contactbook:call": Route(
        kwargs=lambda c: {"task_id": _call_task_pk(c)},
        allowed=("ms_li", "mr_wang", "admin_zhang"),
        refused=("alice", "bob", "carol", "dave", "erin"),
    ),
    "api:call_tasks": Route(
        api=True,
        kwargs=_with_open_call_task,
        allowed=("ms_li", "mr_wang", "admin_zhang"),
        refused=("alice", "carol", "erin"),
        own_only=("dave",),
        shows={"ms_li": ("春游通知",)},
        notes="the head teacher's tasks only: contactbook/tests/test_calls.py",
    ),
    "api:call_task": Route(
        api=True,
        kwargs=lambda c: {"task_id": _call_task_pk(c)},
        allowed=("ms_li", "mr_wang", "admin_zhang"),
        refused=("alice", "bob", "carol", "dave", "erin"),
    ),
    "api:call_record": Route(
        api=True,
        method="post",
        kwargs=lambda c: {"task_id": _call_task_pk(c)},
        data=lambda c: {"outcome": "reached", "note": "已接通"},
        allowed=("ms_li", "mr_wang", "admin_zhang"),
        refused=("alice", "bob", "carol", "dave", "erin"),
    ),
    "api:notice_ladder": Route(**{**NOTICE_MANAGER.__dict__, "api": True}),
    "home:week": Route(allowed=(*ANY_SIGNED_IN, "carol"), own_only=("dave", "erin")),
    "notices:reachability": Route(
        kwargs=lambda c: {"class_id": c.class1.pk},
        allowed=("admin_zhang", "ms_li", "mr_wang"),
        refused=("alice", "carol", "dave", "erin"),
    ),
    "contactbook:export_class": HEAD_OF_CLASS1,
    "contactbook:export_class_pdf": HEAD_OF_CLASS1,
    "contactbook:student_pdf": Route(
        kwargs=lambda c: {"student_id": c.alice_child.pk},
        allowed=("ms_li", "admin_zhang"),
        refused=("mr_wang", "alice", "bob", "carol", "dave", "erin"),
    ),
    "contactbook:school_coverage": ADMIN_PAGE,
    "contactbook:coverage_rules": ADMIN_PAGE,
    "contactbook:student": Route(
        kwargs=lambda c: {"student_id": c.alice_child.pk},
        allowed=("ms_li", "mr_wang", "admin_zhang"),
        refused=("alice", "bob", "carol", "dave", "erin"),
    ),
    "contactbook:care_open": Route(
        kwargs=lambda c: {"student_id": c.alice_child.pk},
        allowed=("ms_li", "admin_zhang"),
        refused=("mr_wang", "alice", "carol", "dave", "erin"),
    ),
    "contactbook:care_case": Route(
        kwargs=lambda c: {"case_id": _care_case_pk(c)},
        allowed=("ms_li", "admin_zhang"),
        refused=("mr_wang", "alice", "bob", "carol", "dave", "erin"),
    ),
    "contactbook:family": Route(allowed=("alice", "bob"), refused=("ms_li", "dave"), own_only=("erin",)),
    "contactbook:acknowledge": Route(
        method="post",
        kwargs=lambda c: {"record_id": _record_pk(c)},
        allowed=("alice",),
        refused=("bob", "carol", "ms_li", "dave", "erin"),
    ),
    "api:contact_create": Route(
        api=True,
        method="post",
        data=lambda c: {
            "kind": "phone",
            "occurred_on": str(c.term.start_date),
            "student_ids": [c.alice_child.pk],
            "summary": "x",
        },
        allowed=("ms_li", "mr_wang", "admin_zhang"),
        refused=("alice", "erin"),
        notes="dave (school B) recording about school A's child: 400, contactbook/tests/test_api.py",
    ),
    "api:contact_detail": Route(
        api=True,
        kwargs=lambda c: {"record_id": _record_pk(c)},
        allowed=("ms_li", "admin_zhang"),
        refused=("mr_wang", "alice", "bob", "dave", "erin"),
    ),
    "api:contact_edit": Route(
        api=True,
        method="post",
        kwargs=lambda c: {"record_id": _record_pk(c)},
        data=lambda c: {"kind": "phone", "summary": "改过的记录", "version": 1},
        allowed=("ms_li", "admin_zhang"),
        refused=("mr_wang", "alice", "bob", "carol", "dave", "erin"),
    ),
    "api:class_coverage": Route(**{**HEAD_OF_CLASS1.__dict__, "api": True}),
    "api:student_contacts": Route(
        api=True,
        kwargs=lambda c: {"student_id": c.alice_child.pk},
        allowed=("ms_li", "mr_wang", "admin_zhang"),
        refused=("alice", "bob", "carol", "dave", "erin"),
    ),
    "api:family_records": Route(api=True, allowed=("alice", "bob"), refused=("ms_li", "dave"), own_only=("erin",)),
    "api:family_acknowledge": Route(
        api=True,
        method="post",
        kwargs=lambda c: {"record_id": _record_pk(c)},
        data=lambda c: {},
        allowed=("alice",),
        refused=("bob", "carol", "ms_li", "dave", "erin"),
    ),
    "api:family_conversation": Route(
        api=True,
        method="post",
        data=lambda c: {"student_id": c.alice_child.pk, "topic": "想聊聊"},
        allowed=("alice",),
        refused=("bob", "carol", "ms_li", "dave", "erin"),
    ),
    "api:care_case": Route(
        api=True,
        kwargs=lambda c: {"case_id": _care_case_pk(c)},
        allowed=("ms_li", "admin_zhang"),
        refused=("mr_wang", "alice", "bob", "dave", "erin"),
    ),
    "api:todo": Route(api=True, allowed=("ms_li", "admin_zhang"), refused=("alice", "erin"), own_only=("dave",)),
    "surveys:manage": Route(
        allowed=("ms_li", "admin_zhang"),
        refused=("alice", "erin"),
        own_only=("dave",),
        shows={"ms_li": ("午餐满意度",), "admin_zhang": ("午餐满意度",)},
    ),
    "surveys:new": Route(allowed=("ms_li", "mr_wang", "admin_zhang"), refused=("alice", "erin"), own_only=("dave",)),
    "surveys:evaluation": Route(
        allowed=("ms_li", "mr_wang", "admin_zhang"), refused=("alice", "erin"), own_only=("dave",)
    ),
    "surveys:schedule": Route(
        method="post",
        data=lambda c: {"series": "eval_parents", "months": ["2026-12-01"]},
        allowed=("admin_zhang",),
        refused=("ms_li", "mr_wang", "alice", "erin"),
        own_only=("dave",),
    ),
    "surveys:send_class_evaluation": Route(
        method="post",
        data=lambda c: {"class": c.class1.pk},
        allowed=("ms_li", "admin_zhang"),
        refused=("mr_wang", "alice", "carol", "dave", "erin"),
    ),
    "surveys:answer": SURVEY_RECIPIENT,
    "surveys:edit": SURVEY_MANAGER,
    "surveys:send": SURVEY_MANAGER,
    "surveys:results": SURVEY_MANAGER,
    "surveys:export": SURVEY_MANAGER,
    "surveys:remind": Route(**{**SURVEY_MANAGER.__dict__, "method": "post"}),
    "surveys:file": Route(
        kwargs=_survey_file_kwargs,
        allowed=("alice", "ms_li", "admin_zhang"),
        refused=("bob", "carol", "mr_wang", "dave", "erin"),
    ),
    "api:survey_list": Route(
        api=True,
        allowed=("ms_li", "admin_zhang"),
        refused=("alice", "erin"),
        own_only=("dave",),
        shows={"ms_li": ("午餐满意度",), "admin_zhang": ("午餐满意度",)},
    ),
    "api:survey_create": Route(
        api=True,
        method="post",
        data=lambda c: {"title": "问卷", "questions": [{"kind": "rating", "text": "好吗？"}]},
        allowed=("ms_li", "mr_wang", "admin_zhang"),
        refused=("alice", "erin"),
        notes="dave (school B) creates a draft in school B only: surveys/tests/test_api.py",
    ),
    "api:survey_send": Route(
        **{
            **SURVEY_MANAGER.__dict__,
            "api": True,
            "method": "post",
            "data": lambda c: {"targets": [{"kind": "class", "class_id": c.class1.pk}]},
            "allowed": (),
            "notes": "a sent survey answers 400 to its manager (surveys/tests); others get 404",
        }
    ),
    "api:survey_detail": Route(**{**SURVEY_RECIPIENT.__dict__, "api": True}),
    "api:survey_answer": Route(
        **{
            **SURVEY_RECIPIENT.__dict__,
            "api": True,
            "method": "post",
            "data": lambda c: {"answers": {}},
            "allowed": (),
            "notes": "an empty answer is a 400 for alice and bob (surveys/tests); others get 404",
        }
    ),
    "api:survey_results": Route(**{**SURVEY_MANAGER.__dict__, "api": True}),
    "api:survey_remind": Route(**{**SURVEY_MANAGER.__dict__, "api": True, "method": "post"}),
    "api:evaluation_trend": Route(
        api=True,
        kwargs=lambda c: {"series": "eval_parents"},
        allowed=("admin_zhang",),
        refused=("ms_li", "mr_wang", "alice", "erin"),
        own_only=("dave",),
        notes="head teachers pass their class_id: surveys/tests/test_api.py",
    ),
    "events:list": Route(
        allowed=("ms_li", "mr_wang", "admin_zhang"),
        refused=("alice", "erin"),
        own_only=("dave",),
        shows={"ms_li": ("阳光家长会",), "admin_zhang": ("阳光家长会",)},
    ),
    "events:new": Route(allowed=("ms_li", "mr_wang", "admin_zhang"), refused=("alice", "erin"), own_only=("dave",)),
    "events:manage": EVENT_MANAGER,
    "events:cancel": Route(**{**EVENT_MANAGER.__dict__, "method": "post"}),
    "events:attendance": EVENT_MANAGER,
    "events:checkin": EVENT_MANAGER,
    "events:screen": EVENT_MANAGER,
    "events:minutes": EVENT_MANAGER,
    "events:reflections": EVENT_MANAGER,
    "events:here": Route(
        kwargs=lambda c: {"event_id": _event_pk(c), "code": "12345678"},
        allowed=("alice", "bob"),
        refused=("carol", "mr_wang", "dave", "erin"),
    ),
    "events:invitation": EVENT_INVITED,
    "events:ics": Route(
        kwargs=lambda c: {"event_id": _event_pk(c)},
        allowed=("alice", "bob", "ms_li", "admin_zhang"),
        refused=("carol", "mr_wang", "dave", "erin"),
    ),
    "events:comment": Route(
        method="post",
        kwargs=lambda c: {"reflection_id": _reflection_pk(c)},
        data=lambda c: {"comment": "写得好"},
        allowed=("ms_li", "admin_zhang"),
        refused=("mr_wang", "alice", "bob", "carol", "dave", "erin"),
    ),
    "events:follow_up_done": Route(
        method="post",
        kwargs=lambda c: {"follow_up_id": _follow_up_pk(c)},
        allowed=("ms_li",),
        refused=("admin_zhang", "mr_wang", "alice", "dave", "erin"),
        notes="only the follow-up's owner closes it",
    ),
    "events:resolution_done": Route(
        method="post",
        kwargs=lambda c: {"resolution_id": _resolution_pk(c)},
        allowed=("ms_li",),
        refused=("admin_zhang", "mr_wang", "alice", "dave", "erin"),
        notes="only the resolution's owner closes it",
    ),
    "events:parent_school": HEAD_OF_CLASS1,
    "events:rules": ADMIN_PAGE,
    "events:conference_new": Route(
        allowed=("ms_li", "mr_wang", "admin_zhang"), refused=("alice", "erin"), own_only=("dave",)
    ),
    "events:conference": Route(
        kwargs=lambda c: {"conference_id": _conference_pk(c)},
        allowed=("ms_li", "admin_zhang", "alice", "bob"),
        refused=("mr_wang", "carol", "dave", "erin"),
    ),
    "events:calendar": Route(allowed=("alice", "ms_li"), own_only=("dave", "erin")),
    "events:calendar_revoke": Route(method="post", allowed=("alice", "ms_li"), own_only=("dave", "erin")),
    "events:feed": Route(
        public=True,
        kwargs=lambda c: {"token": _feed_token(c)},
        notes="the secret token is the key; revoked and unknown tokens: events/tests/test_calendar.py",
    ),
    "api:event_list": Route(
        api=True,
        allowed=("ms_li", "admin_zhang"),
        refused=("alice", "erin"),
        own_only=("dave",),
        shows={"ms_li": ("阳光家长会",), "admin_zhang": ("阳光家长会",)},
    ),
    "api:event_create": Route(
        api=True,
        method="post",
        data=lambda c: {
            "title": "家长会",
            "starts_at": "2030-01-10T19:00:00+08:00",
            "ends_at": "2030-01-10T21:00:00+08:00",
            "place": "教室",
            "targets": [{"kind": "class", "class_id": c.class1.pk}],
        },
        allowed=("ms_li", "admin_zhang"),
        refused=("alice", "erin"),
        notes="dave (school B) may not invite school A's class: 400, events/tests/test_events.py",
    ),
    "api:event_change": Route(
        **{
            **EVENT_MANAGER.__dict__,
            "api": True,
            "method": "post",
            "data": lambda c: {
                "title": "家长会（改）",
                "starts_at": "2030-01-10T19:00:00+08:00",
                "ends_at": "2030-01-10T21:00:00+08:00",
                "place": "礼堂",
            },
        }
    ),
    "api:event_cancel": Route(**{**EVENT_MANAGER.__dict__, "api": True, "method": "post"}),
    "api:event_attendance": Route(**{**EVENT_MANAGER.__dict__, "api": True}),
    "api:event_checkin": Route(
        **{
            **EVENT_MANAGER.__dict__,
            "api": True,
            "method": "post",
            "data": lambda c: {"code": "1-000000"},
            "allowed": (),
            "notes": "a wrong code is a 400 for the managers (events/tests); others get 404",
        }
    ),
    "api:event_minutes": Route(
        **{
            **EVENT_MANAGER.__dict__,
            "api": True,
            "method": "post",
            "data": lambda c: {"minutes": ""},
            "allowed": (),
            "notes": "empty minutes are a 400 for the managers (events/tests); others get 404",
        }
    ),
    "api:event_invitation": Route(**{**EVENT_INVITED.__dict__, "api": True}),
    "api:event_rsvp": Route(
        **{**EVENT_INVITED.__dict__, "api": True, "method": "post", "data": lambda c: {"answer": "yes"}}
    ),
    "api:event_reflection": Route(
        **{
            **EVENT_INVITED.__dict__,
            "api": True,
            "method": "post",
            "data": lambda c: {"text": "收获很多"},
            "allowed": (),
            "notes": "a parent meeting takes no reflection: 400 for alice and bob (events/tests); others get 404",
        }
    ),
    "api:class_parent_school": Route(**{**HEAD_OF_CLASS1.__dict__, "api": True}),
    "api:conference_book": Route(
        api=True,
        method="post",
        kwargs=lambda c: {"conference_id": _conference_pk(c)},
        data=lambda c: {"slot_id": 0},
        refused=("mr_wang", "carol", "dave", "erin"),
        notes="booking: events/tests/test_conferences.py; a wrong slot is a 400 for families",
    ),
    "api:my_calendar": Route(api=True, allowed=("alice", "ms_li"), own_only=("dave", "erin")),
    "chat:list": Route(allowed=("alice", "ms_li"), own_only=("dave", "erin")),
    "chat:search": Route(allowed=("alice", "ms_li"), own_only=("dave", "erin")),
    "chat:start": Route(
        method="post",
        data=lambda c: {"student": c.alice_child.pk},
        allowed=("ms_li", "mr_wang", "admin_zhang", "alice"),
        refused=("bob", "carol", "dave", "erin"),
        notes="alice writes to her child's head teacher; staff write to the child's family",
    ),
    "chat:new_staff_group": Route(
        method="post",
        data=lambda c: {"title": "三年级组"},
        allowed=("ms_li", "admin_zhang"),
        refused=("alice", "erin"),
        own_only=("dave",),
    ),
    "chat:quiet_hours": Route(allowed=("ms_li", "admin_zhang"), refused=("alice", "erin"), own_only=("dave",)),
    "chat:conversation": CHAT_MEMBER,
    "chat:manage": Route(
        **{**CHAT_MEMBER.__dict__, "method": "post", "data": lambda c: {"op": "hide_read", "hide": "1"}}
    ),
    "chat:export": Route(
        kwargs=lambda c: {"conversation_id": _class_group_pk(c)},
        allowed=("ms_li", "mr_wang", "admin_zhang"),
        refused=("alice", "bob", "carol", "dave", "erin"),
    ),
    "chat:recall": Route(
        method="post",
        kwargs=_chat_message_kwargs,
        allowed=("ms_li", "alice"),
        refused=("carol", "dave", "erin"),
        notes="recalling another's message is refused with a message (redirect): chat/tests",
    ),
    "chat:remove": Route(
        method="post",
        kwargs=_chat_message_kwargs,
        data=lambda c: {"reason": "不妥"},
        allowed=("ms_li", "alice"),
        refused=("carol", "dave", "erin"),
        notes="only moderators remove; a member who may not is told so (redirect): chat/tests",
    ),
    "chat:file": Route(
        kwargs=_chat_message_kwargs, allowed=("ms_li", "alice", "bob"), refused=("carol", "dave", "erin")
    ),
    "api:conversation_list": Route(api=True, allowed=("alice", "ms_li"), own_only=("dave", "erin")),
    "api:conversation_messages": Route(**{**CHAT_MEMBER.__dict__, "api": True}),
    "api:conversation_send": Route(
        **{**CHAT_MEMBER.__dict__, "api": True, "method": "post", "data": lambda c: {"body": "老师好"}}
    ),
    "api:conversation_read": Route(
        **{**CHAT_MEMBER.__dict__, "api": True, "method": "post", "data": lambda c: {"up_to": 1}}
    ),
    "api:chat_search": Route(api=True, allowed=("alice", "ms_li"), own_only=("dave", "erin")),
    "ws:ws_chat": Route(notes="chat/tests/test_consumers.py: anonymous, outsiders, forged ids, removed members"),
    "set_language": Route(method="post", data=lambda c: {"language": "en"}, public=True, expected_public_status=(302,)),
    "healthz": Route(public=True),
    "api_docs": Route(public=True, notes="the OpenAPI description is public; it holds no data"),
    "api:openapi-json": Route(public=True, api=True),
    "api:api-root": Route(public=True, api=True, expected_public_status=(404,)),
    "api:create_token": Route(
        method="post",
        public=True,
        api=True,
        data=lambda c: {"identifier": "nobody", "password": "x"},
        expected_public_status=(400,),
    ),
    "api:revoke_token": Route(method="delete", api=True, notes="tested with tokens in accounts/tests/test_api.py"),
    "api:me": Route(api=True, allowed=ANY_SIGNED_IN, own_only=("dave", "erin")),
    "api:my_children": Route(api=True, allowed=("alice",), own_only=("dave", "erin")),
    "api:my_classes": Route(api=True, allowed=("ms_li", "mr_wang"), own_only=("dave", "erin")),
    "api:class_roster": Route(
        api=True,
        kwargs=lambda c: {"class_id": c.class1.pk},
        allowed=("admin_zhang", "ms_li", "mr_wang"),
        refused=("alice", "carol", "dave", "erin"),
    ),
    # Volunteers (community, issue 14).
    "community:volunteer_home": Route(allowed=("alice", "carol"), refused=("ms_li", "mr_wang"), own_only=("erin",)),
    "community:volunteer_join": Route(
        method="post",
        data=lambda c: {"availability": "周末"},
        allowed=("alice",),
        refused=("ms_li",),
        own_only=("erin",),
    ),
    "community:volunteer_archive": VOLUNTEER_ARCHIVE,
    "community:activity_list": Route(allowed=("ms_li", "admin_zhang"), refused=("alice", "erin"), own_only=("dave",)),
    "community:activity_new": Route(allowed=("ms_li", "admin_zhang"), refused=("alice", "erin"), own_only=("dave",)),
    "community:activity_family": ACTIVITY_FAMILY,
    "community:activity_manage": ACTIVITY_MANAGER,
    "community:activity_checkin": Route(
        **{**ACTIVITY_MANAGER.__dict__, "method": "post", "data": lambda c: {"code": "x"}}
    ),
    "community:activity_cancel": Route(**{**ACTIVITY_MANAGER.__dict__, "method": "post"}),
    "community:slot_signup": Route(
        method="post",
        kwargs=lambda c: {"slot_id": _volunteer_world(c)["slot"]},
        allowed=("alice", "bob"),
        refused=("carol", "ms_li", "dave", "erin"),
    ),
    "community:signup_code": OWN_SIGNUP,
    "community:signup_withdraw": Route(**{**OWN_SIGNUP.__dict__, "method": "post"}),
    "community:class_volunteers": CLASS1_VOLUNTEERS,
    "community:class_volunteers_export": CLASS1_VOLUNTEERS,
    "api:volunteer_me": Route(api=True, allowed=("alice", "carol"), refused=("ms_li",), own_only=("erin",)),
    "api:volunteer_join": Route(
        api=True,
        method="post",
        data=lambda c: {"availability": "周末"},
        allowed=("alice",),
        refused=("ms_li",),
        own_only=("erin",),
    ),
    "api:volunteer_activities": Route(api=True, allowed=("alice",), refused=("ms_li",), own_only=("erin",)),
    "api:volunteer_activity": Route(**{**ACTIVITY_FAMILY.__dict__, "api": True}),
    "api:volunteer_slot_signup": Route(
        api=True,
        method="post",
        kwargs=lambda c: {"slot_id": _volunteer_world(c)["slot"]},
        allowed=(),
        refused=("carol", "ms_li", "dave", "erin"),
        notes="alice holds the place already (a 400); taking a place: community/tests/test_volunteers.py",
    ),
    "api:volunteer_signup_withdraw": Route(**{**OWN_SIGNUP.__dict__, "api": True, "method": "post"}),
    "api:volunteer_archive": Route(**{**VOLUNTEER_ARCHIVE.__dict__, "api": True}),
    "api:class_volunteers": Route(**{**CLASS1_VOLUNTEERS.__dict__, "api": True}),
    "api:volunteer_activity_create": Route(
        api=True,
        method="post",
        data=_activity_payload,
        allowed=("ms_li", "admin_zhang"),
        refused=("mr_wang", "alice", "dave", "erin"),
    ),
    "api:volunteer_activity_list": Route(
        api=True, allowed=("ms_li", "admin_zhang"), refused=("alice", "erin"), own_only=("dave",)
    ),
    "api:volunteer_activity_sheet": Route(**{**ACTIVITY_MANAGER.__dict__, "api": True}),
    "api:volunteer_activity_checkin": Route(
        **{
            **ACTIVITY_MANAGER.__dict__,
            "api": True,
            "method": "post",
            "data": lambda c: {"code": "V1-000000"},
            "allowed": (),
            "notes": "a wrong code is a 400 for the managers (community/tests/test_volunteers.py); others get 404",
        }
    ),
    "api:volunteer_activity_cancel": Route(**{**ACTIVITY_MANAGER.__dict__, "api": True, "method": "post"}),
    # Recognition (reports, issue 14).
    "plans:plan": Route(allowed=("admin_zhang", "ms_li", "mr_wang"), refused=("alice", "erin"), own_only=("dave",)),
    "plans:adopt": Route(**{**ADMIN_PAGE.__dict__, "method": "post", "data": lambda c: {"source": "template"}}),
    "plans:add_task": Route(
        **{
            **PLAN_ADMIN.__dict__,
            "data": lambda c: {"title": "开放日", "due_on": c.term.start_date.isoformat(), "owner_kind": "all_heads"},
        }
    ),
    "plans:issue": PLAN_ADMIN,
    "plans:task": CLASS1_PLAN_TASK,
    "plans:evidence_file": Route(
        kwargs=lambda c: {"task_id": _class1_plan_task_pk(c, with_file=True)},
        allowed=("admin_zhang", "ms_li"),
        refused=("mr_wang", "alice", "carol", "dave", "erin"),
    ),
    "plans:edit_task": Route(
        method="post",
        kwargs=lambda c: {"task_id": _school_plan_task_pk(c)},
        data=lambda c: {"title": "开放日", "due_on": c.term.start_date.isoformat(), "owner_id": c.admin_zhang.pk},
        allowed=("admin_zhang",),
        refused=("ms_li", "mr_wang", "alice", "dave", "erin"),
    ),
    "api:plan_task_edit": Route(
        api=True,
        method="post",
        kwargs=lambda c: {"task_id": _school_plan_task_pk(c)},
        data=lambda c: {"title": "开放日", "due_on": c.term.start_date.isoformat(), "owner_id": c.admin_zhang.pk},
        allowed=("admin_zhang",),
        refused=("ms_li", "mr_wang", "alice", "dave", "erin"),
    ),
    "api:plan_current": Route(
        api=True, allowed=("admin_zhang", "ms_li", "mr_wang"), refused=("alice", "erin"), own_only=("dave",)
    ),
    "api:plan_adopt": Route(**{**ADMIN_PAGE.__dict__, "api": True, "method": "post", "data": lambda c: {}}),
    "api:plan_add_task": Route(
        **{
            **PLAN_ADMIN.__dict__,
            "api": True,
            "data": lambda c: {"title": "开放日", "due_on": c.term.start_date.isoformat(), "owner_kind": "all_heads"},
        }
    ),
    "api:plan_issue": Route(**{**PLAN_ADMIN.__dict__, "api": True}),
    "api:plan_task": Route(**{**CLASS1_PLAN_TASK.__dict__, "api": True}),
    "api:plan_task_update": Route(
        **{**CLASS1_PLAN_TASK.__dict__, "api": True, "method": "post", "data": lambda c: {"status": "in_progress"}}
    ),
    "reports:recognition": ADMIN_PAGE,
    "reports:commend": Route(**{**ADMIN_PAGE.__dict__, "method": "post", "data": lambda c: {"kind": "teacher"}}),
    "reports:certificate": CERTIFICATE,
    "api:engagement": Route(**{**ADMIN_PAGE.__dict__, "api": True}),
    "api:commendation_list": Route(**{**ADMIN_PAGE.__dict__, "api": True}),
    "api:commendation_create": Route(
        api=True,
        method="post",
        data=lambda c: {"kind": "teacher", "person_id": 0, "award": "x", "citation": "x"},
        refused=("ms_li", "mr_wang", "alice", "erin"),
        notes="no one to commend here (a 400 for admins); commending: reports/tests/test_recognition.py",
    ),
    "api:commendation_certificate": Route(**{**CERTIFICATE.__dict__, "api": True}),
    # The yearly summary and the archive (reports, issue 15).
    "reports:summaries": ADMIN_PAGE,
    "reports:summary_draft": Route(**{**ADMIN_PAGE.__dict__, "method": "post", "data": lambda c: {"year": 2026}}),
    "reports:summary": SUMMARY_ADMIN,
    "reports:summary_section": Route(
        **{
            **SUMMARY_ADMIN.__dict__,
            "method": "post",
            "kwargs": lambda c: {"summary_id": _summary_pk(c), "key": "plan"},
            "data": lambda c: {"text": "改写"},
        }
    ),
    "reports:summary_issue": Route(**{**SUMMARY_ADMIN.__dict__, "method": "post"}),
    "reports:summary_document": Route(
        **{**SUMMARY_ADMIN.__dict__, "kwargs": lambda c: {"summary_id": _summary_pk(c), "kind": "docx"}}
    ),
    "reports:archive": Route(
        allowed=("admin_zhang", "ms_li"), refused=("mr_wang", "alice", "erin"), own_only=("dave",)
    ),
    "reports:archive_class": CLASS1_ARCHIVE,
    "reports:archive_grade": GRADE3_ARCHIVE,
    "api:summary_list": Route(**{**ADMIN_PAGE.__dict__, "api": True}),
    "api:summary_draft": Route(
        api=True,
        method="post",
        data=lambda c: {"year": 2026},
        refused=("ms_li", "mr_wang", "alice", "erin"),
        notes="no records to summarise here (a 400 for admins); drafting: reports/tests/test_summary.py",
    ),
    "api:summary_detail": Route(**{**SUMMARY_ADMIN.__dict__, "api": True}),
    "api:summary_section_edit": Route(
        **{
            **SUMMARY_ADMIN.__dict__,
            "api": True,
            "method": "post",
            "kwargs": lambda c: {"summary_id": _summary_pk(c), "key": "plan"},
            "data": lambda c: {"text": "改写"},
        }
    ),
    "api:summary_issue": Route(**{**SUMMARY_ADMIN.__dict__, "api": True, "method": "post"}),
    "api:summary_document": Route(
        **{**SUMMARY_ADMIN.__dict__, "api": True, "kwargs": lambda c: {"summary_id": _summary_pk(c), "kind": "docx"}}
    ),
    "api:archive_class": Route(**{**CLASS1_ARCHIVE.__dict__, "api": True}),
    "api:archive_grade": Route(**{**GRADE3_ARCHIVE.__dict__, "api": True}),
    # The rhythm and the dashboards (reports, issue 15).
    "reports:dashboard": ADMIN_PAGE,
    "reports:dashboard_mine": Route(
        allowed=("admin_zhang", "ms_li"), refused=("mr_wang", "alice", "erin"), own_only=("dave",)
    ),
    "reports:dashboard_class": HEAD_OF_CLASS1,
    "reports:dashboard_teachers": Route(
        allowed=("admin_zhang", "ms_li", "mr_wang"), refused=("alice", "erin"), own_only=("dave",)
    ),
    "reports:dashboard_workload": ADMIN_PAGE,
    "reports:dashboard_rules": ADMIN_PAGE,
    "api:dashboard": Route(**{**ADMIN_PAGE.__dict__, "api": True}),
    "api:dashboard_class": Route(**{**HEAD_OF_CLASS1.__dict__, "api": True}),
    "api:dashboard_teachers": Route(
        api=True, allowed=("admin_zhang", "ms_li", "mr_wang"), refused=("alice", "erin"), own_only=("dave",)
    ),
    "api:dashboard_workload": Route(**{**ADMIN_PAGE.__dict__, "api": True}),
    "api:rhythm_rules": Route(**{**ADMIN_PAGE.__dict__, "api": True}),
    "api:rhythm_rules_save": Route(
        **{
            **ADMIN_PAGE.__dict__,
            "api": True,
            "method": "post",
            "data": lambda c: {
                "updates_per_week": 1,
                "themed_per_month": 1,
                "meetings_per_term": 2,
                "parent_school_per_term": 1,
                "trainings_per_term": 1,
                "coverage_percent": 100,
                "follow_up_percent": 100,
                "evaluation_percent": 60,
            },
        }
    ),
    "community:duty_list": Route(
        allowed=("ms_li", "admin_zhang", "mr_wang"), refused=("alice", "erin"), own_only=("dave",)
    ),
    "community:duty_roster": DUTY_ROSTER_MANAGER,
    "community:duty_mine": Route(allowed=("alice", "bob", "ms_li"), own_only=("dave", "erin")),
    "community:quant_compare": ADMIN_PAGE,
    "community:quant_categories": ADMIN_PAGE,
    "community:quant_class": Route(
        kwargs=lambda c: {"class_id": c.class1.pk},
        allowed=("admin_zhang", "ms_li", "mr_wang"),
        refused=("alice", "carol", "dave", "erin"),
    ),
    "api:duty_rosters": Route(
        api=True, allowed=("ms_li", "admin_zhang"), refused=("alice", "erin"), own_only=("dave",)
    ),
    "api:duty_roster_create": Route(
        api=True,
        method="post",
        data=lambda c: {"title": "护学岗", "class_id": c.class1.pk},
        allowed=("ms_li", "admin_zhang"),
        refused=("mr_wang", "alice", "dave", "erin"),
    ),
    "api:duty_roster": Route(**{**DUTY_ROSTER_MANAGER.__dict__, "api": True}),
    "api:duty_add_shifts": Route(
        **{
            **DUTY_ROSTER_MANAGER.__dict__,
            "api": True,
            "method": "post",
            "data": lambda c: {"first": "2099-01-05", "starts_at": "07:20", "ends_at": "08:00", "place": "东门"},
        }
    ),
    "api:duty_propose": Route(**{**DUTY_ROSTER_MANAGER.__dict__, "api": True, "method": "post"}),
    "api:duty_publish": Route(**{**DUTY_ROSTER_MANAGER.__dict__, "api": True, "method": "post"}),
    "api:duty_set_families": Route(
        **{
            **DUTY_ROSTER_MANAGER.__dict__,
            "kwargs": _duty_shift_kwargs,
            "api": True,
            "method": "post",
            "data": lambda c: {"family_ids": []},
        }
    ),
    "api:duty_standby": Route(
        **{
            **DUTY_ROSTER_MANAGER.__dict__,
            "api": True,
            "method": "post",
            "data": lambda c: {"shift_id": 0, "family_id": 0},
            "allowed": (),
            "notes": "an unknown shift is a 400 for the managers (community/tests/test_duty.py); others get 404",
        }
    ),
    "api:duty_attendance": Route(
        api=True,
        method="post",
        kwargs=lambda c: {"assignment_id": _duty_assignment_pk(c)},
        data=lambda c: {"status": "done"},
        refused=("mr_wang", "alice", "carol", "dave", "erin"),
        notes="a shift not begun is a 400 for the managers (community/tests/test_duty.py); others get 404",
    ),
    "api:duty_mine": Route(api=True, allowed=("alice", "ms_li"), own_only=("dave", "erin")),
    "api:duty_checkin": Route(
        api=True,
        method="post",
        kwargs=lambda c: {"assignment_id": _duty_assignment_pk(c)},
        data=lambda c: {"code": "000000"},
        notes="a wrong code or a shift not today is a 400 for alice (community/tests/test_duty.py)",
        refused=DUTY_FAMILY_REFUSED,
    ),
    "api:duty_swap": Route(
        api=True,
        method="post",
        kwargs=lambda c: {"assignment_id": _duty_assignment_pk(c)},
        data=lambda c: {"to_family_id": 0},
        notes="a family not on the roster is a 400 for alice (community/tests/test_duty.py)",
        refused=DUTY_FAMILY_REFUSED,
    ),
    "api:duty_swap_answer": Route(
        api=True,
        method="post",
        kwargs=lambda c: {"swap_id": _duty_swap_pk(c)},
        data=lambda c: {"accept": False},
        allowed=("bob",),
        refused=("alice", "carol", "ms_li", "dave", "erin"),
    ),
    "api:duty_standby_answer": Route(
        api=True,
        method="post",
        kwargs=lambda c: {"assignment_id": _duty_assignment_pk(c)},
        data=lambda c: {"accept": True},
        notes="a shift not asked of the family is a 400 for alice (community/tests/test_duty.py)",
        refused=DUTY_FAMILY_REFUSED,
    ),
    "api:duty_unavailable": Route(
        api=True,
        method="post",
        kwargs=lambda c: {"family_id": _duty_family_pk(c)},
        data=lambda c: {"dates": []},
        allowed=("alice",),
        refused=DUTY_FAMILY_REFUSED,
    ),
    "api:quant_class": Route(
        api=True,
        kwargs=lambda c: {"class_id": c.class1.pk},
        allowed=("admin_zhang", "ms_li", "mr_wang"),
        refused=("alice", "carol", "dave", "erin"),
    ),
    "api:quant_add_item": Route(
        api=True,
        method="post",
        kwargs=lambda c: {"class_id": c.class1.pk},
        data=lambda c: {"category_id": 0, "reason": "x"},
        refused=("mr_wang", "alice", "carol", "dave", "erin"),
        notes="an unknown category is a 400 for the head teacher and admins (community/tests/test_duty.py)",
    ),
    "api:quant_compare": Route(**{**ADMIN_PAGE.__dict__, "api": True}),
    "api:quant_categories": Route(**{**ADMIN_PAGE.__dict__, "api": True}),
    "api:quant_category_save": Route(
        **{**ADMIN_PAGE.__dict__, "api": True, "method": "post", "data": lambda c: {"name": "出勤", "points": 1}}
    ),
    # community: committees
    "community:committee_class": HEAD_OF_CLASS1,
    "community:committee": COMMITTEE_SEEN,
    "community:committee_add_member": Route(
        method="post",
        kwargs=lambda c: {"committee_id": _committee_pk(c)},
        data=lambda c: {"guardian": str(_class1_grandparent_pk(c)), "role": "member"},
        allowed=("ms_li", "admin_zhang"),
        refused=("mr_wang", "alice", "bob", "carol", "dave", "erin"),
    ),
    "community:committee_change_member": Route(
        method="post",
        kwargs=lambda c: {"member_id": _committee_seat_pk(c, c.bob)},
        data=lambda c: {"role": "vice_chair"},
        allowed=("ms_li", "admin_zhang"),
        refused=("mr_wang", "alice", "bob", "carol", "dave", "erin"),
    ),
    "community:committee_write": Route(
        method="post",
        kwargs=lambda c: {"member_id": _committee_seat_pk(c, c.alice)},
        data=lambda c: {"text": "你好"},
        allowed=("bob",),
        refused=("ms_li", "mr_wang", "carol", "dave", "erin"),
    ),
    "community:committee_reply": Route(
        method="post",
        kwargs=lambda c: {"message_id": _committee_message_pk(c)},
        data=lambda c: {"text": "下周一"},
        allowed=("alice", "ms_li", "admin_zhang"),
        refused=("bob", "mr_wang", "carol", "dave", "erin"),
    ),
    "community:committee_school": ADMIN_PAGE,
    "community:committee_mine": Route(allowed=("alice", "bob", "carol"), refused=("ms_li", "dave"), own_only=("erin",)),
    "api:committee_of_class": Route(**{**HEAD_OF_CLASS1.__dict__, "api": True}),
    "api:committee_start_for_class": Route(
        **{**HEAD_OF_CLASS1.__dict__, "api": True, "method": "post", "data": lambda c: {"carry_over": True}}
    ),
    "api:committee_school_list": Route(**{**ADMIN_PAGE.__dict__, "api": True}),
    "api:committee_school_start": Route(
        api=True,
        method="post",
        data=lambda c: {"level": "school"},
        allowed=("admin_zhang", "dave"),  # each in their own school (it answers 201 with an id only)
        refused=("ms_li", "mr_wang", "alice", "erin"),
    ),
    "api:committee_mine": Route(
        api=True, allowed=("alice", "bob", "carol"), refused=("ms_li", "dave"), own_only=("erin",)
    ),
    "api:committee_detail": Route(**{**COMMITTEE_SEEN.__dict__, "api": True}),
    "api:committee_member_add": Route(
        api=True,
        method="post",
        kwargs=lambda c: {"committee_id": _committee_pk(c)},
        data=lambda c: {"guardian_id": _class1_grandparent_pk(c), "role": "member"},
        allowed=("ms_li", "admin_zhang"),
        refused=("mr_wang", "alice", "bob", "carol", "dave", "erin"),
    ),
    "api:committee_member_role": Route(
        api=True,
        method="post",
        kwargs=lambda c: {"member_id": _committee_seat_pk(c, c.bob)},
        data=lambda c: {"role": "vice_chair"},
        allowed=("ms_li", "admin_zhang"),
        refused=("mr_wang", "alice", "bob", "carol", "dave", "erin"),
    ),
    "api:committee_member_leave": Route(
        api=True,
        method="post",
        kwargs=lambda c: {"member_id": _committee_seat_pk(c, c.bob)},
        allowed=("ms_li", "admin_zhang"),
        refused=("mr_wang", "alice", "bob", "carol", "dave", "erin"),
    ),
    "api:committee_message_send": Route(
        api=True,
        method="post",
        kwargs=lambda c: {"member_id": _committee_seat_pk(c, c.alice)},
        data=lambda c: {"text": "你好"},
        allowed=("bob",),
        refused=("ms_li", "mr_wang", "carol", "dave", "erin"),
    ),
    "api:committee_message_reply": Route(
        api=True,
        method="post",
        kwargs=lambda c: {"message_id": _committee_message_pk(c)},
        data=lambda c: {"text": "下周一"},
        allowed=("alice", "ms_li", "admin_zhang"),
        refused=("bob", "mr_wang", "carol", "dave", "erin"),
    ),
    # community: working groups
    "community:working_groups": ADMIN_PAGE,
    "community:working_groups_mine": Route(allowed=ANY_SIGNED_IN, own_only=("dave", "erin")),
    "community:working_group": GROUP_SEEN,
    "community:working_group_add": Route(
        method="post",
        kwargs=lambda c: {"group_id": _working_group_pk(c)},
        data=lambda c: {"staff": str(_member_pk(c, c.mr_wang)), "role": "member"},
        allowed=("admin_zhang",),
        refused=("ms_li", "mr_wang", "alice", "dave", "erin"),
    ),
    "community:working_group_member": Route(
        method="post",
        kwargs=lambda c: {"member_id": _working_group_seat_pk(c)},
        data=lambda c: {"role": "deputy"},
        allowed=("admin_zhang",),
        refused=("ms_li", "mr_wang", "alice", "dave", "erin"),
    ),
    "api:working_group_list": Route(**{**ADMIN_PAGE.__dict__, "api": True}),
    "api:working_group_create": Route(
        api=True,
        method="post",
        data=lambda c: {"name": "家校共育工作室领导小组"},
        allowed=("admin_zhang", "dave"),  # each in their own school (the answer is its id and name only)
        refused=("ms_li", "mr_wang", "alice", "erin"),
    ),
    "api:working_group_mine": Route(api=True, allowed=ANY_SIGNED_IN, own_only=("dave", "erin")),
    "api:working_group_detail": Route(**{**GROUP_SEEN.__dict__, "api": True}),
    "api:working_group_member_add": Route(
        api=True,
        method="post",
        kwargs=lambda c: {"group_id": _working_group_pk(c)},
        data=lambda c: {"staff_member_id": _member_pk(c, c.mr_wang)},
        allowed=("admin_zhang",),
        refused=("ms_li", "mr_wang", "alice", "dave", "erin"),
    ),
    "api:working_group_member_change": Route(
        api=True,
        method="post",
        kwargs=lambda c: {"member_id": _working_group_seat_pk(c)},
        data=lambda c: {"role": "deputy"},
        allowed=("admin_zhang",),
        refused=("ms_li", "mr_wang", "alice", "dave", "erin"),
    ),
    # community: fund
    "community:fund": FUND_SEEN,
    "community:fund_record": Route(
        method="post",
        kwargs=lambda c: {"class_id": (_committee_pk(c), c.class1.pk)[1]},
        data=lambda c: {"kind": "income", "amount": "10", "occurred_on": "2026-01-05", "purpose": "班费"},
        allowed=("bob",),
        refused=("alice", "ms_li", "mr_wang", "carol", "dave", "erin"),
    ),
    "community:fund_keeper": Route(
        method="post",
        kwargs=lambda c: {"class_id": c.class1.pk},
        data=lambda c: {"guardian": ""},
        allowed=("ms_li", "admin_zhang"),
        refused=("mr_wang", "alice", "bob", "carol", "dave", "erin"),
    ),
    "community:fund_countersign": Route(
        method="post",
        kwargs=lambda c: {"entry_id": _fund_entry_pk(c)},
        allowed=("alice",),
        refused=("ms_li", "mr_wang", "carol", "dave", "erin"),
    ),
    "community:fund_reverse": Route(
        method="post",
        kwargs=lambda c: {"entry_id": _fund_entry_pk(c, signed=True)},
        data=lambda c: {"reason": "记错了"},
        allowed=("bob",),
        refused=("alice", "ms_li", "mr_wang", "carol", "dave", "erin"),
    ),
    "community:fund_decline": Route(
        method="post",
        kwargs=lambda c: {"entry_id": _fund_entry_pk(c)},
        data=lambda c: {"reason": "金额不对"},
        allowed=("alice", "bob"),
        refused=("ms_li", "mr_wang", "carol", "dave", "erin"),
    ),
    "community:fund_receipt": Route(
        kwargs=lambda c: {"entry_id": _fund_entry_pk(c, kind="expense")},
        allowed=("alice", "bob", "ms_li", "admin_zhang"),
        refused=("carol", "mr_wang", "dave", "erin"),
    ),
    "community:fund_ask": Route(
        method="post",
        kwargs=lambda c: {"entry_id": _fund_entry_pk(c)},
        data=lambda c: {"text": "收了多少户？"},
        allowed=("alice", "bob"),
        refused=("ms_li", "mr_wang", "carol", "dave", "erin"),
    ),
    "community:fund_answer": Route(
        method="post",
        kwargs=lambda c: {"question_id": _fund_question_pk(c)},
        data=lambda c: {"text": "四十户"},
        allowed=("bob", "ms_li", "admin_zhang"),
        refused=("alice", "mr_wang", "carol", "dave", "erin"),
    ),
    "community:fund_mine": Route(allowed=("alice", "bob", "carol"), refused=("ms_li", "dave"), own_only=("erin",)),
    "api:fund_ledger": Route(**{**FUND_SEEN.__dict__, "api": True}),
    "api:fund_mine": Route(api=True, allowed=("alice", "bob", "carol"), refused=("ms_li", "dave"), own_only=("erin",)),
    "api:fund_entry_create": Route(
        api=True,
        method="post",
        kwargs=lambda c: {"class_id": (_committee_pk(c), c.class1.pk)[1]},
        data=lambda c: {"kind": "income", "amount": "10", "occurred_on": "2026-01-05", "purpose": "班费"},
        allowed=("bob",),
        refused=("alice", "ms_li", "mr_wang", "carol", "dave", "erin"),
        extra={"multipart": True},
    ),
    "api:fund_keeper_name": Route(
        api=True,
        method="post",
        kwargs=lambda c: {"class_id": c.class1.pk},
        data=lambda c: {"guardian_id": None},
        allowed=("ms_li", "admin_zhang"),
        refused=("mr_wang", "alice", "bob", "carol", "dave", "erin"),
    ),
    "api:fund_entry_countersign": Route(
        api=True,
        method="post",
        kwargs=lambda c: {"entry_id": _fund_entry_pk(c)},
        allowed=("alice",),
        refused=("ms_li", "mr_wang", "carol", "dave", "erin"),
    ),
    "api:fund_entry_reverse": Route(
        api=True,
        method="post",
        kwargs=lambda c: {"entry_id": _fund_entry_pk(c, signed=True)},
        data=lambda c: {"reason": "记错了"},
        allowed=("bob",),
        refused=("alice", "ms_li", "mr_wang", "carol", "dave", "erin"),
    ),
    "api:fund_entry_decline": Route(
        api=True,
        method="post",
        kwargs=lambda c: {"entry_id": _fund_entry_pk(c)},
        data=lambda c: {"reason": "金额不对"},
        allowed=("alice", "bob"),
        refused=("ms_li", "mr_wang", "carol", "dave", "erin"),
    ),
    "api:fund_entry_ask": Route(
        api=True,
        method="post",
        kwargs=lambda c: {"entry_id": _fund_entry_pk(c)},
        data=lambda c: {"text": "收了多少户？"},
        allowed=("alice", "bob"),
        refused=("ms_li", "mr_wang", "carol", "dave", "erin"),
    ),
    "api:fund_question_answer": Route(
        api=True,
        method="post",
        kwargs=lambda c: {"question_id": _fund_question_pk(c)},
        data=lambda c: {"text": "四十户"},
        allowed=("bob", "ms_li", "admin_zhang"),
        refused=("alice", "mr_wang", "carol", "dave", "erin"),
    ),
    "feedback:new": Route(allowed=("alice", "ms_li"), own_only=("dave", "erin")),
    "feedback:mine": Route(allowed=("alice", "carol"), own_only=("dave", "erin")),
    "feedback:follow": FEEDBACK_FOLLOW,
    "feedback:detail": FEEDBACK_AUTHOR,
    "feedback:inbox": Route(allowed=("ms_li", "admin_zhang"), refused=("alice", "erin"), own_only=("dave",)),
    "feedback:handle": FEEDBACK_HANDLER,
    "feedback:rectification_close": FEEDBACK_RECT,
    "feedback:routes": ADMIN_PAGE,
    "feedback:report": ADMIN_PAGE,
    "feedback:public": Route(allowed=("alice", "ms_li"), own_only=("dave", "erin")),
    "api:feedback_places": Route(api=True, allowed=("alice", "ms_li"), own_only=("dave", "erin")),
    "api:feedback_submit": Route(
        api=True,
        method="post",
        data=lambda c: {"school_id": c.school.pk, "class_id": c.class1.pk, "kind": "class", "text": "建议"},
        allowed=("alice", "ms_li"),
        refused=("carol", "dave", "erin"),
    ),
    "api:feedback_mine": Route(api=True, allowed=("alice",), own_only=("dave", "erin")),
    "api:feedback_follow": Route(**{**FEEDBACK_FOLLOW.__dict__, "api": True}),
    "api:feedback_detail": Route(**{**FEEDBACK_AUTHOR.__dict__, "api": True}),
    "api:feedback_inbox": Route(
        api=True, allowed=("ms_li", "admin_zhang"), refused=("alice", "erin"), own_only=("dave",)
    ),
    "api:feedback_handle": Route(**{**FEEDBACK_HANDLER.__dict__, "api": True}),
    "api:feedback_step": Route(
        **{**FEEDBACK_HANDLER.__dict__, "api": True, "method": "post", "data": lambda c: {"step": "acknowledge"}}
    ),
    "api:feedback_rectification_close": Route(**{**FEEDBACK_RECT.__dict__, "api": True}),
    "api:feedback_routes": Route(**{**ADMIN_PAGE.__dict__, "api": True}),
    "api:feedback_route_set": Route(
        **{
            **ADMIN_PAGE.__dict__,
            "api": True,
            "method": "post",
            "data": lambda c: {"kind": "canteen", "head_teacher": True, "ack_hours": 24},
        }
    ),
    "api:feedback_report": Route(**{**ADMIN_PAGE.__dict__, "api": True}),
    "api:feedback_public": Route(api=True, allowed=("alice", "ms_li"), own_only=("dave", "erin")),
    "publishing:column": PUB_SCHOOL_LIST,
    "publishing:staff_space": Route(allowed=("ms_li", "admin_zhang"), refused=("alice", "erin"), own_only=("dave",)),
    "publishing:write": Route(allowed=("ms_li",), refused=("alice", "erin"), own_only=("dave",)),
    "publishing:write_invited": Route(
        kwargs=lambda c: {"invitation_id": _publishing(c)["invitation"]},
        allowed=("alice",),
        refused=("bob", "carol", "ms_li", "dave", "erin"),
    ),
    "publishing:mine": PUB_SCHOOL_LIST,
    "publishing:review_queue": PUB_EDITOR,
    "publishing:invite": PUB_EDITOR,
    "publishing:editors": PUB_EDITOR,
    "publishing:public_notices": PUB_EDITOR,
    "publishing:article": PUB_READ,
    "publishing:cover": PUB_READ,
    "publishing:edit": PUB_DRAFT,
    "publishing:review": PUB_REVIEW,
    "publishing:hide_comment": PUB_HIDE,
    "publishing:issues": PUB_SCHOOL_LIST,
    "publishing:issue_new": PUB_EDITOR,
    "publishing:issue": PUB_ISSUE_READ,
    "publishing:issue_edit": PUB_ISSUE_EDIT,
    "publishing:issue_pdf": PUB_ISSUE_READ,
    "publishing:section_change": Route(
        method="post",
        kwargs=lambda c: {"section_id": _publishing(c)["draft_section"]},
        data=lambda c: {"how": "up"},
        allowed=("admin_zhang",),
        refused=("ms_li", "alice", "dave", "erin"),
    ),
    "publishing:section_photo": Route(
        kwargs=lambda c: {"section_id": _publishing(c)["photo"]}, allowed=("alice",), refused=("dave", "erin")
    ),
    "publishing:public": Route(**{**PUB_PUBLIC.__dict__, "kwargs": lambda c: {"code": c.school.code}}),
    "publishing:public_feed": Route(**{**PUB_PUBLIC.__dict__, "kwargs": lambda c: {"code": c.school.code}}),
    "publishing:public_article": Route(
        **{
            **PUB_PUBLIC.__dict__,
            "kwargs": lambda c: {"code": c.school.code, "article_id": _publishing(c)["article"]},
        }
    ),
    "api:publishing_articles": Route(api=True, allowed=("alice", "ms_li"), own_only=("dave", "erin")),
    "api:publishing_article": Route(**{**PUB_READ.__dict__, "api": True}),
    "api:publishing_article_create": Route(
        api=True,
        method="post",
        data=lambda c: {"title": "新文章", "body_html": "<p>正文</p>"},
        allowed=("ms_li", "dave"),
        refused=("alice", "erin"),
        notes="dave writes in his own school",
    ),
    "api:publishing_article_update": Route(
        **{
            **PUB_DRAFT.__dict__,
            "api": True,
            "method": "put",
            "data": lambda c: {"title": "改过的", "body_html": "<p>正文</p>"},
        }
    ),
    "api:publishing_article_submit": Route(**{**PUB_DRAFT.__dict__, "api": True, "method": "post"}),
    "api:publishing_article_review": Route(**{**PUB_REVIEW.__dict__, "api": True}),
    "api:publishing_review_queue": Route(**{**PUB_EDITOR.__dict__, "api": True}),
    "api:publishing_comment": Route(
        **{**PUB_READ.__dict__, "api": True, "method": "post", "data": lambda c: {"text": "写得好"}}
    ),
    "api:publishing_comment_hide": Route(**{**PUB_HIDE.__dict__, "api": True, "data": lambda c: {"hidden": True}}),
    "api:publishing_issues": Route(api=True, allowed=("alice", "ms_li"), own_only=("dave", "erin")),
    "api:publishing_issue": Route(**{**PUB_ISSUE_READ.__dict__, "api": True}),
    "api:publishing_issue_create": Route(
        api=True,
        method="post",
        data=lambda c: {"number": 12, "date": "2026-05-01"},
        allowed=("admin_zhang", "dave"),
        refused=("ms_li", "alice", "erin"),
        notes="dave starts an issue of his own school's newspaper",
    ),
    "api:publishing_section_add": Route(
        **{**PUB_ISSUE_EDIT.__dict__, "api": True, "method": "post", "data": lambda c: {"kind": "item", "text": "短讯"}}
    ),
    "api:publishing_issue_send": Route(**{**PUB_ISSUE_EDIT.__dict__, "api": True, "method": "post"}),
    "api:publishing_public": Route(
        public=True,
        api=True,
        kwargs=lambda c: {"code": c.school.code},
        notes="the public page as JSON: anybody, and it names its school by design",
        extra={"public_page": True},
    ),
    # WebSocket routes: exercised in delivery/tests/test_consumers.py (anonymous and
    # wrong-origin sockets are closed; a user's socket receives only their own group).
    "ws:ws_events": Route(notes="delivery/tests/test_consumers.py"),
    **CONTEST_ROUTES,
    **CONTEST_API_ROUTES,
}


def _all_route_names() -> set[str]:
    names: set[str] = set()

    def walk(patterns, namespace=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = f"{namespace}:{p.namespace}" if namespace and p.namespace else (p.namespace or namespace)
                walk(p.url_patterns, ns)
            elif isinstance(p, URLPattern):
                assert p.name, f"route {p.pattern} has no name: name it and add it to MATRIX"
                names.add(f"{namespace}:{p.name}" if namespace else p.name)

    walk(get_resolver().url_patterns)
    names.update(f"ws:{p.name}" for p in websocket_urlpatterns + chat_websockets)
    return names


def test_every_route_has_an_access_entry():
    missing = _all_route_names() - set(MATRIX)
    assert not missing, f"routes with no entry in tests/test_routes.py MATRIX (who is refused?): {sorted(missing)}"
    stale = set(MATRIX) - _all_route_names()
    assert not stale, f"MATRIX entries for routes that no longer exist: {sorted(stale)}"


def test_every_private_route_names_who_is_refused():
    for name, route in MATRIX.items():
        if route.public or name.startswith("ws:") or route.notes:
            continue
        assert route.refused or route.own_only, f"{name}: say who may not use it"


def _url(name: str, route: Route, cast: Cast) -> str:
    from django.urls import reverse

    return reverse(name, kwargs=route.kwargs(cast) if route.kwargs else None)


def _call(client, route: Route, url: str, cast: Cast):
    data = route.data(cast) if route.data else {}
    if route.api and route.method != "get" and not route.extra.get("multipart"):
        return getattr(client, route.method)(url, data=data, content_type="application/json")
    return getattr(client, route.method)(url, data=data)


def _case_ids():
    for name, route in MATRIX.items():
        if name.startswith("ws:"):
            continue
        for who in route.allowed:
            yield pytest.param(name, who, "allowed", id=f"{name}-{who}-allowed")
        for who in route.refused:
            yield pytest.param(name, who, "refused", id=f"{name}-{who}-refused")
        for who in route.own_only:
            yield pytest.param(name, who, "own_only", id=f"{name}-{who}-own-only")
        yield pytest.param(name, None, "anonymous", id=f"{name}-anonymous")


def _body_text(response) -> str:
    if response.get("Content-Type", "").startswith("application/vnd.openxmlformats"):
        import io

        import openpyxl

        sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
        return " ".join(str(v) for row in sheet.iter_rows(values_only=True) for v in row if v is not None)
    if response.get("Content-Type", "").startswith("application/json") and response.content:
        import json

        # Ninja escapes every non-ASCII character (\u5218…): read the JSON back, or a Chinese name
        # in an API answer would never match a marker.
        return json.dumps(json.loads(response.content), ensure_ascii=False)
    return response.content.decode("utf-8", errors="replace")


def _assert_no_school_a_data(response):
    body = _body_text(response)
    leaked = [m for m in SCHOOL_A_MARKERS + SCHOOL_A_CONTENT if m in body]
    assert not leaked, f"school A data leaked: {leaked}"


def _school_a_content(cast: Cast) -> None:
    from events.models import Event

    _notice_pk(cast)
    _survey_pk(cast)
    with scopes_disabled():
        Event.objects.filter(pk=_event_pk(cast)).update(title="阳光家长会")


def _person(cast: Cast, who: str):
    return EXTRA_PEOPLE[who](cast) if who in EXTRA_PEOPLE else getattr(cast, who)


@pytest.mark.parametrize(("name", "who", "expectation"), list(_case_ids()))
def test_route_access(cast, name, who, expectation):
    route = MATRIX[name]
    if expectation == "own_only" or who in route.shows:
        _school_a_content(cast)
    url = _url(name, route, cast)
    client = cast.client(_person(cast, who) if who else None)
    response = _call(client, route, url, cast)
    if expectation == "anonymous":
        if route.public:
            assert response.status_code in route.expected_public_status
        elif route.api:
            assert response.status_code == 401
        else:
            assert response.status_code == 302
            assert response["Location"].startswith("/accounts/login/")
        if not route.public or (route.api and not route.extra.get("public_page")):
            _assert_no_school_a_data(response)
    elif expectation == "refused":
        assert response.status_code == 404, f"{who} must be refused {name}, got {response.status_code}"
        _assert_no_school_a_data(response)
    elif expectation == "own_only":
        assert response.status_code in (200, 302), response.status_code
        _assert_no_school_a_data(response)
    else:
        assert response.status_code in (200, 201, 204, 302), f"{who} must be allowed {name}: {response.status_code}"
        if response.status_code == 302 and not route.extra.get("ends_at_sign_in"):
            assert not response["Location"].startswith("/accounts/login/")
        missing = [m for m in route.shows.get(who, ()) if m not in _body_text(response)]
        assert not missing, f"{who} must see {missing} in {name}"
