import datetime

import pytest
from django.test import Client

from audit.models import AuditEntry
from schools.models import (
    Enrollment,
    Guardian,
    SchoolClass,
    StaffAssignment,
    StaffMember,
    Student,
    StudentGuardian,
    Term,
)

# Written about the months of the 2026—2027 first term: the clock stands in it.
pytestmark = pytest.mark.usefixtures("school_day", "unscoped")


def test_admin_creates_a_class_written_any_way(cast):
    client = cast.client(cast.admin_zhang)
    response = client.post("/school/classes/", {"name": "四(1)班"})
    assert response.status_code == 302
    assert SchoolClass.objects.filter(school=cast.school, grade=4, number=1).exists()
    assert "四年级1班" in client.get("/school/classes/").content.decode()


@pytest.mark.parametrize("name", ["3年级1班", "三(1)班"])
def test_existing_class_is_refused_clearly(cast, name):
    response = cast.client(cast.admin_zhang).post("/school/classes/", {"name": name})
    assert response.status_code == 400
    assert SchoolClass.objects.filter(school=cast.school, grade=3, number=1).count() == 1


@pytest.mark.parametrize("name", ["七年级1班", "三班", "abc"])
def test_class_name_that_cannot_be_understood(cast, name):
    before = SchoolClass.objects.count()
    response = cast.client(cast.admin_zhang).post("/school/classes/", {"name": name})
    assert response.status_code == 400
    assert name in response.content.decode()
    assert SchoolClass.objects.count() == before


def test_terms_bad_input_and_switching_current(cast):
    client = cast.client(cast.admin_zhang)
    bad = client.post("/school/terms/", {"name": "X", "start_date": "2027-02-20", "end_date": "2027-02-01"})
    assert bad.status_code == 400
    overlap = client.post("/school/terms/", {"name": "重叠", "start_date": "2026-12-01", "end_date": "2027-03-01"})
    assert overlap.status_code == 400
    ok = client.post(
        "/school/terms/", {"name": "2026—2027学年第二学期", "start_date": "2027-02-20", "end_date": "2027-07-10"}
    )
    assert ok.status_code == 302
    new = Term.objects.get(name="2026—2027学年第二学期")
    assert not new.is_current
    assert client.post(f"/school/terms/{new.pk}/current/").status_code == 302
    assert list(Term.objects.filter(school=cast.school, is_current=True)) == [new]


def test_admin_adds_staff_and_gives_roles(cast):
    client = cast.client(cast.admin_zhang)
    response = client.post(
        "/school/staff/",
        {"form": "staff", "name": "孙老师", "phone": "139 0000 0100", "username": "sun", "password": "first-pass-1"},
    )
    assert response.status_code == 302
    sun = StaffMember.objects.get(user__username="sun")
    assert sun.user.phone == "13900000100"
    # Head teacher of 三年级1班 replaces ms_li: one head teacher a class a term.
    response = client.post(
        "/school/staff/", {"form": "assign", "staff": sun.pk, "school_class": cast.class1.pk, "role": "head"}
    )
    assert response.status_code == 302
    heads = StaffAssignment.objects.filter(school_class=cast.class1, role="head")
    assert [a.staff_id for a in heads] == [sun.pk]
    assert AuditEntry.objects.filter(school=cast.school, action="role_changed").exists()
    # ms_li no longer sees the class; sun does.
    assert cast.client(cast.ms_li).get(f"/classes/{cast.class1.pk}/").status_code == 404
    assert Client().post("/accounts/login/", {"identifier": "sun", "password": "first-pass-1"}).status_code == 302


def test_staff_bad_input(cast):
    client = cast.client(cast.admin_zhang)
    # A username and no phone needs a first password, or they could never sign in.
    assert client.post("/school/staff/", {"form": "staff", "name": "丁", "username": "ding"}).status_code == 400
    assert client.post("/school/staff/", {"form": "staff", "name": "甲", "phone": "12345"}).status_code == 400
    assert client.post("/school/staff/", {"form": "staff", "name": "乙", "username": "12345"}).status_code == 400
    assert client.post("/school/staff/", {"form": "staff", "name": "丙"}).status_code == 400
    member = StaffMember.objects.get(user=cast.mr_wang)
    response = client.post(
        "/school/staff/", {"form": "assign", "staff": member.pk, "school_class": cast.class2.pk, "role": "subject"}
    )
    assert response.status_code == 400
    assert not StaffAssignment.objects.filter(staff=member, school_class=cast.class2).exists()
    assert not StaffMember.objects.filter(user__name__in=["甲", "乙", "丙"]).exists()


