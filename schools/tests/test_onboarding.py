import io
import re
import threading
import zipfile
from datetime import timedelta

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.utils import timezone
from django_scopes import scopes_disabled

from accounts.models import User
from audit.models import AuditEntry
from delivery.sms import LocmemSmsBackend
from schools.models import ActivationLink, Guardian, JoinLink, JoinRequest, RosterUpload, Student, StudentGuardian
from schools.onboarding import active_join_link

from .rosterfiles import csv_bytes, zip_bomb_xlsx

pytestmark = pytest.mark.usefixtures("unscoped")


def last_code() -> str:
    match = re.search(r"(?<!\d)\d{6}(?!\d)", LocmemSmsBackend.outbox[-1].text)
    assert match
    return match.group()


def join(
    client, token, *, child="刘小明", fact="2024001", phone="13700000055", name="刘爷爷", rel="爷爷", ip="10.0.0.1"
):
    details = {
        "step": "details",
        "child_name": child,
        "fact": fact,
        "guardian_name": name,
        "relationship": rel,
        "phone": phone,
        "consent_data": "on",
    }
    first = client.post(f"/join/{token}/", details, REMOTE_ADDR=ip)
    return first


def test_family_joins_with_the_student_number(cast):
    token = active_join_link(cast.class1, acting_user=cast.ms_li).token
    client = Client()
    assert client.get(f"/join/{token}/").status_code == 200
    response = join(client, token)
    assert response.status_code == 200
    assert LocmemSmsBackend.outbox[-1].phone == "13700000055"
    response = client.post(f"/join/{token}/", {"step": "code", "code": last_code()})
    assert response.status_code == 302 and response["Location"] == "/accounts/password/"
    guardian = Guardian.objects.get(school=cast.school, phone="13700000055")
    assert guardian.user is not None  # for the type checker; the next line says it again
    assert guardian.is_activated and guardian.user.phone == "13700000055"
    assert StudentGuardian.objects.get(guardian=guardian).student == cast.alice_child
    assert StudentGuardian.objects.get(guardian=guardian).relationship == "爷爷"
    assert "刘小明" in client.get("/children/").content.decode()
    assert AuditEntry.objects.filter(school=cast.school, action="family_joined").count() == 1


def test_family_joins_with_the_phone_on_file(cast):
    token = active_join_link(cast.class1, acting_user=cast.ms_li).token
    client = Client()
    join(client, token, fact="138 0000 0001")
    client.post(f"/join/{token}/", {"step": "code", "code": last_code()})
    assert StudentGuardian.objects.filter(student=cast.alice_child, guardian__phone="13700000055").exists()


def test_what_does_not_match_waits_for_the_head_teacher(cast):
    token = active_join_link(cast.class1, acting_user=cast.ms_li).token
    client = Client()
    right = join(Client(), token, phone="13700000066", ip="10.0.0.2")
    wrong = join(client, token, fact="9999999")
    # Step 1 answers the same whether or not the details match: nothing to learn by guessing.
    assert right.status_code == wrong.status_code == 200
    response = client.post(f"/join/{token}/", {"step": "code", "code": last_code()})
    assert response.status_code == 302 and response["Location"] == "/"
    request = JoinRequest.objects.get(phone="13700000055")
    assert request.status == "pending" and request.student == cast.alice_child
    assert not StudentGuardian.objects.filter(guardian__phone="13700000055").exists()
    # The head teacher sees it and approves, choosing the child.
    page = cast.client(cast.ms_li).get(f"/classes/{cast.class1.pk}/families/").content.decode()
    assert "刘爷爷" in page
    cast.client(cast.ms_li).post(
        f"/join-requests/{request.pk}/", {"decision": "approve", "student": cast.alice_child.pk}
    )
    request.refresh_from_db()
    assert request.status == "approved" and request.decided_by == cast.ms_li
    assert StudentGuardian.objects.filter(student=cast.alice_child, guardian__phone="13700000055").exists()
    assert "刘小明" in client.get("/children/").content.decode()


