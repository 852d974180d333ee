"""The one audience resolver: what a sender may address, and whom and which classes an audience
reaches (the fan-out and the guardrails read the same answer)."""

import pytest
from django.core.exceptions import ValidationError

from notices.audience import (
    TargetSpec,
    audience_class_ids,
    audience_staff_users,
    audience_students,
    resolve_audience,
    specs_of,
)
from notices.models import Notice, NoticeTarget
from schools.roles import compute_roles

pytestmark = pytest.mark.usefixtures("unscoped")
Kind = NoticeTarget.Kind


def _names(students) -> set[str]:
    return set(students.values_list("name", flat=True))


def _class_ids(school_id, targets) -> set[int] | None:
    found = audience_class_ids(school_id, targets)
    return None if found is None else set(found.values_list("school_class_id", flat=True))


def test_each_part_reaches_its_active_students_in_the_senders_school_only(cast):
    school = cast.school.pk
    assert _names(audience_students(school, [NoticeTarget(kind=Kind.SCHOOL)])) == {"刘小明", "陈小红", "周小刚"}
    assert _names(audience_students(school, [NoticeTarget(kind=Kind.GRADE, grade=3)])) == {"刘小明", "陈小红", "周小刚"}
    assert _names(audience_students(school, [NoticeTarget(kind=Kind.GRADE, grade=4)])) == set()
    assert _names(audience_students(school, [NoticeTarget(kind=Kind.CLASS, school_class=cast.class2)])) == {"周小刚"}
    assert _names(audience_students(school, [NoticeTarget(kind=Kind.STUDENT, student=cast.bob_child)])) == {"陈小红"}
    assert _names(audience_students(school, [NoticeTarget(kind=Kind.STAFF)])) == set()
    # Another school's child named by id is not reached from this school.
    assert _names(audience_students(school, [NoticeTarget(kind=Kind.STUDENT, student=cast.erin_child)])) == set()
    cast.carol_child.status = "left"
    cast.carol_child.save()
    assert _names(audience_students(school, [NoticeTarget(kind=Kind.SCHOOL)])) == {"刘小明", "陈小红"}


def test_the_classes_reached_as_a_group(cast):
    school = cast.school.pk
    one = NoticeTarget(kind=Kind.STUDENT, student=cast.alice_child)
    other = NoticeTarget(kind=Kind.STUDENT, student=cast.carol_child)
    assert _class_ids(school, [NoticeTarget(kind=Kind.SCHOOL)]) == {cast.class1.pk, cast.class2.pk}
    assert _class_ids(school, [NoticeTarget(kind=Kind.CLASS, school_class=cast.class1)]) == {cast.class1.pk}
    assert _class_ids(school, [one]) is None  # one family picked alone is not a group
    assert _class_ids(school, [one, other]) == {cast.class1.pk, cast.class2.pk}  # several are
    assert _class_ids(school, [NoticeTarget(kind=Kind.STAFF)]) is None
    assert _class_ids(school, [NoticeTarget(kind=Kind.CLASS_TEACHERS, school_class=cast.class1)]) is None


def test_staff_parts_reach_staff_users(cast):
    school = cast.school.pk
    everyone = audience_staff_users(school, [NoticeTarget(kind=Kind.STAFF)])
    assert everyone is not None
    assert set(everyone.values_list("user_id", flat=True)) == {cast.admin_zhang.pk, cast.ms_li.pk, cast.mr_wang.pk}
    teachers = audience_staff_users(school, [NoticeTarget(kind=Kind.CLASS_TEACHERS, school_class=cast.class1)])
    assert teachers is not None
    assert set(teachers.values_list("staff__user_id", flat=True)) == {cast.ms_li.pk, cast.mr_wang.pk}
    assert audience_staff_users(school, [NoticeTarget(kind=Kind.CLASS, school_class=cast.class1)]) is None


def test_a_teacher_addresses_only_the_classes_and_students_they_teach(cast):
    li = compute_roles(cast.ms_li)
    rows, label = resolve_audience(
        cast.school,
        li,
        [TargetSpec("class", class_id=cast.class1.pk), TargetSpec("student", student_id=cast.bob_child.pk)],
    )
    assert [r.kind for r in rows] == [Kind.CLASS, Kind.STUDENT] and label == "三年级1班、陈小红"
    for refused in (
        TargetSpec("class", class_id=cast.class2.pk),
        TargetSpec("student", student_id=cast.carol_child.pk),
        TargetSpec("school"),
        TargetSpec("grade", grade=3),
        TargetSpec("staff"),
        TargetSpec("class_teachers", class_id=cast.class1.pk),
        TargetSpec("class", class_id=cast.class_b.pk),
        TargetSpec("nobody"),
    ):
        with pytest.raises(ValidationError):
            resolve_audience(cast.school, li, [refused])
    with pytest.raises(ValidationError):
        resolve_audience(cast.school, li, [])
    admin = compute_roles(cast.admin_zhang)
    rows, _label = resolve_audience(cast.school, admin, [TargetSpec("school"), TargetSpec("staff")])
    assert [r.kind for r in rows] == [Kind.SCHOOL, Kind.STAFF]


def test_a_notices_audience_can_be_sent_to_again(cast):
    notice = Notice.objects.create(school=cast.school, author=cast.ms_li, title="通知", body_text="")
    NoticeTarget.objects.create(school=cast.school, notice=notice, kind=Kind.CLASS, school_class=cast.class1)
    NoticeTarget.objects.create(school=cast.school, notice=notice, kind=Kind.STUDENT, student=cast.carol_child)
    assert specs_of(notice.pk) == [
        TargetSpec("class", class_id=cast.class1.pk),
        TargetSpec("student", student_id=cast.carol_child.pk),
    ]
    assert specs_of(None) == []
