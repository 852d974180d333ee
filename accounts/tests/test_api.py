import pytest
from django.test import Client
from django_scopes import scopes_disabled

from accounts.models import ApiToken
from conftest import PASSWORD


def create_token(identifier="13800000001", password=PASSWORD, ip="10.0.0.1"):
    return Client().post(
        "/api/v1/auth/token",
        {"identifier": identifier, "password": password, "name": "手机App"},
        content_type="application/json",
        REMOTE_ADDR=ip,
    )


def bearer(token: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def test_token_signs_an_app_in(cast):
    response = create_token()
    assert response.status_code == 201
    token = response.json()["token"]
    me = bearer(token).get("/api/v1/me")
    assert me.status_code == 200
    assert me.json()["name"] == "刘爱丽" and me.json()["is_parent"] is True
    children = bearer(token).get("/api/v1/me/children").json()
    assert [c["name"] for c in children] == ["刘小明"]
    assert children[0]["school_class"]["name"] == "三年级1班"
    assert children[0]["head_teacher"] == "李老师"
    with scopes_disabled():
        stored = ApiToken.objects.get()
    assert token not in stored.key_hash and stored.user == cast.alice


def test_wrong_password_gets_no_token(cast):
    response = create_token(password="wrong-password")
    assert response.status_code == 400
    assert "token" not in response.json()


def test_token_endpoint_is_throttled_like_sign_in(cast):
    for _ in range(5):
        create_token(password="guess", ip="10.0.0.77")
    assert create_token(ip="10.0.0.77").status_code == 429


def test_revoked_token_stops_working(cast):
    token = create_token().json()["token"]
    assert bearer(token).delete("/api/v1/auth/token").status_code == 204
    assert bearer(token).get("/api/v1/me").status_code == 401


def test_forged_token_is_refused(cast):
    assert bearer("txk_forged").get("/api/v1/me").status_code == 401


def test_token_of_a_deactivated_user_is_refused(cast):
    token = create_token().json()["token"]
    from accounts.models import User

    User.objects.filter(pk=cast.alice.pk).update(is_active=False)
    assert bearer(token).get("/api/v1/me").status_code == 401


def test_session_writes_to_the_api_need_the_csrf_token(cast):
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.alice)
    assert client.delete("/api/v1/auth/token").status_code == 401


def test_roster_shows_full_phones_to_head_teacher_masked_to_subject_teacher(cast):
    url = f"/api/v1/classes/{cast.class1.pk}/roster"
    head = cast.client(cast.ms_li).get(url).json()
    subject = cast.client(cast.mr_wang).get(url).json()
    assert head["school_class"]["name"] == "三年级1班"
    names = [s["name"] for s in head["students"]]
    assert names == ["刘小明", "陈小红"]
    assert head["students"][0]["guardians"][0]["phone"] == "13800000001"
    assert head["students"][0]["guardians"][0]["activated"] is True
    assert subject["students"][0]["guardians"][0]["phone"] == "138****0001"


def test_my_classes_for_teachers(cast):
    classes = cast.client(cast.ms_li).get("/api/v1/me/classes").json()
    assert [(c["name"], c["i_am_head_teacher"], c["student_count"]) for c in classes] == [("三年级1班", True, 2)]
    classes = cast.client(cast.mr_wang).get("/api/v1/me/classes").json()
    assert [(c["name"], c["i_am_head_teacher"]) for c in classes] == [("三年级1班", False)]


def test_openapi_describes_the_api(cast):
    schema = Client().get("/api/v1/openapi.json").json()
    assert "/api/v1/me" in schema["paths"] and "/api/v1/classes/{class_id}/roster" in schema["paths"]
    docs = Client().get("/api/docs")
    assert docs.status_code == 200 and b"swagger" in docs.content.lower()


@pytest.mark.parametrize("size", [2, 30])
def test_roster_query_count_does_not_grow(cast, django_assert_num_queries, size, unscoped):
    from schools.models import Guardian, Student, StudentGuardian

    for i in range(size):
        s = Student.objects.create(
            school=cast.school, name=f"学生{i}", student_number=f"X{i}", school_class=cast.class1
        )
        g = Guardian.objects.create(school=cast.school, name=f"家长{i}", phone=f"1370000{i:04d}")
        StudentGuardian.objects.create(school=cast.school, student=s, guardian=g, relationship="母亲")
    client = cast.client(cast.ms_li)
    # session, user, 3 for roles, class, students, guardian links
    with django_assert_num_queries(8):
        response = client.get(f"/api/v1/classes/{cast.class1.pk}/roster")
    assert len(response.json()["students"]) == size + 2
