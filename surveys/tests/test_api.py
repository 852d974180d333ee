import pytest

from notices.models import Notice
from surveys.models import Question, Survey

from .helpers import QUESTIONS, add_families, answers_for, closes, create_and_send

pytestmark = pytest.mark.usefixtures("unscoped")


def test_a_survey_is_created_with_its_questions_in_one_request_all_or_nothing(cast):
    li = cast.client(cast.ms_li)
    bad = [*QUESTIONS, {"kind": "multiple", "text": "没有选项"}]
    assert (
        li.post("/api/v1/surveys", {"title": "问卷", "questions": bad}, content_type="application/json").status_code
        == 400
    )
    assert not Survey.objects.exists() and not Question.objects.exists()
    body = {"title": "问卷", "questions": QUESTIONS, "idempotency_key": "k1"}
    first = li.post("/api/v1/surveys", body, content_type="application/json")
    again = li.post("/api/v1/surveys", body, content_type="application/json")
    assert first.status_code == 201 and again.json()["id"] == first.json()["id"]
    assert Survey.objects.get().questions.count() == 4


def test_the_recipient_sees_the_questions_and_what_is_kept(cast):
    survey = create_and_send(cast.client(cast.ms_li), targets=[{"kind": "class", "class_id": cast.class1.pk}])
    data = cast.client(cast.alice).get(f"/api/v1/surveys/{survey.pk}").json()
    assert data["anonymous"] and data["is_open"] and not data["answered"]
    assert [q["kind"] for q in data["questions"]] == ["single", "rating", "matrix", "long_text"]
    assert "只记录您已经填写过" in data["privacy"]
    cast.client(cast.alice).post(
        f"/api/v1/surveys/{survey.pk}/answer", {"answers": answers_for(survey)}, content_type="application/json"
    )
    assert cast.client(cast.alice).get(f"/api/v1/surveys/{survey.pk}").json()["answered"]


def test_a_school_b_admin_cannot_send_to_school_a_and_a_parent_cannot_build(cast):
    dave = cast.client(cast.dave)
    survey_id = dave.post(
        "/api/v1/surveys", {"title": "问卷", "questions": QUESTIONS}, content_type="application/json"
    ).json()["id"]
    assert Survey.objects.get(pk=survey_id).school == cast.school_b
    response = dave.post(
        f"/api/v1/surveys/{survey_id}/send",
        {"targets": [{"kind": "class", "class_id": cast.class1.pk}], "closes_at": closes()},
        content_type="application/json",
    )
    assert response.status_code == 400 and not Notice.objects.exists()
    assert (
        cast.client(cast.alice).post("/api/v1/surveys", {"title": "x"}, content_type="application/json").status_code
        == 404
    )


def test_a_sent_survey_cannot_be_sent_again(cast):
    li = cast.client(cast.ms_li)
    survey = create_and_send(li, targets=[{"kind": "class", "class_id": cast.class1.pk}])
    again = li.post(
        f"/api/v1/surveys/{survey.pk}/send",
        {"targets": [{"kind": "class", "class_id": cast.class1.pk}], "closes_at": closes()},
        content_type="application/json",
    )
    assert again.status_code == 400 and Notice.objects.count() == 1


def test_a_collection_form_through_the_api(cast):
    questions = [{"kind": "text", "text": "校服尺码"}, {"kind": "date", "text": "到校日期"}]
    survey = create_and_send(
        cast.client(cast.ms_li),
        kind="form",
        anonymous=False,
        questions=questions,
        targets=[{"kind": "class", "class_id": cast.class1.pk}],
    )
    q = list(survey.questions.all())
    alice = cast.client(cast.alice)
    detail = alice.get(f"/api/v1/surveys/{survey.pk}").json()
    assert detail["form_children"] == [{"student_id": cast.alice_child.pk, "name": "刘小明", "filled_in": False}]
    bad_date = alice.post(
        f"/api/v1/surveys/{survey.pk}/answer",
        {"student_id": cast.alice_child.pk, "answers": {str(q[0].pk): "130", str(q[1].pk): "下周一"}},
        content_type="application/json",
    )
    assert bad_date.status_code == 400 and str(q[1].pk) in bad_date.json()["errors"]
    ok = alice.post(
        f"/api/v1/surveys/{survey.pk}/answer",
        {"student_id": cast.alice_child.pk, "answers": {str(q[0].pk): "130", str(q[1].pk): "2026/12/01"}},
        content_type="application/json",
    )
    assert ok.status_code == 201
    results = cast.client(cast.ms_li).get(f"/api/v1/surveys/{survey.pk}/results").json()
    rows = {r["student"]: r for r in results["rows"]}
    assert rows["刘小明"]["cells"] == ["130", "2026-12-01"] and not rows["陈小红"]["filled_in"]


def test_the_sent_list_counts_answers(cast):
    users = add_families(cast, cast.class1, 2)
    li = cast.client(cast.ms_li)
    survey = create_and_send(li, targets=[{"kind": "class", "class_id": cast.class1.pk}])
    cast.client(users[0]).post(
        f"/api/v1/surveys/{survey.pk}/answer", {"answers": answers_for(survey)}, content_type="application/json"
    )
    items = li.get("/api/v1/surveys").json()
    assert [(i["title"], i["answered"], i["audience_size"]) for i in items] == [(survey.title, 1, 4)]
    assert cast.client(cast.dave).get("/api/v1/surveys").json() == []
