"""Committees (家委会): the head teacher starts and edits the class's, admins a grade's and the
school's; families of the class see who serves and write to them; nobody else sees anything."""

import json

import pytest
from django.urls import reverse
from django.utils.html import escape
from django_scopes import scopes_disabled

from community.actions import do_add_committee_member, do_start_committee
from community.models import Committee, CommitteeMember, CommitteeMessage
from conftest import zh
from schools.models import Guardian, Student, StudentGuardian

pytestmark = pytest.mark.django_db


def _guardian(user):
    with scopes_disabled():
        return Guardian.objects.get(user=user)


def _committee(cast, *, members=(("alice", "chair"), ("bob", "treasurer"))) -> Committee:
    with scopes_disabled():
        committee, _ = do_start_committee(cast.school, level="class", school_class=cast.class1, acting_user=cast.ms_li)
        for who, role in members:
            do_add_committee_member(
                committee, guardian_id=_guardian(getattr(cast, who)).pk, role=role, acting_user=cast.ms_li
            )
    return committee


def test_head_teacher_starts_the_class_committee_and_adds_members(school_day, cast):
    client = cast.client(cast.ms_li)
    page = client.get(reverse("community:committee_class", args=[cast.class1.pk]))
    assert page.status_code == 200
    assert escape(zh("Start an empty committee")) in page.content.decode()
    started = client.post(reverse("community:committee_class", args=[cast.class1.pk]))
    with scopes_disabled():
        committee = Committee.objects.get(school_class=cast.class1)
    assert started["Location"] == reverse("community:committee", args=[committee.pk])
    # A double tap makes one committee.
    client.post(reverse("community:committee_class", args=[cast.class1.pk]))
    with scopes_disabled():
        assert Committee.objects.filter(school_class=cast.class1).count() == 1
        assert committee.year == 2026
    added = client.post(
        reverse("community:committee_add_member", args=[committee.pk]),
        {"guardian": _guardian(cast.alice).pk, "role": "chair"},
    )
    assert added.status_code == 302
    with scopes_disabled():
        assert CommitteeMember.objects.get(committee=committee).role == "chair"
    # The class page now leads to the committee.
    assert client.get(reverse("community:committee_class", args=[cast.class1.pk]))["Location"] == reverse(
        "community:committee", args=[committee.pk]
    )


def test_a_member_who_is_not_a_guardian_of_the_class_is_refused_and_nothing_written(school_day, cast):
    committee = _committee(cast, members=())
    client = cast.client(cast.ms_li)
    carol_guardian = _guardian(cast.carol)  # 三年级2班
    response = client.post(
        reverse("community:committee_add_member", args=[committee.pk]),
        {"guardian": carol_guardian.pk, "role": "member"},
        follow=True,
    )
    assert "三年级1班" in response.content.decode()
    erin_guardian = _guardian(cast.erin)  # another school
    api = client.post(
        f"/api/v1/committees/{committee.pk}/members",
        data={"guardian_id": erin_guardian.pk, "role": "member"},
        content_type="application/json",
    )
    assert api.status_code == 400
    assert "三年级1班" in api.json()["detail"]
    with scopes_disabled():
        assert not CommitteeMember.objects.exists()


def test_bad_roles_are_refused(school_day, cast):
    committee = _committee(cast, members=())
    client = cast.client(cast.ms_li)
    for payload in ({"role": "king"}, {"role": "other", "title": ""}, {"role": "other", "title": "x" * 40}):
        response = client.post(
            f"/api/v1/committees/{committee.pk}/members",
            data={"guardian_id": _guardian(cast.alice).pk, **payload},
            content_type="application/json",
        )
        assert response.status_code == 400, payload
    ok = client.post(
        f"/api/v1/committees/{committee.pk}/members",
        data={"guardian_id": _guardian(cast.alice).pk, "role": "other", "title": "学习委员"},
        content_type="application/json",
    )
    assert ok.status_code == 201
    assert ok.json()["role_label"] == "学习委员"
    again = client.post(
        f"/api/v1/committees/{committee.pk}/members",
        data={"guardian_id": _guardian(cast.alice).pk, "role": "member"},
        content_type="application/json",
    )
    assert again.status_code == 400  # on it already


