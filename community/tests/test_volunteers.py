"""Volunteers (issue 14): a family offers to help, staff publish an activity with slots, families take
places within capacity, withdraw before the cut-off, are reminded the day before, are checked in by
code on the day, and the archive (档案) shows what they served."""

import datetime
import html
import io
import threading

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone
from django_scopes import scopes_disabled

from audit.models import AuditEntry
from community import actions
from community.models import Volunteer, VolunteerActivity, VolunteerSignup, VolunteerSlot
from community.queries import class_volunteer_rows
from community.tasks import remind_tomorrows_volunteers
from conftest import zh
from delivery.models import Delivery, DeliveryPreference
from notices.models import Notice
from schools.models import Guardian
from schools.roles import compute_roles

pytestmark = pytest.mark.usefixtures("unscoped")


def guardian_of(user) -> Guardian:
    return Guardian.objects.get(user=user)


def volunteer(user, availability="周末") -> Volunteer:
    return actions.do_register_volunteer(guardian_of(user), acting_user=user, skills="摄影", availability=availability)


def publish(cast, *, needed=2, starts_in=datetime.timedelta(days=3), hours=2, school_class="class1", **changes):
    """ms_li asks class 1 for helpers: one slot ``starts_in`` from now (fanned out, as after a commit)."""
    from notices.fanout import fan_out

    start = timezone.now().replace(microsecond=0) + starts_in
    fields = actions.ActivityFields(
        kind="sports_meet",
        title=changes.pop("title", "秋季运动会"),
        place="操场东门",
        withdraw_until=changes.pop("withdraw_until", start - datetime.timedelta(hours=12)),
        slots=[actions.SlotSpec("检录", start, start + datetime.timedelta(hours=hours), needed)],
    )
    author = changes.pop("author", cast.ms_li)
    activity = actions.do_create_activity(
        cast.school,
        acting_user=author,
        roles=compute_roles(author),
        school_class=getattr(cast, school_class) if school_class else None,
        fields=fields,
    )
    assert activity.notice is not None
    fan_out(activity.notice)
    return activity


def only_slot(activity) -> VolunteerSlot:
    return VolunteerSlot.objects.get(activity=activity)


# --- volunteers and their archive ------------------------------------------------------------------


def test_a_parent_offers_to_help_changes_it_and_stops(cast):
    client = cast.client(cast.carol)
    assert client.get("/volunteers/").status_code == 200
    response = client.post("/volunteers/join/", {"skills": "急救", "availability": "周六上午"})
    assert response.status_code == 302
    v = Volunteer.objects.get()
    assert (v.guardian.user, v.skills, v.availability, v.active) == (cast.carol, "急救", "周六上午", True)
    client.post("/volunteers/join/", {"skills": "急救, 摄影", "availability": "周末"})
    assert Volunteer.objects.get().skills == "急救, 摄影"
    client.post("/volunteers/join/", {"op": "leave"})
    assert Volunteer.objects.get().active is False
    # The API: the same offer.
    answer = client.post(
        "/api/v1/community/volunteer/me", {"availability": "工作日晚上"}, content_type="application/json"
    )
    assert answer.status_code == 200 and answer.json()["active"] is True
    assert client.get("/api/v1/community/volunteer/me").json()["volunteer"]["availability"] == "工作日晚上"


