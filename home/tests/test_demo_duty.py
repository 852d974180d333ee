"""The demo's duty roster (issue 14): 三年级2班's roster is published with shifts done, one no-show,
shifts to come and one swap agreed, and running it again adds nothing."""

import pytest

from community.models import DutyAssignment, DutyRoster, DutySwap, QuantItem
from home.demo import _demo_duty
from schools.models import Guardian, Student, StudentGuardian
from schools.roles import compute_roles

pytestmark = pytest.mark.usefixtures("unscoped")


def test_the_demo_roster_is_published_with_shifts_done_and_a_swap(school_day, cast):
    for i in range(4):  # six families, two a shift: a swap between two mornings is possible
        student = Student.objects.create(school=cast.school, name=f"学生{i}", school_class=cast.class1)
        guardian = Guardian.objects.create(school=cast.school, name=f"家长{i}", phone=f"1370000000{i}")
        StudentGuardian.objects.create(school=cast.school, student=student, guardian=guardian)
    _demo_duty(cast.school, cast.class1, cast.ms_li, compute_roles(cast.ms_li))
    _demo_duty(cast.school, cast.class1, cast.ms_li, compute_roles(cast.ms_li))
    roster = DutyRoster.objects.get()
    assert roster.status == "published" and roster.notice_id
    done = DutyAssignment.objects.filter(shift__roster=roster, status="done").count()
    assert done >= 10
    assert DutyAssignment.objects.filter(shift__roster=roster, status="no_show").count() == 1
    assert DutySwap.objects.get().status == "accepted"
    assert QuantItem.objects.filter(school_class=cast.class1).count() == done + 1
    assert DutyAssignment.objects.filter(shift__roster=roster, status="assigned").exists()