def test_changing_a_role_keeps_the_history(school_day, cast):
    committee = _committee(cast)
    client = cast.client(cast.ms_li)
    with scopes_disabled():
        bob_seat = CommitteeMember.objects.get(committee=committee, guardian__user=cast.bob)
    client.post(reverse("community:committee_change_member", args=[bob_seat.pk]), {"role": "vice_chair"})
    client.post(
        reverse("community:committee_change_member", args=[bob_seat.pk]), {"role": "member"}
    )  # the old seat is closed: 404
    with scopes_disabled():
        rows = list(CommitteeMember.objects.filter(committee=committee, guardian__user=cast.bob).order_by("pk"))
    assert [(r.role, r.left_on is None) for r in rows] == [("treasurer", False), ("vice_chair", True)]
    with scopes_disabled():
        seat = CommitteeMember.objects.get(committee=committee, guardian__user=cast.alice)
    client.post(reverse("community:committee_change_member", args=[seat.pk]), {"leave": "1"})
    with scopes_disabled():
        seat.refresh_from_db()
    assert seat.left_on is not None
    page = client.get(reverse("community:committee", args=[committee.pk])).content.decode()
    assert "刘爱丽" in page  # in the history table


def test_carrying_last_years_committee_over(school_day, cast):
    with scopes_disabled():
        last_year = Committee.objects.create(school=cast.school, level="class", school_class=cast.class1, year=2025)
        for user, role in ((cast.alice, "chair"), (cast.bob, "treasurer")):
            CommitteeMember.objects.create(
                school=cast.school,
                committee=last_year,
                guardian=_guardian(user),
                role=role,
                joined_on=cast.term.start_date.replace(year=2025),
            )
        # bob's child has left the school since: he is not carried over.
        Student.objects.filter(pk=cast.bob_child.pk).update(status="left")
    client = cast.client(cast.ms_li)
    page = client.get(reverse("community:committee_class", args=[cast.class1.pk])).content.decode()
    assert 'name="carry_over"' in page
    response = client.post(
        reverse("community:committee_class", args=[cast.class1.pk]), {"carry_over": "1"}, follow=True
    )
    assert "陈波" in response.content.decode()  # named as not carried over
    with scopes_disabled():
        committee = Committee.objects.get(school_class=cast.class1, year=2026)
        assert committee.carried_from == last_year
        assert list(committee.members.values_list("guardian__user__username", "role")) == [("13800000001", "chair")]
        assert last_year.members.count() == 2  # last year's committee is kept as it was


def test_families_of_the_class_see_the_committee_without_phone_numbers(school_day, cast):
    committee = _committee(cast)
    url = reverse("community:committee", args=[committee.pk])
    for who in ("alice", "bob", "ms_li", "mr_wang", "admin_zhang"):
        response = cast.client(getattr(cast, who)).get(url)
        assert response.status_code == 200, who
        body = response.content.decode()
        assert "刘爱丽" in body and "陈波" in body
        assert "13800000001" not in body and "13800000002" not in body
    for who in ("carol", "erin", "dave"):
        assert cast.client(getattr(cast, who)).get(url).status_code == 404, who
    assert cast.client().get(url).status_code == 302
    mine = cast.client(cast.alice).get(reverse("community:committee_mine")).content.decode()
    assert url in mine
    assert url not in cast.client(cast.carol).get(reverse("community:committee_mine")).content.decode()
    api = cast.client(cast.bob).get(f"/api/v1/committees/{committee.pk}")
    assert api.status_code == 200
    data = api.json()
    assert [m["role"] for m in data["members"]] == ["chair", "treasurer"]
    assert data["history"] == [] and data["may_manage"] is False
    assert "138" not in json.dumps(data)
    assert cast.client(cast.carol).get(f"/api/v1/committees/{committee.pk}").status_code == 404
    assert cast.client().get(f"/api/v1/committees/{committee.pk}").status_code == 401


def test_a_family_writes_to_a_member_and_the_member_answers(school_day, cast):
    committee = _committee(cast)
    with scopes_disabled():
        alice_seat = CommitteeMember.objects.get(committee=committee, guardian__user=cast.alice)
    bob = cast.client(cast.bob)
    bob.post(reverse("community:committee_write", args=[alice_seat.pk]), {"text": "班费什么时候交？"})
    with scopes_disabled():
        message = CommitteeMessage.objects.get()
    assert message.sender == cast.bob and message.member == alice_seat
    # Another class's family may not write; an empty message is refused.
    assert (
        cast.client(cast.carol)
        .post(reverse("community:committee_write", args=[alice_seat.pk]), {"text": "你好"})
        .status_code
        == 404
    )
    bob.post(reverse("community:committee_write", args=[alice_seat.pk]), {"text": "  "})
    with scopes_disabled():
        assert CommitteeMessage.objects.count() == 1
    # Only the member written to (or a manager) answers; bob sees the answer.
    assert bob.post(reverse("community:committee_reply", args=[message.pk]), {"text": "x"}).status_code == 404
    alice = cast.client(cast.alice)
    assert "班费什么时候交" in alice.get(reverse("community:committee", args=[committee.pk])).content.decode()
    answer = alice.post(
        f"/api/v1/committees/messages/{message.pk}/reply", data={"text": "下周一"}, content_type="application/json"
    )
    assert answer.status_code == 200
    assert "下周一" in bob.get(reverse("community:committee", args=[committee.pk])).content.decode()
    twice = alice.post(
        f"/api/v1/committees/messages/{message.pk}/reply", data={"text": "again"}, content_type="application/json"
    )
    assert twice.status_code == 400