def test_an_offer_without_when_is_refused_and_nothing_is_written(cast):
    client = cast.client(cast.carol)
    response = client.post("/api/v1/community/volunteer/me", {"availability": "  "}, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["detail"] == zh("Say when you can help, in one line of at most 200 characters.")
    assert not Volunteer.objects.exists()
    # Staff without children have no volunteer page.
    assert cast.client(cast.ms_li).get("/volunteers/").status_code == 404


# --- activities ------------------------------------------------------------------------------------


def test_the_head_teacher_publishes_an_activity_and_the_class_is_asked(cast):
    day = timezone.localdate() + datetime.timedelta(days=5)
    response = cast.client(cast.ms_li).post(
        "/volunteers/activities/new/",
        {
            "class_id": cast.class1.pk,
            "kind": "spring_outing",
            "title": "踏青",
            "place": "校门口",
            "day": day.isoformat(),
            "slots": "08:00-10:00 集合点名 2\n10:00-12:00 安全员 3人",
            "withdraw_until": f"{(day - datetime.timedelta(days=1)).isoformat()}T20:00",
        },
    )
    assert response.status_code == 302, response.content.decode()[-1500:]
    activity = VolunteerActivity.objects.get()
    assert response["Location"] == f"/volunteers/activities/{activity.pk}/manage/"
    assert [(s.label, s.needed, s.minutes) for s in activity.slots.all()] == [("集合点名", 2, 120), ("安全员", 3, 120)]
    assert activity.notice is not None and activity.notice.title == "踏青"
    assert f"/volunteers/activities/{activity.pk}/" in activity.notice.body_html
    # Class 1's families see it; class 2's and another school's do not.
    assert cast.client(cast.alice).get(f"/volunteers/activities/{activity.pk}/").status_code == 200
    assert cast.client(cast.carol).get(f"/volunteers/activities/{activity.pk}/").status_code == 404
    assert cast.client(cast.erin).get(f"/volunteers/activities/{activity.pk}/").status_code == 404
    assert "踏青" not in cast.client(cast.carol).get("/volunteers/").content.decode()
    assert "踏青" in cast.client(cast.alice).get("/volunteers/").content.decode()
    # The subject teacher does not manage it; the head teacher and the admin do.
    listed = cast.client(cast.ms_li).get("/api/v1/community/volunteer-activities").json()
    assert [(a["title"], a["class_name"], a["needed"], a["taken"]) for a in listed] == [("踏青", "三年级1班", 5, 0)]
    assert cast.client(cast.mr_wang).get("/api/v1/community/volunteer-activities").json() == []
    assert cast.client(cast.dave).get("/api/v1/community/volunteer-activities").json() == []
    assert "踏青" in cast.client(cast.admin_zhang).get("/volunteers/activities/").content.decode()
    assert cast.client(cast.mr_wang).get(f"/volunteers/activities/{activity.pk}/manage/").status_code == 404
    assert cast.client(cast.admin_zhang).get(f"/volunteers/activities/{activity.pk}/manage/").status_code == 200


@pytest.mark.parametrize(
    ("slots", "withdraw_hours_before", "message"),
    [
        (
            "08:00-10:00 检录",
            24,
            ("Slot line %(n)s: write the time, the task and how many helpers, e.g. 08:00-10:00 检录 3.", {"n": 1}),
        ),
        ("10:00-08:00 检录 3", 24, "A slot must end after it starts."),
        ("08:00-10:00 检录 0", 24, ("A slot needs 1 to %(n)s helpers.", {"n": 200})),
        ("08:00-10:00 检录 3", -24, "The withdrawal cut-off must be after now and no later than the first slot."),
        ("25:00-26:00 检录 3", 24, ("Slot line %(n)s: the time is not a time of day.", {"n": 1})),
    ],
)
def test_bad_activity_input_is_refused_with_a_message_and_nothing_is_written(
    cast, slots, withdraw_hours_before, message
):
    day = timezone.localdate() + datetime.timedelta(days=5)
    cutoff = timezone.make_aware(datetime.datetime.combine(day, datetime.time(8))) - datetime.timedelta(
        hours=withdraw_hours_before
    )
    response = cast.client(cast.ms_li).post(
        "/volunteers/activities/new/",
        {
            "class_id": cast.class1.pk,
            "kind": "sports_meet",
            "title": "运动会",
            "place": "操场",
            "day": day.isoformat(),
            "slots": slots,
            "withdraw_until": timezone.localtime(cutoff).strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert response.status_code == 400
    # The message as the teacher reads it: translated first, then filled in (as the code does).
    msgid, params = message if isinstance(message, tuple) else (message, {})
    assert html.escape(zh(msgid) % params, quote=False) in response.content.decode()
    assert not VolunteerActivity.objects.exists() and not VolunteerSlot.objects.exists()
    assert not Notice.objects.exists()


def test_a_slot_in_the_past_and_another_classs_activity_are_refused(cast):
    with pytest.raises(ValidationError) as excinfo:
        publish(
            cast, starts_in=-datetime.timedelta(hours=1), withdraw_until=timezone.now() + datetime.timedelta(hours=1)
        )
    assert excinfo.value.messages == [zh("A slot starts in the past.")]
    # ms_li is not class 2's head teacher; only admins ask the whole school.
    with pytest.raises(ValidationError):
        publish(cast, school_class="class2")
    with pytest.raises(ValidationError):
        publish(cast, school_class=None)
    assert not VolunteerActivity.objects.exists() and not Notice.objects.exists()
    assert publish(cast, school_class=None, author=cast.admin_zhang).school_class is None


# --- taking a place --------------------------------------------------------------------------------


def signup_api(client, slot):
    return client.post(f"/api/v1/community/volunteer/slots/{slot.pk}/signup")


def test_families_take_places_within_the_capacity(cast):
    slot = only_slot(publish(cast, needed=1))
    alice, bob = cast.client(cast.alice), cast.client(cast.bob)
    # Not a volunteer yet: told to sign up first.
    assert signup_api(alice, slot).json()["detail"] == zh("Sign up as a volunteer first.")
    volunteer(cast.alice), volunteer(cast.bob)
    answer = signup_api(alice, slot)
    assert answer.status_code == 201 and answer.json()["code"].startswith("V")
    assert signup_api(alice, slot).json()["detail"] == zh("You are already signed up for this slot.")
    full = signup_api(bob, slot)
    assert full.status_code == 400 and full.json()["detail"] == zh("This slot is full. Please choose another.")
    slot.refresh_from_db()
    assert slot.taken == 1 and VolunteerSignup.objects.count() == 1
    # Class 2's parent cannot even see the slot.
    volunteer(cast.carol)
    assert signup_api(cast.client(cast.carol), slot).status_code == 404


def test_a_family_withdraws_before_the_cut_off_and_not_after(cast, time_machine):
    slot = only_slot(publish(cast, needed=1))
    volunteer(cast.alice), volunteer(cast.bob)
    signup = VolunteerSignup.objects.get(pk=signup_api(cast.client(cast.alice), slot).json()["id"])
    # Bob cannot withdraw Alice's place.
    assert cast.client(cast.bob).post(f"/volunteers/sign-ups/{signup.pk}/withdraw/").status_code == 404
    assert cast.client(cast.alice).post(f"/volunteers/sign-ups/{signup.pk}/withdraw/").status_code == 302
    slot.refresh_from_db()
    assert slot.taken == 0 and not VolunteerSignup.objects.exists()
    # Bob takes the freed place, then the cut-off passes.
    bobs = signup_api(cast.client(cast.bob), slot).json()["id"]
    time_machine.move_to(slot.activity.withdraw_until + datetime.timedelta(minutes=1))
    late = cast.client(cast.bob).post(f"/api/v1/community/volunteer/signups/{bobs}/withdraw")
    assert late.status_code == 400
    assert late.json()["detail"] == zh("The cut-off for withdrawing has passed. Please tell the teacher instead.")
    assert VolunteerSignup.objects.filter(pk=bobs).exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite serialises writers itself (BEGIN IMMEDIATE)")
@pytest.mark.django_db(transaction=True)
def test_two_families_asking_for_the_last_place_at_once_one_wins(transactional_db, monkeypatch):
    from conftest import build_cast

    cast = build_cast()
    with scopes_disabled():
        slot = only_slot(publish(cast, needed=1))
        volunteer(cast.alice), volunteer(cast.bob)
    clients = [cast.client(cast.alice), cast.client(cast.bob)]
    # Both families pass every check before either claims: the barrier sits just before the
    # conditional UPDATE, inside the sign-up's transaction, so the database alone decides.
    barrier = threading.Barrier(2, timeout=20)
    claim = actions._claim_place

    def claim_together(slot_id):
        barrier.wait()
        return claim(slot_id)

    monkeypatch.setattr(actions, "_claim_place", claim_together)
    responses, errors = {}, []

    def run(index):
        try:
            responses[index] = signup_api(clients[index], slot)
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    assert sorted(r.status_code for r in responses.values()) == [201, 400]
    (loser,) = [r for r in responses.values() if r.status_code == 400]
    assert loser.json()["detail"] == zh("This slot is full. Please choose another.")
    with scopes_disabled():
        slot.refresh_from_db()
        assert slot.taken == 1 and VolunteerSignup.objects.count() == 1


# --- the day before, and the day -------------------------------------------------------------------


def test_the_day_before_the_families_signed_up_are_reminded_once(cast):
    for user in (cast.alice, cast.bob):
        DeliveryPreference.objects.create(user=user, email=f"{user.username}@example.cn", email_enabled=True)
    soon = only_slot(publish(cast, starts_in=datetime.timedelta(hours=20), title="明天"))
    later = only_slot(publish(cast, starts_in=datetime.timedelta(days=4), title="下周"))
    volunteer(cast.alice), volunteer(cast.bob)
    actions.do_sign_up(soon, Volunteer.objects.get(guardian__user=cast.alice), acting_user=cast.alice)
    actions.do_sign_up(later, Volunteer.objects.get(guardian__user=cast.bob), acting_user=cast.bob)
    assert remind_tomorrows_volunteers() == 1
    assert remind_tomorrows_volunteers() == 0
    reminded = set(Delivery.objects.values_list("receipt__guardian__user__username", "receipt__notice"))
    assert reminded == {(cast.alice.username, soon.activity.notice_id)}
    later.refresh_from_db()
    assert later.reminded_at is None


def test_a_helper_is_checked_in_by_code_and_the_hours_reach_the_archive(cast, time_machine):
    activity = publish(cast, needed=2, hours=2)
    slot = only_slot(activity)
    volunteer(cast.alice)
    signup = actions.do_sign_up(slot, Volunteer.objects.get(guardian__user=cast.alice), acting_user=cast.alice)
    code = actions.volunteer_code(signup)
    li = cast.client(cast.ms_li)
    url = f"/api/v1/community/volunteer-activities/{activity.pk}/check-in"
    early = li.post(url, {"code": code}, content_type="application/json")
    assert early.json()["detail"] == zh("Check-in opens an hour before the slot starts.")
    time_machine.move_to(slot.starts_at - datetime.timedelta(minutes=20))
    li = cast.client(cast.ms_li)  # a fresh session: the idle one expired while the clock moved
    forged = f"V{signup.pk}-{(int(code[-6:]) + 1) % 10**6:06d}"
    assert li.post(url, {"code": forged}, content_type="application/json").json()["detail"] == zh(
        "This is not a helper's code of this activity."
    )
    # The family's own page shows the code; the page form checks it in.
    assert code in cast.client(cast.alice).get(f"/volunteers/sign-ups/{signup.pk}/code/").content.decode()
    assert li.post(f"/volunteers/activities/{activity.pk}/check-in/", {"code": code}).status_code == 302
    signup.refresh_from_db()
    assert signup.checked_in_at is not None and signup.minutes == 120 and signup.checked_in_by == cast.ms_li
    again = li.post(url, {"code": code}, content_type="application/json")
    assert again.json()["detail"] == zh("This helper has already checked in.")
    # Another class's head teacher (none in this cast) or a parent cannot check in.
    assert cast.client(cast.bob).post(url, {"code": code}, content_type="application/json").status_code == 404
    # The archive, the class list and its export.
    v = signup.volunteer
    archive = cast.client(cast.alice).get(f"/api/v1/community/volunteers/{v.pk}/archive").json()
    assert (archive["activities_served"], archive["hours"]) == (1, 2.0)
    assert archive["served"][0]["activity"] == "秋季运动会"
    assert cast.client(cast.bob).get(f"/volunteers/{v.pk}/archive/").status_code == 404
    assert cast.client(cast.mr_wang).get(f"/volunteers/{v.pk}/archive/").status_code == 200
    rows = cast.client(cast.ms_li).get(f"/api/v1/community/classes/{cast.class1.pk}/volunteers").json()
    assert [(r["volunteer"]["guardian"], r["hours"]) for r in rows] == [("刘爱丽", 2.0)]
    export = cast.client(cast.ms_li).get(f"/classes/{cast.class1.pk}/volunteers.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(export.content)).active
    assert list(sheet.iter_rows(values_only=True))[1][:5] == ("刘爱丽", "摄影", "周末", 1, 2)
    assert cast.client(cast.carol).get(f"/classes/{cast.class1.pk}/volunteers.xlsx").status_code == 404
    # Every step left its row in the school's audit log, which shows them.
    codes = set(AuditEntry.objects.filter(school=cast.school).values_list("action", flat=True))
    assert {"volunteer", "volunteer_activity", "volunteer_signup", "volunteer_checkin", "export"} <= codes
    assert "volunteer_checkin" in cast.client(cast.admin_zhang).get("/school/audit/").content.decode()


def test_the_archive_shows_the_parent_school_trainings_attended(cast):
    from events.models import Attendance, Event
    from notices.models import Receipt

    v = volunteer(cast.alice)
    start = timezone.now() - datetime.timedelta(days=3)
    training = Event.objects.create(
        school=cast.school,
        author=cast.ms_li,
        kind=Event.Kind.PARENT_SCHOOL,
        title="家长学校：陪伴与沟通",
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=1),
        place="报告厅",
    )
    meeting = Event.objects.create(
        school=cast.school,
        author=cast.ms_li,
        title="期中班会",
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=1),
    )
    notice = Notice.objects.create(school=cast.school, author=cast.ms_li, title="x", body_html="x")
    receipt = Receipt.objects.create(school=cast.school, notice=notice, guardian=v.guardian)
    for event in (training, meeting):
        Attendance.objects.create(school=cast.school, event=event, receipt=receipt, status="present", method="code")
    page = cast.client(cast.alice).get(f"/volunteers/{v.pk}/archive/").content.decode()
    assert "家长学校：陪伴与沟通" in page and "期中班会" not in page
    rows = class_volunteer_rows(cast.class1)
    assert [t.title for t in rows[0]["trainings"]] == ["家长学校：陪伴与沟通"]


def test_the_class_list_takes_the_same_queries_for_one_volunteer_or_many(cast, django_assert_num_queries):
    from schools.models import StudentGuardian

    activity = publish(cast, needed=50)
    slot = only_slot(activity)
    volunteer(cast.alice)
    actions.do_sign_up(slot, Volunteer.objects.get(guardian__user=cast.alice), acting_user=cast.alice)
    client = cast.client(cast.ms_li)
    client.get(f"/classes/{cast.class1.pk}/volunteers/")  # warm the session and roles

    def count() -> int:
        from django.db import connection as conn
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(conn) as ctx:
            assert client.get(f"/classes/{cast.class1.pk}/volunteers/").status_code == 200
        return len(ctx.captured_queries)

    small = count()
    for i in range(6):
        g = Guardian.objects.create(school=cast.school, name=f"家长{i}", phone=f"1370000{i:04d}")
        StudentGuardian.objects.create(school=cast.school, student=cast.bob_child, guardian=g)
        v = actions.do_register_volunteer(g, acting_user=cast.ms_li, skills="", availability="周末")
        actions.do_sign_up(slot, v, acting_user=cast.ms_li)
    assert count() == small
    page = client.get(f"/classes/{cast.class1.pk}/volunteers/").content.decode()
    assert "家长5" in page and "刘爱丽" in page


def test_the_demo_class_asks_for_helpers_and_two_families_have_places(db):
    from home.demo import _demo_volunteers, add_demo_activity
    from schools.demo import load_demo
    from schools.models import StaffAssignment

    school = load_demo(students_per_class=6)
    add_demo_activity(school)
    activity = VolunteerActivity.objects.get(school=school)
    assert activity.school_class is not None and activity.school_class.name == "三年级2班"
    assert VolunteerSignup.objects.filter(slot__activity=activity).count() == 2
    assert Volunteer.objects.filter(school=school).count() == 2
    head = StaffAssignment.objects.get(school_class=activity.school_class, role="head").staff.user
    _demo_volunteers(school, activity.school_class, head, compute_roles(head))  # run again: nothing new
    assert VolunteerActivity.objects.filter(school=school).count() == 1
