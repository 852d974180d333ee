import datetime

import pytest
from django.utils import timezone

from audit.models import AuditEntry
from contactbook.models import Acknowledgement, ActionItem, CareCase, ContactRecord, ConversationRequest
from schools.models import Guardian, StaffMember, Student, StudentGuardian

pytestmark = pytest.mark.usefixtures("unscoped")
TODAY = timezone.localdate()


def record(client, **fields):
    data = {
        "kind": "home_visit",
        "occurred_on": TODAY.isoformat(),
        "duration_minutes": 40,
        "summary": "学习有进步，作息需要调整。",
        "topics": ["learning"],
    }
    data.update(fields)
    return client.post("/contacts/new/", data)


def test_head_teacher_records_a_shared_home_visit_and_the_family_acknowledges(cast):
    teacher = cast.client(cast.ms_li)
    response = record(
        teacher,
        students=[cast.alice_child.pk],
        shared="on",
        parent_summary="孩子最近很努力，请继续保持早睡。",
        action="每周三电话沟通",
        action_due=(TODAY + datetime.timedelta(days=7)).isoformat(),
        follow_up_on=(TODAY + datetime.timedelta(days=14)).isoformat(),
    )
    assert response.status_code == 302
    contact = ContactRecord.objects.get()
    assert contact.visibility == "shared" and contact.term == cast.term
    assert ActionItem.objects.get().owner == cast.ms_li
    todo = teacher.get("/contacts/todo/").content.decode()
    assert "每周三电话沟通" in todo and "刘小明" in todo
    # The family sees the parent-facing summary only, and acknowledges with a reply.
    family = cast.client(cast.alice).get("/family/records/").content.decode()
    assert "请继续保持早睡" in family and "作息需要调整" not in family
    cast.client(cast.alice).post(f"/family/records/{contact.pk}/ack/", {"reply": "谢谢老师，我们会配合。"})
    ack = Acknowledgement.objects.get()
    assert ack.guardian == cast.alice_guardian and ack.reply == "谢谢老师，我们会配合。"
    assert "我们会配合" in teacher.get(f"/contacts/{contact.pk}/").content.decode()


def test_internal_records_never_reach_families(cast):
    record(cast.client(cast.ms_li), students=[cast.alice_child.pk], summary="家庭内部情况，仅限教师。")
    contact = ContactRecord.objects.get()
    assert "仅限教师" not in cast.client(cast.alice).get("/family/records/").content.decode()
    assert cast.client(cast.alice).post(f"/family/records/{contact.pk}/ack/").status_code == 404


def test_another_family_cannot_see_or_acknowledge(cast):
    record(cast.client(cast.ms_li), students=[cast.alice_child.pk], shared="on", parent_summary="刘小明的情况")
    contact = ContactRecord.objects.get()
    assert "刘小明的情况" not in cast.client(cast.bob).get("/family/records/").content.decode()
    assert cast.client(cast.bob).post(f"/family/records/{contact.pk}/ack/").status_code == 404
    assert cast.client(cast.erin).post(f"/family/records/{contact.pk}/ack/").status_code == 404
    assert not Acknowledgement.objects.exists()


@pytest.mark.parametrize(
    ("fields", "who"),
    [
        ({"students": "carol_child"}, "ms_li"),  # a student she does not teach
        ({"occurred_on": (TODAY + datetime.timedelta(days=1)).isoformat()}, "ms_li"),  # in the future
        ({"follow_up_on": (TODAY - datetime.timedelta(days=3)).isoformat()}, "ms_li"),  # before the contact
        ({"shared": "on", "parent_summary": ""}, "ms_li"),  # shared with no summary
        ({"summary": ""}, "ms_li"),
        ({}, "alice"),  # parents do not record
    ],
)
def test_bad_input_writes_nothing(cast, fields, who):
    data = {"students": [cast.alice_child.pk]}
    for key, value in fields.items():
        data[key] = [getattr(cast, value).pk] if key == "students" else value
    response = record(cast.client(getattr(cast, who)), **data)
    assert response.status_code in (400, 404)
    assert not ContactRecord.objects.exists() and not ActionItem.objects.exists()


