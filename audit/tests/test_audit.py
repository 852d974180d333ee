import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django_scopes import scopes_disabled

from audit.actions import record
from audit.models import AuditEntry


def test_entries_cannot_be_changed_or_deleted_through_the_model(cast, unscoped):
    record(AuditEntry.Action.EXPORT, actor=cast.ms_li, school=cast.school, summary="花名册")
    entry = AuditEntry.objects.get()
    entry.summary = "rewritten"
    with pytest.raises(RuntimeError):
        entry.save()
    with pytest.raises(RuntimeError):
        entry.delete()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the append-only trigger is PostgreSQL's (CI runs it)")
def test_database_refuses_to_rewrite_history(cast, unscoped):
    record(AuditEntry.Action.EXPORT, actor=cast.ms_li, school=cast.school, summary="花名册")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.update(summary="rewritten")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.all().delete()
    assert AuditEntry.objects.get().summary == "花名册"


def test_sign_in_of_a_parent_in_two_schools_is_filed_in_both(cast):
    from schools.models import Guardian, StudentGuardian

    with scopes_disabled():
        g = Guardian.objects.create(school=cast.school_b, name="刘爱丽", phone="13800000001", user=cast.alice)
        StudentGuardian.objects.create(school=cast.school_b, student=cast.erin_child, guardian=g)
    cast.client().post("/accounts/login/", {"identifier": "13800000001", "password": "correct-horse-42"})
    with scopes_disabled():
        schools = set(AuditEntry.objects.filter(action="sign_in").values_list("school_id", flat=True))
    assert schools == {cast.school.pk, cast.school_b.pk}


def test_failed_sign_in_keeps_no_full_phone_number(cast):
    cast.client().post("/accounts/login/", {"identifier": "13812345678", "password": "nope-nope"})
    with scopes_disabled():
        entry = AuditEntry.objects.get(action="sign_in_failed")
    assert entry.summary == "138****5678"
