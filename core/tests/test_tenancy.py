"""The safety net under the access functions: a query on a school-owned model outside a scope
fails loudly, and inside a request it can only ever reach the user's own schools."""

import pytest
from django_scopes import ScopeError, scope

from audit.models import AuditEntry
from schools.models import Guardian, SchoolClass, Student, Term


@pytest.mark.parametrize("model", [SchoolClass, Student, Guardian, Term, AuditEntry])
def test_unscoped_query_raises(db, model):
    with pytest.raises(ScopeError):
        list(model.objects.all())
    with pytest.raises(ScopeError):
        model.objects.filter(pk=1).first()


def test_scope_of_school_b_cannot_reach_school_a(cast):
    with scope(school=[cast.school_b.pk]):
        assert not Student.objects.filter(pk=cast.alice_child.pk).exists()
        assert set(Student.objects.values_list("school_id", flat=True)) == {cast.school_b.pk}
        # Related managers are scoped too.
        assert list(cast.school.students.all()) == []


def test_request_scope_is_the_users_schools(cast, rf):
    from schools.middleware import SchoolScopeMiddleware

    seen = {}

    def view(request):
        seen["students"] = sorted(Student.objects.values_list("name", flat=True))
        return None

    request = rf.get("/")
    request.user = cast.erin
    SchoolScopeMiddleware(view)(request)
    assert seen["students"] == ["吴小雨"]
    assert request.roles.school_ids == [cast.school_b.pk]
