"""Districts (教育局 / 集团校): made with ``manage.py create_district``; a district admin holds no role
in the district's schools."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.http import Http404
from django.test import RequestFactory

from audit.models import AuditEntry
from schools.access import access_district
from schools.district import district_schools, districts_of
from schools.models import District, DistrictAdmin, School
from schools.roles import compute_roles

from .districts import build_districts


def _run(*args):
    call_command("create_district", *args, stdout=StringIO())


def test_create_district_command_makes_the_district_its_schools_and_its_admin(cast, unscoped):
    _run(
        "--name",
        "城区教育局",
        "--code",
        "chengqu",
        "--schools",
        "a",
        "b",
        "--admin-name",
        "钱局长",
        "--admin-phone",
        "139 0000 7777",
    )
    district = District.objects.get(code="chengqu")
    assert district.kind == "bureau"
    assert {s.code for s in district_schools(district)} == {"a", "b"}
    admin = DistrictAdmin.objects.get(district=district)
    assert admin.user.phone == "13900007777" and admin.user.name == "钱局长"
    # The admin is no one in the schools.
    assert compute_roles(admin.user).school_ids == []
    # Each school's admins see that a district admin was given their aggregates.
    assert AuditEntry.objects.filter(action="role_changed", school=cast.school, summary__contains="钱局长").exists()
    assert AuditEntry.objects.filter(action="settings_changed", school=cast.school_b, summary__contains="城区").exists()
    # Run again with the same code: adds (and takes out) schools, adds admins; nothing twice.
    _run("--code", "chengqu", "--remove-schools", "b", "--admin-name", "钱局长", "--admin-phone", "13900007777")
    assert {s.code for s in district_schools(district)} == {"a"}
    assert DistrictAdmin.objects.filter(district=district).count() == 1
    _run("--code", "chengqu", "--remove-admins", "13900007777")
    assert not DistrictAdmin.objects.filter(district=district).exists()
    assert AuditEntry.objects.filter(action="role_changed", school=cast.school, summary__contains="removed").exists()
    with pytest.raises(CommandError, match="not an admin"):
        _run("--code", "chengqu", "--remove-admins", "nobody")


def test_create_district_command_refuses_what_cannot_be(cast, unscoped):
    with pytest.raises(CommandError, match="--name"):
        _run("--code", "nowhere")
    with pytest.raises(CommandError, match="No school"):
        _run("--name", "甲", "--code", "jia", "--schools", "zzz")
    assert not District.objects.filter(code="jia").exists()  # nothing half-made
    _run("--name", "甲", "--code", "jia", "--schools", "a")
    with pytest.raises(CommandError):  # a school is in one district at most
        _run("--name", "乙", "--code", "yi", "--schools", "a")
    assert not District.objects.filter(code="yi").exists()
    with pytest.raises(CommandError):  # could never sign in: no phone, no password
        _run("--code", "jia", "--admin-name", "x", "--admin-username", "boss")
    assert School.objects.get(code="a").district.code == "jia"


def test_access_district_is_for_its_own_admins_only(cast):
    d = build_districts(cast)
    rf = RequestFactory()

    def request_of(user):
        request = rf.get("/")
        request.user = user
        return request

    assert access_district(request_of(d.qian), d.x.pk) == d.x
    for user, district in ((d.qian, d.y), (d.sun, d.x), (cast.admin_zhang, d.x), (cast.alice, d.x)):
        with pytest.raises(Http404):
            access_district(request_of(user), district.pk)
    assert districts_of(d.qian) == [d.x] and districts_of(cast.dave) == []