def test_head_teacher_can_refuse_and_cannot_decide_twice(cast):
    user = User.objects.create_user("13700000077", None, phone="13700000077")
    request = JoinRequest.objects.create(
        school=cast.school,
        school_class=cast.class1,
        user=user,
        phone="13700000077",
        guardian_name="某人",
        child_name="某某",
    )
    client = cast.client(cast.ms_li)
    client.post(f"/join-requests/{request.pk}/", {"decision": "refuse"})
    request.refresh_from_db()
    assert request.status == "refused"
    client.post(f"/join-requests/{request.pk}/", {"decision": "approve", "student": cast.alice_child.pk})
    assert not StudentGuardian.objects.filter(guardian__phone="13700000077").exists()


def test_approving_for_a_child_of_another_class_is_refused(cast):
    user = User.objects.create_user("13700000078", None, phone="13700000078")
    request = JoinRequest.objects.create(
        school=cast.school,
        school_class=cast.class1,
        user=user,
        phone="13700000078",
        guardian_name="某人",
        child_name="某某",
    )
    cast.client(cast.ms_li).post(
        f"/join-requests/{request.pk}/", {"decision": "approve", "student": cast.carol_child.pk}
    )
    request.refresh_from_db()
    assert request.status == "pending"
    assert not StudentGuardian.objects.filter(guardian__phone="13700000078").exists()


def test_join_attempts_are_limited_per_address(cast, settings):
    settings.TONGXIN_LIMITS = {**settings.TONGXIN_LIMITS, "sms_per_phone_cooldown": (100, 60)}
    token = active_join_link(cast.class1, acting_user=cast.ms_li).token
    statuses = [join(Client(), token, phone=f"137000001{i:02d}", ip="10.0.0.9").status_code for i in range(11)]
    assert statuses[:10] == [200] * 10 and statuses[10] == 400
    assert len(LocmemSmsBackend.outbox) == 10


def test_replaced_and_forged_join_codes_do_not_work(cast):
    old = active_join_link(cast.class1, acting_user=cast.ms_li).token
    cast.client(cast.ms_li).post(f"/classes/{cast.class1.pk}/families/join-link/", {"action": "replace"})
    new = JoinLink.objects.get(school_class=cast.class1, revoked_at__isnull=True).token
    assert new != old
    assert Client().get(f"/join/{old}/").status_code == 404
    assert Client().get("/join/forged-token/").status_code == 404
    assert Client().get(f"/join/{new}/").status_code == 200
    assert join(Client(), old).status_code == 404


def test_remind_sends_activation_links_only_to_families_not_joined(cast):
    waiting = Guardian.objects.create(school=cast.school, name="陈奶奶", phone="13700000088")
    StudentGuardian.objects.create(school=cast.school, student=cast.bob_child, guardian=waiting, relationship="奶奶")
    client = cast.client(cast.ms_li)
    client.post(f"/classes/{cast.class1.pk}/families/remind/")
    assert [m.phone for m in LocmemSmsBackend.outbox] == ["13700000088"]
    found = re.search(r"http\S+/activate/\S+/", LocmemSmsBackend.outbox[0].text)
    assert found is not None
    url = found.group()
    # Within 24 hours a second press reminds nobody twice.
    client.post(f"/classes/{cast.class1.pk}/families/remind/")
    assert len(LocmemSmsBackend.outbox) == 1
    page = client.get(f"/classes/{cast.class1.pk}/families/").content.decode()
    assert "陈奶奶" in page
    # The family opens the link, confirms, and is signed in and linked.
    path = url.split("8000", 1)[-1] if "8000" in url else "/" + url.split("/", 3)[3]
    family = Client()
    assert "陈小红" in family.get(path).content.decode()
    assert family.post(path, {"consent_data": "on"}).status_code == 302
    waiting.refresh_from_db()
    assert waiting.is_activated
    assert "陈小红" in family.get("/children/").content.decode()
    # The link works once.
    assert Client().post(path).status_code == 404
    assert Client().get(path).status_code == 404


