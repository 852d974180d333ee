import datetime

import pytest
from django.utils import timezone

from delivery.models import Delivery, DeliveryPreference
from events.actions import family_code, screen_code
from events.models import Attendance, Event, FollowUp, Reflection, Resolution, Rsvp
from events.tasks import remind_tomorrows_events
from notices.models import Notice, Receipt
from schools.models import Student, StudentGuardian

from .helpers import create_event, start_now

pytestmark = pytest.mark.usefixtures("unscoped")

CLASS1 = "class1"


def class1(cast):
    return [{"kind": "class", "class_id": cast.class1.pk}]


def bob_guardian(cast):
    return cast.bob_child.guardian_links.get().guardian


def receipt_of(event, guardian):
    return Receipt.objects.get(notice=event.notice, guardian=guardian)


def rsvp(client, event, answer="yes", people=1):
    return client.post(
        f"/api/v1/events/{event.pk}/rsvp", {"answer": answer, "people": people}, content_type="application/json"
    )


# --- creating, changing, cancelling ------------------------------------------------------------------


def test_head_teacher_creates_a_parent_meeting_on_the_page_and_the_class_is_invited(cast):
    li = cast.client(cast.ms_li)
    starts = timezone.localtime() + datetime.timedelta(days=3)
    response = li.post(
        "/events/new/",
        {
            "kind": "parent_meeting",
            "title": "期中家长会",
            "starts_at": starts.strftime("%Y-%m-%dT19:00"),
            "ends_at": starts.strftime("%Y-%m-%dT20:30"),
            "place": "三年级1班教室",
            "capacity": "40",
            "classes": [cast.class1.pk],
            "organisers": [cast.mr_wang.pk],
            "speakers": "刘爱丽（家长）",
        },
    )
    assert response.status_code == 302, response.content.decode()[-1500:]
    event = Event.objects.get(title="期中家长会")
    assert timezone.localtime(event.starts_at).strftime("%H:%M") == "19:00"
    assert set(event.organisers.values_list("username", flat=True)) == {"ms_li", "mr_wang"}
    assert event.notice is not None
    assert event.notice.status == Notice.Status.PUBLISHED and event.notice.deadline == event.starts_at
    assert set(Receipt.objects.filter(notice=event.notice).values_list("guardian__user__username", flat=True)) == {
        cast.alice.username,
        cast.bob.username,
    }
    notice_page = cast.client(cast.alice).get(f"/notices/{event.notice_id}/").content.decode()
    assert f"/events/{event.pk}/invitation/" in notice_page and "19:00" in notice_page
    # Site-relative: the page shows it on the reader's own address; the email makes it absolute.
    assert f'href="/events/{event.pk}/invitation/"' in event.notice.body_html
    # An organiser who is a subject teacher manages it too.
    assert cast.client(cast.mr_wang).get(f"/events/{event.pk}/").status_code == 200


@pytest.mark.parametrize(
    "change, message",
    [
        ({"hours": -1}, "结束时间必须晚于开始时间"),
        ({"starts_in": -datetime.timedelta(hours=1)}, "开始时间已经过去"),
        ({"place": ""}, "地点或线上链接"),
        ({"online_link": "javascript:alert(1)", "place": ""}, "https://"),
        ({"title": "  "}, "活动名称"),
        ({"capacity": 0}, "至少"),
    ],
)
def test_bad_events_are_refused_with_a_clear_message_and_nothing_written(cast, change, message):
    starts = timezone.now() + change.pop("starts_in", datetime.timedelta(days=2))
    hours = change.pop("hours", 2)
    body = {
        "kind": "parent_meeting",
        "title": "家长会",
        "starts_at": starts.isoformat(),
        "ends_at": (starts + datetime.timedelta(hours=hours)).isoformat(),
        "place": "教室",
        "targets": class1(cast),
        **change,
    }
    response = cast.client(cast.ms_li).post("/api/v1/events", body, content_type="application/json")
    assert response.status_code == 400 and message in response.json()["detail"], response.json()
    assert not Event.objects.exists() and not Notice.objects.exists()


def test_a_school_b_admin_cannot_invite_school_a_and_nothing_is_written(cast):
    starts = timezone.now() + datetime.timedelta(days=2)
    response = cast.client(cast.dave).post(
        "/api/v1/events",
        {
            "title": "家长会",
            "starts_at": starts.isoformat(),
            "ends_at": (starts + datetime.timedelta(hours=1)).isoformat(),
            "place": "教室",
            "targets": class1(cast),
        },
        content_type="application/json",
    )
    assert response.status_code == 400 and not Event.objects.exists() and not Notice.objects.exists()


