import re
from datetime import timedelta
from unittest import mock

import pytest
from django.test import Client
from django.utils import timezone
from django_scopes import scopes_disabled

from accounts.models import SmsCode, User
from audit.models import AuditEntry
from conftest import PASSWORD
from delivery.sms import LocmemSmsBackend

WRONG = "手机号、用户名或密码不正确"


def sign_in(client, identifier, password=PASSWORD, ip="10.0.0.1"):
    return client.post("/accounts/login/", {"identifier": identifier, "password": password}, REMOTE_ADDR=ip)


def audit_actions(school=None):
    with scopes_disabled():
        return list(AuditEntry.objects.values_list("action", flat=True))


@pytest.mark.parametrize("identifier", ["13800000001", "138 0000 0001", "+86 138-0000-0001", "１３８００００００01"])
def test_parent_signs_in_with_phone_written_any_way(cast, identifier):
    client = Client()
    response = sign_in(client, identifier)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(cast.alice.pk)


def test_staff_signs_in_with_username_case_insensitive(cast):
    client = Client()
    assert sign_in(client, "MS_LI").status_code == 302
    assert client.session["_auth_user_id"] == str(cast.ms_li.pk)


def test_session_key_rotates_at_sign_in(cast):
    client = Client()
    client.get("/accounts/login/")
    client.session.save()
    planted = client.session.session_key
    assert planted is not None
    client.cookies["sessionid"] = planted
    sign_in(client, "ms_li")
    assert client.session.session_key != planted


def test_wrong_password_and_unknown_phone_get_the_same_answer(cast):
    wrong = sign_in(Client(), "13800000001", "not-the-password")
    unknown = sign_in(Client(), "13899999999", "not-the-password")
    assert wrong.status_code == unknown.status_code == 400
    for response in (wrong, unknown):
        body = response.content.decode()
        assert WRONG in body
    assert audit_actions().count("sign_in_failed") == 2


def test_sign_in_is_audited_in_the_users_school(cast):
    sign_in(Client(), "13800000001")
    with scopes_disabled():
        entry = AuditEntry.objects.get(action="sign_in")
    assert entry.actor == cast.alice and entry.school == cast.school and entry.ip == "10.0.0.1"


def test_after_five_failures_even_the_right_password_waits(cast):
    client = Client()
    for _ in range(5):
        assert sign_in(client, "13800000001", "guess", ip="10.0.0.66").status_code == 400
    refused = sign_in(client, "13800000001", ip="10.0.0.66")
    assert refused.status_code == 400
    assert "尝试次数过多" in refused.content.decode()
    assert "_auth_user_id" not in client.session
    # The real parent, on their own network, is not locked out by the attacker.
    assert sign_in(Client(), "13800000001", ip="10.0.0.2").status_code == 302


def test_failures_counted_per_identity_across_addresses(cast):
    for i in range(20):
        sign_in(Client(), "ms_li", "guess", ip=f"10.1.0.{i}")
    assert sign_in(Client(), "ms_li", ip="10.9.9.9").status_code == 400


def test_sign_in_fails_open_when_the_cache_is_down(cast):
    with mock.patch("django.core.cache.cache.get", side_effect=ConnectionError("redis down")):
        assert sign_in(Client(), "ms_li").status_code == 302


def test_inactive_user_cannot_sign_in(cast):
    User.objects.filter(pk=cast.bob.pk).update(is_active=False)
    assert sign_in(Client(), "13800000002").status_code == 400


# --- one-time codes by SMS -------------------------------------------------------------------


def request_code(client, phone, ip="10.0.0.1"):
    return client.post("/accounts/login/code/", {"step": "send", "phone": phone}, REMOTE_ADDR=ip)


def enter_code(client, phone, code, ip="10.0.0.1"):
    return client.post("/accounts/login/code/", {"step": "verify", "phone": phone, "code": code}, REMOTE_ADDR=ip)


def last_code() -> str:
    match = re.search(r"(?<!\d)\d{6}(?!\d)", LocmemSmsBackend.outbox[-1].text)
    assert match, LocmemSmsBackend.outbox[-1].text
    return match.group()


def test_code_sign_in_for_a_roster_guardian_activates_every_school(cast, unscoped):
    from schools.models import Guardian, Student, StudentGuardian

    # A grandparent on two schools' rosters who has never signed in.
    g_a = Guardian.objects.create(school=cast.school, name="刘奶奶", phone="13700000001")
    g_b = Guardian.objects.create(school=cast.school_b, name="刘奶奶", phone="13700000001")
    StudentGuardian.objects.create(school=cast.school, student=cast.alice_child, guardian=g_a, relationship="奶奶")
    StudentGuardian.objects.create(school=cast.school_b, student=cast.erin_child, guardian=g_b, relationship="外婆")
    client = Client()
    response = request_code(client, "137 0000 0001")
    assert response.status_code == 200
    assert [m.phone for m in LocmemSmsBackend.outbox] == ["13700000001"]
    response = enter_code(client, "13700000001", last_code())
    assert response.status_code == 302
    user = User.objects.get(phone="13700000001")
    assert client.session["_auth_user_id"] == str(user.pk)
    assert not user.has_usable_password()
    assert set(Guardian.objects.filter(user=user).values_list("school_id", flat=True)) == {
        cast.school.pk,
        cast.school_b.pk,
    }
    children = client.get("/children/").content.decode()
    assert "刘小明" in children and "吴小雨" in children
    assert Student.objects.count() >= 4


