import json

import pytest

from notices.models import Notice, Receipt

pytestmark = pytest.mark.usefixtures("unscoped")


def post(client, url, data):
    return client.post(url, json.dumps(data), content_type="application/json")


def test_the_whole_cycle_through_the_api(cast):
    teacher, parent = cast.client(cast.ms_li), cast.client(cast.alice)
    created = post(
        teacher,
        "/api/v1/notices",
        {
            "title": "运动会",
            "body_html": "<p>周五运动会<script>alert(1)</script></p>",
            "action": "answer",
            "options": ["参加", "不参加"],
            "targets": [{"kind": "class", "class_id": cast.class1.pk}],
        },
    )
    assert created.status_code == 201
    notice_id = created.json()["id"]
    assert "<script>" not in Notice.objects.get(pk=notice_id).body_html
    feed = parent.get("/api/v1/notices").json()
    assert [(n["title"], n["to_do"], n["read"]) for n in feed] == [("运动会", True, False)]
    detail = parent.get(f"/api/v1/notices/{notice_id}").json()
    assert detail["options"] == ["参加", "不参加"] and detail["my_read_at"] is not None
    assert post(parent, f"/api/v1/notices/{notice_id}/respond", {"answer": "参加"}).status_code == 204
    assert post(parent, f"/api/v1/notices/{notice_id}/respond", {"answer": "随便"}).status_code == 400
    results = teacher.get(f"/api/v1/notices/{notice_id}/results").json()
    assert results["acted"] == 1 and results["tally"] == {"参加": 1, "不参加": 0}
    assert {r["student"]: r["done"] for r in results["rows"]} == {"刘小明": True, "陈小红": False}
    sent = teacher.get("/api/v1/notices/sent").json()
    assert sent[0]["acted"] == 1 and sent[0]["total"] == 2
    assert post(teacher, f"/api/v1/notices/{notice_id}/remind", {}).json() == {"reminded": 1}
    assert post(teacher, f"/api/v1/notices/{notice_id}/remind", {}).status_code == 400


def test_guardrail_answers_with_concerns_then_accepts_a_reason(cast):
    teacher = cast.client(cast.ms_li)
    body = {
        "title": "成绩",
        "body_html": "刘小明 98分，陈小红 65分",
        "targets": [{"kind": "class", "class_id": cast.class1.pk}],
    }
    refused = post(teacher, "/api/v1/notices", body)
    assert refused.status_code == 400 and refused.json()["concerns"][0]["code"] == "scores"
    assert post(teacher, "/api/v1/notices", {**body, "guardrail_reason": "家委会要求"}).status_code == 201


def test_another_school_cannot_address_this_schools_class(cast):
    response = post(
        cast.client(cast.dave),
        "/api/v1/notices",
        {"title": "x", "targets": [{"kind": "class", "class_id": cast.class1.pk}]},
    )
    assert response.status_code == 400
    assert not Notice.objects.exists() and not Receipt.objects.exists()


def test_bearer_token_clients_use_the_same_rules(cast):
    from django.test import Client

    token = (
        Client()
        .post(
            "/api/v1/auth/token",
            {"identifier": "13800000003", "password": "correct-horse-42"},
            content_type="application/json",
        )
        .json()["token"]
    )
    app = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    post(
        cast.client(cast.ms_li),
        "/api/v1/notices",
        {"title": "一班通知", "targets": [{"kind": "class", "class_id": cast.class1.pk}]},
    )
    assert app.get("/api/v1/notices").json() == []  # carol's child is in class 2


def test_edit_and_pin_through_the_api(cast):
    teacher = cast.client(cast.ms_li)
    notice_id = post(
        teacher,
        "/api/v1/notices",
        {"title": "运动会", "body_html": "八点集合", "targets": [{"kind": "class", "class_id": cast.class1.pk}]},
    ).json()["id"]
    assert (
        post(teacher, f"/api/v1/notices/{notice_id}/edit", {"title": "运动会", "body_html": "九点集合"}).status_code
        == 200
    )
    assert post(teacher, f"/api/v1/notices/{notice_id}/pin", {"pinned": True}).status_code == 204
    notice = Notice.objects.get(pk=notice_id)
    assert notice.version == 2 and notice.pinned and "九点" in notice.body_text
    refused = post(
        teacher, f"/api/v1/notices/{notice_id}/edit", {"title": "成绩", "body_html": "刘小明 98分，陈小红 65分"}
    )
    assert refused.status_code == 400 and refused.json()["concerns"]
