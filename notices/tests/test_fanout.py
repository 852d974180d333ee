"""The ``school`` of receipts and rollups: a copy of the notice's school, with no database constraint.

``Receipt.school`` and ``StudentReceipt.school`` exist for django-scopes. They have no foreign key in
the database (``db_constraint=False``): ``fan_out`` copies them from ``notice.school_id``, whose own
foreign key is checked, and deleting a school still cascades to them, in Python."""

import pytest
from django.db import connection
from django.utils import timezone
from django_scopes import scope

from notices.fanout import fan_out
from notices.models import Notice, NoticeTarget, Receipt, StudentReceipt
from schools.models import School

pytestmark = pytest.mark.usefixtures("unscoped")


def published(school, author, kind, title):
    notice = Notice.objects.create(
        school=school,
        author=author,
        title=title,
        body_text="请阅读。",
        status=Notice.Status.PUBLISHED,
        published_at=timezone.now(),
    )
    NoticeTarget.objects.create(school=school, notice=notice, kind=kind)
    return notice


def fanned_out(school, author, kind, title):
    notice = published(school, author, kind, title)
    with scope(school=[school.pk]):
        fan_out(notice)
    return notice


def test_receipts_and_rollups_carry_the_notices_school(cast):
    notices = [
        fanned_out(cast.school, cast.admin_zhang, NoticeTarget.Kind.SCHOOL, "全校通知"),
        fanned_out(cast.school, cast.admin_zhang, NoticeTarget.Kind.STAFF, "教工通知"),
        fanned_out(cast.school_b, cast.dave, NoticeTarget.Kind.SCHOOL, "明德全校通知"),
        fanned_out(cast.school_b, cast.dave, NoticeTarget.Kind.STAFF, "明德教工通知"),
    ]
    for notice in notices:
        receipts = Receipt.objects.filter(notice=notice)
        assert receipts.exists(), notice.title
        assert set(receipts.values_list("school_id", flat=True)) == {notice.school_id}, notice.title
        # and every recipient is of that school
        guardians = set(receipts.filter(guardian__isnull=False).values_list("guardian__school_id", flat=True))
        assert guardians <= {notice.school_id}, notice.title
    for notice in (notices[0], notices[2]):
        rollups = StudentReceipt.objects.filter(notice=notice)
        assert rollups.exists(), notice.title
        assert set(rollups.values_list("school_id", flat=True)) == {notice.school_id}, notice.title
        assert set(rollups.values_list("student__school_id", flat=True)) == {notice.school_id}, notice.title
    assert StudentReceipt.objects.filter(notice=notices[0]).count() == 3  # the three children of school A
    assert Receipt.objects.filter(notice=notices[0]).count() == 3


def test_school_has_no_foreign_key_in_the_database_but_its_deletion_still_cascades(cast):
    with connection.cursor() as cursor:
        for model in (Receipt, StudentReceipt):
            constraints = connection.introspection.get_constraints(cursor, model._meta.db_table)
            foreign_keys = {tuple(c["columns"]) for c in constraints.values() if c["foreign_key"]}
            assert ("notice_id",) in foreign_keys  # the notice's is kept, and so its school is checked
            assert ("school_id",) not in foreign_keys
            assert any(c["columns"] == ["school_id"] and c["index"] for c in constraints.values())  # still indexed

    kept = fanned_out(cast.school, cast.admin_zhang, NoticeTarget.Kind.SCHOOL, "全校通知")
    gone = fanned_out(cast.school_b, cast.dave, NoticeTarget.Kind.SCHOOL, "明德全校通知")
    assert Receipt.objects.filter(school=cast.school_b).exists()
    assert StudentReceipt.objects.filter(school=cast.school_b).exists()
    # Two rows that break the invariant on purpose: notice, recipient and student of school A, but
    # school B in the copy. Only the ``school`` field ties them to school B, so they are deleted only
    # if Django cascades through it in Python (the database has no constraint on it to do so).
    other = published(cast.school, cast.admin_zhang, NoticeTarget.Kind.SCHOOL, "另一则通知")
    Receipt.objects.create(school=cast.school_b, notice=other, user=cast.mr_wang)
    StudentReceipt.objects.create(school=cast.school_b, notice=other, student=cast.alice_child)
    cast.erin_child.school_class = None  # a class is PROTECTed while it has students
    cast.erin_child.save(update_fields=["school_class"])

    School.objects.get(pk=cast.school_b.pk).delete()

    assert not Notice.objects.filter(pk=gone.pk).exists()
    assert not Receipt.objects.filter(school_id=cast.school_b.pk).exists()
    assert not StudentReceipt.objects.filter(school_id=cast.school_b.pk).exists()
    assert Notice.objects.filter(pk=other.pk).exists()
    assert not Receipt.objects.filter(notice=other).exists()
    assert not StudentReceipt.objects.filter(notice=other).exists()
    assert Receipt.objects.filter(notice=kept).count() == 3  # school A's own rows are untouched
    assert StudentReceipt.objects.filter(notice=kept).count() == 3
