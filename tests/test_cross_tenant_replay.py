"""Cross-tenant replay, generated (issue 20; security-test-plan ISO-01…03).

School A (阳光小学) gets data of every kind: a notice with an attachment, a form survey with a file
answer, events with a reflection, a follow-up and a resolution, a conference day, the class chat
with a message and a file, a contact record, a care case, a roster upload, a join request, a volunteer activity with a
sign-up, a class committee with a message, a working group, class fund entries with a question, a
published duty roster with a swap request, a commendation, a district holding school A... Then
a user of school B (its admin dave, its parent erin) replays EVERY URL pattern of the resolver and
EVERY operation of the OpenAPI schema with school A's real ids filled in: the kind of id is read
from the parameter's name (``notice_id`` is a notice's id), and a parameter whose name has no known
kind FAILS the test, so a new route is covered the day it lands (add its kind to ``KINDS``).

Every page route is tried with GET and POST, every API operation with its own method and a body
that fits the schema (ids in the body are school A's too). Each answer must be 404, or 405 where a
page takes only the other method (at least one of the two must be a 404, so every route was really
asked); an operation whose only school A ids are in its body may answer 400 (the input names
something that is not yours). No body may hold school A's markers (names, phones, titles), read
from decoded JSON so that escaped Chinese is checked too.

The chat socket is replayed too: every request type it answers (read from its code) with school A's
conversation and message ids: an error (or a plain "left"), nothing of school A, nothing written.

Capability links (join and activation links, a notice's SMS link, a calendar feed): the secret
token IS the permission, whoever holds it, by design (their own tests cover revoked and expired
tokens). Here they are replayed with school A's real token altered by one character: 404, nothing
shown.
"""

import contextlib
import json
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django_scopes import scopes_disabled

from conftest import Cast
from tests import test_routes as matrix

pytestmark = pytest.mark.django_db

# Everything school A has, renamed so that each title is distinctive: "阳光" appears in none of
# school B's pages, so any body holding it leaked school A's data.
MARKERS = [
    *matrix.SCHOOL_A_MARKERS,
    *matrix.SCHOOL_A_CONTENT,
    "阳光",
    "陈波",
    "周小刚",
    "张主任",
    "王老师",
    "13800000002",
    "13900000002",
]
# Routes that are lists or forms (no id in them) are still read by school B's users with school A's
# data present: they must show none of it.
NO_GET = {"accounts:logout", "set_language"}  # they sign out or change the language: nothing to read


