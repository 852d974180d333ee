"""The new-event page (issue 13, "Compose"): the audience chooser and the guardrail reason it shares
with the notice composer (notices.forms.AudienceForm), and the organiser list, which starts with the
author and tells two teachers of one name apart by what and where they teach this term."""

import datetime

import pytest
from django.utils import timezone

from accounts.models import User
from events.models import Event
from notices.tests.html import checked_values, field_names, inputs
from schools.models import Guardian, StaffAssignment, StaffMember, Student, StudentGuardian

pytestmark = pytest.mark.usefixtures("unscoped")


def _post(client, cast, **fields):
    starts = timezone.localtime() + datetime.timedelta(days=3)
    data = {
        "kind": "parent_meeting",
        "title": "期中家长会",
        "starts_at": starts.strftime("%Y-%m-%dT19:00"),
        "ends_at": starts.strftime("%Y-%m-%dT20:30"),
        "place": "三年级1班教室",
        "classes": [cast.class1.pk],
    }
    data.update(fields)
    return client.post("/events/new/", data)


def _second_wang(cast) -> User:
    """Another 王老师, who teaches 英语 in 三年级2班 (the cast's 王老师 teaches 数学 in 三年级1班)."""
    user = User.objects.create_user("mr_wang2", "x-horse-42", name="王老师", phone="13900000013")
    member = StaffMember.objects.create(school=cast.school, user=user)
    StaffAssignment.objects.create(
        school=cast.school, term=cast.term, staff=member, school_class=cast.class2, role="subject", subject="英语"
    )
    return user


def test_the_organisers_start_with_the_author_and_two_wangs_are_told_apart(cast):
    wang2 = _second_wang(cast)
    page = cast.client(cast.ms_li).get("/events/new/")
    assert page.status_code == 200
    organisers = inputs(page, "organisers")
    assert [(int(i.attrs["value"]), i.label) for i in organisers] == [
        (cast.ms_li.pk, "李老师（班主任，三年级1班）"),
        (cast.admin_zhang.pk, "张主任"),
        (cast.mr_wang.pk, "王老师（数学，三年级1班）"),
        (wang2.pk, "王老师（英语，三年级2班）"),
    ]
    assert checked_values(page, "organisers") == [str(cast.ms_li.pk)]  # the author organises it


def test_a_teacher_with_several_duties_and_a_namesake_without_a_class(cast):
    li = StaffMember.objects.get(user=cast.ms_li)
    StaffAssignment.objects.create(
        school=cast.school, term=cast.term, staff=li, school_class=cast.class2, role="subject", subject="语文"
    )
    other_li = User.objects.create_user("ms_li2", "x-horse-42", name="李老师", phone="13900000014")
    StaffMember.objects.create(school=cast.school, user=other_li, title="心理教师")
    page = cast.client(cast.admin_zhang).get("/events/new/")
    labels = {int(i.attrs["value"]): i.label for i in inputs(page, "organisers")}
    assert labels[cast.ms_li.pk] == "李老师（班主任、语文，三年级1班、三年级2班）"
    assert labels[other_li.pk] == "李老师（心理教师）"
    assert labels[cast.admin_zhang.pk] == "张主任"
    assert [int(v) for v in checked_values(page, "organisers")] == [cast.admin_zhang.pk]


def test_the_organisers_chosen_are_kept_with_the_author(cast):
    assert _post(cast.client(cast.ms_li), cast, organisers=[cast.mr_wang.pk]).status_code == 302
    event = Event.objects.get()
    assert set(event.organisers.values_list("pk", flat=True)) == {cast.ms_li.pk, cast.mr_wang.pk}


def test_the_class_of_a_teacher_of_one_class_is_chosen_and_an_admins_is_not(cast):
    assert checked_values(cast.client(cast.ms_li).get("/events/new/"), "classes") == [str(cast.class1.pk)]
    assert checked_values(cast.client(cast.admin_zhang).get("/events/new/"), "classes") == []


def test_the_reason_box_appears_only_after_a_warning(cast):
    client = cast.client(cast.ms_li)
    assert "guardrail_reason" not in field_names(client.get("/events/new/"))
    description = "上次成绩：刘小明 98分，陈小红 65分。"
    warned = _post(client, cast, description=description)
    assert warned.status_code == 400 and 'aria-labelledby="h-warn"' in warned.content.decode()
    assert "guardrail_reason" in field_names(warned) and not Event.objects.exists()
    sent = _post(client, cast, description=description, guardrail_reason="家长会上说明，家长已同意")
    assert sent.status_code == 302
    assert Event.objects.get().notice.guardrail_reason == "家长会上说明，家长已同意"


@pytest.mark.parametrize("size", [0, 40])
def test_the_new_event_page_queries_do_not_grow_with_the_class_or_the_staff(cast, django_assert_num_queries, size):
    for i in range(size):
        s = Student.objects.create(school=cast.school, name=f"学生{i}", school_class=cast.class1)
        g = Guardian.objects.create(school=cast.school, name=f"家长{i}", phone=f"1370005{i:04d}")
        StudentGuardian.objects.create(school=cast.school, student=s, guardian=g)
    for i in range(size // 4):  # and more teachers, each with a class and a subject
        user = User.objects.create_user(f"t{i}", "x-horse-42", name=f"向老师{i % 2}", phone=f"1390010{i:04d}")
        member = StaffMember.objects.create(school=cast.school, user=user)
        StaffAssignment.objects.create(
            school=cast.school, term=cast.term, staff=member, school_class=cast.class2, role="subject", subject="美术"
        )
    client = cast.client(cast.ms_li)
    # session, user, roles (3), the classes, the students, the working groups the author may invite
    # (community's audience kind, one per registered kind), the staff and their assignments (2), the
    # badges (notices, chat, the to-do list 3)
    with django_assert_num_queries(15):
        page = client.get("/events/new/")
    assert len(inputs(page, "students")) == 2 + size
    assert len(inputs(page, "organisers")) == 3 + size // 4
