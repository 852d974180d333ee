"""Two-factor sign-in for staff (issue 20): turning it on and off, the second step after the
password or the SMS code, recovery codes, the API token, the limits, a school that requires it of
its admins, and idle sessions by role."""

import time

import pytest
from django.test import Client
from django.utils import translation

from accounts import totp
from accounts.models import FailedSignIn, RecoveryCode, TwoFactorDevice
from accounts.tests.test_sign_in import enter_code, last_code, request_code, sign_in
from audit.models import AuditEntry


def turn_on(user) -> tuple[str, list[str]]:
    """Turn two-factor sign-in on through the page, as the user would; the secret and the codes."""
    client = Client()
    client.force_login(user)
    assert client.get("/accounts/two-factor/").status_code == 200
    secret = client.session["two_factor_setup_secret"]
    response = client.post("/accounts/two-factor/", {"action": "on", "code": now_code(secret)})
    assert response.status_code == 200
    codes = response.context["recovery_codes"]
    # The code that confirmed would not sign in again (no replay): forget it, so that the tests'
    # sign-ins may use the current code whatever the clock.
    TwoFactorDevice.objects.filter(user=user).update(last_step=-1)
    return secret, codes


def now_code(secret: str, ahead: int = 0) -> str:
    return totp.code_at(secret, totp.current_step() + ahead)