class World:
    """School A's ids, one of each kind, built once per test."""

    def __init__(self, cast: Cast) -> None:
        from chat.models import Message
        from contactbook.models import CareCase, ContactRecord
        from events.actions import screen_code
        from events.models import ConferenceDay, Event, Reflection, Slot
        from feedback.models import Suggestion
        from notices.models import Notice, NoticeAttachment
        from surveys.models import Survey

        self.cast = cast
        attachment = matrix._attachment_kwargs(cast)
        survey_file = matrix._survey_file_kwargs(cast)
        message = matrix._chat_message_kwargs(cast)
        self.ids: dict[str, Any] = {
            "class": cast.class1.pk,
            "student": cast.alice_child.pk,
            "guardian": cast.alice_guardian.pk,
            "term": cast.term.pk,
            "member": matrix._member_pk(cast, cast.ms_li),
            "assignment": matrix._assignment_pk(cast),
            "upload": matrix._upload_pk(cast),
            "join_request": matrix._join_request_pk(cast),
            "notice": attachment["notice_id"],
            "attachment": attachment["attachment_id"],
            "survey": survey_file["survey_id"],
            "answer": survey_file["answer_id"],
            "event": matrix._event_pk(cast, started=True),
            "reflection": matrix._reflection_pk(cast),
            "plan": matrix._plan_pk(cast),
            "plan_task": matrix._class1_plan_task_pk(cast),
            "follow_up": matrix._follow_up_pk(cast),
            "resolution": matrix._resolution_pk(cast),
            "conference": matrix._conference_pk(cast),
            "conversation": message["conversation_id"],
            "message": message["message_id"],
            "record": matrix._record_pk(cast),
            "care_case": matrix._care_case_pk(cast),
            "call_task": matrix._call_task_pk(cast),
            "staff_user": cast.ms_li.pk,
            **{k.removesuffix("_id"): v for k, v in matrix._suggestion(cast, decided=True).items() if k != "receipt"},
            "series": Survey.Series.EVAL_PARENTS.value,
            "search": "刘小明",
            "summary": matrix._summary_pk(cast),
            "summary_section": "plan",
            "summary_document": "docx",
            "join_token": matrix._join_token(cast),
            "activation_token": matrix._activation_token(cast),
            "link_token": matrix._link_token(cast),
            "feed_token": matrix._feed_token(cast),
            "school": cast.school.pk,
        }
        publishing = matrix._publishing(cast)
        self.ids.update(
            article=publishing["article"],
            comment=publishing["comment"],
            invitation=publishing["invitation"],
            issue=publishing["issue"],
            section=publishing["photo"],
        )
        with scopes_disabled():
            Notice.objects.filter(school=cast.school).update(title="春游通知")
            NoticeAttachment.objects.filter(pk=self.ids["attachment"]).update(filename="阳光附件.pdf")
            Survey.objects.filter(pk=self.ids["survey"]).update(title="午餐满意度", description="阳光问卷")
            Event.objects.filter(school=cast.school).update(title="阳光家长会", place="阳光礼堂")
            Reflection.objects.filter(pk=self.ids["reflection"]).update(text="阳光反思")
            ConferenceDay.objects.filter(pk=self.ids["conference"]).update(title="阳光面谈")
            Message.objects.filter(pk=self.ids["message"]).update(body="阳光群消息", file_name="阳光.pdf")
            ContactRecord.objects.filter(pk=self.ids["record"]).update(
                summary="阳光内部记录", parent_summary="阳光摘要"
            )
            CareCase.objects.filter(pk=self.ids["care_case"]).update(description="阳光关怀")
            Suggestion.objects.filter(pk=self.ids["suggestion"]).update(text="阳光意见", reply="阳光回复")
            self.ids["slot"] = Slot.objects.filter(day_id=self.ids["conference"]).values_list("pk", flat=True)[0]
            self.ids["screen_code"] = screen_code(Event.objects.get(pk=self.ids["event"]))
        self._community(cast)

    @staticmethod
    def _duty(cast: Cast, roster) -> dict[str, int]:
        """A shift, alice's family, its first duty and its swap request to bob's family (as
        tests/test_routes.py's _duty_swap_pk does, on this one roster)."""
        from django_scopes import scope

        from community import actions as duty
        from community.models import DutyAssignment, DutyFamily

        with scope(school=[cast.school.pk]):
            assignment = (
                DutyAssignment.objects.select_related("shift__roster")
                .filter(shift__roster=roster, family__members__guardian__user=cast.alice)
                .order_by("shift__date")
                .first()
            )
            assert assignment is not None
            alice = DutyFamily.objects.get(roster=roster, members__guardian__user=cast.alice)
            bob = DutyFamily.objects.get(roster=roster, members__guardian__user=cast.bob)
            swap = duty.do_request_swap(assignment, acting_user=cast.alice, to_family_id=bob.pk)
            return {
                "shift": assignment.shift_id,
                "duty_assignment": assignment.pk,
                "duty_family": alice.pk,
                "swap": swap.pk,
            }

    def _community(self, cast: Cast) -> None:
        """Volunteers, committees, working groups, the class fund, duty rosters, a commendation and
        a district holding school A: built by the apps' actions, as the route matrix does."""
        from community.models import (
            CommitteeMessage,
            DutyRoster,
            EntryQuestion,
            LedgerEntry,
            VolunteerActivity,
            WorkingGroup,
        )
        from reports.models import Commendation
        from schools.models import District

        volunteers = matrix._volunteer_world(cast)
        roster = matrix._duty_roster(cast, published=True)  # one roster: a second would find no family free
        self.ids.update(
            {
                "activity": volunteers["activity"],
                "volunteer_slot": volunteers["slot"],
                "volunteer": volunteers["volunteer"],
                "signup": volunteers["signup"],
                "committee": matrix._committee_pk(cast),
                "committee_seat": matrix._committee_seat_pk(cast, cast.alice),
                "committee_message": matrix._committee_message_pk(cast),
                "working_group": matrix._working_group_pk(cast),
                "working_group_seat": matrix._working_group_seat_pk(cast),
                "fund_entry": matrix._fund_entry_pk(cast, kind="expense"),
                "fund_question": matrix._fund_question_pk(cast),
                "roster": roster.pk,
                **self._duty(cast, roster),
                "commendation": matrix._commendation_pk(cast),
                "district": matrix._district(cast).pk,
            }
        )
        self._contest(cast)
        with scopes_disabled():
            VolunteerActivity.objects.filter(school=cast.school).update(title="阳光运动会", place="阳光操场")
            CommitteeMessage.objects.filter(pk=self.ids["committee_message"]).update(text="阳光家委会留言")
            WorkingGroup.objects.filter(school=cast.school).update(name="阳光工作小组")
            LedgerEntry.objects.filter(school_class__school=cast.school).update(purpose="阳光班费")
            EntryQuestion.objects.filter(pk=self.ids["fund_question"]).update(text="阳光提问")
            DutyRoster.objects.filter(school=cast.school).update(title="阳光护学岗")
            Commendation.objects.filter(pk=self.ids["commendation"]).update(award="阳光奖", citation="阳光表彰")
            District.objects.filter(pk=self.ids["district"]).update(name="阳光教育局")

    def _contest(self, cast: Cast) -> None:
        """An essay contest being judged: its entry (carol's) and ms_li's copy of it."""
        from publishing.models import Contest, Entry

        contest = matrix._contest_world(cast, "judging")
        self.ids.update(
            {
                "contest": contest["contest_id"],
                "contest_entry": contest["contest_entry_id"],
                "judging": contest["judging_id"],
            }
        )
        with scopes_disabled():
            Contest.objects.filter(pk=contest["contest_id"]).update(title="阳光征文", theme="阳光主题")
            Entry.objects.filter(pk=contest["contest_entry_id"]).update(
                title="阳光作品", judge_title="阳光作品", text="阳光正文", judge_text="阳光正文"
            )