def test_assigning_a_class_of_another_school_is_refused(cast):
    member = StaffMember.objects.get(user=cast.mr_wang)
    response = cast.client(cast.admin_zhang).post(
        "/school/staff/", {"form": "assign", "staff": member.pk, "school_class": cast.class_b.pk, "role": "head"}
    )
    assert response.status_code == 400
    assert not StaffAssignment.objects.filter(school_class=cast.class_b, staff=member).exists()


def test_the_last_admin_cannot_be_removed(cast):
    me = StaffMember.objects.get(user=cast.admin_zhang)
    response = cast.client(cast.admin_zhang).post(f"/school/staff/{me.pk}/admin/", {"is_admin": "0"})
    assert response.status_code == 302
    assert StaffMember.objects.get(pk=me.pk).is_school_admin


def test_head_teacher_adds_a_student_and_a_sibling_shares_the_guardian(cast):
    client = cast.client(cast.ms_li)
    data = {
        "name": "刘小亮",
        "student_number": "2024009",
        "guardian1_name": "刘爱丽",
        "guardian1_phone": "138-0000-0001",
        "guardian1_relationship": "母亲",
    }
    assert client.post(f"/classes/{cast.class1.pk}/", data).status_code == 302
    student = Student.objects.get(name="刘小亮")
    guardians = Guardian.objects.filter(school=cast.school, phone="13800000001")
    assert guardians.count() == 1
    assert set(StudentGuardian.objects.filter(guardian=guardians.get()).values_list("student__name", flat=True)) == {
        "刘小明",
        "刘小亮",
    }
    assert Enrollment.objects.get(student=student).class_name == "三年级1班"
    assert "刘小亮" in cast.client(cast.alice).get("/children/").content.decode()


def test_duplicate_student_number_writes_nothing(cast):
    before = (Student.objects.count(), Guardian.objects.count())
    data = {"name": "新同学", "student_number": "2024001", "guardian1_name": "新家长", "guardian1_phone": "13712345678"}
    response = cast.client(cast.ms_li).post(f"/classes/{cast.class1.pk}/", data)
    assert response.status_code == 400
    assert "2024001" in response.content.decode()
    assert (Student.objects.count(), Guardian.objects.count()) == before


def test_bad_guardian_phone_writes_nothing(cast):
    before = Student.objects.count()
    data = {"name": "新同学", "guardian1_name": "新家长", "guardian1_phone": "1371234"}
    assert cast.client(cast.ms_li).post(f"/classes/{cast.class1.pk}/", data).status_code == 400
    assert Student.objects.count() == before


def test_subject_teacher_cannot_add_students(cast):
    data = {"name": "新同学"}
    assert cast.client(cast.mr_wang).post(f"/classes/{cast.class1.pk}/", data).status_code == 404
    assert not Student.objects.filter(name="新同学").exists()


def test_class_page_masks_phones_for_subject_teachers(cast):
    head = cast.client(cast.ms_li).get(f"/classes/{cast.class1.pk}/").content.decode()
    subject = cast.client(cast.mr_wang).get(f"/classes/{cast.class1.pk}/").content.decode()
    assert "13800000001" in head
    assert "13800000001" not in subject and "138****0001" in subject


def test_reset_access_ends_sessions_and_tokens(cast):
    parent = cast.client(cast.alice)
    assert parent.get("/").status_code == 200
    token = (
        Client()
        .post(
            "/api/v1/auth/token",
            {"identifier": "13800000001", "password": "correct-horse-42"},
            content_type="application/json",
        )
        .json()["token"]
    )
    response = cast.client(cast.ms_li).post(
        f"/guardians/{cast.alice_guardian.pk}/reset/", {"back": f"/classes/{cast.class1.pk}/"}
    )
    assert response.status_code == 302 and response["Location"] == f"/classes/{cast.class1.pk}/"
    assert parent.get("/").status_code == 302  # signed out
    assert Client(HTTP_AUTHORIZATION=f"Bearer {token}").get("/api/v1/me").status_code == 401
    assert (
        Client().post("/accounts/login/", {"identifier": "13800000001", "password": "correct-horse-42"}).status_code
        == 400
    )
    assert AuditEntry.objects.filter(school=cast.school, action="access_reset", actor=cast.ms_li).count() == 1


def test_parent_picks_which_child_to_look_at(cast):
    sibling = Student.objects.create(school=cast.school, name="刘小亮", school_class=cast.class2)
    StudentGuardian.objects.create(school=cast.school, student=sibling, guardian=cast.alice_guardian)
    client = cast.client(cast.alice)
    page = client.get("/children/").content.decode()
    assert "刘小明" in page and "刘小亮" in page and "三年级2班" in page
    assert client.post(f"/children/{sibling.pk}/select/").status_code == 302
    assert client.session["child_id"] == sibling.pk


