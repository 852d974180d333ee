"""Duty rosters (护学岗, 家长轮值) and the class quantification: through HTTP as users would, plus the
rotation itself. The clock stands at 10:00 on Monday 16 November 2026 (``school_day``)."""

import datetime

import pytest

from community import actions
from community.duty_rotation import ShiftSlot, fairness_spread, propose
from community.models import (
    DutyAssignment,
    DutyFamily,
    DutyRoster,
    DutyShift,
    DutySwap,
    DutyUnavailable,
    QuantCategory,
    QuantItem,
)
from community.tasks import remind_tomorrows_duty
from conftest import zh
from delivery.models import Delivery, DeliveryPreference
from notices.models import Notice, Receipt
from schools.models import Enrollment, Guardian, Student, StudentGuardian

pytestmark = pytest.mark.usefixtures("unscoped")

D = datetime.date
T = datetime.time


# --- the rotation, on its own ------------------------------------------------------------------------


def _slots(n, needed=1):
    start = D(2026, 11, 17)
    return [ShiftSlot(i + 1, start + datetime.timedelta(days=i), T(7, 20), T(8, 0), needed) for i in range(n)]


def test_every_family_once_before_any_twice():
    result = propose(_slots(25, needed=2), range(1, 21))  # 50 places, 20 families
    assert len(result.assignments) == 50 and not result.gaps
    assert fairness_spread(result.counts) <= 1
    first_round = [f for _s, f in result.assignments[:20]]
    assert sorted(first_round) == list(range(1, 21))


def test_unavailable_dates_are_respected_and_gaps_reported():
    slots = _slots(3)
    result = propose(slots, [1, 2], unavailable={1: {slots[0].date}, 2: {slots[0].date}})
    assert (slots[0].id, 1) in result.gaps
    assert all(s != slots[0].id for s, _f in result.assignments)
    assert fairness_spread(result.counts) == 0


def test_a_family_busy_elsewhere_is_kept_off_and_the_clash_reported():
    slots = _slots(1)
    result = propose(slots, [1, 2], busy={1: [(slots[0].date, T(7, 0), T(7, 30))]})
    assert result.assignments == [(slots[0].id, 2)]
    assert result.clashes == [(slots[0].id, 1)]


# --- helpers -------------------------------------------------------------------------------------------


def _roster(cast, klass=None, **shifts):
    client = _client(cast, cast.ms_li)
    response = client.post("/duty/", {"title": "护学岗", "scope": (klass or cast.class1).pk})
    assert response.status_code == 302
    roster = DutyRoster.objects.latest("pk")
    data = {
        "op": "add_shifts",
        "first": "2026-11-17",
        "last": "2026-11-20",
        "starts_at": "07:20",
        "ends_at": "08:00",
        "place": "校门口",
        "families_needed": "1",
        **shifts,
    }
    client.post(f"/duty/{roster.pk}/", data)
    return roster


def _publish(cast, roster):
    client = _client(cast, cast.ms_li)
    client.post(f"/duty/{roster.pk}/", {"op": "propose"})
    response = client.post(f"/duty/{roster.pk}/", {"op": "publish"})
    assert response.status_code == 302
    roster.refresh_from_db()
    return roster