# The kind of id each parameter name holds (URL path, API path and query, JSON body fields).
KINDS: dict[str, str] = {
    "class_id": "class",
    "student_id": "student",
    "student_ids": "student",
    "child": "student",
    "guardian_id": "guardian",
    "term_id": "term",
    "member_id": "member",
    "assignment_id": "assignment",
    "upload_id": "upload",
    "join_request_id": "join_request",
    "notice_id": "notice",
    "attachment_id": "attachment",
    "survey_id": "survey",
    "answer_id": "answer",
    "event_id": "event",
    "plan_id": "plan",
    "task_id": "plan_task",
    "code": "screen_code",
    "reflection_id": "reflection",
    "follow_up_id": "follow_up",
    "resolution_id": "resolution",
    "conference_id": "conference",
    "slot_id": "slot",
    "conversation_id": "conversation",
    "message_id": "message",
    "after": "message",
    "before": "message",
    "up_to": "message",
    "quote": "message",
    "question": "message",
    "record_id": "record",
    "case_id": "care_case",
    "suggestion_id": "suggestion",
    "rectification_id": "rectification",
    "owner_id": "staff_user",
    "activity_id": "activity",
    "volunteer_id": "volunteer",
    "signup_id": "signup",
    "committee_id": "committee",
    "group_id": "working_group",
    "entry_id": "fund_entry",
    "question_id": "fund_question",
    "roster_id": "roster",
    "shift_id": "shift",
    "swap_id": "swap",
    "family_id": "duty_family",
    "commendation_id": "commendation",
    "summary_id": "summary",
    "key": "summary_section",  # a section of a yearly summary
    "kind": "summary_document",  # docx or pdf, of a yearly summary
    "district_id": "district",
    "series": "series",
    "q": "search",
    "school_id": "school",
    "article_id": "article",
    "comment_id": "comment",
    "invitation_id": "invitation",
    "issue_id": "issue",
    "section_id": "section",
    "contest_id": "contest",
    "contest_entry_id": "contest_entry",
    "judging_id": "judging",
    "user_id": "staff_user",
}
# Names that mean another kind on some routes (a committee seat is a "member" too, a volunteer slot
# a "slot"): the route's own kind, so that the replay asks for a real row of what the route takes.
ROUTE_KINDS: dict[tuple[str, str], str] = {
    # task_id is a term plan task everywhere but on the ladder's call page.
    ("contactbook:call", "task_id"): "call_task",
    **{
        (route, "member_id"): "committee_seat"
        for route in (
            "community:committee_change_member",
            "community:committee_write",
            "community_api_committee_member_role",
            "community_api_committee_member_leave",
            "community_api_committee_message_send",
        )
    },
    **{
        (route, "member_id"): "working_group_seat"
        for route in ("community:working_group_member", "community_api_working_group_member_change")
    },
    **{
        (route, "message_id"): "committee_message"
        for route in ("community:committee_reply", "community_api_committee_message_reply")
    },
    **{
        (route, "slot_id"): "volunteer_slot"
        for route in ("community:slot_signup", "community_api_volunteer_slot_signup")
    },
    **{
        (route, "assignment_id"): "duty_assignment"
        for route in (
            "community_api_duty_attendance",
            "community_api_duty_checkin",
            "community_api_duty_swap",
            "community_api_duty_standby_answer",
        )
    },
}
# "token" means a different secret on each route that takes one.
TOKEN_KINDS = {
    "schools:join": "join_token",
    "schools:activate": "activation_token",
    "notices:by_link": "link_token",
    "events:feed": "feed_token",
}
# Parameters that are not ids (what to send).
NOT_IDS: dict[str, Any] = {
    "past": "false",
    "year": 2026,
    "month": 11,
    "space": "column",
    "topic": "",
    "grade": 3,
    "page": 1,
}
# Query parameters that narrow a list of the user's own: filled with school A's id or words, the
# list stays the user's own (the filter is ignored or finds nothing), so the answer is not a 404;
# it must still hold nothing of school A.
FILTERS = {
    "child": "the family's feed for one of their children: another child is ignored (notices/api.py)",
    "q": "chat search: school A's pupil's name finds nothing in school B's chats",
}