def test_staff_turns_it_on_from_me_with_a_qr_code_and_recovery_codes(cast, unscoped):
    client = Client()
    client.force_login(cast.ms_li)
    assert b"/accounts/two-factor/" in client.get("/me/").content
    page = client.get("/accounts/two-factor/")
    assert page.status_code == 200
    secret = client.session["two_factor_setup_secret"]
    assert page.context["qr"].startswith("data:image/svg+xml")
    assert secret[:4] in page.content.decode()
    # The URI the QR code carries names the issuer.
    assert totp.provisioning_uri(secret, "ms_li").startswith("otpauth://totp/%E5%90%8C%E5%BF%83%20Tongxin:ms_li?")
    # Nothing is kept until a code proves the app has the secret.
    assert not TwoFactorDevice.objects.exists()
    wrong = client.post(
        "/accounts/two-factor/", {"action": "on", "code": "000000" if now_code(secret) != "000000" else "111111"}
    )
    assert wrong.status_code == 400 and not TwoFactorDevice.objects.exists()
    done = client.post("/accounts/two-factor/", {"action": "on", "code": now_code(secret)})
    codes = done.context["recovery_codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(code in done.content.decode() for code in codes)
    device = TwoFactorDevice.objects.get(user=cast.ms_li)
    assert device.confirmed_at is not None and device.secret == secret
    stored = set(RecoveryCode.objects.filter(user=cast.ms_li).values_list("code_hash", flat=True))
    assert len(stored) == 10 and not stored & set(codes)  # hashed, never the codes
    assert AuditEntry.objects.filter(action=AuditEntry.Action.TWO_FACTOR_ON, actor=cast.ms_li).exists()
    # Shown once: the page now says it is on, without the codes.
    again = client.get("/accounts/two-factor/")
    assert not any(code in again.content.decode() for code in codes)
    assert again.context["unused_codes"] == 10


def test_parents_have_no_two_factor_page(cast):
    client = Client()
    client.force_login(cast.alice)
    assert client.get("/accounts/two-factor/").status_code == 404
    assert b"/accounts/two-factor/" not in client.get("/me/").content


def test_password_then_code_signs_in_and_nothing_is_reachable_in_between(cast, unscoped):
    secret, _codes = turn_on(cast.ms_li)
    client = Client()
    response = client.post("/accounts/login/?next=/notices/", {"identifier": "ms_li", "password": "correct-horse-42"})
    assert response.status_code == 302 and response["Location"] == "/accounts/login/verify/"
    # Half-way: nobody is signed in; no page, no API.
    assert "_auth_user_id" not in client.session
    assert client.get("/me/")["Location"].startswith("/accounts/login/")
    assert client.get("/api/v1/me").status_code == 401
    assert client.get("/accounts/login/verify/").status_code == 200
    wrong = client.post("/accounts/login/verify/", {"code": "12345"})
    assert wrong.status_code == 400 and "_auth_user_id" not in client.session
    response = client.post("/accounts/login/verify/", {"code": now_code(secret)})
    assert response.status_code == 302 and response["Location"] == "/notices/"
    assert client.session["_auth_user_id"] == str(cast.ms_li.pk)
    assert client.get("/me/").status_code == 200
    # The same code does not sign in twice (someone looking over the shoulder).
    other = Client()
    sign_in(other, "ms_li")
    assert other.post("/accounts/login/verify/", {"code": now_code(secret)}).status_code == 400
    assert "_auth_user_id" not in other.session


def test_wrong_codes_count_against_the_sign_in_limits(cast, unscoped):
    secret, _codes = turn_on(cast.ms_li)
    client = Client()
    sign_in(client, "ms_li")
    bad = "000000" if now_code(secret) != "000000" else "111111"
    for _i in range(5):
        assert client.post("/accounts/login/verify/", {"code": bad}, REMOTE_ADDR="10.0.0.1").status_code == 400
    assert FailedSignIn.objects.count() == 5
    # Locked: even the right code waits.
    response = client.post("/accounts/login/verify/", {"code": now_code(secret)}, REMOTE_ADDR="10.0.0.1")
    assert response.status_code == 400 and "_auth_user_id" not in client.session


def test_a_recovery_code_works_once(cast, unscoped):
    _secret, codes = turn_on(cast.ms_li)
    client = Client()
    sign_in(client, "ms_li")
    assert client.post("/accounts/login/verify/", {"code": codes[0].upper()}).status_code == 302
    again = Client()
    sign_in(again, "ms_li")
    assert again.post("/accounts/login/verify/", {"code": codes[0]}).status_code == 400
    assert again.post("/accounts/login/verify/", {"code": codes[1]}).status_code == 302


def test_the_half_done_sign_in_expires(cast, unscoped):
    secret, _codes = turn_on(cast.ms_li)
    client = Client()
    sign_in(client, "ms_li")
    session = client.session
    session["two_factor_pending"]["at"] = int(time.time()) - 301
    session.save()
    response = client.post("/accounts/login/verify/", {"code": now_code(secret)})
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    assert "_auth_user_id" not in client.session


def test_sms_code_sign_in_of_staff_asks_for_the_app_code_too(cast, unscoped):
    secret, _codes = turn_on(cast.ms_li)
    client = Client()
    request_code(client, "13900000002")
    response = enter_code(client, "13900000002", last_code())
    assert response.status_code == 302 and response["Location"] == "/accounts/login/verify/"
    assert "_auth_user_id" not in client.session
    assert client.post("/accounts/login/verify/", {"code": now_code(secret)}).status_code == 302
    assert client.session["_auth_user_id"] == str(cast.ms_li.pk)


def test_parents_are_never_asked(cast):
    client = Client()
    assert sign_in(client, "13800000001")["Location"] == "/"
    assert client.session["_auth_user_id"] == str(cast.alice.pk)


def test_api_token_needs_the_code(cast, unscoped):
    secret, _codes = turn_on(cast.ms_li)
    client = Client()
    body = {"identifier": "ms_li", "password": "correct-horse-42"}
    assert client.post("/api/v1/auth/token", body, content_type="application/json").status_code == 400
    wrong = client.post("/api/v1/auth/token", {**body, "code": "12345x"}, content_type="application/json")
    assert wrong.status_code == 400 and FailedSignIn.objects.count() == 1
    right = client.post("/api/v1/auth/token", {**body, "code": now_code(secret)}, content_type="application/json")
    assert right.status_code == 201 and right.json()["token"].startswith("txk_")
    # Users without it are not asked.
    plain = {"identifier": "mr_wang", "password": "correct-horse-42"}
    assert client.post("/api/v1/auth/token", plain, content_type="application/json").status_code == 201


def test_turning_it_off_needs_a_current_code(cast, unscoped):
    secret, _codes = turn_on(cast.ms_li)
    client = Client()
    client.force_login(cast.ms_li)
    assert client.post("/accounts/two-factor/", {"action": "off", "code": "99999"}).status_code == 400
    assert TwoFactorDevice.objects.filter(user=cast.ms_li).exists()
    assert client.post("/accounts/two-factor/", {"action": "off", "code": now_code(secret)}).status_code == 302
    assert not TwoFactorDevice.objects.filter(user=cast.ms_li).exists()
    assert not RecoveryCode.objects.filter(user=cast.ms_li).exists()
    assert AuditEntry.objects.filter(action=AuditEntry.Action.TWO_FACTOR_OFF, actor=cast.ms_li).exists()
    # Signing in is one step again.
    assert sign_in(Client(), "ms_li")["Location"] == "/"


def test_a_school_requires_it_of_its_admins(cast, unscoped):
    admin = Client()
    admin.force_login(cast.admin_zhang)
    with translation.override("en"):
        page = admin.get("/school/staff/")
    assert "要求学校管理员使用" in page.content.decode()
    assert admin.post("/school/two-factor/", {"required": "1"}).status_code == 302
    cast.school.refresh_from_db()
    assert cast.school.require_two_factor
    assert AuditEntry.objects.filter(
        action=AuditEntry.Action.SETTINGS_CHANGED, school=cast.school, summary__contains="two-factor"
    ).exists()
    # Every page sends the admin to set it up; the API refuses.
    for path in ("/", "/me/", "/school/staff/", "/notices/"):
        response = admin.get(path)
        assert response.status_code == 302 and response["Location"] == "/accounts/two-factor/", path
    assert admin.get("/api/v1/me").status_code == 403
    assert admin.get("/accounts/two-factor/").status_code == 200
    # Teachers who are not admins, and another school's admin, are not held.
    teacher = Client()
    teacher.force_login(cast.ms_li)
    assert teacher.get("/me/").status_code == 200
    other = Client()
    other.force_login(cast.dave)
    assert other.get("/me/").status_code == 200
    # Once set up, the admin goes on.
    turn_on(cast.admin_zhang)
    assert admin.get("/me/").status_code == 200


def test_only_an_admin_changes_the_setting(cast, unscoped):
    teacher = Client()
    teacher.force_login(cast.ms_li)
    assert teacher.post("/school/two-factor/", {"required": "1"}).status_code == 404
    cast.school.refresh_from_db()
    assert not cast.school.require_two_factor


@pytest.mark.parametrize(("who", "hours"), [("ms_li", 8), ("13800000001", 30 * 24)])
def test_idle_sessions_expire_by_role(cast, who, hours):
    client = Client()
    sign_in(client, who)
    assert client.session.get_expiry_age() == hours * 3600


def test_activity_moves_the_expiry_on_without_a_write_per_request(cast):
    from datetime import timedelta

    from django.contrib.sessions.models import Session

    client = Client()
    sign_in(client, "ms_li")
    rows = Session.objects.filter(session_key=client.session.session_key)
    earlier = rows.get().expire_date - timedelta(hours=1)
    rows.update(expire_date=earlier)
    client.get("/me/")
    assert rows.get().expire_date == earlier  # no write within 5 minutes of the last refresh
    session = client.session
    session["idle_refreshed_at"] = int(time.time()) - 301
    session.save()
    rows.update(expire_date=earlier)
    client.get("/me/")
    assert rows.get().expire_date > earlier + timedelta(minutes=59)