def test_a_double_tap_records_once(cast):
    teacher = cast.client(cast.ms_li)
    record(teacher, students=[cast.alice_child.pk], idempotency_key="tap-1")
    record(teacher, students=[cast.alice_child.pk], idempotency_key="tap-1")
    assert ContactRecord.objects.count() == 1


def test_coverage_puts_uncontacted_children_first_and_applies_the_rules(cast):
    from contactbook.queries import coverage

    teacher = cast.client(cast.ms_li)
    record(teacher, students=[cast.alice_child.pk], topics=["behaviour"])
    page = teacher.get(f"/classes/{cast.class1.pk}/coverage/").content.decode()
    assert page.index("陈小红") < page.index("刘小明")  # nobody contacted bob's child yet

    def shortfalls():
        rows = coverage(Student.objects.filter(school_class=cast.class1), school=cast.school, term=cast.term)
        return {r.student.name: r.shortfalls for r in rows}

    # One contact, concerns only: short of 2 contacts, and no praise yet (R25: not only complaints).
    assert len(shortfalls()["刘小明"]) == 2
    record(teacher, students=[cast.alice_child.pk], topics=["praise"], kind="online")
    assert shortfalls()["刘小明"] == []
    assert len(shortfalls()["陈小红"]) == 1


def test_student_of_concern_needs_a_phone_follow_up_each_month(cast):
    from contactbook.queries import coverage
    from schools.models import Student as S

    CareCase.objects.create(
        school=cast.school, student=cast.alice_child, concern="learning", description="x", opened_by=cast.ms_li
    )
    rows = {
        r.student.name: r
        for r in coverage(S.objects.filter(school_class=cast.class1), school=cast.school, term=cast.term)
    }
    assert any("phone" in s or "电话" in s for s in rows["刘小明"].shortfalls)
    record(cast.client(cast.ms_li), students=[cast.alice_child.pk], kind="phone")
    rows = {
        r.student.name: r
        for r in coverage(S.objects.filter(school_class=cast.class1), school=cast.school, term=cast.term)
    }
    assert not any("phone" in s or "电话" in s for s in rows["刘小明"].shortfalls)


def test_parent_asks_to_talk_and_the_talk_becomes_a_record(cast):
    cast.client(cast.alice).post("/family/records/", {"student": cast.alice_child.pk, "topic": "孩子最近不爱说话"})
    req = ConversationRequest.objects.get()
    teacher = cast.client(cast.ms_li)
    assert "孩子最近不爱说话" in teacher.get(f"/classes/{cast.class1.pk}/coverage/").content.decode()
    record(teacher, students=[cast.alice_child.pk], kind="school_talk", request=req.pk)
    req.refresh_from_db()
    assert req.status == "held" and ContactRecord.objects.get().conversation_request == req
    # A parent cannot ask about another family's child.
    response = cast.client(cast.bob).post("/family/records/", {"student": cast.alice_child.pk, "topic": "x"})
    assert response.status_code == 400 and ConversationRequest.objects.count() == 1


def test_collective_guidance_for_the_whole_class(cast):
    response = record(cast.client(cast.ms_li), whole_class=cast.class1.pk, summary="全班纪律问题：集体引导。")
    assert response.status_code == 302
    contact = ContactRecord.objects.get()
    assert contact.school_class == cast.class1 and not contact.student_links.exists()