def _client(cast, user):
    """A signed-in client that reads the pages in English (the messages these tests compare)."""
    client = cast.client(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def _family(roster, user):
    return DutyFamily.objects.get(roster=roster, members__guardian__user=user)


def _messages(response) -> str:
    return " ".join(str(m) for m in response.context["messages"]) if response.context else ""


# --- rosters -------------------------------------------------------------------------------------------


def test_head_teacher_creates_a_roster_with_every_family_and_shifts(school_day, cast):
    roster = _roster(cast)
    assert roster.school_class == cast.class1
    assert set(roster.families.values_list("label", flat=True)) == {"刘小明", "陈小红"}
    assert DutyShift.objects.filter(roster=roster).count() == 4  # Tue–Fri


def test_siblings_are_one_family_across_classes(school_day, cast):
    sibling = Student.objects.create(
        school=cast.school, name="刘小亮", student_number="2024199", school_class=cast.class2
    )
    Enrollment.objects.create(
        school=cast.school, term=cast.term, student=sibling, school_class=cast.class2, class_name="三年级2班"
    )
    StudentGuardian.objects.create(school=cast.school, student=sibling, guardian=cast.alice_guardian)
    response = _client(cast, cast.admin_zhang).post("/duty/", {"title": "全校护学岗", "scope": "school"})
    assert response.status_code == 302
    roster = DutyRoster.objects.get(title="全校护学岗")
    assert roster.school_class is None
    labels = sorted(roster.families.values_list("label", flat=True))
    assert labels == ["刘小明、刘小亮", "周小刚", "陈小红"]
    assert _client(cast, cast.ms_li).post("/duty/", {"title": "x", "scope": "school"}).status_code == 404


def test_a_family_with_children_in_two_classes_is_not_put_on_two_posts_at_once(school_day, cast):
    sibling = Student.objects.create(
        school=cast.school, name="刘小亮", student_number="2024199", school_class=cast.class2
    )
    StudentGuardian.objects.create(school=cast.school, student=sibling, guardian=cast.alice_guardian)
    first = _roster(cast, first="2026-11-17", last="2026-11-17")
    first.shifts.update(families_needed=2)  # both families of class 1, alice's among them
    actions.do_propose_rotation(first, acting_user=cast.ms_li)
    second = actions.do_create_roster(
        cast.school, acting_user=cast.admin_zhang, term=cast.term, title="二班护学岗", school_class=cast.class2
    )
    actions.do_add_shifts(
        second,
        acting_user=cast.admin_zhang,
        first="2026-11-17",
        starts_at="07:30",
        ends_at="08:10",
        place="东门",
        families_needed=2,
    )
    report = actions.do_propose_rotation(second, acting_user=cast.admin_zhang)
    alice_in_2 = DutyFamily.objects.get(roster=second, members__guardian=cast.alice_guardian)
    assert report["clashes"] == [[second.shifts.get().pk, alice_in_2.pk]]
    assert report["gaps"] == [[second.shifts.get().pk, 1]]
    assert DutyAssignment.objects.get(shift__roster=second).family.label == "周小刚"


def test_a_shift_in_the_past_is_refused_and_nothing_written(school_day, cast):
    roster = _roster(cast, first="2026-11-16", last="2026-11-16", starts_at="07:20", ends_at="08:00")
    assert roster.shifts.count() == 0
    response = _client(cast, cast.ms_li).post(
        f"/duty/{roster.pk}/",
        {"op": "add_shifts", "first": "2026-11-10", "starts_at": "07:20", "ends_at": "08:00", "place": "校门口"},
        follow=True,
    )
    assert "A shift cannot be in the past." in _messages(response)
    assert roster.shifts.count() == 0


def test_the_proposal_is_fair_and_respects_unavailable_dates(school_day, cast):
    roster = _roster(cast)
    alice = _family(roster, cast.alice)
    DutyUnavailable.objects.create(school=cast.school, family=alice, date=D(2026, 11, 17))
    report = actions.do_propose_rotation(roster, acting_user=cast.ms_li)
    assert report["placed"] == 4 and report["gaps"] == [] and report["spread"] == 0
    first = DutyAssignment.objects.get(shift__roster=roster, shift__date=D(2026, 11, 17))
    assert first.family != alice


def test_a_family_on_two_shifts_at_once_is_refused(school_day, cast):
    roster = _roster(cast)
    client = _client(cast, cast.ms_li)
    client.post(
        f"/duty/{roster.pk}/",
        {"op": "add_shifts", "first": "2026-11-17", "starts_at": "07:30", "ends_at": "08:10", "place": "东门"},
    )
    gate, east = DutyShift.objects.filter(roster=roster, date=D(2026, 11, 17)).order_by("starts_at")
    alice = _family(roster, cast.alice)
    client.post(f"/duty/{roster.pk}/", {"op": "assign", "shift": gate.pk, "families": [alice.pk]})
    response = client.post(
        f"/duty/{roster.pk}/", {"op": "assign", "shift": east.pk, "families": [alice.pk]}, follow=True
    )
    assert "刘小明 is already on another shift at that time." in _messages(response)
    assert not east.assignments.exists()
    assert gate.assignments.get().family == alice


def test_publishing_sends_a_notice_the_families_confirm(school_day, cast):
    roster = _publish(cast, _roster(cast))
    assert roster.status == "published"
    notice = roster.notice
    assert notice.action == Notice.Action.CONFIRM
    guardians = set(Receipt.objects.filter(notice=notice).values_list("guardian__user__username", flat=True))
    assert guardians == {cast.alice.username, cast.bob.username}
    receipt = Receipt.objects.get(notice=notice, guardian__user=cast.alice)
    _client(cast, cast.alice).post(f"/api/v1/notices/{notice.pk}/respond", {}, content_type="application/json")
    receipt.refresh_from_db()
    assert receipt.acted_at is not None
    page = _client(cast, cast.ms_li).get(f"/duty/{roster.pk}/")
    assert "confirmed" in page.content.decode()
    again = _client(cast, cast.ms_li).post(f"/duty/{roster.pk}/", {"op": "publish"}, follow=True)
    assert "This roster is already published." in _messages(again)
    assert Notice.objects.filter(title="护学岗").count() == 1


def test_families_see_their_shifts_and_others_do_not(school_day, cast):
    roster = _publish(cast, _roster(cast))
    page = _client(cast, cast.alice).get("/duty/mine/")
    assert page.status_code == 200 and roster.title in page.content.decode()
    assert roster.title not in _client(cast, cast.carol).get("/duty/mine/").content.decode()
    assert _client(cast, cast.carol).get(f"/duty/{roster.pk}/").status_code == 404
    assert _client(cast, cast.alice).get(f"/duty/{roster.pk}/").status_code == 404
    assert _client(cast, cast.dave).get(f"/duty/{roster.pk}/").status_code == 404


# --- swaps ----------------------------------------------------------------------------------------------


def test_two_families_swap_and_the_head_teacher_sees_it(school_day, cast):
    roster = _publish(cast, _roster(cast))
    alice, bob = _family(roster, cast.alice), _family(roster, cast.bob)
    mine = DutyAssignment.objects.filter(family=alice).order_by("shift__date").first()
    theirs = DutyAssignment.objects.filter(family=bob).order_by("shift__date").first()
    response = _client(cast, cast.alice).post(
        "/duty/mine/", {"op": "swap", "assignment": mine.pk, "with": f"a:{theirs.pk}"}
    )
    assert response.status_code == 302
    swap = DutySwap.objects.get()
    assert swap.to_family == bob and swap.status == "pending"
    assert _client(cast, cast.alice).post("/duty/mine/", {"op": "accept_swap", "swap": swap.pk}).status_code == 404
    _client(cast, cast.bob).post("/duty/mine/", {"op": "accept_swap", "swap": swap.pk})
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.family == bob and theirs.family == alice
    page = _client(cast, cast.ms_li).get(f"/duty/{roster.pk}/").content.decode()
    assert "刘小明 → 陈小红" in page


def test_a_swap_with_a_family_not_on_the_roster_is_refused(school_day, cast):
    roster = _publish(cast, _roster(cast))
    other = _roster(cast, klass=cast.class1)  # another roster's family
    stranger = DutyFamily.objects.filter(roster=other).first()
    mine = DutyAssignment.objects.filter(family=_family(roster, cast.alice)).first()
    response = _client(cast, cast.alice).post(
        "/duty/mine/", {"op": "swap", "assignment": mine.pk, "with": f"f:{stranger.pk}"}, follow=True
    )
    assert "This family is not on the roster." in _messages(response)
    api = _client(cast, cast.alice).post(
        f"/api/v1/duty/assignments/{mine.pk}/swap", {"to_family_id": stranger.pk}, content_type="application/json"
    )
    assert api.status_code == 400 and api.json()["detail"] == "This family is not on the roster."
    assert not DutySwap.objects.exists()
    bobs = DutyAssignment.objects.filter(family=_family(roster, cast.bob)).first()
    assert (
        _client(cast, cast.carol).post("/duty/mine/", {"op": "swap", "assignment": bobs.pk, "with": "f:0"}).status_code
        == 404
    )


# --- check-in, no-shows, standby and the quantification ---------------------------------------------------


def _today_shift(cast, roster):
    """A shift today from 10:30, with alice's family on it."""
    shift = DutyShift.objects.create(
        school=cast.school, roster=roster, date=D(2026, 11, 16), starts_at=T(10, 30), ends_at=T(11, 30), place="校门口"
    )
    alice = _family(roster, cast.alice)
    a = DutyAssignment.objects.create(school=cast.school, shift=shift, family=alice)
    return shift, a


def test_a_family_checks_in_by_code_and_the_class_quantification_shows_it(school_day, cast):
    roster = _publish(cast, _roster(cast))
    shift, assignment = _today_shift(cast, roster)
    alice = _client(cast, cast.alice)
    wrong = alice.post("/duty/mine/", {"op": "checkin", "assignment": assignment.pk, "code": "000000"}, follow=True)
    assert "This is not the code of this shift." in _messages(wrong)
    page = _client(cast, cast.ms_li).get(f"/duty/{roster.pk}/").content.decode()
    code = actions.shift_code(roster, shift)
    assert code in page
    alice.post("/duty/mine/", {"op": "checkin", "assignment": assignment.pk, "code": code})
    assignment.refresh_from_db()
    assert assignment.status == "done" and assignment.on_time is True
    item = QuantItem.objects.get(assignment=assignment)
    assert item.school_class == cast.class1 and item.points == 2 and "刘" not in item.reason
    quant = _client(cast, cast.ms_li).get(f"/quant/class/{cast.class1.pk}/")
    assert quant.status_code == 200 and 'id="quant-total">2<' in quant.content.decode()
    assert _client(cast, cast.alice).get(f"/quant/class/{cast.class1.pk}/").status_code == 404


def test_guessing_the_code_stops_after_ten_tries(school_day, cast):
    roster = _publish(cast, _roster(cast))
    shift, assignment = _today_shift(cast, roster)
    alice = _client(cast, cast.alice)
    for _ in range(10):
        alice.post("/duty/mine/", {"op": "checkin", "assignment": assignment.pk, "code": "000000"})
    code = actions.shift_code(roster, shift)
    refused = alice.post("/duty/mine/", {"op": "checkin", "assignment": assignment.pk, "code": code}, follow=True)
    assert "Too many wrong codes." in _messages(refused)
    assignment.refresh_from_db()
    assert assignment.status == "assigned"


def test_gaps_are_shown_as_they_are_now(school_day, cast):
    roster = _roster(cast, families_needed="3")  # two families in the class: one place short a shift
    head = _client(cast, cast.ms_li)
    assert "still empty" not in head.get(f"/duty/{roster.pk}/").content.decode()  # nothing proposed yet
    head.post(f"/duty/{roster.pk}/", {"op": "propose"})
    page = head.get(f"/duty/{roster.pk}/").content.decode()
    assert page.count("1 place still empty") == 4
    shift = roster.shifts.first()
    head.post(f"/duty/{roster.pk}/", {"op": "assign", "shift": shift.pk, "families": []})
    assert "3 places still empty" in head.get(f"/duty/{roster.pk}/").content.decode()


def test_a_no_show_is_recorded_and_a_standby_family_asked(school_day, cast, time_machine):
    roster = _publish(cast, _roster(cast))
    shift, assignment = _today_shift(cast, roster)
    head = _client(cast, cast.ms_li)
    early = head.post(
        f"/duty/{roster.pk}/", {"op": "attendance", "assignment": assignment.pk, "status": "no_show"}, follow=True
    )
    assert "The shift has not begun yet." in _messages(early)
    time_machine.move_to(datetime.datetime(2026, 11, 16, 10, 45, tzinfo=school_day.tzinfo), tick=True)
    head.post(f"/duty/{roster.pk}/", {"op": "attendance", "assignment": assignment.pk, "status": "no_show"})
    assignment.refresh_from_db()
    assert assignment.status == "no_show"
    assert QuantItem.objects.get(assignment=assignment).points == -2
    bob = _family(roster, cast.bob)
    head.post(f"/duty/{roster.pk}/", {"op": "standby", "shift": shift.pk, "family": bob.pk})
    asked = DutyAssignment.objects.get(shift=shift, family=bob)
    assert asked.status == "asked" and asked.is_standby
    told = Notice.objects.get(title="Can you stand in for a duty shift?")
    assert set(Receipt.objects.filter(notice=told).values_list("guardian__user", flat=True)) == {cast.bob.pk}
    _client(cast, cast.bob).post("/duty/mine/", {"op": "accept_standby", "assignment": asked.pk})
    asked.refresh_from_db()
    assert asked.status == "assigned"
    totals = _client(cast, cast.admin_zhang).get("/api/v1/quant/compare").json()
    row = next(r for r in totals["rows"] if r["class_id"] == cast.class1.pk)
    assert row["total"] == -2


def test_the_day_before_the_families_on_duty_are_reminded_once(school_day, cast):
    for user in (cast.alice, cast.bob):
        DeliveryPreference.objects.create(user=user, email=f"{user.username}@example.cn", email_enabled=True)
    roster = _publish(cast, _roster(cast))
    on_duty = DutyAssignment.objects.get(shift__date=D(2026, 11, 17))
    assert remind_tomorrows_duty() == 1
    assert remind_tomorrows_duty() == 0
    reminded = set(Delivery.objects.filter(round__gte=1).values_list("receipt__guardian_id", flat=True))
    expected = set(on_duty.family.members.values_list("guardian_id", flat=True))
    assert reminded == expected and reminded
    assert roster.shifts.filter(reminded_at__isnull=False).count() == 1


def test_families_say_which_dates_they_cannot_do(school_day, cast):
    roster = _publish(cast, _roster(cast))
    family = _family(roster, cast.alice)
    _client(cast, cast.alice).post(
        "/duty/mine/", {"op": "unavailable", "family": family.pk, "dates": "2026-12-01, 2026-12-08"}
    )
    assert list(family.unavailable.values_list("date", flat=True)) == [D(2026, 12, 1), D(2026, 12, 8)]
    bad = _client(cast, cast.alice).post(
        "/duty/mine/", {"op": "unavailable", "family": family.pk, "dates": "明天"}, follow=True
    )
    assert "Give the date as year-month-day" in _messages(bad)
    assert family.unavailable.count() == 2
    assert (
        _client(cast, cast.carol)
        .post("/duty/mine/", {"op": "unavailable", "family": family.pk, "dates": ""})
        .status_code
        == 404
    )


# --- the quantification's settings ------------------------------------------------------------------------


def test_admins_set_categories_and_staff_add_items_with_a_reason(school_day, cast):
    admin = _client(cast, cast.admin_zhang)
    assert admin.get("/quant/categories/").status_code == 200
    admin.post("/quant/categories/", {"name": "家长会出勤", "points": "3"})
    category = QuantCategory.objects.get(name="家长会出勤")
    bad = admin.post("/quant/categories/", {"name": "x", "points": "1000"}, follow=True)
    assert "Points must be a whole number between -100 and 100." in _messages(bad)
    head = _client(cast, cast.ms_li)
    no_reason = head.post(f"/quant/class/{cast.class1.pk}/", {"category": category.pk, "reason": ""}, follow=True)
    assert "Give a reason." in _messages(no_reason)
    head.post(f"/quant/class/{cast.class1.pk}/", {"category": category.pk, "reason": "家长会全员到齐"})
    assert QuantItem.objects.get().points == 3
    assert (
        _client(cast, cast.mr_wang)
        .post(f"/quant/class/{cast.class1.pk}/", {"category": category.pk, "reason": "x"})
        .status_code
        == 404
    )
    assert _client(cast, cast.ms_li).get("/quant/").status_code == 404
    compare = admin.get("/quant/").content.decode()
    assert "三年级1班" in compare and "家长会出勤" in compare


# --- no N+1 --------------------------------------------------------------------------------------------------


def _grow(cast, n):
    for i in range(n):
        student = Student.objects.create(
            school=cast.school, name=f"学生{i}", student_number=f"X{i}", school_class=cast.class1
        )
        guardian = Guardian.objects.create(school=cast.school, name=f"家长{i}", phone=f"137{i:08d}")
        StudentGuardian.objects.create(school=cast.school, student=student, guardian=guardian)


@pytest.mark.parametrize("extra", [0, 30])
def test_the_roster_page_and_the_proposal_take_fixed_queries(school_day, cast, django_assert_num_queries, extra):
    _grow(cast, extra)
    roster = DutyRoster.objects.select_related("school").get(pk=_roster(cast, last="2026-12-18").pk)
    with django_assert_num_queries(11):
        actions.do_propose_rotation(roster, acting_user=cast.ms_li)
    from community import queries

    with django_assert_num_queries(5):
        queries.roster_view(roster)
    _publish_roster = actions.do_publish_roster
    _publish_roster(
        roster, acting_user=cast.ms_li, roles=__import__("schools.roles", fromlist=["x"]).compute_roles(cast.ms_li)
    )
    with django_assert_num_queries(6):  # and who confirmed, once published
        queries.roster_view(roster)
    with django_assert_num_queries(5):
        queries.my_duty(cast.alice)


# --- the JSON API: the same actions and the same refusals ---------------------------------------------------


def _api(client, path, data=None):
    if data is None:
        return client.get(f"/api/v1{path}")
    return client.post(f"/api/v1{path}", data, content_type="application/json")


def test_the_api_builds_publishes_and_answers_bad_input_with_400(school_day, cast):
    head = _client(cast, cast.ms_li)
    created = _api(head, "/duty/rosters", {"title": "护学岗", "class_id": cast.class1.pk})
    assert created.status_code == 201
    roster_id = created.json()["id"]
    past = _api(
        head,
        f"/duty/rosters/{roster_id}/shifts",
        {"first": "2026-11-10", "starts_at": "07:20", "ends_at": "08:00", "place": "校门口"},
    )
    assert past.status_code == 400 and past.json()["detail"] == "A shift cannot be in the past."
    added = _api(
        head,
        f"/duty/rosters/{roster_id}/shifts",
        {"first": "2026-11-17", "last": "2026-11-20", "starts_at": "07:20", "ends_at": "08:00", "place": "校门口"},
    )
    assert added.status_code == 201 and added.json()["count"] == 4
    proposal = _api(head, f"/duty/rosters/{roster_id}/propose", {})
    assert proposal.json()["placed"] == 4 and proposal.json()["spread"] == 0
    standby = _api(head, f"/duty/rosters/{roster_id}/standby", {"shift_id": 0, "family_id": 0})
    assert standby.status_code == 400
    assert _api(head, f"/duty/rosters/{roster_id}/publish", {}).status_code == 200
    detail = _api(head, f"/duty/rosters/{roster_id}").json()
    assert detail["status"] == "published" and len(detail["shifts"]) == 4 and len(detail["families"]) == 2
    a = detail["shifts"][0]["assignments"][0]
    early = _api(head, f"/duty/assignments/{a['id']}/attendance", {"status": "done"})
    assert early.status_code == 400 and early.json()["detail"] == "The shift has not begun yet."

    family = _client(cast, cast.alice if a["family"] == "刘小明" else cast.bob)
    mine = _api(family, "/duty/mine").json()
    assert [s["id"] for s in mine[0]["shifts"]] and mine[0]["others"][0]["label"] in ("刘小明", "陈小红")
    not_today = _api(family, f"/duty/assignments/{a['id']}/checkin", {"code": "000000"})
    assert not_today.status_code == 400 and not_today.json()["detail"] == "Check-in opens an hour before the shift."
    not_asked = _api(family, f"/duty/assignments/{a['id']}/standby", {"accept": True})
    assert not_asked.status_code == 400
    assert _api(_client(cast, cast.carol), f"/duty/assignments/{a['id']}/checkin", {"code": "1"}).status_code == 404

    admin = _client(cast, cast.admin_zhang)
    assert {c["kind"] for c in _api(admin, "/quant/categories").json()} >= {"duty_done", "duty_no_show"}
    saved = _api(admin, "/quant/categories", {"name": "家长会出勤", "points": 3})
    assert saved.status_code == 200
    unknown = _api(head, f"/quant/classes/{cast.class1.pk}/items", {"category_id": 0, "reason": "x"})
    assert unknown.status_code == 400 and unknown.json()["detail"] == "Choose a category."
    item = _api(
        head, f"/quant/classes/{cast.class1.pk}/items", {"category_id": saved.json()["id"], "reason": "全员到齐"}
    )
    assert item.status_code == 201
    quant = _api(_client(cast, cast.mr_wang), f"/quant/classes/{cast.class1.pk}").json()
    assert quant["total"] == 3 and quant["items"][0]["reason"] == "全员到齐"


def test_the_family_asked_to_swap_hears_of_it_and_finds_it_on_its_weekly_list(school_day, cast, monkeypatch):
    from django.utils import translation

    import delivery.live
    from home.weekly import weekly_actions
    from schools.roles import compute_roles

    pushed = []
    monkeypatch.setattr(delivery.live, "push_later", lambda school_id, users, payload: pushed.append((users, payload)))
    roster = _publish(cast, _roster(cast))
    alice, bob = _family(roster, cast.alice), _family(roster, cast.bob)
    mine = DutyAssignment.objects.filter(family=alice).order_by("shift__date").first()
    # (the conftest runs a request's on-commit callbacks at its end)
    response = _client(cast, cast.alice).post(
        "/duty/mine/", {"op": "swap", "assignment": mine.pk, "with": f"f:{bob.pk}"}
    )
    assert response.status_code == 302
    # Bob's phones are told who asks and for which day, never anything about the children beyond the label.
    assert [users for users, _payload in pushed] == [[cast.bob.pk]]
    day = f"{mine.shift.date.year}年{mine.shift.date.month}月{mine.shift.date.day}日"
    assert pushed[0][1]["body"] == zh("%(family)s asks you to take their duty shift on %(day)s") % {
        "family": alice.label,
        "day": day,
    }
    swap = DutySwap.objects.get()
    with translation.override("zh-hans"):  # as the weekly page and digest draw it
        asked = [i for i in weekly_actions(cast.bob, compute_roles(cast.bob)) if i.kind == "swap"]
    assert [(i.title, i.what) for i in asked] == [
        (roster.title, zh("%(family)s asks you to take their duty shift") % {"family": alice.label})
    ]
    assert alice.label in _client(cast, cast.bob).get("/me/week/").content.decode()
    # The asking family has nothing to answer; once Bob answers, the item is gone.
    assert not [i for i in weekly_actions(cast.alice, compute_roles(cast.alice)) if i.kind == "swap"]
    _client(cast, cast.bob).post("/duty/mine/", {"op": "decline_swap", "swap": swap.pk})
    assert DutySwap.objects.get().status == "declined"
    assert not [i for i in weekly_actions(cast.bob, compute_roles(cast.bob)) if i.kind == "swap"]
