import datetime

import pytest
from django.utils import timezone, translation
from django.utils.translation import gettext

from audit.models import AuditEntry
from feedback.models import Rectification, Suggestion

pytestmark = pytest.mark.usefixtures("unscoped")


def post(client, url, data):
    return client.post(f"/api/v1{url}", data, content_type="application/json")


def submit(client, cast, **extra):
    data = {"school_id": cast.school.pk, "class_id": cast.class1.pk, "kind": "class", "text": "作业太多", **extra}
    return post(client, "/feedback/suggestions", data)


def test_the_api_runs_the_whole_way_and_the_family_follows_it(cast, school_day):
    alice = cast.client(cast.alice)
    response = submit(alice, cast, anonymous=True, public_consent=True)
    assert response.status_code == 201
    receipt = response.json()["receipt"]
    suggestion = Suggestion.objects.get()
    assert suggestion.author is None and AuditEntry.objects.get(action="feedback.submit").actor is None
    li = cast.client(cast.ms_li)
    url = f"/feedback/suggestions/{suggestion.pk}/steps"
    assert post(li, url, {"step": "reply", "text": "会调整"}).status_code == 200
    assert post(li, url, {"step": "decide", "text": "每天不超过一小时"}).status_code == 200
    due = (timezone.localdate() + datetime.timedelta(days=2)).isoformat()
    body = post(li, url, {"step": "rectify", "text": "统一作业量", "owner_id": cast.ms_li.pk, "due_on": due}).json()
    rect_id = body["rectifications"][0]["id"]
    assert post(li, f"/feedback/rectifications/{rect_id}/close", {"note": "已统一"}).status_code == 200
    assert post(li, url, {"step": "close"}).json()["status"] == "closed"
    followed = post(alice, "/feedback/follow", {"receipt": receipt}).json()
    assert followed["status"] == "closed" and followed["rectifications"][0]["closing_note"] == "已统一"
    assert "author" not in followed
    # Anonymous: not in the signed list, and the handler's view holds no name.
    assert cast.client(cast.alice).get("/api/v1/feedback/suggestions/mine").json() == []
    handled = li.get(f"/api/v1/feedback/suggestions/{suggestion.pk}/handle").content.decode("unicode_escape")
    assert "刘爱丽" not in handled and "13800000001" not in handled


def test_bad_input_and_steps_out_of_order_are_400_with_nothing_written(cast):
    alice = cast.client(cast.alice)
    response = submit(alice, cast, text="")
    assert response.status_code == 400
    with translation.override("zh-hans"):
        assert response.json()["detail"] == gettext("Write your suggestion or concern first.")
    assert not Suggestion.objects.exists()
    submit(alice, cast)
    suggestion = Suggestion.objects.get()
    li = cast.client(cast.ms_li)
    url = f"/feedback/suggestions/{suggestion.pk}/steps"
    response = post(li, url, {"step": "close"})
    assert response.status_code == 400
    with translation.override("zh-hans"):
        assert response.json()["detail"] == gettext("Record the decision before closing.")
    response = post(li, url, {"step": "rectify", "text": "x", "owner_id": cast.ms_li.pk})
    assert response.status_code == 400
    assert post(li, url, {"step": "fly"}).status_code == 400
    assert not Rectification.objects.exists()
    assert Suggestion.objects.get().status == "submitted"


def test_a_reply_to_someone_elses_suggestion_is_404(cast):
    submit(cast.client(cast.alice), cast)
    suggestion = Suggestion.objects.get()
    url = f"/feedback/suggestions/{suggestion.pk}/steps"
    for user in (cast.bob, cast.mr_wang, cast.dave, cast.erin):
        assert post(cast.client(user), url, {"step": "reply", "text": "我替老师回"}).status_code == 404
    assert post(cast.client(), url, {"step": "reply", "text": "x"}).status_code == 401
    assert Suggestion.objects.get().reply == ""


def test_routes_and_report_in_the_api(cast, school_day):
    admin = cast.client(cast.admin_zhang)
    response = post(admin, "/feedback/routes", {"kind": "teaching", "owner_id": cast.mr_wang.pk, "ack_hours": 12})
    assert response.status_code == 200 and response.json()["ack_hours"] == 12
    assert post(admin, "/feedback/routes", {"kind": "teaching", "owner_id": cast.dave.pk}).status_code == 400
    assert post(admin, "/feedback/routes", {"kind": "teaching", "owner_id": None}).status_code == 400
    submit(cast.client(cast.bob), cast, kind="teaching")
    assert Suggestion.objects.get().owner == cast.mr_wang
    report = admin.get("/api/v1/feedback/report?year=2026&month=11").json()
    assert report["by_kind"] == {"teaching": 1} and report["answered"] == 0
    assert cast.client(cast.dave).get("/api/v1/feedback/report?year=2026&month=11").json()["total"] == 0
