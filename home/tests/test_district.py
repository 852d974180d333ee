"""The district admin (教育局 / 集团校): the schools' figures and district-wide notices, counts only;
two districts kept apart; and nothing of a child, a family, a contact, a chat or an answer, on any
route of the application, even in the district's own schools."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from conftest import PASSWORD
from events.models import Event
from notices.district import do_send_district_notice
from schools.models import Guardian, School, SchoolClass, Student, StudentGuardian
from schools.tests.districts import build_districts
from tests import test_routes
from tests.test_routes import MATRIX, SCHOOL_A_MARKERS, _body_text, _call, _record_pk, _survey_pk, _url

# Names of children and families of the district's schools: never on a district admin's screen.
PEOPLE = ["刘小明", "陈小红", "周小刚", "郑小北", "刘爱丽", "陈波", "周可", "郑家长", "13800000001"]


@pytest.fixture
def districts(cast):
    return build_districts(cast)


def _send(d, user=None, **kwargs):
    fields = {"title": "寒假安全告家长书", "body_html": "<p>请注意安全。</p>", "action": "confirm"}
    return do_send_district_notice(d.x, acting_user=user or d.qian, **{**fields, **kwargs})


def test_the_district_admin_lands_on_the_district_and_sees_each_schools_figures(school_day, cast, districts):
    # school_day first: the cast's term is then the one around the frozen day, as the records are.
    d = districts
    client = cast.client(d.qian)
    assert client.get("/").url == "/district/"
    assert client.get("/district/").url == f"/district/{d.x.pk}/"
    # This term's activity in school A: a district notice confirmed by one family, a contact, an
    # event held, a survey answered by nobody yet.
    with scopes_disabled():
        Guardian.objects.filter(pk=cast.alice_guardian.pk).update(user=None)  # alice has not signed in
    sent = client.post(
        f"/district/{d.x.pk}/notices/new/",
        {"title": "寒假安全告家长书", "body": "请注意安全。", "action": "confirm", "audience": "families"},
    )
    assert sent.status_code == 302
    notice_id = _copy_in(cast.school, d)
    assert cast.client(cast.bob).post(f"/api/v1/notices/{notice_id}/respond", {}, "application/json").status_code == 204
    _record_pk(cast)
    _survey_pk(cast)
    test_routes._event_pk(cast)
    with scopes_disabled():
        past = timezone.now() - datetime.timedelta(days=1)
        Event.objects.filter(school=cast.school).update(starts_at=past, ends_at=past + datetime.timedelta(hours=1))
    page = client.get(f"/district/{d.x.pk}/")
    body = page.content.decode()
    assert page.status_code == 200
    assert "阳光小学" in body and "新华小学" in body and "明德小学" not in body
    assert not [p for p in PEOPLE if p in body]
    api = client.get(f"/api/v1/district/{d.x.pk}/overview").json()
    a, c = sorted(api["schools"], key=lambda row: row["school"] != "阳光小学")
    assert (a["students"], a["families"], a["activated"], a["activation_rate"]) == (3, 3, 2, 67)
    # 3 notices (the district's, the survey's, the event's invitation); the district's asked 3
    # families, bob confirmed; the survey went to 2, none answered; an invitation counts for neither.
    assert (a["notices"], a["asked"], a["acted"], a["confirmation_rate"]) == (3, 3, 1, 33)
    assert (a["contacts"], a["events"], a["surveyed"], a["answered"]) == (1, 1, 2, 0)
    assert (c["students"], c["families"], c["notices"], c["asked"]) == (1, 1, 1, 1)
    assert api["total"]["families"] == 4 and api["total"]["notices"] == 4
    assert not [p for p in PEOPLE if p in str(api)]


def _copy_in(school, d) -> int:
    from notices.models import Notice

    with scopes_disabled():
        return Notice.objects.get(school=school, district_notice__district=d.x).pk


def _more_schools(d, n: int) -> None:
    from schools.district import do_add_district_school

    with scopes_disabled():
        for i in range(n):
            school = School.objects.create(name=f"第{i}小学", code=f"extra{i}")
            klass = SchoolClass.objects.create(school=school, grade=1, number=1)
            for j in range(3):
                student = Student.objects.create(school=school, name=f"学生{i}-{j}", school_class=klass)
                guardian = Guardian.objects.create(school=school, name=f"家长{i}-{j}", phone=f"1370{i:03d}{j:04d}")
                StudentGuardian.objects.create(school=school, student=student, guardian=guardian)
            do_add_district_school(d.x, school, acting_user=None)


@pytest.mark.parametrize("n", [0, 6])
def test_the_overview_takes_a_fixed_number_of_queries_whatever_the_schools(
    cast, districts, django_assert_num_queries, n
):
    d = districts
    _more_schools(d, n)
    sent = _send(d)
    client = cast.client(d.qian)
    # The session, the user, the roles, the district, its schools, 6 figures, the schools with a
    # current term, the top bar: the same for 2 schools or 8.
    with django_assert_num_queries(13):
        page = client.get(f"/district/{d.x.pk}/")
    assert page.content.decode().count("<tr>") == 2 + 2 + n  # header, total, one row per school
    with django_assert_num_queries(6):
        assert client.get(f"/district/{d.x.pk}/notices/").status_code == 200
    with django_assert_num_queries(9):
        page = client.get(f"/district/{d.x.pk}/notices/{sent.pk}/")
    assert page.content.decode().count("<tr>") == 1 + 2 + n and "请注意安全" in page.content.decode()


def test_two_districts_are_kept_apart(cast, districts):
    d = districts
    sent_x = _send(d)
    with scopes_disabled():
        sent_y = do_send_district_notice(d.y, acting_user=d.sun, title="集团通知", body_html="<p>x</p>", action="read")
    qian, sun = cast.client(d.qian), cast.client(d.sun)
    for client, own, other, other_sent in ((qian, d.x, d.y, sent_y), (sun, d.y, d.x, sent_x)):
        for url in (
            f"/district/{other.pk}/",
            f"/district/{other.pk}/notices/",
            f"/district/{other.pk}/notices/new/",
            f"/district/{other.pk}/notices/{other_sent.pk}/",
            f"/district/{own.pk}/notices/{other_sent.pk}/",  # another district's notice under one's own
            f"/api/v1/district/{other.pk}/overview",
            f"/api/v1/district/{other.pk}/notices",
            f"/api/v1/district/{other.pk}/notices/{other_sent.pk}",
            f"/api/v1/district/{own.pk}/notices/{other_sent.pk}",
        ):
            assert client.get(url).status_code == 404, url
        for url in (f"/district/{other.pk}/notices/{other_sent.pk}/remind/", f"/district/{other.pk}/notices/new/"):
            assert client.post(url, {"title": "x", "action": "read", "audience": "families"}).status_code == 404
        assert (
            client.post(f"/api/v1/district/{other.pk}/notices", {"title": "x"}, "application/json").status_code == 404
        )
    assert [x["id"] for x in qian.get("/api/v1/district").json()] == [d.x.pk]
    body = qian.get(f"/district/{d.x.pk}/notices/").content.decode()
    assert sent_x.title in body and "集团通知" not in body
    with scopes_disabled():  # nothing was sent to the other district's schools
        from notices.models import Receipt

        assert not Receipt.objects.filter(notice__district_notice=sent_x, school=cast.school_b).exists()
        assert not Receipt.objects.filter(notice__district_notice=sent_y, school=cast.school).exists()


def test_school_people_are_not_district_admins(cast, districts):
    d = districts
    for who in (cast.admin_zhang, cast.ms_li, cast.alice, cast.dave):
        client = cast.client(who)
        assert client.get("/district/").status_code == 404
        assert client.get(f"/district/{d.x.pk}/").status_code == 404
        assert client.get("/api/v1/district").json() == []


def test_composing_warns_refuses_and_sends_once(cast, districts):
    d = districts
    client = cast.client(d.qian)
    url = f"/district/{d.x.pk}/notices/new/"
    form = client.get(url)
    assert form.status_code == 200 and "城区教育局" in form.content.decode()
    ranked = {"title": "排名", "body": "期中考试排名：刘小明第1名", "action": "confirm", "audience": "families"}
    warned = client.post(url, ranked)
    assert warned.status_code == 400 and 'name="guardrail_reason"' in warned.content.decode()
    assert client.post(url, {"title": "", "action": "confirm", "audience": "families"}).status_code == 400
    assert client.post(url, {"title": "x", "action": "answer", "audience": "families"}).status_code == 400
    api = f"/api/v1/district/{d.x.pk}/notices"
    refused = client.post(api, {"title": "排名", "body_html": "期中考试排名：刘小明第1名"}, "application/json")
    assert refused.status_code == 400 and refused.json()["concerns"]
    payload = {"title": "放假通知", "body_html": "<p>放假</p>", "action": "read", "idempotency_key": "tap"}
    first = client.post(api, payload, "application/json")
    again = client.post(api, payload, "application/json")
    assert first.status_code == again.status_code == 201 and first.json()["id"] == again.json()["id"]
    from notices.models import DistrictNotice

    assert DistrictNotice.objects.filter(district=d.x).count() == 1
    detail = client.get(f"{api}/{first.json()['id']}").json()
    assert [s["school"] for s in detail["schools"]] == ["新华小学", "阳光小学"]
    assert detail["total"] == 4 and detail["read"] == 0


def test_a_district_admin_signs_in_like_staff(cast, districts):
    """Two-factor sign-in offered, and the staff's idle time (8 hours), not a family's 30 days."""
    client = cast.client()
    assert client.post("/accounts/login/", {"identifier": "qian", "password": PASSWORD}).status_code == 302
    assert client.session.get_expiry_age() == 8 * 3600
    assert client.get("/accounts/two-factor/").status_code == 200
    assert "/accounts/two-factor/" in client.get("/me/").content.decode()


# --- nothing below the district: every route of the application, as the district's admin ----------

DISTRICT_ROUTES = {name for name in MATRIX if name.startswith(("home:district", "api:district", "api:my_districts"))}
SWEPT = [
    name
    for name, route in MATRIX.items()
    if not name.startswith("ws:") and not route.public and name not in DISTRICT_ROUTES
]


@pytest.mark.parametrize("name", SWEPT)
def test_a_district_admin_opens_nothing_of_a_school_of_their_own_district(cast, districts, name):
    """Every page and API route of the application, with school A's ids (A is in qian's district):
    a route about a child, a family, a contact, a chat, an answer, a notice is a 404; a route
    without an id shows none of school A's data."""
    route = MATRIX[name]
    test_routes._school_a_content(cast)
    client = cast.client(districts.qian)
    response = _call(client, route, _url(name, route, cast), cast)
    body = _body_text(response)
    leaked = [m for m in SCHOOL_A_MARKERS + test_routes.SCHOOL_A_CONTENT + PEOPLE if m in body]
    assert not leaked, f"{name} showed {leaked} to a district admin"
    if route.kwargs is not None or (route.refused and not route.own_only):
        assert response.status_code == 404, f"{name}: {response.status_code}"