def test_care_cases_are_for_the_head_teacher_care_staff_and_admins_only_and_every_view_is_logged(cast):
    teacher = cast.client(cast.ms_li)
    response = teacher.post(
        f"/students/{cast.alice_child.pk}/care/new/",
        {"concern": "mental_health", "description": "情绪低落", "goals": "每周谈心"},
    )
    assert response.status_code == 302
    case = CareCase.objects.get()
    url = f"/care/{case.pk}/"
    assert teacher.get(url).status_code == 200
    # The subject teacher, the family, another school: nothing.
    for who in (cast.mr_wang, cast.alice, cast.bob, cast.dave):
        assert cast.client(who).get(url).status_code == 404
    assert cast.client(cast.mr_wang).get(f"/students/{cast.alice_child.pk}/care/new/").status_code == 404
    assert (
        "情绪低落" not in cast.client(cast.mr_wang).get(f"/students/{cast.alice_child.pk}/contacts/").content.decode()
    )
    # Designated care staff of the school see it.
    StaffMember.objects.filter(user=cast.mr_wang).update(is_care_staff=True)
    assert cast.client(cast.mr_wang).get(url).status_code == 200
    views = AuditEntry.objects.filter(action="sensitive_view", target_type="carecase")
    assert views.count() >= 3 and {v.actor_id for v in views} >= {cast.ms_li.pk, cast.mr_wang.pk}
    assert not any("情绪低落" in v.summary for v in views)
    teacher.post(url, {"form": "review", "progress": "好转"})
    teacher.post(url, {"form": "close", "note": "结束"})
    case.refresh_from_db()
    assert case.closed_at is not None and case.reviews.count() == 1


def test_contact_book_export_is_logged(cast):
    record(cast.client(cast.ms_li), students=[cast.alice_child.pk])
    response = cast.client(cast.ms_li).get(f"/classes/{cast.class1.pk}/contactbook.xlsx")
    assert response.status_code == 200
    assert AuditEntry.objects.filter(action="export", target_type="schoolclass").exists()
    assert cast.client(cast.mr_wang).get(f"/classes/{cast.class1.pk}/contactbook.xlsx").status_code == 404


@pytest.mark.parametrize("students", [2, 60])
def test_coverage_page_query_count_does_not_grow(cast, django_assert_num_queries, students):
    for i in range(students):
        s = Student.objects.create(school=cast.school, name=f"学生{i}", school_class=cast.class1)
        g = Guardian.objects.create(school=cast.school, name=f"家长{i}", phone=f"1370005{i:04d}")
        StudentGuardian.objects.create(school=cast.school, student=s, guardian=g)
    record(cast.client(cast.ms_li), students=[cast.alice_child.pk])
    client = cast.client(cast.ms_li)
    # session, user, roles (3), badges (notices, chat, the to-do list 3), class, term, rules,
    # students with counts, open cases, requests
    with django_assert_num_queries(17):
        assert client.get(f"/classes/{cast.class1.pk}/coverage/").status_code == 200
    admin = cast.client(cast.admin_zhang)
    with django_assert_num_queries(15):
        assert admin.get("/school/coverage/").status_code == 200


def test_a_record_about_two_families_names_only_each_familys_own_child(cast):
    record(
        cast.client(cast.ms_li),
        students=[cast.alice_child.pk, cast.bob_child.pk],
        shared="on",
        parent_summary="两位同学一起参加了比赛",
    )
    page = cast.client(cast.alice).get("/family/records/").content.decode()
    assert "两位同学一起参加了比赛" in page and "刘小明" in page and "陈小红" not in page


def test_a_contact_before_the_term_is_refused(cast):
    before = cast.term.start_date - datetime.timedelta(days=30)
    response = record(cast.client(cast.ms_li), students=[cast.alice_child.pk], occurred_on=before.isoformat())
    assert response.status_code == 400 and not ContactRecord.objects.exists()


def test_the_new_record_form_shows_today_in_a_date_field_browsers_accept(cast):
    page = cast.client(cast.ms_li).get("/contacts/new/").content.decode()
    assert f'value="{TODAY.isoformat()}"' in page


def test_a_subject_teacher_sees_only_what_they_wrote_about_a_student(cast):
    import json

    record(
        cast.client(cast.ms_li), students=[cast.alice_child.pk], summary="疑似抑郁，需关注", topics=["mental_health"]
    )
    record(cast.client(cast.mr_wang), students=[cast.alice_child.pk], summary="数学作业按时完成", topics=["learning"])
    api = cast.client(cast.mr_wang).get(f"/api/v1/students/{cast.alice_child.pk}/contacts").content.decode()
    page = cast.client(cast.mr_wang).get(f"/students/{cast.alice_child.pk}/contacts/").content.decode()
    assert "疑似抑郁" not in api and len(json.loads(api)) == 1
    assert page.count("/contacts/") >= 1 and "疑似抑郁" not in page
    head = cast.client(cast.ms_li).get(f"/api/v1/students/{cast.alice_child.pk}/contacts").json()
    assert len(head) == 2