def test_admins_run_grade_and_school_committees_and_head_teachers_do_not(school_day, cast):
    _committee(cast)
    admin = cast.client(cast.admin_zhang)
    started = admin.post(
        "/api/v1/school/committees", data={"level": "grade", "grade": 3}, content_type="application/json"
    )
    assert started.status_code == 201
    grade_id = started.json()["id"]
    bad = admin.post("/api/v1/school/committees", data={"level": "grade", "grade": 12}, content_type="application/json")
    assert bad.status_code == 400
    page = admin.get(reverse("community:committee", args=[grade_id])).content.decode()
    assert "刘爱丽" in page  # a class committee member to choose from
    added = admin.post(
        f"/api/v1/committees/{grade_id}/members",
        data={"guardian_id": _guardian(cast.carol).pk, "role": "member"},
        content_type="application/json",
    )
    assert added.status_code == 201  # carol's child is in grade 3 too
    assert (
        cast.client(cast.ms_li)
        .post(
            f"/api/v1/committees/{grade_id}/members",
            data={"guardian_id": _guardian(cast.bob).pk, "role": "member"},
            content_type="application/json",
        )
        .status_code
        == 404
    )
    # carol sees the grade committee; erin (another school) does not.
    assert cast.client(cast.carol).get(f"/api/v1/committees/{grade_id}").status_code == 200
    assert cast.client(cast.erin).get(f"/api/v1/committees/{grade_id}").status_code == 404
    assert [c["id"] for c in cast.client(cast.carol).get("/api/v1/committees").json()] == [grade_id]
    listed = admin.get("/api/v1/school/committees").json()
    assert {c["level"] for c in listed} == {"class", "grade"}
    assert cast.client(cast.dave).get("/api/v1/school/committees").json() == []


def test_class_committee_api_for_the_head_teacher(school_day, cast):
    client = cast.client(cast.ms_li)
    assert client.get(f"/api/v1/classes/{cast.class1.pk}/committee").status_code == 204
    started = client.post(f"/api/v1/classes/{cast.class1.pk}/committee", data={}, content_type="application/json")
    assert started.status_code == 201
    assert client.get(f"/api/v1/classes/{cast.class1.pk}/committee").json()["id"] == started.json()["id"]
    for who in ("mr_wang", "alice", "dave"):
        assert (
            cast.client(getattr(cast, who))
            .post(f"/api/v1/classes/{cast.class1.pk}/committee", data={}, content_type="application/json")
            .status_code
            == 404
        )


def _more_families(cast, n: int) -> None:
    with scopes_disabled():
        for i in range(n):
            student = Student.objects.create(school=cast.school, name=f"学生{i}", school_class=cast.class1)
            guardian = Guardian.objects.create(school=cast.school, name=f"家长{i}", phone=f"1370000{i:04d}")
            StudentGuardian.objects.create(school=cast.school, student=student, guardian=guardian)


@pytest.mark.parametrize("extra", [0, 20])
def test_the_committee_page_reads_a_fixed_number_of_queries(school_day, cast, django_assert_num_queries, extra):
    _more_families(cast, extra)
    committee = _committee(cast)
    with scopes_disabled():
        for g in Guardian.objects.filter(name__startswith="家长"):
            do_add_committee_member(committee, guardian_id=g.pk, role="member", acting_user=cast.ms_li)
    client = cast.client(cast.ms_li)
    client.get(reverse("community:committee", args=[committee.pk]))  # warm the session
    # 17: the staff tab bar's to-do count reads the term plan's tasks too.
    with django_assert_num_queries(17):
        response = client.get(reverse("community:committee", args=[committee.pk]))
    assert response.status_code == 200


@pytest.mark.parametrize("extra", [0, 20])
def test_the_committee_api_and_the_family_list_read_a_fixed_number_of_queries(
    school_day, cast, django_assert_num_queries, extra
):
    _more_families(cast, extra)
    committee = _committee(cast)
    with scopes_disabled():
        for g in Guardian.objects.filter(name__startswith="家长"):
            do_add_committee_member(committee, guardian_id=g.pk, role="member", acting_user=cast.ms_li)
    client = cast.client(cast.alice)
    client.get(f"/api/v1/committees/{committee.pk}")
    with django_assert_num_queries(9):
        data = client.get(f"/api/v1/committees/{committee.pk}").json()
    assert len(data["members"]) == 2 + extra
    with django_assert_num_queries(10):
        assert client.get(reverse("community:committee_mine")).status_code == 200
