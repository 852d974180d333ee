"""District-wide notices (notices.district): composed once, one notice per school owned by the
school and fanned out there, the district's figures added up from the schools' receipts."""

import pytest
from django.core.exceptions import ValidationError
from django_scopes import scopes_disabled

from audit.models import AuditEntry
from core.guardrails import GuardrailWarning
from notices.district import (
    district_notice_by_school,
    district_notices,
    do_remind_district_notice,
    do_send_district_notice,
)
from notices.models import DistrictNotice, Notice, Receipt
from schools.district import district_schools
from schools.models import Guardian, Student, StudentGuardian
from schools.tests.districts import build_districts


@pytest.fixture
def districts(cast):
    return build_districts(cast)


def _send(d, django_capture_on_commit_callbacks, **kwargs):
    fields = {"title": "寒假安全告家长书", "body_html": "<p>请注意安全。</p>", "action": "confirm"}
    with django_capture_on_commit_callbacks(execute=True):
        return do_send_district_notice(d.x, acting_user=d.qian, **{**fields, **kwargs})


def test_one_notice_composed_once_reaches_every_school_of_the_district_and_no_other(
    cast, districts, django_capture_on_commit_callbacks
):
    d = districts
    sent = _send(d, django_capture_on_commit_callbacks)
    with scopes_disabled():
        copies = list(Notice.objects.filter(district_notice=sent).order_by("school_id"))
        assert [n.school_id for n in copies] == [cast.school.pk, d.school_c.pk]
        assert all(n.status == "published" and n.author == d.qian and n.fanned_out_at for n in copies)
        recipients = set(Receipt.objects.filter(notice__in=copies).values_list("guardian__user__username", flat=True))
        assert recipients == {cast.alice.username, cast.bob.username, cast.carol.username, d.c_parent.username}
        assert not Receipt.objects.filter(school=cast.school_b).exists()
        # Each school's admins see in their log that the district sent it.
        logged = set(AuditEntry.objects.filter(action="district_notice").values_list("school_id", flat=True))
        assert logged == {cast.school.pk, d.school_c.pk}
    # The family reads and confirms it as any notice, and the district's figures add it up.
    [copy_a] = [n for n in copies if n.school_id == cast.school.pk]
    alice = cast.client(cast.alice)
    page = alice.get(f"/notices/{copy_a.pk}/")
    assert page.status_code == 200 and "城区教育局" in page.content.decode()
    assert alice.post(f"/api/v1/notices/{copy_a.pk}/respond", {}, content_type="application/json").status_code == 204
    [row] = district_notices(d.x)
    assert [getattr(row, k) for k in ("schools", "total", "families", "read", "acted")] == [2, 4, 4, 1, 1]
    per_school, totals = district_notice_by_school(sent, district_schools(d.x))
    assert [(r["school"].name, r["total"], r["acted"]) for r in per_school] == [("新华小学", 1, 0), ("阳光小学", 3, 1)]
    assert totals == {"total": 4, "families": 4, "read": 1, "acted": 1, "schools": 2}
    # The school's admin manages its copy like any notice of the school.
    assert cast.client(cast.admin_zhang).get(f"/notices/{copy_a.pk}/results/").status_code == 200
    # On the admin's home, among the school's recent notices, it is from the district.
    home = cast.client(cast.admin_zhang).get("/").content.decode()
    assert "寒假安全告家长书" in home and "城区教育局" in home and "钱局长" not in home


def test_staff_audience_and_a_double_tap_sends_once(cast, districts, django_capture_on_commit_callbacks):
    d = districts
    first = _send(d, django_capture_on_commit_callbacks, audience="staff", action="read", idempotency_key="k1")
    again = _send(d, django_capture_on_commit_callbacks, audience="staff", action="read", idempotency_key="k1")
    assert first == again
    with scopes_disabled():
        assert DistrictNotice.objects.count() == 1 and Notice.objects.filter(district_notice=first).count() == 2
        receipts = Receipt.objects.filter(notice__district_notice=first)
        assert receipts.filter(guardian__isnull=False).count() == 0
        assert set(receipts.values_list("user__username", flat=True)) == {"admin_zhang", "ms_li", "mr_wang"}


def test_nothing_is_sent_anywhere_when_one_school_refuses(cast, districts, django_capture_on_commit_callbacks):
    d = districts
    with pytest.raises(GuardrailWarning):  # a child of school A named in a message to every family
        _send(d, django_capture_on_commit_callbacks, body_html="<p>期中考试排名：刘小明第1名，陈小红第2名。</p>")
    with pytest.raises(ValidationError):
        _send(d, django_capture_on_commit_callbacks, title=" ")
    with pytest.raises(ValidationError):  # a survey or an answer with options is each school's own
        _send(d, django_capture_on_commit_callbacks, action="answer")
    with pytest.raises(ValidationError):
        _send(d, django_capture_on_commit_callbacks, audience="everyone")
    with scopes_disabled():
        assert not DistrictNotice.objects.exists() and not Notice.objects.exists()
    # With a reason, the warning is overridden in every school, and logged.
    sent = _send(
        d,
        django_capture_on_commit_callbacks,
        body_html="<p>期中考试排名：刘小明第1名，陈小红第2名。</p>",
        guardrail_reason="教育局统一要求公示",
    )
    with scopes_disabled():
        assert Notice.objects.filter(district_notice=sent).count() == 2


def test_remind_reaches_each_school_once_within_three_hours(cast, districts, django_capture_on_commit_callbacks):
    d = districts
    sent = _send(d, django_capture_on_commit_callbacks)
    assert do_remind_district_notice(sent, acting_user=d.qian) == 4
    with pytest.raises(ValidationError):
        do_remind_district_notice(sent, acting_user=d.qian)


def _add_families(school, school_class, n: int, offset: int) -> None:
    with scopes_disabled():
        for i in range(n):
            student = Student.objects.create(school=school, name=f"学生{offset + i}", school_class=school_class)
            guardian = Guardian.objects.create(
                school=school, name=f"家长{offset + i}", phone=f"1370000{offset + i:04d}"
            )
            StudentGuardian.objects.create(school=school, student=student, guardian=guardian)


@pytest.mark.parametrize("n", [1, 30])
def test_sending_takes_the_same_queries_whatever_the_families(
    cast, districts, django_assert_num_queries, django_capture_on_commit_callbacks, n
):
    """One bulk fan-out per school: the number of statements does not grow with the families."""
    d = districts
    _add_families(cast.school, cast.class1, n, 0)
    _add_families(d.school_c, d.class_c, n, 1000)
    # 50 whatever n: composing and publishing the two schools' notices (26, with each school's own
    # guardrail words read once), then each school's fan-out (12, with the Web Push deliveries' INSERT
    # … SELECT). Since the fan-out commits receipts, emails and fanned_out_at in one transaction
    # (notices/fanout.py, do_fan_out_notice), each school's fan-out has one more SAVEPOINT and its
    # RELEASE.
    with django_assert_num_queries(50):
        _send(d, django_capture_on_commit_callbacks)


@pytest.mark.parametrize("n", [1, 12])
def test_the_district_list_is_one_query_whatever_the_notices(
    cast, districts, django_assert_num_queries, django_capture_on_commit_callbacks, n
):
    d = districts
    for i in range(n):
        _send(d, django_capture_on_commit_callbacks, title=f"通知{i}")
    with django_assert_num_queries(1):
        assert len(district_notices(d.x)) == n