def test_unknown_phone_gets_the_same_answer_and_no_sms(cast):
    known = request_code(Client(), "13800000001", ip="10.0.0.3")
    unknown = request_code(Client(), "13811112222", ip="10.0.0.4")
    assert known.status_code == unknown.status_code == 200
    strip = lambda r: r.content.decode().split('name="csrfmiddlewaretoken"')[0]  # noqa: E731
    assert "验证码已发出" in known.content.decode() and "验证码已发出" in unknown.content.decode()
    assert strip(known) == strip(unknown)
    assert [m.phone for m in LocmemSmsBackend.outbox] == ["13800000001"]


def test_code_is_single_use(cast):
    client = Client()
    request_code(client, "13800000001")
    code = last_code()
    assert enter_code(client, "13800000001", code).status_code == 302
    assert enter_code(Client(), "13800000001", code).status_code == 400


def test_code_expires(cast, unscoped):
    request_code(Client(), "13800000001")
    SmsCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = enter_code(Client(), "13800000001", last_code())
    assert response.status_code == 400
    assert "验证码错误或已过期" in response.content.decode()


def test_five_wrong_codes_kill_the_code(cast):
    request_code(Client(), "13800000001")
    code = last_code()
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        assert enter_code(Client(), "13800000001", wrong).status_code == 400
    assert enter_code(Client(), "13800000001", code).status_code == 400


def test_only_the_latest_code_works(cast, settings):
    settings.TONGXIN_LIMITS = {**settings.TONGXIN_LIMITS, "sms_per_phone_cooldown": (5, 60)}
    request_code(Client(), "13800000001")
    first = last_code()
    request_code(Client(), "13800000001")
    second = last_code()
    if first != second:
        assert enter_code(Client(), "13800000001", first).status_code == 400
    assert enter_code(Client(), "13800000001", second).status_code == 302


def test_code_for_one_phone_does_not_work_for_another(cast):
    request_code(Client(), "13800000001")
    assert enter_code(Client(), "13800000002", last_code()).status_code == 400


def test_cooldown_between_codes_for_one_phone(cast):
    request_code(Client(), "13800000001")
    again = request_code(Client(), "13800000001", ip="10.0.0.9")
    assert again.status_code == 400
    assert "请稍等" in again.content.decode()
    assert len(LocmemSmsBackend.outbox) == 1


def test_per_address_cap_on_codes(cast, settings):
    settings.TONGXIN_LIMITS = {**settings.TONGXIN_LIMITS, "sms_per_ip_hour": (3, 3600)}
    for i in range(3):
        assert request_code(Client(), f"1380000010{i}", ip="10.0.0.50").status_code == 200
    assert request_code(Client(), "13800000001", ip="10.0.0.50").status_code == 400
    assert LocmemSmsBackend.outbox == []


def test_codes_fail_closed_when_limits_cannot_be_checked(cast):
    with mock.patch("django.core.cache.cache.add", side_effect=ConnectionError("redis down")):
        response = request_code(Client(), "13800000001")
    assert response.status_code == 400
    assert LocmemSmsBackend.outbox == []


def test_malformed_phone_gets_a_clear_message(cast):
    response = request_code(Client(), "12345")
    assert response.status_code == 400
    assert "11 位" in response.content.decode()


def test_code_is_stored_only_as_a_hash(cast, unscoped):
    request_code(Client(), "13800000001")
    code = last_code()
    row = SmsCode.objects.get()
    assert code not in row.code_hash and len(row.code_hash) == 64


def test_passwords_are_hashed_with_argon2(db, settings):
    from tongxin import settings as real

    assert real.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    user = User.objects.create_user("argon_user", "a-long-password-1")
    assert user.password.startswith("argon2")


def test_set_password_after_code_sign_in(cast):
    client = cast.client(cast.carol)
    current = {"current_password": PASSWORD}
    response = client.post("/accounts/password/", {**current, "password": "12345678", "password2": "12345678"})
    assert response.status_code == 400  # numbers only
    response = client.post(
        "/accounts/password/", {"current_password": "wrong", "password": "晴天-blue-sky", "password2": "晴天-blue-sky"}
    )
    assert response.status_code == 400  # a stolen session cannot change the password
    response = client.post(
        "/accounts/password/", {**current, "password": "晴天-blue-sky", "password2": "晴天-blue-sky"}
    )
    assert response.status_code == 302
    # Still signed in (the session follows the new password hash) and the password works.
    assert client.get("/").status_code == 200
    assert sign_in(Client(), "13800000003", "晴天-blue-sky").status_code == 302


def test_sign_out_ends_the_session(cast):
    client = cast.client(cast.alice)
    client.post("/accounts/logout/")
    assert client.get("/").status_code == 302


def test_open_redirect_is_refused(cast):
    client = Client()
    response = client.post(
        "/accounts/login/", {"identifier": "ms_li", "password": PASSWORD, "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


def test_a_parent_who_forgot_the_password_sets_a_new_one_after_a_code(cast):
    client = Client()
    request_code(client, "13800000003")
    assert enter_code(client, "13800000003", last_code()).status_code == 302
    response = client.post("/accounts/password/", {"password": "新的-password-1", "password2": "新的-password-1"})
    assert response.status_code == 302
    assert sign_in(Client(), "13800000003", "新的-password-1").status_code == 302
