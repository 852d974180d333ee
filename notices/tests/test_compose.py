"""The notice composer as a teacher meets it (issue 13, "Compose"): her one class already chosen,
students picked from a list of checkboxes with name and class, the box asking why a message must go
to the whole class only after a guardrail warning, and a page whose queries do not grow with the
class. Surveys' send page and the new-event page share the chooser: their own tests are in
surveys/tests/test_send_page.py and events/tests/test_new_event_page.py."""

import re

import pytest
from django.utils import translation

from notices.models import Notice, Receipt
from schools.models import Guardian, StaffAssignment, StaffMember, Student, StudentGuardian

from .html import checked_values, field_names, inputs

pytestmark = pytest.mark.usefixtures("unscoped")

SCORES = "期中成绩：刘小明 98分，陈小红 65分。"


def _compose(client, **fields):
    data = {"title": "春游通知", "body": "周五春游，请带好水壶。", "action": "read"}
    data.update(fields)
    return client.post("/notices/new/", data)


# --- the class a teacher writes to ------------------------------------------------------------------


def test_a_teacher_of_one_class_finds_it_chosen(cast):
    for teacher in (cast.ms_li, cast.mr_wang):  # a head teacher, a subject teacher: one class each
        page = cast.client(teacher).get("/notices/new/")
        assert page.status_code == 200
        assert checked_values(page, "classes") == [str(cast.class1.pk)]
        assert checked_values(page, "students") == []


def test_a_teacher_of_two_classes_and_an_admin_start_with_nothing_chosen(cast):
    li = StaffMember.objects.get(user=cast.ms_li)
    StaffAssignment.objects.create(
        school=cast.school, term=cast.term, staff=li, school_class=cast.class2, role="subject", subject="语文"
    )
    for user in (cast.ms_li, cast.admin_zhang):
        page = cast.client(user).get("/notices/new/")
        assert len(inputs(page, "classes")) == 2
        assert checked_values(page, "classes") == []


def test_a_posted_form_keeps_what_the_teacher_chose_not_the_starting_class(cast):
    page = _compose(cast.client(cast.ms_li), title="", students=[cast.alice_child.pk])
    assert page.status_code == 400
    assert checked_values(page, "classes") == []
    assert checked_values(page, "students") == [str(cast.alice_child.pk)]


# --- picking students -------------------------------------------------------------------------------


def test_students_are_checkboxes_with_name_and_class_and_the_script_is_a_file(cast):
    page = cast.client(cast.admin_zhang).get("/notices/new/")
    students = inputs(page, "students")
    assert {i.attrs["type"] for i in students} == {"checkbox"}
    assert [i.label.split() for i in students] == [
        ["刘小明", "三年级1班"],
        ["陈小红", "三年级1班"],
        ["周小刚", "三年级2班"],
    ]
    assert [i.attrs["data-class"] for i in students] == [str(cast.class1.pk)] * 2 + [str(cast.class2.pk)]
    html = page.content.decode()
    # The filter is for the script to show; without it the list works as it is.
    (search,) = [i for i in inputs(page) if i.attrs.get("type") == "search"]
    assert "hidden" in search.attrs and "name" not in search.attrs
    assert re.search(r'<script src="[^"]*js/picker[^"]*\.js" defer></script>', html)
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)  # no inline script: the CSP forbids it


def test_students_picked_alone_get_it_and_a_student_whose_class_is_ticked_too_is_refused(cast):
    client = cast.client(cast.ms_li)
    with translation.override("en"):
        refused = _compose(client, classes=[cast.class1.pk], students=[cast.alice_child.pk])
    assert refused.status_code == 400 and not Notice.objects.exists()
    assert "刘小明：所在班级也勾选了" in refused.content.decode()
    assert _compose(client, students=[cast.alice_child.pk]).status_code == 302
    assert list(Receipt.objects.values_list("guardian__phone", flat=True)) == ["13800000001"]


# --- the reason, only after a warning ---------------------------------------------------------------


def test_the_reason_box_appears_only_after_a_warning_and_then_the_notice_goes(cast):
    client = cast.client(cast.ms_li)
    assert "guardrail_reason" not in field_names(client.get("/notices/new/"))
    # A mistake of another kind is not a warning: still no box.
    assert "guardrail_reason" not in field_names(_compose(client, title="", classes=[cast.class1.pk]))

    warned = _compose(client, classes=[cast.class1.pk], title="成绩", body=SCORES)
    assert warned.status_code == 400 and not Notice.objects.exists()
    assert 'aria-labelledby="h-warn"' in warned.content.decode()
    # The box comes first in the form, right under the warning.
    assert field_names(warned)[:3] == ["idempotency_key", "guardrail_reason", "title"]

    sent = _compose(client, classes=[cast.class1.pk], title="成绩", body=SCORES, guardrail_reason="家长会要求公布")
    assert sent.status_code == 302
    assert Notice.objects.get().guardrail_reason == "家长会要求公布"


def test_an_empty_reason_is_warned_again_with_the_box(cast):
    client = cast.client(cast.ms_li)
    again = _compose(client, classes=[cast.class1.pk], title="成绩", body=SCORES, guardrail_reason="")
    assert again.status_code == 400 and not Notice.objects.exists()
    assert "guardrail_reason" in field_names(again)


def test_editing_asks_for_the_reason_only_after_a_warning(cast):
    client = cast.client(cast.ms_li)
    assert _compose(client, classes=[cast.class1.pk], title="运动会").status_code == 302
    notice = Notice.objects.get()
    url = f"/notices/{notice.pk}/edit/"
    assert "guardrail_reason" not in field_names(client.get(url))
    warned = client.post(url, {"title": "运动会", "body": SCORES})
    assert warned.status_code == 400 and "guardrail_reason" in field_names(warned)
    assert client.post(url, {"title": "运动会", "body": SCORES, "guardrail_reason": "家委会要求"}).status_code == 302


# --- queries -----------------------------------------------------------------------------------------


def add_students(cast, school_class, n):
    for i in range(n):
        s = Student.objects.create(school=cast.school, name=f"学生{i}", school_class=school_class)
        g = Guardian.objects.create(school=cast.school, name=f"家长{i}", phone=f"1370004{i:04d}")
        StudentGuardian.objects.create(school=cast.school, student=s, guardian=g)


@pytest.mark.parametrize("students", [0, 40])
def test_the_composer_queries_do_not_grow_with_the_class(cast, django_assert_num_queries, students):
    add_students(cast, cast.class1, students)
    client = cast.client(cast.ms_li)
    # session, user, roles (3), the classes, the students, the badges (notices, chat, the to-do list 3)
    with django_assert_num_queries(12):
        page = client.get("/notices/new/")
    assert len(inputs(page, "students")) == 2 + students
