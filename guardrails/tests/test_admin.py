"""The class-channel rules for a school's admins (issue 18): per term how often each rule warned
and was overridden, with no children's names anywhere; the school's own words, set on the page and
through the API and checked in notices and class groups; whether pictures are read."""

import pytest
from django.core.cache import cache

from audit.models import AuditEntry
from chat.actions import class_group
from chat.models import Conversation, Message
from guardrails.models import GuardrailTally, SchoolWords
from notices.models import Notice

pytestmark = pytest.mark.usefixtures("unscoped")

SCORES = "期中成绩：刘小明 98分，陈小红 65分。"
CHILDREN = ("刘小明", "陈小红", "周小刚")


def compose(client, **fields):
    data = {"title": "通知", "body": "周五春游，请带好水壶。", "action": "read"}
    data.update(fields)
    return client.post("/notices/new/", data)


def send(client, conversation, body, **extra):
    return client.post(
        f"/api/v1/conversations/{conversation.pk}/messages", {"body": body, **extra}, content_type="application/json"
    )


def open_group(cast) -> Conversation:
    group = class_group(cast.class1)
    Conversation.objects.filter(pk=group.pk).update(mode="open")
    group.refresh_from_db()
    return group


def test_warnings_and_overrides_are_counted_per_rule_and_shown_per_term(cast):
    li = cast.client(cast.ms_li)
    assert compose(li, classes=[cast.class1.pk], body=SCORES).status_code == 400
    assert compose(li, classes=[cast.class1.pk], body=SCORES).status_code == 400
    assert compose(li, classes=[cast.class1.pk], body=SCORES, guardrail_reason="家长会要求").status_code == 302
    group = open_group(cast)
    assert send(li, group, "请家长轮流来教室打扫卫生。").status_code == 400
    assert send(li, group, "刘小明父母离婚了，大家多关心他。", guardrail_reason="刘小明家长同意").status_code == 201

    tallies = {(t.code, t.warned, t.overridden) for t in GuardrailTally.objects.all()}
    assert tallies == {("scores", 2, 1), ("parents_staff_work", 1, 0), ("family_circumstances", 0, 1)}

    page = cast.client(cast.admin_zhang).get("/school/guardrails/")
    assert page.status_code == 200
    html = page.content.decode()
    assert cast.term.name in html
    for child in CHILDREN:
        assert child not in html
    api = cast.client(cast.admin_zhang).get("/api/v1/school/guardrails").json()
    [term] = api["terms"]
    rules = {r["code"]: (r["warned"], r["overridden"]) for r in term["rules"]}
    assert rules["scores"] == (2, 1) and rules["family_circumstances"] == (0, 1) and rules["checkin"] == (0, 0)
    # The audit rows of the overrides name no child: not in the summary, not in the logged reason.
    for entry in AuditEntry.objects.filter(action=AuditEntry.Action.GUARDRAIL_OVERRIDE):
        for child in CHILDREN:
            assert child not in entry.summary and child not in str(entry.detail)
    assert Message.objects.get().guardrail_reason == "[name]家长同意"


def test_another_school_sees_only_its_own_counts(cast):
    li = cast.client(cast.ms_li)
    assert compose(li, classes=[cast.class1.pk], body=SCORES).status_code == 400
    dave = cast.client(cast.dave).get("/api/v1/school/guardrails").json()
    assert all(r["warned"] == 0 for t in dave["terms"] for r in t["rules"])


def test_the_schools_words_are_set_by_its_admin_and_checked_in_notices_and_groups(cast):
    admin = cast.client(cast.admin_zhang)
    saved = admin.post("/school/guardrails/", {"words": "有偿补课\n補習班，  代购 "})
    assert saved.status_code == 302
    assert SchoolWords.objects.get(school=cast.school).words == ["有偿补课", "补习班", "代购"]
    assert AuditEntry.objects.filter(action=AuditEntry.Action.SETTINGS_CHANGED, school=cast.school).exists()
    assert "补习班" in admin.get("/school/guardrails/").content.decode()

    li = cast.client(cast.ms_li)
    warned = compose(li, classes=[cast.class1.pk], body="周末有补习班，需要的找我。")
    assert warned.status_code == 400 and not Notice.objects.exists()
    assert "补习班" in warned.content.decode()
    answer = send(li, open_group(cast), "假期有偿补课，私聊。")
    assert answer.status_code == 400
    [concern] = answer.json()["concerns"]
    assert concern["code"] == "school_words" and concern["evidence"] == "有偿补课"
    # School B's families and teachers are not checked against school A's words.
    assert cast.client(cast.dave).get("/api/v1/school/guardrails").json()["words"] == []


