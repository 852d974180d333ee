"""Two districts around the named cast, for the district tests (the cast of conftest.py is left as
it is): district X (城区教育局) holds school A (阳光小学) and a third school C (新华小学, one class,
one family); district Y (明德教育集团) holds school B (明德小学). ``qian`` administers X, ``sun``
administers Y; neither is on any school's staff."""

from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django_scopes import scopes_disabled

from conftest import PASSWORD, Cast


@dataclass
class Districts:
    x: Any
    y: Any
    qian: Any  # admin of X
    sun: Any  # admin of Y
    school_c: Any
    class_c: Any
    c_parent: Any


def build_districts(cast: Cast) -> Districts:
    from accounts.models import User
    from schools.district import do_add_district_admin, do_add_district_school, do_create_district
    from schools.models import Enrollment, Guardian, School, SchoolClass, Student, StudentGuardian, Term

    with scopes_disabled():
        school_c = School.objects.create(name="新华小学", code="c")
        term = Term.objects.create(
            school=school_c,
            name=cast.term.name,
            start_date=cast.term.start_date,
            end_date=cast.term.end_date,
            is_current=True,
        )
        class_c = SchoolClass.objects.create(school=school_c, grade=2, number=1)
        c_parent = User.objects.create_user("13800000021", PASSWORD, name="郑家长", phone="13800000021")
        student = Student.objects.create(school=school_c, name="郑小北", student_number="C001", school_class=class_c)
        Enrollment.objects.create(
            school=school_c, term=term, student=student, school_class=class_c, class_name="二年级1班"
        )
        guardian = Guardian.objects.create(
            school=school_c, name="郑家长", phone="13800000021", user=c_parent, activated_at=timezone.now()
        )
        StudentGuardian.objects.create(school=school_c, student=student, guardian=guardian, relationship="父亲")

        x = do_create_district("城区教育局", "x", acting_user=None)
        y = do_create_district("明德教育集团", "y", kind="group", acting_user=None)
        do_add_district_school(x, cast.school, acting_user=None)
        do_add_district_school(x, school_c, acting_user=None)
        do_add_district_school(y, cast.school_b, acting_user=None)
        qian = do_add_district_admin(x, name="钱局长", username="qian", password=PASSWORD, acting_user=None).user
        sun = do_add_district_admin(y, name="孙主任", username="sun", password=PASSWORD, acting_user=None).user
    return Districts(x=x, y=y, qian=qian, sun=sun, school_c=school_c, class_c=class_c, c_parent=c_parent)
