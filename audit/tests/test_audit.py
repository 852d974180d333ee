import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django_scopes import scopes_disabled

from audit.actions import record, record_guardrail_override
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


def test_a_guardrail_override_is_logged_with_the_reason_and_without_the_names(cast, unscoped):
    from core.guardrails import enforce_guardrails

    override = enforce_guardrails(
        "刘小明数学59分，陈小红62分。", student_names=["刘小明", "陈小红"], override_reason="家长会上已说明"
    )
    assert override is not None
    record_guardrail_override(override, actor=cast.ms_li, school=cast.school, target=cast.class1, chat=7)
    entry = AuditEntry.objects.get(action=AuditEntry.Action.GUARDRAIL_OVERRIDE)
    assert entry.actor == cast.ms_li and entry.school == cast.school
    assert (entry.target_type, entry.target_id) == ("schoolclass", str(cast.class1.pk))
    assert entry.detail == {"reason": "家长会上已说明", "chat": 7}
    assert entry.summary == override.summary and "刘小明" not in entry.summary