def test_switching_school_gives_a_district_admin_nothing(cast, districts):
    client = cast.client(districts.qian)
    assert client.post(reverse("schools:switch_school"), {"school": cast.school.pk}).status_code == 404
    session = client.session
    session["school_id"] = cast.school.pk  # as if the switch had been set by some other way
    session.save()
    for url in ("/school/classes/", f"/classes/{cast.class1.pk}/", "/notices/sent/", "/contacts/todo/"):
        assert client.get(url).status_code == 404, url
    assert client.get(f"/api/v1/classes/{cast.class1.pk}/roster").status_code == 404


def test_no_request_to_the_district_api_that_fits_the_schema_gets_a_server_error(cast, districts, unscoped):
    """The district operations fuzzed as the district's admin (tests/test_api_fuzz.py runs every
    operation as a teacher and a parent, who only ever get 404 here)."""
    import warnings

    import schemathesis
    from hypothesis import HealthCheck, Phase, given, settings

    from tests.test_api_fuzz import _call as fuzz_call
    from tongxin.api import api

    _send(districts)
    schema = schemathesis.openapi.from_dict(api.get_openapi_schema())
    client = cast.client(districts.qian)
    client.raise_request_exception = False
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if not operation.path.startswith("/api/v1/district"):
            continue
        operations += 1

        @settings(
            max_examples=12,
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def try_it(case):
            response = fuzz_call(client, case)
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path} {case.body} → {response.status_code}")

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try_it()
    assert operations == 6
    assert not failures, "\n".join(failures[:20])