def _id_for(name: str, world: World, route: str) -> Any:
    if name == "token":
        assert route in TOKEN_KINDS, f"{route}: which secret is its token? add it to TOKEN_KINDS"
        return _forged(world.ids[TOKEN_KINDS[route]])
    if (route, name) in ROUTE_KINDS:
        return world.ids[ROUTE_KINDS[(route, name)]]
    assert name in KINDS, f"{route}: parameter {name!r} has no known kind of id: add it to KINDS"
    return world.ids[KINDS[name]]


def _forged(token: str) -> str:
    """A capability token of school A's, one character changed."""
    last = token[-1]
    return token[:-1] + ("A" if last != "A" else "B")


def _body_text(response) -> str:
    body = matrix._body_text(response)
    if "json" in response.get("Content-Type", "") and body:
        # test_routes._body_text already decodes application/json; problem+json and the like too
        with contextlib.suppress(ValueError):
            body = json.dumps(json.loads(body), ensure_ascii=False)
    return body


def _leaks(response) -> list[str]:
    if getattr(response, "streaming", False):
        content = b"".join(response.streaming_content).decode("utf-8", errors="replace")
    else:
        content = _body_text(response)
    return [m for m in MARKERS if m in content]


# ---------------------------------------------------------------------------------------- pages


def _url_patterns() -> list[tuple[str, str, URLPattern]]:
    """(route name, full pattern, pattern) for every URL pattern outside the API (read from the
    OpenAPI schema instead, with its methods and bodies)."""
    found = []

    def walk(patterns, prefix="", namespace=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = f"{namespace}:{p.namespace}" if namespace and p.namespace else (p.namespace or namespace)
                walk(p.url_patterns, prefix + str(p.pattern), ns)
            elif isinstance(p, URLPattern):
                name = f"{namespace}:{p.name}" if namespace else str(p.name)
                found.append((name, prefix + str(p.pattern), p))

    walk(get_resolver().url_patterns)
    return found


def _parameters(pattern: URLPattern) -> list[str]:
    return list(getattr(pattern.pattern, "converters", {}))


def _replay_pages(cast: Cast, world: World, who: str) -> list[str]:
    from django.urls import reverse

    client = cast.client(getattr(cast, who))
    client.raise_request_exception = False
    failures = []
    asked = 0
    for name, _, pattern in _url_patterns():
        if name.startswith("api:"):
            continue
        params = _parameters(pattern)
        if not params:
            if name in NO_GET:
                continue
            response = client.get(reverse(name))
            asked += 1
            if response.status_code >= 500 or (leaked := _leaks(response)):
                failures.append(f"{who} GET {name}: {response.status_code} {_leaks(response)}")
            continue
        url = reverse(name, kwargs={p: _id_for(p, world, name) for p in params})
        statuses = {}
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            asked += 1
            statuses[method] = response.status_code
            leaked = _leaks(response)
            if response.status_code not in (404, 405) or leaked:
                failures.append(f"{who} {method.upper()} {url} ({name}): {response.status_code} {leaked}")
        if 404 not in statuses.values():
            failures.append(f"{who} {url} ({name}): no method answered 404 ({statuses})")
    assert asked > 150
    return failures


# ------------------------------------------------------------------------------------------ API


def _resolve(schema: dict, node: dict) -> dict:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    return node


# Values for required fields that are not ids, by (schema, field), so that a body passes the schema
# and the view's own checks up to the access check.
FIELD_VALUES: dict[tuple[str, str], Any] = {
    ("TargetIn", "kind"): "class",
    ("ContactIn", "kind"): "phone",
    ("RsvpIn", "answer"): "yes",
}


def _example(schema: dict, node: dict, world: World, route: str, name: str = "", owner: str = "") -> Any:
    """A value that fits ``node``: school A's id for an id field, a plain value otherwise."""
    title = node.get("title", "") if "$ref" not in node else node["$ref"].rsplit("/", 1)[-1]
    node = _resolve(schema, node)
    if (owner, name) in FIELD_VALUES:
        return FIELD_VALUES[(owner, name)]
    if name in KINDS or name == "token":
        value = _id_for(name, world, route)
        return [value] if node.get("type") == "array" else value
    if "anyOf" in node:
        return _example(schema, next(o for o in node["anyOf"] if o.get("type") != "null"), world, route, name, owner)
    kind = node.get("type")
    if kind == "object":
        owner = node.get("title", title)
        properties = node.get("properties", {})
        chosen = [p for p in properties if p in node.get("required", []) or p in KINDS]
        return {p: _example(schema, properties[p], world, route, p, owner) for p in chosen}
    if kind == "array":
        return [_example(schema, node["items"], world, route, name, owner)]
    if kind == "integer":
        return 1
    if kind == "boolean":
        return True
    if node.get("format") == "date-time":
        return "2030-01-10T19:00:00+08:00"
    if node.get("format") == "date":
        return "2030-01-10"
    if node.get("format") == "time":
        return "07:20"
    return "x"


def _operations(schema: dict):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            yield path, method, operation


def _replay_api(cast: Cast, world: World, who: str) -> tuple[list[str], int]:
    from tongxin.api import api

    schema = api.get_openapi_schema()
    client = cast.client(getattr(cast, who))
    client.raise_request_exception = False
    failures = []
    count = 0
    for path, method, operation in _operations(schema):
        route = operation["operationId"]
        count += 1
        if path == "/api/v1/auth/token":
            continue  # signing in and out: no school's data (tests/test_routes.py and accounts/tests)
        url, query, ids_in = path, {}, set()
        for param in operation.get("parameters", []):
            name = param["name"]
            if name in NOT_IDS:
                query[name] = NOT_IDS[name]
                continue
            value = _id_for(name, world, route)
            if name not in FILTERS:
                ids_in.add(param["in"])
            if param["in"] == "path":
                url = url.replace("{" + name + "}", str(value))
            else:
                query[name] = value
        kwargs: dict = {}
        content = operation.get("requestBody", {}).get("content", {})
        body_node = content.get("application/json") or content.get("multipart/form-data")
        if body_node:
            body = _example(schema, body_node["schema"], world, route)
            if _has_id(body_node["schema"], schema):
                ids_in.add("body")
            if "application/json" in content:
                kwargs = {"data": json.dumps(body), "content_type": "application/json"}
            else:
                kwargs = {"data": body}  # the test client sends a dict as multipart/form-data
        if query:
            from urllib.parse import urlencode

            url += "?" + urlencode(query)
        response = getattr(client, method)(url, **kwargs)
        leaked = _leaks(response)
        if not ids_in:
            expected: tuple[int, ...] = tuple(range(200, 500))  # a list or a form of school B's own
        elif ids_in == {"body"}:
            expected = (400, 404)
        else:
            expected = (404,)
        if response.status_code not in expected or leaked:
            detail = response.content[:200].decode("utf-8", errors="replace")
            failures.append(f"{who} {method.upper()} {url}: {response.status_code} {leaked} {detail}")
    return failures, count


def _has_id(node: dict, schema: dict, seen: frozenset = frozenset()) -> bool:
    node = _resolve(schema, node)
    for name, prop in node.get("properties", {}).items():
        if name in KINDS:
            return True
        ref = prop.get("$ref") or prop.get("items", {}).get("$ref")
        if ref and ref not in seen and _has_id({"$ref": ref}, schema, seen | {ref}):
            return True
    return False


# ---------------------------------------------------------------------------------------- tests


@pytest.mark.parametrize("who", ["dave", "erin"])
def test_school_b_gets_nothing_of_school_a_on_any_route(cast, who):
    world = World(cast)
    failures = _replay_pages(cast, world, who)
    api_failures, operations = _replay_api(cast, world, who)
    assert operations >= 49
    failures += api_failures
    assert not failures, f"{len(failures)} answers gave school B something of school A:\n" + "\n".join(failures)


def test_a_parameter_of_unknown_kind_fails_the_replay(cast):
    """The guard that keeps new routes covered: a name the replay cannot fill stops it."""
    with pytest.raises(AssertionError, match="no known kind"):
        _id_for("widget_id", World.__new__(World), "widgets:detail")
    with pytest.raises(AssertionError, match="TOKEN_KINDS"):
        _id_for("token", World.__new__(World), "widgets:share")


def test_every_parameter_of_every_route_has_a_kind():
    """Checked without building any data, so the message is plain when a route is added."""
    from tongxin.api import api

    unknown = set()
    for name, _, pattern in _url_patterns():
        if name.startswith("api:"):
            continue  # read from the OpenAPI schema below
        for param in _parameters(pattern):
            known = name in TOKEN_KINDS if param == "token" else param in KINDS
            if not known:
                unknown.add(f"{name}: {param}")
    for _, _, operation in _operations(api.get_openapi_schema()):
        for param in operation.get("parameters", []):
            if param["name"] not in KINDS and param["name"] not in NOT_IDS:
                unknown.add(f"{operation['operationId']}: {param['name']}")
    assert not unknown, f"parameters with no kind of id (add them to KINDS): {sorted(unknown)}"


# ------------------------------------------------------------------------------------ the socket


def _socket_requests() -> set[str]:
    """The request types the chat socket answers, read from its code, so a new one is replayed too."""
    import inspect
    import re

    from chat.consumers import ChatConsumer

    return set(re.findall(r'"(\w+)": self\._\w+', inspect.getsource(ChatConsumer.receive_json)))


@pytest.fixture
def live_cast(transactional_db):
    from conftest import build_cast

    return build_cast()


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
@pytest.mark.parametrize("who", ["dave", "erin"])
async def test_school_b_gets_nothing_of_school_a_on_the_chat_socket(live_cast, who):
    """Every request of the chat socket with school A's conversation and message ids (join, send
    quoting and answering school A's message, read, leave): an error or a plain "left", nothing of
    school A in any answer, nothing written."""
    from asgiref.sync import sync_to_async

    from chat.models import Message, Participant
    from delivery.tests.test_consumers import communicator, session_cookie

    world = await sync_to_async(World)(live_cast)
    conversation, message = world.ids["conversation"], world.ids["message"]

    def snapshot():
        with scopes_disabled():
            return (
                list(Message.objects.order_by("pk").values_list("pk", "body", "recalled_at", "removed_at")),
                list(Participant.objects.order_by("pk").values()),
            )

    before = await sync_to_async(snapshot)()
    requests = {
        "join": {"after": 0},
        "send": {"body": "你好", "quote": message, "question": message, "client_key": "k1"},
        "read": {"up_to": message},
        "leave": {},
    }
    assert set(requests) == _socket_requests(), "a new request type of the chat socket: replay it here"

    ws = communicator(await sync_to_async(session_cookie)(getattr(live_cast, who)))
    ws.path = ws.scope["path"] = "/ws/chat/"
    connected, _code = await ws.connect()
    assert connected
    assert (await ws.receive_json_from(timeout=5))["type"] == "hello"
    answers = []
    for kind, fields in requests.items():
        await ws.send_json_to({"type": kind, "conversation": conversation, **fields})
        # (a read that is allowed answers nothing: the wait for an answer then fails the test)
        answers.append(await ws.receive_json_from(timeout=5))
    await ws.disconnect()

    for kind, answer in zip(requests, answers, strict=True):
        expected = "left" if kind == "leave" else "error"
        assert answer["type"] == expected, f"{who} {kind}: {answer}"
        text = json.dumps(answer, ensure_ascii=False)
        leaked = [m for m in MARKERS if m in text]
        assert not leaked, f"{who} {kind}: {leaked}"
    assert await sync_to_async(snapshot)() == before