def test_the_words_through_the_api_and_bad_lists_write_nothing(cast):
    admin = cast.client(cast.admin_zhang)
    put = admin.put("/api/v1/school/guardrails/words", {"words": ["团购", "接龙"]}, content_type="application/json")
    assert put.status_code == 200 and put.json()["words"] == ["团购", "接龙"]
    too_long = admin.put("/api/v1/school/guardrails/words", {"words": ["长" * 21]}, content_type="application/json")
    assert too_long.status_code == 400 and "20" in too_long.json()["detail"]
    too_many = [f"词{i}" for i in range(201)]
    response = admin.put("/api/v1/school/guardrails/words", {"words": too_many}, content_type="application/json")
    assert response.status_code == 400
    assert SchoolWords.objects.get(school=cast.school).words == ["团购", "接龙"]
    page = admin.post("/school/guardrails/", {"words": "长" * 21})
    assert page.status_code == 400 and SchoolWords.objects.get(school=cast.school).words == ["团购", "接龙"]


def test_only_the_schools_admins_see_or_change_it(cast):
    for user in (cast.ms_li, cast.mr_wang, cast.alice):
        client = cast.client(user)
        assert client.get("/school/guardrails/").status_code == 404
        assert client.post("/school/guardrails/", {"words": "x"}).status_code == 404
        assert client.get("/api/v1/school/guardrails").status_code == 404
        put = client.put("/api/v1/school/guardrails/words", {"words": ["x"]}, content_type="application/json")
        assert put.status_code == 404
    assert not SchoolWords.objects.exists()
    dave = cast.client(cast.dave)
    assert dave.post("/school/guardrails/", {"words": "明德"}).status_code == 302
    assert SchoolWords.objects.get().school == cast.school_b  # his own school, never school A


def test_anonymous_visitors_are_sent_to_sign_in(client):
    assert client.get("/school/guardrails/").status_code == 302
    assert client.get("/api/v1/school/guardrails").status_code == 401


def test_the_page_says_when_pictures_cannot_be_read(cast, monkeypatch):
    from core import ocr

    monkeypatch.setattr("guardrails.views.engine_status", lambda: ocr.EngineStatus(False))
    html = cast.client(cast.admin_zhang).get("/school/guardrails/").content.decode()
    assert "tesseract-ocr-chi-sim" in html


@pytest.mark.parametrize("terms", [1, 4])
def test_the_page_queries_do_not_grow_with_terms_or_days(cast, django_assert_num_queries, terms):
    import datetime

    from schools.models import Term

    for i in range(1, terms):
        start = datetime.date(2000 + i, 2, 1)
        Term.objects.create(school=cast.school, name=f"旧学期{i}", start_date=start, end_date=start.replace(month=7))
    for day in range(1, 30):
        GuardrailTally.objects.create(school=cast.school, day=datetime.date(2001, 3, day), code="scores", warned=1)
    admin = cast.client(cast.admin_zhang)
    admin.get("/school/guardrails/")
    cache.clear()
    with django_assert_num_queries(QUERIES):
        assert admin.get("/school/guardrails/").status_code == 200


# session, user, roles (3), school, the words, terms, tallies, messages, the nav's own, and the
# tab bar's to-do count (which includes the term plan's tasks)
QUERIES = 14


def test_naming_one_childs_award_is_fine_unless_the_school_chooses_to_be_warned(cast):
    li = cast.client(cast.ms_li)
    award = "祝贺刘小明同学在区书法比赛中荣获一等奖！"
    assert compose(li, classes=[cast.class1.pk], body=award).status_code == 302  # the default: allowed
    admin = cast.client(cast.admin_zhang)
    assert admin.post("/school/guardrails/", {"words": "", "warn_named_awards": "on"}).status_code == 302
    warned = compose(li, classes=[cast.class1.pk], body=award)
    assert warned.status_code == 400 and "荣获一等奖" in warned.content.decode()
    assert compose(li, classes=[cast.class1.pk], body="我们班在合唱比赛中荣获一等奖！").status_code == 302
    api = admin.put(
        "/api/v1/school/guardrails/words", {"words": [], "warn_named_awards": False}, content_type="application/json"
    )
    assert api.json()["warn_named_awards"] is False
    assert compose(li, classes=[cast.class1.pk], body=award).status_code == 302


def test_the_schools_words_are_read_from_the_database_when_the_cache_is_down(cast, monkeypatch):
    """Chat checks every message against the school's words: a cache outage must not turn the
    check into an error (tests/faults/test_redis_down.py sends a class-group message with Redis
    stopped), nor drop the school's words."""
    from guardrails.queries import school_rules

    SchoolWords.objects.create(school=cast.school, words=["补课费"])

    def down(*args, **kwargs):
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(cache, "get", down)
    monkeypatch.setattr(cache, "set", down)
    assert school_rules(cast.school.pk).words == ("补课费",)