def test_a_change_edits_the_invitation_and_tells_everyone_a_cancellation_too(cast):
    for user in (cast.alice, cast.bob):
        DeliveryPreference.objects.create(user=user, email=f"{user.username}@example.cn", email_enabled=True)
    li = cast.client(cast.ms_li)
    event = create_event(li, targets=class1(cast))
    rsvp(cast.client(cast.bob), event, "no")
    new_start = (timezone.now() + datetime.timedelta(days=4)).replace(microsecond=0)
    response = li.post(
        f"/api/v1/events/{event.pk}/change",
        {
            "title": "期中家长会（改时间）",
            "starts_at": new_start.isoformat(),
            "ends_at": (new_start + datetime.timedelta(hours=2)).isoformat(),
            "place": "学校礼堂",
        },
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    notice = Notice.objects.get(pk=event.notice_id)
    assert notice.version == 2 and "学校礼堂" in notice.body_text and notice.deadline == new_start
    told = set(
        Delivery.objects.filter(receipt__notice=notice).values_list("receipt__guardian__user__username", flat=True)
    )
    assert told == {cast.alice.username, cast.bob.username}  # bob said no: a change still reaches him
    li.post(f"/events/{event.pk}/cancel/", {"reason": "天气原因"})
    event.refresh_from_db()
    notice.refresh_from_db()
    assert event.status == "cancelled" and notice.title.startswith("已取消")
    assert "天气原因" in notice.body_text
    assert rsvp(cast.client(cast.alice), event).status_code == 400


def test_capacity_cannot_drop_below_the_families_already_coming(cast):
    li = cast.client(cast.ms_li)
    event = create_event(li, targets=class1(cast), capacity=5)
    rsvp(cast.client(cast.alice), event)
    rsvp(cast.client(cast.bob), event)
    response = li.post(
        f"/api/v1/events/{event.pk}/change",
        {
            "title": event.title,
            "starts_at": event.starts_at.isoformat(),
            "ends_at": event.ends_at.isoformat(),
            "place": "教室",
            "capacity": 1,
        },
        content_type="application/json",
    )
    assert response.status_code == 400 and "2" in response.json()["detail"]
    event.refresh_from_db()
    assert event.capacity == 5


# --- RSVP ---------------------------------------------------------------------------------------------


def test_a_family_with_two_children_answers_once_and_sees_whom_it_covers(cast):
    sibling = Student.objects.create(school=cast.school, name="刘小亮", school_class=cast.class2)
    StudentGuardian.objects.create(school=cast.school, student=sibling, guardian=cast.alice_guardian)
    event = create_event(cast.client(cast.admin_zhang), targets=[{"kind": "grade", "grade": 3}])
    assert Receipt.objects.filter(notice=event.notice, guardian=cast.alice_guardian).count() == 1
    alice = cast.client(cast.alice)
    page = alice.get(f"/events/{event.pk}/invitation/").content.decode()
    assert "刘小明" in page and "刘小亮" in page
    assert rsvp(alice, event, people=2).status_code == 200
    assert rsvp(alice, event, "no").status_code == 200  # a change of mind replaces the answer
    assert list(Rsvp.objects.values_list("answer", "people")) == [("no", 1)]


def test_a_full_event_refuses_the_next_family_but_not_one_already_coming(cast):
    event = create_event(cast.client(cast.ms_li), targets=class1(cast), capacity=1)
    alice, bob = cast.client(cast.alice), cast.client(cast.bob)
    assert rsvp(alice, event).status_code == 200
    full = rsvp(bob, event)
    assert full.status_code == 400 and "满" in full.json()["detail"]
    assert rsvp(alice, event, people=3).status_code == 200  # already coming: may change the number
    assert rsvp(bob, event, "no").status_code == 200
    assert Rsvp.objects.filter(answer="yes").count() == 1


def test_replies_close_when_the_event_starts(cast):
    event = start_now(create_event(cast.client(cast.ms_li), targets=class1(cast)))
    response = rsvp(cast.client(cast.alice), event)
    assert response.status_code == 400 and not Rsvp.objects.exists()


# --- sign-in ------------------------------------------------------------------------------------------


def checkin(client, event, code):
    return client.post(f"/api/v1/events/{event.pk}/checkin", {"code": code}, content_type="application/json")


def test_a_family_code_signs_in_once_and_only_at_its_own_event(cast):
    li = cast.client(cast.ms_li)
    event = start_now(create_event(li, targets=class1(cast)))
    other = start_now(create_event(li, title="另一场", targets=class1(cast)))
    alice_receipt = receipt_of(event, cast.alice_guardian)
    code = family_code(event, alice_receipt.pk)
    assert code in cast.client(cast.alice).get(f"/events/{event.pk}/invitation/").content.decode()
    ok = checkin(li, event, code)
    assert ok.status_code == 200 and ok.json()["status"] == "present"
    again = checkin(li, event, code)
    assert again.status_code == 400 and "已经签到" in again.json()["detail"]
    assert checkin(li, other, code).status_code == 400  # the code of one event does nothing at another
    assert checkin(li, other, f"TX-E{event.pk}-{code}").status_code == 400
    receipt_id, mac = code.split("-")
    forged = f"{receipt_id}-{(int(mac) + 1) % 1000000:06d}"
    assert checkin(li, event, forged).status_code == 400
    bob_receipt = receipt_of(event, bob_guardian(cast))
    assert checkin(li, event, f"{bob_receipt.pk}-{mac}").status_code == 400  # alice's digits are not bob's
    assert Attendance.objects.count() == 1


def test_sign_in_opens_two_hours_before_closes_at_the_end_and_late_is_recorded(cast):
    li = cast.client(cast.ms_li)
    event = create_event(li, targets=class1(cast), starts_in=datetime.timedelta(hours=5))
    code = family_code(event, receipt_of(event, cast.alice_guardian).pk)
    early = checkin(li, event, code)
    assert early.status_code == 400 and "两小时" in early.json()["detail"]
    start_now(event, minutes_ago=30)
    assert checkin(li, event, code).json()["status"] == "late"
    Event.objects.filter(pk=event.pk).update(ends_at=timezone.now() - datetime.timedelta(minutes=1))
    bob_code = family_code(event, receipt_of(event, bob_guardian(cast)).pk)
    closed = checkin(li, event, bob_code)
    assert closed.status_code == 400 and "结束" in closed.json()["detail"]


def test_a_parent_scans_the_screen_code_which_expires(cast):
    event = start_now(create_event(cast.client(cast.ms_li), targets=class1(cast)))
    alice, bob = cast.client(cast.alice), cast.client(cast.bob)
    stale = screen_code(event, timezone.now() - datetime.timedelta(minutes=2))
    assert bob.post(f"/events/{event.pk}/here/{stale}/", follow=True).status_code == 200
    assert not Attendance.objects.exists()
    current = screen_code(event)
    assert alice.post(f"/events/{event.pk}/here/{current}/").status_code == 302
    attended = Attendance.objects.get()
    assert attended.receipt.guardian == cast.alice_guardian and attended.method == "screen"
    assert cast.client(cast.carol).post(f"/events/{event.pk}/here/{current}/").status_code == 404


def test_roll_call_marks_the_rest_and_refuses_a_family_not_invited(cast):
    li = cast.client(cast.ms_li)
    event = start_now(create_event(li, targets=class1(cast)))
    bob = receipt_of(event, bob_guardian(cast))
    assert li.post(f"/events/{event.pk}/attendance/", {f"r-{bob.pk}": "late"}).status_code == 302
    assert Attendance.objects.get(receipt=bob).status == "late"
    foreign = Receipt.objects.exclude(notice=event.notice).first()
    if foreign is None:
        other = create_event(li, title="另一场", targets=class1(cast))
        foreign = receipt_of(other, cast.alice_guardian)
    li.post(f"/events/{event.pk}/attendance/", {f"r-{foreign.pk}": "present"})
    assert not Attendance.objects.filter(receipt=foreign).exists()


# --- minutes, follow-ups, resolutions ------------------------------------------------------------------


def test_minutes_go_to_everyone_absent_families_become_follow_ups_resolutions_land_in_to_do_lists(cast):
    li = cast.client(cast.ms_li)
    event = start_now(create_event(li, targets=class1(cast)))
    checkin(li, event, family_code(event, receipt_of(event, cast.alice_guardian).pk))
    due = (timezone.localdate() + datetime.timedelta(days=14)).isoformat()
    response = li.post(
        f"/events/{event.pk}/minutes/",
        {
            "minutes": "通报了期中考试情况；讨论了课后阅读。",
            "resolutions": f"成立班级读书会 | 王老师 | {due}\n整理家长建议 | 李老师",
        },
    )
    assert response.status_code == 302, response.content.decode()[-1500:]
    event.refresh_from_db()
    assert event.minutes_published_at is not None
    statuses = dict(Attendance.objects.values_list("receipt__guardian__user__username", "status"))
    assert statuses == {cast.alice.username: "present", cast.bob.username: "absent"}
    follow_up = FollowUp.objects.get()
    assert follow_up.student == cast.bob_child and follow_up.owner == cast.ms_li
    assert {(r.text, r.owner.username) for r in Resolution.objects.all()} == {
        ("成立班级读书会", "mr_wang"),
        ("整理家长建议", "ms_li"),
    }
    # The minutes reach those who came and those who did not.
    minutes = event.minutes_notice
    assert set(Receipt.objects.filter(notice=minutes).values_list("guardian__user__username", flat=True)) == {
        cast.alice.username,
        cast.bob.username,
    }
    assert "课后阅读" in cast.client(cast.bob).get(f"/events/{event.pk}/invitation/").content.decode()
    # The to-do lists: the head teacher's follow-up, the subject teacher's resolution.
    todo = li.get("/contacts/todo/").content.decode()
    assert "陈小红" in todo and "整理家长建议" in todo
    assert "成立班级读书会" in cast.client(cast.mr_wang).get("/contacts/todo/").content.decode()
    li.post(f"/events/follow-ups/{follow_up.pk}/done/")
    assert FollowUp.objects.get().done_at is not None
    # Published once only.
    again = li.post(f"/api/v1/events/{event.pk}/minutes", {"minutes": "再发一次"}, content_type="application/json")
    assert again.status_code == 400 and Notice.objects.filter(title__startswith="纪要").count() == 1


def test_minutes_are_refused_before_the_start_without_text_or_with_an_owner_who_is_not_staff(cast):
    li = cast.client(cast.ms_li)
    event = create_event(li, targets=class1(cast))
    early = li.post(f"/api/v1/events/{event.pk}/minutes", {"minutes": "内容"}, content_type="application/json")
    assert early.status_code == 400
    start_now(event)
    empty = li.post(f"/api/v1/events/{event.pk}/minutes", {"minutes": " "}, content_type="application/json")
    assert empty.status_code == 400
    parent_owner = li.post(
        f"/api/v1/events/{event.pk}/minutes",
        {"minutes": "内容", "resolutions": [{"text": "x", "owner_id": cast.alice.pk}]},
        content_type="application/json",
    )
    assert parent_owner.status_code == 400
    assert not Attendance.objects.exists() and not Resolution.objects.exists() and not FollowUp.objects.exists()
    event.refresh_from_db()
    assert event.minutes_published_at is None


# --- reflections and the parent school -----------------------------------------------------------------


def test_reflections_after_a_lecture_commented_marked_excellent_and_shared_with_the_class(cast):
    li = cast.client(cast.ms_li)
    lecture = start_now(create_event(li, kind="parent_school", title="如何陪伴孩子阅读", targets=class1(cast)))
    alice = cast.client(cast.alice)
    response = alice.post(
        f"/api/v1/events/{lecture.pk}/reflection", {"text": "每天陪孩子读二十分钟。"}, content_type="application/json"
    )
    assert response.status_code == 200
    reflection = Reflection.objects.get()
    refused = li.post(f"/events/reflections/{reflection.pk}/", {"comment": "好", "shared": "on"})
    assert refused.status_code == 302 and not Reflection.objects.get().shared  # shared needs excellent
    li.post(f"/events/reflections/{reflection.pk}/", {"comment": "写得真好！", "excellent": "on", "shared": "on"})
    reflection.refresh_from_db()
    assert reflection.excellent and reflection.shared and reflection.commented_by == cast.ms_li
    assert "每天陪孩子读二十分钟" in cast.client(cast.bob).get(f"/events/{lecture.pk}/invitation/").content.decode()
    assert "写得真好" in alice.get(f"/events/{lecture.pk}/invitation/").content.decode()
    meeting = start_now(create_event(li, targets=class1(cast)))
    no = alice.post(f"/api/v1/events/{meeting.pk}/reflection", {"text": "x"}, content_type="application/json")
    assert no.status_code == 400


def test_parent_school_attendance_against_the_rule_shows_who_has_not_come(cast):
    li = cast.client(cast.ms_li)
    lecture = start_now(create_event(li, kind="parent_school", targets=class1(cast)))
    checkin(li, lecture, family_code(lecture, receipt_of(lecture, cast.alice_guardian).pk))
    data = li.get(f"/api/v1/classes/{cast.class1.pk}/parent-school").json()
    assert data["rule"] == 1 and data["sessions_held"] == 1
    assert {s["name"]: s["sessions"] for s in data["students"]} == {"刘小明": 1, "陈小红": 0}
    assert data["not_yet"] == ["陈小红"]
    assert cast.client(cast.mr_wang).get(f"/classes/{cast.class1.pk}/parent-school/").status_code == 404


# --- reminders ----------------------------------------------------------------------------------------


def test_the_day_before_everyone_but_those_who_declined_is_reminded_once(cast):
    for user in (cast.alice, cast.bob):
        DeliveryPreference.objects.create(user=user, email=f"{user.username}@example.cn", email_enabled=True)
    soon = create_event(cast.client(cast.ms_li), targets=class1(cast), starts_in=datetime.timedelta(hours=20))
    later = create_event(
        cast.client(cast.ms_li), title="下周", targets=class1(cast), starts_in=datetime.timedelta(days=5)
    )
    rsvp(cast.client(cast.bob), soon, "no")
    assert remind_tomorrows_events() == 1
    assert remind_tomorrows_events() == 0
    reminded = set(
        Delivery.objects.filter(round__gte=1).values_list("receipt__guardian__user__username", "receipt__notice")
    )
    assert reminded == {(cast.alice.username, soon.notice_id)}
    assert Event.objects.get(pk=later.pk).reminded_at is None


# --- who may change what, and what a change means ---------------------------------------------------


def test_a_head_teacher_takes_the_roll_of_an_admins_grade_meeting_but_does_not_change_or_cancel_it(cast):
    event = create_event(cast.client(cast.admin_zhang), targets=[{"kind": "grade", "grade": 3}])
    li = cast.client(cast.ms_li)
    assert li.get(f"/events/{event.pk}/").status_code == 200
    assert li.get(f"/events/{event.pk}/attendance/").status_code == 200
    assert li.get(f"/events/{event.pk}/checkin/").status_code == 200
    assert li.post(f"/events/{event.pk}/cancel/").status_code == 404
    assert li.post(f"/events/{event.pk}/", {"title": "改名"}).status_code == 404
    assert li.post(f"/events/{event.pk}/minutes/", {"minutes": "x"}).status_code == 404
    event.refresh_from_db()
    assert event.status == "scheduled" and event.title == "三年级家长会"
    assert cast.client(cast.mr_wang).get(f"/events/{event.pk}/attendance/").status_code == 404


def test_an_event_sent_with_a_guardrail_reason_can_still_be_changed_and_cancelled(cast):
    li = cast.client(cast.ms_li)
    event = create_event(
        li,
        title="期中成绩排名说明会",
        targets=class1(cast),
        description="刘小明第一名，陈小红第二名",
        guardrail_reason="家长会上说明，家长已同意",
    )
    assert event.notice.guardrail_reason
    response = li.post(f"/events/{event.pk}/cancel/", {"reason": "改期"})
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.status == "cancelled"


def test_a_postponed_event_is_reminded_again(cast):
    li = cast.client(cast.ms_li)
    event = create_event(li, targets=class1(cast), starts_in=datetime.timedelta(hours=20))
    assert remind_tomorrows_events() == 1
    later = event.starts_at + datetime.timedelta(days=3)
    li.post(
        f"/api/v1/events/{event.pk}/change",
        {
            "title": event.title,
            "starts_at": later.isoformat(),
            "ends_at": (later + datetime.timedelta(hours=2)).isoformat(),
            "place": "教室",
        },
        content_type="application/json",
    )
    event.refresh_from_db()
    assert event.reminded_at is None


def test_minutes_with_a_score_list_are_held_back_until_a_reason_is_given(cast):
    li = cast.client(cast.ms_li)
    event = start_now(create_event(li, targets=class1(cast)))
    text = "刘小明数学59分，陈小红62分。"
    held = li.post(f"/api/v1/events/{event.pk}/minutes", {"minutes": text}, content_type="application/json")
    assert held.status_code == 400
    event.refresh_from_db()
    assert event.minutes_published_at is None and not Attendance.objects.exists()
    sent = li.post(
        f"/api/v1/events/{event.pk}/minutes",
        {"minutes": text, "guardrail_reason": "家长会上已说明"},
        content_type="application/json",
    )
    assert sent.status_code == 200


def test_the_school_sets_its_parent_school_rule_and_the_class_page_follows_it(cast):
    admin = cast.client(cast.admin_zhang)
    assert admin.post("/school/parent-school-rule/", {"sessions": "11"}).status_code == 200
    assert admin.post("/school/parent-school-rule/", {"sessions": "2"}).status_code == 302
    data = cast.client(cast.ms_li).get(f"/api/v1/classes/{cast.class1.pk}/parent-school").json()
    assert data["rule"] == 2
    assert cast.client(cast.ms_li).post("/school/parent-school-rule/", {"sessions": "0"}).status_code == 404
