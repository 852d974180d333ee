import json

import pytest

from contactbook.models import Acknowledgement, ContactRecord

pytestmark = pytest.mark.usefixtures("unscoped")


def post(client, url, data):
    return client.post(url, json.dumps(data), content_type="application/json")


def test_record_acknowledge_and_coverage_through_the_api(cast):
    teacher, parent = cast.client(cast.ms_li), cast.client(cast.alice)
    created = post(
        teacher,
        "/api/v1/contacts",
        {
            "kind": "home_visit",
            "occurred_on": str(cast.term.start_date),
            "student_ids": [cast.alice_child.pk],
            "summary": "内部：家庭情况",
            "shared": True,
            "parent_summary": "孩子表现很好",
            "topics": ["praise"],
            "actions": [{"description": "下周电话回访"}],
        },
    )
    assert created.status_code == 201
    record_id = created.json()["id"]
    records = parent.get("/api/v1/family/records").json()
    assert records == [
        {
            "id": record_id,
            "occurred_on": str(cast.term.start_date),
            "kind": "home_visit",
            "students": ["刘小明"],
            "summary": "孩子表现很好",
            "acknowledged": False,
        }
    ]
    assert post(parent, f"/api/v1/family/records/{record_id}/ack", {"reply": "谢谢"}).status_code == 204
    assert Acknowledgement.objects.get().reply == "谢谢"
    assert parent.get("/api/v1/family/records").json()[0]["acknowledged"] is True
    coverage = {r["student"]: r for r in teacher.get(f"/api/v1/classes/{cast.class1.pk}/coverage").json()}
    assert coverage["刘小明"]["contacts"] == 1 and coverage["陈小红"]["contacts"] == 0
    todo = teacher.get("/api/v1/contacts/todo").json()
    assert [a["description"] for a in todo["actions"]] == ["下周电话回访"]


def test_bad_input_and_other_schools_are_refused(cast):
    body = {
        "kind": "phone",
        "occurred_on": str(cast.term.start_date),
        "student_ids": [cast.alice_child.pk],
        "summary": "x",
    }
    assert post(cast.client(cast.dave), "/api/v1/contacts", body).status_code == 400
    assert post(cast.client(cast.ms_li), "/api/v1/contacts", {**body, "occurred_on": "2999-01-01"}).status_code == 400
    assert (
        post(cast.client(cast.ms_li), "/api/v1/contacts", {**body, "student_ids": [cast.carol_child.pk]}).status_code
        == 400
    )
    assert not ContactRecord.objects.exists()
