import pytest

from events.actions import family_code
from events.models import Attendance, FollowUp, Rsvp
from notices.models import Receipt

from .helpers import create_event, start_now

pytestmark = pytest.mark.usefixtures("unscoped")


def test_smoke(cast):
    li = cast.client(cast.ms_li)
    event = create_event(li, targets=[{"kind": "class", "class_id": cast.class1.pk}])
    alice = cast.client(cast.alice)
    assert alice.get(f"/events/{event.pk}/invitation/").status_code == 200
    r = alice.post(f"/api/v1/events/{event.pk}/rsvp", {"answer": "yes", "people": 2}, content_type="application/json")
    assert r.status_code == 200, r.content
    assert li.get(f"/events/{event.pk}/").status_code == 200
    assert li.get("/events/").status_code == 200
    start_now(event)
    receipt = Receipt.objects.get(notice=event.notice, guardian=cast.alice_guardian)
    r = li.post(f"/events/{event.pk}/checkin/", {"code": family_code(event, receipt.pk)})
    assert r.status_code == 302, r.content.decode()[-2000:]
    assert Attendance.objects.count() == 1
    for url in ("attendance", "checkin", "screen", "minutes", "reflections"):
        assert li.get(f"/events/{event.pk}/{url}/").status_code == 200, url
    r = li.post(
        f"/events/{event.pk}/minutes/", {"minutes": "讲了期中情况", "resolutions": "成立读书会 | 李老师 | 2026-12-20"}
    )
    assert r.status_code == 302, r.content.decode()[-3000:]
    assert FollowUp.objects.get().student == cast.bob_child
    todo = li.get("/contacts/todo/").content.decode()
    assert "陈小红" in todo and "成立读书会" in todo
    assert alice.get(f"/events/{event.pk}/event.ics").status_code == 200
    assert alice.get("/calendar/").status_code == 200
    assert li.get(f"/classes/{cast.class1.pk}/parent-school/").status_code == 200
    assert Rsvp.objects.count() == 1