def test_expired_activation_link_does_not_work(cast):
    from schools.onboarding import do_create_activation_links

    guardian = Guardian.objects.create(school=cast.school, name="某家长", phone="13700000089")
    [(_, token)] = do_create_activation_links([guardian], acting_user=cast.ms_li, send_sms=False, school=cast.school)
    ActivationLink.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert Client().get(f"/activate/{token}/").status_code == 404


def test_printed_sheet_has_one_code_per_family_not_joined(cast):
    for i in range(3):
        g = Guardian.objects.create(school=cast.school, name=f"家长{i}", phone=f"1370000020{i}")
        StudentGuardian.objects.create(school=cast.school, student=cast.alice_child, guardian=g)
    response = cast.client(cast.ms_li).post(f"/classes/{cast.class1.pk}/families/sheet/")
    assert response.status_code == 200
    assert response.content.decode().count("data:image/svg+xml") == 3
    assert ActivationLink.objects.filter(sent_by_sms_at__isnull=True).count() == 3


@pytest.mark.parametrize("families", [2, 40])
def test_onboarding_page_query_count_does_not_grow(cast, django_assert_num_queries, families):
    for i in range(families):
        s = Student.objects.create(school=cast.school, name=f"学生{i}", school_class=cast.class1)
        g = Guardian.objects.create(school=cast.school, name=f"家长{i}", phone=f"1370001{i:04d}")
        StudentGuardian.objects.create(school=cast.school, student=s, guardian=g)
    client = cast.client(cast.ms_li)
    with django_assert_num_queries(17):
        assert client.get(f"/classes/{cast.class1.pk}/families/").status_code == 200


def test_parent_corrects_relationship_and_adds_a_second_guardian(cast):
    client = cast.client(cast.alice)
    assert client.get("/family/").status_code == 200
    client.post("/family/", {"form": "relationship", "student": cast.alice_child.pk, "relationship": "妈妈"})
    assert StudentGuardian.objects.get(guardian=cast.alice_guardian).relationship == "妈妈"
    bad = client.post(
        "/family/",
        {
            "form": "add_guardian",
            "student": cast.alice_child.pk,
            "name": "刘爸爸",
            "phone": "123",
            "relationship": "父亲",
        },
    )
    assert bad.status_code == 400 and not Guardian.objects.filter(name="刘爸爸").exists()
    client.post(
        "/family/",
        {
            "form": "add_guardian",
            "student": cast.alice_child.pk,
            "name": "刘爸爸",
            "phone": "13700000031",
            "relationship": "父亲",
        },
    )
    assert StudentGuardian.objects.filter(student=cast.alice_child, guardian__phone="13700000031").exists()
    changes = AuditEntry.objects.filter(school=cast.school, action="guardian_changed", actor=cast.alice)
    assert changes.count() == 2
    # The head teacher is informed: the changes are on the class's families page and the school's log.
    assert "刘爸爸" in cast.client(cast.ms_li).get(f"/classes/{cast.class1.pk}/families/").content.decode()
    assert "刘爸爸" in cast.client(cast.admin_zhang).get("/school/audit/").content.decode()
    # … and not on another class's page.
    assert "刘爸爸" not in cast.client(cast.admin_zhang).get(f"/classes/{cast.class2.pk}/families/").content.decode()


def test_parent_cannot_edit_another_familys_child(cast):
    client = cast.client(cast.alice)
    response = client.post("/family/", {"form": "relationship", "student": cast.bob_child.pk, "relationship": "母亲"})
    assert response.status_code == 404
    assert StudentGuardian.objects.get(student=cast.bob_child).relationship == "父亲"


def test_parent_changes_their_own_phone_with_a_code(cast):
    client = cast.client(cast.alice)
    client.post("/family/phone/", {"phone": "137 0000 0042"})
    assert LocmemSmsBackend.outbox == []  # no current password: no code
    client.post("/family/phone/", {"phone": "137 0000 0042", "current_password": "correct-horse-42"})
    assert LocmemSmsBackend.outbox[-1].phone == "13700000042"
    client.post("/family/phone/", {"phone": "13700000042", "code": "000000" if last_code() != "000000" else "111111"})
    assert User.objects.get(pk=cast.alice.pk).phone == "13800000001"
    client.post("/family/phone/", {"phone": "13700000042", "code": last_code()})
    assert User.objects.get(pk=cast.alice.pk).phone == "13700000042"
    assert Guardian.objects.get(pk=cast.alice_guardian.pk).phone == "13700000042"
    assert (
        Client().post("/accounts/login/", {"identifier": "13700000042", "password": "correct-horse-42"}).status_code
        == 302
    )