def test_promote_school_year(cast):
    six = SchoolClass.objects.create(school=cast.school, grade=6, number=1)
    graduate = Student.objects.create(school=cast.school, name="毕业生", school_class=six)
    response = cast.client(cast.admin_zhang).post(
        "/school/year/",
        {"name": "2027—2028学年第一学期", "start_date": "2027-09-01", "end_date": "2028-01-20", "confirm": "on"},
    )
    assert response.status_code == 302
    new_term = Term.objects.get(school=cast.school, is_current=True)
    assert new_term.name == "2027—2028学年第一学期"
    cast.class1.refresh_from_db()
    assert cast.class1.name == "四年级1班"
    six.refresh_from_db()
    assert six.graduated_at is not None
    graduate.refresh_from_db()
    assert graduate.status == "graduated"
    # History: the old term still says 三年级1班; the new term says 四年级1班.
    old = Enrollment.objects.get(student=cast.alice_child, term=cast.term)
    new = Enrollment.objects.get(student=cast.alice_child, term=new_term)
    assert (old.class_name, new.class_name) == ("三年级1班", "四年级1班")
    assert not Enrollment.objects.filter(student=graduate, term=new_term).exists()
    # ms_li goes up with her class; school B is untouched.
    assert StaffAssignment.objects.filter(
        term=new_term, staff__user=cast.ms_li, role="head", school_class=cast.class1
    ).exists()
    cast.class_b.refresh_from_db()
    assert cast.class_b.grade == 3
    assert "四年级1班" in cast.client(cast.alice).get("/children/").content.decode()


def test_promotion_must_start_after_the_current_term(cast):
    response = cast.client(cast.admin_zhang).post(
        "/school/year/", {"name": "过去", "start_date": "2026-01-01", "end_date": "2026-06-01", "confirm": "on"}
    )
    assert response.status_code == 400
    cast.class1.refresh_from_db()
    assert cast.class1.grade == 3 and not Term.objects.filter(name="过去").exists()


def test_audit_log_shows_only_the_schools_own_entries(cast):
    cast.client(cast.admin_zhang).post("/school/classes/", {"name": "五(3)班"})
    cast.client(cast.dave).post("/school/classes/", {"name": "五(4)班"})
    page_a = cast.client(cast.admin_zhang).get("/school/audit/").content.decode()
    page_b = cast.client(cast.dave).get("/school/audit/").content.decode()
    assert "五年级3班" in page_a and "五年级4班" not in page_a
    assert "五年级4班" in page_b and "五年级3班" not in page_b


@pytest.mark.parametrize("extra_students", [0, 40])
def test_class_page_query_count_does_not_grow(cast, django_assert_num_queries, extra_students):
    for i in range(extra_students):
        s = Student.objects.create(school=cast.school, name=f"学生{i}", school_class=cast.class1)
        g = Guardian.objects.create(school=cast.school, name=f"家长{i}", phone=f"1370000{i:04d}")
        StudentGuardian.objects.create(school=cast.school, student=s, guardian=g)
    client = cast.client(cast.ms_li)
    # 15: the last one asks which of the families' accounts are also staff (their access and links
    # are the school admin's to manage, schools.queries.colleague_guardian_ids).
    with django_assert_num_queries(15):
        assert client.get(f"/classes/{cast.class1.pk}/").status_code == 200


@pytest.mark.parametrize("extra_classes", [0, 12])
def test_admin_home_query_count_does_not_grow(cast, django_assert_num_queries, extra_classes):
    for n in range(extra_classes):
        SchoolClass.objects.create(school=cast.school, grade=5, number=n + 1)
    client = cast.client(cast.admin_zhang)
    # 23: the staff cards of home.queries.staff_home (the school's notices, questions, today's events,
    # the admin's to-do list with the term plan's tasks: 11) come before the school's classes.
    with django_assert_num_queries(23):
        assert client.get("/").status_code == 200


def test_a_school_has_one_current_term(cast):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Term.objects.create(
            school=cast.school,
            name="另一个",
            start_date=datetime.date(2030, 1, 1),
            end_date=datetime.date(2030, 6, 1),
            is_current=True,
        )


def test_create_school_command(db):
    from io import StringIO

    from django.core.management import call_command
    from django.core.management.base import CommandError

    from schools.models import School

    call_command(
        "create_school",
        "--name",
        "新华小学",
        "--code",
        "xinhua",
        "--admin-name",
        "校长",
        "--admin-phone",
        "13900001234",
        stdout=StringIO(),
    )
    school = School.objects.get(code="xinhua")
    admin = StaffMember.objects.get(school=school)
    assert admin.is_school_admin and admin.user.phone == "13900001234"
    with pytest.raises(CommandError):
        call_command(
            "create_school",
            "--name",
            "重复",
            "--code",
            "xinhua",
            "--admin-name",
            "x",
            "--admin-phone",
            "13900001235",
            stdout=StringIO(),
        )
    with pytest.raises(CommandError):  # no phone and no password: could never sign in
        call_command(
            "create_school",
            "--name",
            "乙",
            "--code",
            "yi",
            "--admin-name",
            "x",
            "--admin-username",
            "boss",
            stdout=StringIO(),
        )
    assert not School.objects.filter(code="yi").exists()