def test_only_the_head_teacher_handles_a_familys_request_and_only_for_that_child(cast):
    cast.client(cast.alice).post(
        "/family/records/", {"student": cast.alice_child.pk, "topic": "孩子被同学欺负想私下谈"}
    )
    req = ConversationRequest.objects.get()
    assert cast.client(cast.mr_wang).get(f"/contacts/new/?request={req.pk}").status_code == 404
    response = record(cast.client(cast.ms_li), students=[cast.bob_child.pk], request=req.pk)
    assert response.status_code == 400
    req.refresh_from_db()
    assert req.status == "open"


def test_every_render_of_a_care_case_is_logged(cast):
    case = CareCase.objects.create(
        school=cast.school, student=cast.alice_child, concern="learning", description="自伤倾向", opened_by=cast.ms_li
    )
    before = AuditEntry.objects.filter(action="sensitive_view").count()
    cast.client(cast.ms_li).post(f"/care/{case.pk}/", {"form": "unknown"})
    cast.client(cast.ms_li).post(f"/care/{case.pk}/", {"form": "review", "progress": ""})
    assert AuditEntry.objects.filter(action="sensitive_view").count() == before + 2


def test_designated_staff_open_a_care_case_for_any_student_of_the_school(cast):
    StaffMember.objects.filter(user=cast.mr_wang).update(is_care_staff=True)
    response = cast.client(cast.mr_wang).post(
        f"/students/{cast.carol_child.pk}/care/new/", {"concern": "behaviour", "description": "课间冲突"}
    )
    assert response.status_code == 302 and CareCase.objects.get().student == cast.carol_child