def test_phone_change_to_a_number_taken_by_another_family_is_refused(cast):
    client = cast.client(cast.alice)
    client.post("/family/phone/", {"phone": "13800000002", "current_password": "correct-horse-42"})
    client.post("/family/phone/", {"phone": "13800000002", "code": last_code()})
    assert User.objects.get(pk=cast.alice.pk).phone == "13800000001"


# --- export --------------------------------------------------------------------------------------


def test_class_export_opens_and_neutralises_formulas(cast):
    Student.objects.filter(pk=cast.bob_child.pk).update(name='=HYPERLINK("http://evil")')
    response = cast.client(cast.ms_li).get(f"/classes/{cast.class1.pk}/export.xlsx")
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        sheet_xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml
    rows = list(openpyxl.load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[0][:3] == ("班级", "学生姓名", "学号")
    by_name = {r[1]: r for r in rows[1:]}
    assert "刘小明" in by_name and by_name["刘小明"][6] == "13800000001"  # a phone stays text
    assert '\'=HYPERLINK("http://evil")' in by_name
    assert AuditEntry.objects.filter(school=cast.school, action="export", actor=cast.ms_li).count() == 1


def test_school_export_has_every_class(cast):
    response = cast.client(cast.admin_zhang).get("/school/export.xlsx")
    rows = list(openpyxl.load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert {r[0] for r in rows[1:]} == {"三年级1班", "三年级2班"}
    assert "吴小雨" not in {r[1] for r in rows}


# --- import through the web ---------------------------------------------------------------------


def test_head_teacher_imports_through_preview_then_commit(cast):
    client = cast.client(cast.ms_li)
    data = "姓名,学号,家长姓名,手机号\n新一,N001,新爸,13711110001\n新二,N002,新妈,1371111\n".encode("gbk")
    response = client.post(f"/classes/{cast.class1.pk}/import/", {"file": SimpleUploadedFile("名单.csv", data)})
    assert response.status_code == 302
    preview = client.get(response["Location"])
    body = preview.content.decode()
    assert preview.status_code == 200 and "新一" in body and "1371111" in body
    assert not Student.objects.filter(name="新一").exists()  # nothing until confirmed
    assert client.post(response["Location"]).status_code == 302
    assert Student.objects.get(name="新一").school_class == cast.class1
    assert not Student.objects.filter(name="新二").exists()
    assert RosterUpload.objects.get().committed_at is not None
    assert AuditEntry.objects.filter(school=cast.school, action="import").count() == 1
    # The preview of a committed upload is gone.
    assert client.get(response["Location"]).status_code == 404


def test_head_teacher_cannot_import_other_classes(cast):
    client = cast.client(cast.ms_li)
    response = client.post(
        f"/classes/{cast.class1.pk}/import/", {"file": SimpleUploadedFile("a.csv", csv_bytes("utf-8"))}
    )
    client.post(response["Location"])
    assert not Student.objects.filter(name__in=["陈一", "林二"]).exists()


def test_a_bomb_upload_is_refused_and_nothing_stored(cast):
    response = cast.client(cast.admin_zhang).post(
        "/school/import/", {"file": SimpleUploadedFile("a.xlsx", zip_bomb_xlsx())}
    )
    assert response.status_code == 400
    assert "压缩炸弹" in response.content.decode()
    assert not RosterUpload.objects.exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite serialises writers itself (BEGIN IMMEDIATE)")
@pytest.mark.django_db(transaction=True)
def test_two_imports_of_one_school_at_once_import_once(transactional_db):
    from conftest import build_cast
    from schools.actions import do_import_roster
    from schools.roster import parse_rows, plan_import
    from schools.rosterfile import read_roster_file

    from .rosterfiles import big_school_xlsx

    cast = build_cast()
    data = big_school_xlsx(300)
    results, errors = [], []

    def run():
        try:
            with scopes_disabled():
                plan = plan_import(cast.school, parse_rows(read_roster_file(data, "a.xlsx")), allow_new_classes=True)
                results.append(do_import_roster(plan, acting_user=cast.admin_zhang))
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    created = sorted(r["students_created"] for r in results)
    assert created == [0, 300]
    with scopes_disabled():
        assert Student.objects.filter(school=cast.school, student_number__startswith="S").count() == 300


def test_a_switched_off_account_cannot_join_or_activate(cast):
    from schools.onboarding import do_create_activation_links

    User.objects.filter(pk=cast.bob.pk).update(is_active=False)
    token = active_join_link(cast.class1, acting_user=cast.ms_li).token
    client = Client()
    join(client, token, phone="13800000002", fact="2024001")
    response = client.post(f"/join/{token}/", {"step": "code", "code": last_code()})
    assert response.status_code == 400
    assert not StudentGuardian.objects.filter(student=cast.alice_child, guardian__phone="13800000002").exists()
    assert "_auth_user_id" not in client.session
    bob_guardian = Guardian.objects.get(school=cast.school, phone="13800000002")
    [(_, link_token)] = do_create_activation_links(
        [Guardian(pk=bob_guardian.pk, school=cast.school, phone=bob_guardian.phone, name="陈波")],
        acting_user=cast.ms_li,
        send_sms=False,
        school=cast.school,
    )
    response = Client().post(f"/activate/{link_token}/", {"consent_data": "on"})
    assert response.status_code == 404
    assert not AuditEntry.objects.filter(action="sign_in", actor=cast.bob).exists()


def test_activation_slip_never_signs_into_an_existing_account(cast):
    from schools.onboarding import do_create_activation_links

    # The family joined by code after the sheet was printed: the slip is dead.
    guardian = Guardian.objects.create(school=cast.school, name="刘爷爷", phone="13700000101")
    StudentGuardian.objects.create(school=cast.school, student=cast.alice_child, guardian=guardian)
    [(_, token)] = do_create_activation_links([guardian], acting_user=cast.ms_li, send_sms=False, school=cast.school)
    from schools.actions import user_for_phone

    user_for_phone("13700000101", name="刘爷爷")
    assert Client().post(f"/activate/{token}/", {"consent_data": "on"}).status_code == 404
    # A phone that already has an account (here a staff member's) is sent to sign in with a code.
    staff_phone = Guardian.objects.create(school=cast.school, name="王老师", phone="13900000003")
    StudentGuardian.objects.create(school=cast.school, student=cast.bob_child, guardian=staff_phone)
    [(_, token)] = do_create_activation_links([staff_phone], acting_user=cast.ms_li, send_sms=False, school=cast.school)
    client = Client()
    response = client.post(f"/activate/{token}/", {"consent_data": "on"})
    assert response.status_code == 302 and response["Location"] == "/accounts/login/code/"
    assert "_auth_user_id" not in client.session


def test_printing_again_replaces_the_old_slips(cast):
    from schools.onboarding import do_create_activation_links

    guardian = Guardian.objects.create(school=cast.school, name="某家长", phone="13700000102")
    [(_, first)] = do_create_activation_links([guardian], acting_user=cast.ms_li, send_sms=False, school=cast.school)
    [(_, second)] = do_create_activation_links([guardian], acting_user=cast.ms_li, send_sms=False, school=cast.school)
    assert Client().get(f"/activate/{first}/").status_code == 404
    assert Client().get(f"/activate/{second}/").status_code == 200


def test_head_teacher_import_cannot_take_a_child_of_another_class(cast):
    client = cast.client(cast.ms_li)
    data = "姓名,学号,手机号\n周小刚,2024101,13700000077\n".encode()
    response = client.post(f"/classes/{cast.class1.pk}/import/", {"file": SimpleUploadedFile("a.csv", data)})
    assert "2024101" in client.get(response["Location"]).content.decode()
    client.post(response["Location"])
    cast.carol_child.refresh_from_db()
    assert cast.carol_child.school_class == cast.class2
    assert not Guardian.objects.filter(phone="13700000077").exists()


def test_another_school_cannot_reset_an_account_it_merely_typed_in(cast):
    # School B lists admin_zhang's phone as a guardian; its reset unlinks only its own record.
    g = Guardian.objects.create(school=cast.school_b, name="张", phone="13900000001", user=cast.admin_zhang)
    StudentGuardian.objects.create(school=cast.school_b, student=cast.erin_child, guardian=g)
    session = cast.client(cast.admin_zhang)
    assert cast.client(cast.dave).post(f"/guardians/{g.pk}/reset/").status_code == 302
    g.refresh_from_db()
    assert g.user is None
    assert session.get("/").status_code == 200  # still signed in: her account is untouched
    assert User.objects.get(pk=cast.admin_zhang.pk).has_usable_password()


def test_parent_cannot_attach_another_familys_phone(cast):
    response = cast.client(cast.alice).post(
        "/family/",
        {
            "form": "add_guardian",
            "student": cast.alice_child.pk,
            "name": "x",
            "phone": "13800000003",
            "relationship": "父亲",
        },
    )
    assert response.status_code == 400
    assert not StudentGuardian.objects.filter(student=cast.alice_child, guardian__phone="13800000003").exists()


def test_a_bad_student_field_is_a_404_not_a_crash(cast):
    response = cast.client(cast.alice).post(
        "/family/", {"form": "relationship", "student": "abc", "relationship": "母亲"}
    )
    assert response.status_code == 404


def test_phone_change_tells_the_old_number_and_the_head_teacher(cast):
    client = cast.client(cast.alice)
    client.post("/family/phone/", {"phone": "13700000043", "current_password": "correct-horse-42"})
    client.post("/family/phone/", {"phone": "13700000043", "code": last_code()})
    assert LocmemSmsBackend.outbox[-1].phone == "13800000001"
    assert "137****0043" in LocmemSmsBackend.outbox[-1].text
    page = cast.client(cast.ms_li).get(f"/classes/{cast.class1.pk}/families/").content.decode()
    assert "137****0043" in page


def test_an_old_term_cannot_become_current_again(cast):
    from schools.models import Term

    old = Term.objects.create(
        school=cast.school,
        name="旧学期",
        start_date=timezone.now().date().replace(year=2025, month=2, day=20),
        end_date=timezone.now().date().replace(year=2025, month=7, day=10),
    )
    cast.client(cast.admin_zhang).post(f"/school/terms/{old.pk}/current/")
    old.refresh_from_db()
    assert not old.is_current


def test_an_activation_link_opened_while_someone_else_is_signed_in_asks_first(cast):
    """Issue 20: POST /activate/<token>/ while signed in as someone else silently switched the
    session to the new guardian. Now the page says who is signed in and asks before switching."""
    from schools.onboarding import do_create_activation_links

    waiting = Guardian.objects.create(school=cast.school, name="陈奶奶", phone="13700000088")
    StudentGuardian.objects.create(school=cast.school, student=cast.bob_child, guardian=waiting, relationship="奶奶")
    [(_, token)] = do_create_activation_links([waiting], acting_user=cast.ms_li, send_sms=False, school=cast.school)
    teacher = cast.client(cast.ms_li)
    page = teacher.get(f"/activate/{token}/").content.decode()
    assert "李老师" in page and 'name="switch"' in page
    refused = teacher.post(f"/activate/{token}/")  # the old one-tap form, without the answer
    assert refused.status_code == 409
    assert teacher.get("/").wsgi_request.user == cast.ms_li  # still the teacher
    waiting.refresh_from_db()
    assert not waiting.is_activated
    assert teacher.post(f"/activate/{token}/", {"switch": "yes", "consent_data": "on"}).status_code == 302
    waiting.refresh_from_db()
    assert waiting.is_activated and teacher.get("/").wsgi_request.user.phone == "13700000088"