def test_switching_to_the_next_term_keeps_classes_and_teachers(cast):
    client = cast.client(cast.admin_zhang)
    client.post(
        "/school/terms/", {"name": "2026—2027学年第二学期", "start_date": "2027-02-20", "end_date": "2027-07-10"}
    )
    second = Term.objects.get(name="2026—2027学年第二学期")
    client.post(f"/school/terms/{second.pk}/current/")
    assert Enrollment.objects.get(term=second, student=cast.alice_child).class_name == "三年级1班"
    assert cast.client(cast.ms_li).get(f"/classes/{cast.class1.pk}/").status_code == 200


def test_head_teacher_cannot_reset_a_parent_who_is_staff(cast):
    from schools.models import Guardian

    Guardian.objects.filter(pk=cast.alice_guardian.pk).update(user=cast.mr_wang)
    response = cast.client(cast.ms_li).post(f"/guardians/{cast.alice_guardian.pk}/reset/")
    assert response.status_code == 404
    assert cast.client(cast.admin_zhang).post(f"/guardians/{cast.alice_guardian.pk}/reset/").status_code == 302


def test_admin_marks_a_teacher_as_left(cast):
    member = StaffMember.objects.get(user=cast.mr_wang)
    assert cast.client(cast.admin_zhang).post(f"/school/staff/{member.pk}/leave/").status_code == 302
    member.refresh_from_db()
    assert not member.is_active
    assert cast.client(cast.mr_wang).get(f"/classes/{cast.class1.pk}/").status_code == 404


def test_a_double_tap_adds_the_student_once(cast):
    client = cast.client(cast.ms_li)
    data = {"name": "双击", "form_key": "k-123", "guardian1_name": "家长", "guardian1_phone": "13700000301"}
    assert client.post(f"/classes/{cast.class1.pk}/", data).status_code == 302
    assert client.post(f"/classes/{cast.class1.pk}/", data).status_code == 302
    assert Student.objects.filter(name="双击").count() == 1


def test_stale_uploads_are_purged(cast):
    import datetime as dt

    from django.utils import timezone

    from schools.models import RosterUpload
    from schools.tasks import purge_stale_roster_uploads

    old = RosterUpload.objects.create(school=cast.school, uploaded_by=cast.ms_li, filename="a.csv", content=b"x")
    RosterUpload.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=2))
    fresh = RosterUpload.objects.create(school=cast.school, uploaded_by=cast.ms_li, filename="b.csv", content=b"y")
    assert purge_stale_roster_uploads() == 1
    assert list(RosterUpload.objects.values_list("pk", flat=True)) == [fresh.pk]


def test_admin_marks_a_teacher_as_care_staff_on_the_staff_page_and_it_is_audited(cast):
    from schools.roles import compute_roles

    member = StaffMember.objects.get(user=cast.mr_wang)
    client = cast.client(cast.admin_zhang)
    page = client.get("/school/staff/").content.decode()
    assert f"/school/staff/{member.pk}/care/" in page

    assert client.post(f"/school/staff/{member.pk}/care/", {"is_care_staff": "1"}).status_code == 302
    assert StaffMember.objects.get(pk=member.pk).is_care_staff
    assert cast.school.pk in compute_roles(cast.mr_wang).care_school_ids
    entry = AuditEntry.objects.filter(school=cast.school, action=AuditEntry.Action.ROLE_CHANGED).first()
    assert entry is not None
    assert (entry.actor, entry.target_id, entry.summary) == (cast.admin_zhang, str(member.pk), "care staff: on")

    assert client.post(f"/school/staff/{member.pk}/care/", {"is_care_staff": "0"}).status_code == 302
    assert not StaffMember.objects.get(pk=member.pk).is_care_staff
    assert not compute_roles(cast.mr_wang).care_school_ids


def test_only_the_schools_admins_mark_care_staff(cast):
    member = StaffMember.objects.get(user=cast.mr_wang)
    for someone in (cast.ms_li, cast.mr_wang, cast.dave, cast.alice):
        response = cast.client(someone).post(f"/school/staff/{member.pk}/care/", {"is_care_staff": "1"})
        assert response.status_code == 404
    assert not StaffMember.objects.get(pk=member.pk).is_care_staff
    # A member who has left cannot be marked.
    StaffMember.objects.filter(pk=member.pk).update(is_active=False)
    response = cast.client(cast.admin_zhang).post(f"/school/staff/{member.pk}/care/", {"is_care_staff": "1"})
    assert response.status_code == 404
