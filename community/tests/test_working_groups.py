"""Staff working groups (组长, 副组长, 组员; staff and guardians): admins set them up, members see
them, and a meeting of the group is an event invited through the group (the audience kind community
registers with notices), with minutes going back to the same people."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from community.actions import do_add_working_group_member, do_create_working_group
from community.models import WorkingGroup, WorkingGroupMember
from events.models import Event
from notices.models import Receipt
from schools.models import Guardian, StaffMember

pytestmark = pytest.mark.django_db


def _group(cast) -> WorkingGroup:
    with scopes_disabled():
        group = do_create_working_group(cast.school, name="家校沟通工作小组", acting_user=cast.admin_zhang)
        li = StaffMember.objects.get(user=cast.ms_li, school=cast.school)
        do_add_working_group_member(group, staff_member_id=li.pk, role="leader", acting_user=cast.admin_zhang)
        do_add_working_group_member(
            group, guardian_id=cast.alice_guardian.pk, role="member", acting_user=cast.admin_zhang
        )
    return group


def test_admins_set_up_a_group_with_staff_and_guardians(school_day, cast):
    admin = cast.client(cast.admin_zhang)
    admin.post(reverse("community:working_groups"), {"name": "家校共育工作室领导小组", "purpose": "统筹"})
    with scopes_disabled():
        group = WorkingGroup.objects.get()
        wang = StaffMember.objects.get(user=cast.mr_wang)
        erin_guardian = Guardian.objects.get(user=cast.erin)
        dave_staff = StaffMember.objects.get(user=cast.dave)
    again = admin.post(reverse("community:working_groups"), {"name": "家校共育工作室领导小组"}, follow=True)
    assert "already" in again.content.decode() or "已有" in again.content.decode()
    admin.post(reverse("community:working_group_add", args=[group.pk]), {"staff": wang.pk, "role": "deputy"})
    admin.post(reverse("community:working_group_add", args=[group.pk]), {"guardian": cast.alice_guardian.pk})
    # Another school's guardian or staff, both at once, nobody, a bad role: refused, nothing written.
    for data in (
        {"guardian": erin_guardian.pk},
        {"staff": dave_staff.pk},
        {"staff": wang.pk, "guardian": cast.alice_guardian.pk},
        {},
        {"staff": wang.pk, "role": "boss"},
    ):
        admin.post(reverse("community:working_group_add", args=[group.pk]), data)
    with scopes_disabled():
        assert sorted(WorkingGroup.objects.get().members.values_list("role", flat=True)) == ["deputy", "member"]
        seat = WorkingGroupMember.objects.get(user=cast.mr_wang)
    admin.post(reverse("community:working_group_member", args=[seat.pk]), {"role": "leader"})
    with scopes_disabled():
        seat.refresh_from_db()
    assert seat.role == "leader"
    admin.post(reverse("community:working_group_member", args=[seat.pk]), {"leave": "1"})
    with scopes_disabled():
        seat.refresh_from_db()
    assert seat.left_on is not None
    assert cast.client(cast.ms_li).post(reverse("community:working_groups"), {"name": "x"}).status_code == 404


def test_members_see_their_group_and_nobody_else_does(school_day, cast):
    group = _group(cast)
    url = reverse("community:working_group", args=[group.pk])
    for who in ("admin_zhang", "ms_li", "alice"):
        body = cast.client(getattr(cast, who)).get(url).content.decode()
        assert "家校沟通工作小组" in body and "刘爱丽" in body, who
    for who in ("bob", "mr_wang", "carol", "dave", "erin"):
        assert cast.client(getattr(cast, who)).get(url).status_code == 404, who
    assert "家校沟通工作小组" in cast.client(cast.alice).get(reverse("community:working_groups_mine")).content.decode()
    assert cast.client(cast.bob).get("/api/v1/working-groups").json() == []
    detail = cast.client(cast.ms_li).get(f"/api/v1/working-groups/{group.pk}").json()
    assert [(m["name"], m["role"], m["is_guardian"]) for m in detail["members"]] == [
        ("李老师", "leader", False),
        ("刘爱丽", "member", True),
    ]
    assert cast.client(cast.dave).get(f"/api/v1/working-groups/{group.pk}").status_code == 404


def test_a_meeting_of_the_group_is_an_event_that_invites_its_members(school_day, cast):
    group = _group(cast)
    li = cast.client(cast.ms_li)
    page = li.get(reverse("events:new")).content.decode()
    assert f"working_group:{group.pk}" in page
    # mr_wang is not in the group: the group is not his to invite.
    assert f"working_group:{group.pk}" not in cast.client(cast.mr_wang).get(reverse("events:new")).content.decode()
    starts = timezone.localtime() + datetime.timedelta(days=2)
    response = li.post(
        reverse("events:new"),
        {
            "kind": "parent_meeting",
            "title": "工作小组例会",
            "starts_at": starts.strftime("%Y-%m-%dT15:00"),
            "ends_at": starts.strftime("%Y-%m-%dT16:00"),
            "place": "会议室",
            "groups": [f"working_group:{group.pk}"],
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    with scopes_disabled():
        event = Event.objects.get(title="工作小组例会")
        receipts = Receipt.objects.filter(notice=event.notice)
        assert {(r.guardian.name if r.guardian else r.user.name) for r in receipts} == {"刘爱丽", "李老师"}
        assert event.audience_label == "家校沟通工作小组"
    # Through the API too; someone outside the group may not invite it.
    body = {
        "title": "第二次例会",
        "place": "会议室",
        "starts_at": (starts + datetime.timedelta(days=1)).isoformat(),
        "ends_at": (starts + datetime.timedelta(days=1, hours=1)).isoformat(),
        "targets": [{"kind": "working_group", "ref_id": group.pk}],
    }
    second = li.post("/api/v1/events", body, content_type="application/json")
    assert second.status_code == 201, second.content
    assert cast.client(cast.mr_wang).post("/api/v1/events", body, content_type="application/json").status_code == 400


def test_the_minutes_go_to_the_group_and_resolutions_to_their_owners_to_do(school_day, cast):
    from events.models import Resolution
    from events.tests.helpers import create_event, start_now

    group = _group(cast)
    li = cast.client(cast.ms_li)
    with scopes_disabled():
        event = start_now(
            create_event(li, title="小组会", targets=[{"kind": "working_group", "ref_id": group.pk}]), minutes_ago=30
        )
    response = li.post(
        f"/api/v1/events/{event.pk}/minutes",
        {"minutes": "商定家长开放日分工。", "resolutions": [{"text": "拟定开放日流程", "owner_id": cast.ms_li.pk}]},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    with scopes_disabled():
        event.refresh_from_db()
        receipts = Receipt.objects.filter(notice=event.minutes_notice)
        assert {(r.guardian.name if r.guardian else r.user.name) for r in receipts} == {"刘爱丽", "李老师"}
        assert Resolution.objects.get(event=event).owner == cast.ms_li
    assert "拟定开放日流程" in li.get(reverse("home:todo")).content.decode()