def test_whole_class_records_are_in_the_export(cast):
    import io

    import openpyxl

    record(cast.client(cast.ms_li), whole_class=cast.class1.pk, summary="全班纪律集体引导")
    response = cast.client(cast.ms_li).get(f"/classes/{cast.class1.pk}/contactbook.xlsx")
    rows = list(openpyxl.load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert any(r[4] == "全班纪律集体引导" for r in rows)


def test_an_admin_changes_the_schools_rules_of_contact(cast):
    from contactbook.models import CoverageRules
    from contactbook.queries import coverage

    admin = cast.client(cast.admin_zhang)
    data = {
        "min_contacts_per_term": 3,
        "concern_phone_per_month": 2,
        "require_home_visit": "on",
        "require_praise": "on",
    }
    assert admin.post("/school/coverage/rules/", data).status_code == 302
    rules = CoverageRules.objects.get(school=cast.school)
    assert rules.min_contacts_per_term == 3 and rules.require_home_visit
    record(cast.client(cast.ms_li), students=[cast.alice_child.pk], kind="phone", topics=["praise"])
    rows = {
        r.student.name: r
        for r in coverage(Student.objects.filter(school_class=cast.class1), school=cast.school, term=cast.term)
    }
    assert len(rows["刘小明"].shortfalls) == 2  # 1 of 3 contacts, and no home visit
    assert admin.post("/school/coverage/rules/", {**data, "min_contacts_per_term": -1}).status_code == 400
    assert AuditEntry.objects.filter(summary="coverage rules changed").count() == 1


def test_only_the_owner_the_author_the_head_teacher_or_an_admin_closes_an_agreed_action(cast):
    """Care staff read every record of the school, but an action someone else owns is not theirs to
    close: access_action_item_to_close refuses them with a 404 and the action stays open."""
    StaffMember.objects.filter(user=cast.mr_wang).update(is_care_staff=True)
    record(cast.client(cast.ms_li), students=[cast.alice_child.pk], action="每周三电话沟通")
    contact, item = ContactRecord.objects.get(), ActionItem.objects.get()
    care_staff = cast.client(cast.mr_wang)
    assert care_staff.get(f"/contacts/{contact.pk}/").status_code == 200  # reads it
    assert care_staff.post(f"/contacts/{contact.pk}/", {"done": item.pk}).status_code == 404
    item.refresh_from_db()
    assert item.done_at is None
    # Another school's admin does not even see the record; this school's admin closes it.
    assert cast.client(cast.dave).post(f"/contacts/{contact.pk}/", {"done": item.pk}).status_code == 404
    assert cast.client(cast.admin_zhang).post(f"/contacts/{contact.pk}/", {"done": item.pk}).status_code == 302
    item.refresh_from_db()
    assert item.done_at is not None


def test_the_owner_of_an_action_closes_it_and_the_head_teacher_may_too(cast):
    from contactbook.actions import ActionSpec, do_record_contact
    from schools.roles import compute_roles

    contact = do_record_contact(
        cast.school,
        acting_user=cast.ms_li,
        roles=compute_roles(cast.ms_li),
        kind="phone",
        occurred_on=TODAY,
        student_ids=[cast.alice_child.pk],
        summary="x",
        action_items=[ActionSpec("数学作业辅导", owner_id=cast.mr_wang.pk), ActionSpec("电话回访")],
    )
    theirs, hers = ActionItem.objects.order_by("pk")
    # mr_wang (a subject teacher, not care staff) does not see the record, so cannot close it from it.
    assert cast.client(cast.mr_wang).post(f"/contacts/{contact.pk}/", {"done": theirs.pk}).status_code == 404
    # ms_li is the author and the head teacher: she closes both.
    for item in (theirs, hers):
        assert cast.client(cast.ms_li).post(f"/contacts/{contact.pk}/", {"done": item.pk}).status_code == 302
    assert not ActionItem.objects.filter(done_at__isnull=True).exists()


def test_a_record_counts_for_each_child_it_names_and_a_brother_or_sister_left_out_is_told_why(cast):
    """A family with twins in class 1 (刘小明 and 刘小亮) and a child in class 2 (刘小红): a talk about
    刘小明 alone counts for him only; his twin's row says plainly why it does not count for him (his
    sister's, in another class the page does not show, says nothing of it); a record naming both
    twins counts for each."""
    from django.utils import translation

    from contactbook.queries import coverage

    twin = Student.objects.create(school=cast.school, name="刘小亮", school_class=cast.class1)
    StudentGuardian.objects.create(school=cast.school, student=twin, guardian=cast.alice_guardian, relationship="母亲")
    sister = Student.objects.create(school=cast.school, name="刘小红", school_class=cast.class2)
    StudentGuardian.objects.create(
        school=cast.school, student=sister, guardian=cast.alice_guardian, relationship="母亲"
    )
    teacher = cast.client(cast.ms_li)

    def rows(klass):
        with translation.override("en"):
            return {
                r.student.name: r
                for r in coverage(Student.objects.filter(school_class=klass), school=cast.school, term=cast.term)
            }

    record(teacher, students=[cast.alice_child.pk])
    class1 = rows(cast.class1)
    assert class1["刘小明"].contacts == 1 and class1["刘小亮"].contacts == 0
    assert class1["刘小亮"].shortfalls[0].startswith("no record names this child yet")
    assert "brother or sister" in class1["刘小亮"].shortfalls[0]
    assert class1["陈小红"].shortfalls[0] == "no contact about this child yet this term"  # no sibling: plain
    assert rows(cast.class2)["刘小红"].shortfalls[0] == "no contact about this child yet this term"

    record(teacher, students=[cast.alice_child.pk, twin.pk], kind="phone", idempotency_key="both")
    class1 = rows(cast.class1)
    assert (class1["刘小明"].contacts, class1["刘小亮"].contacts) == (2, 1)
    with translation.override("en"):
        page = teacher.get(f"/classes/{cast.class1.pk}/coverage/").content.decode()
    assert "本学期还有 1 名学生未联系" in page  # 陈小红: students, not families
    assert "每条记录计入其中写到的每个孩子" in page
