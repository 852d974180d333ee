"""The class page's roster: a search, the filters 未登录 / 未加入, one line per student, and families
counted as households (two parents of one child, or siblings sharing a guardian, are one family)."""

import pytest

from schools.models import Guardian, Student, StudentGuardian

pytestmark = pytest.mark.usefixtures("unscoped")


def _page(client, cast, query=""):
    return client.get(f"/classes/{cast.class1.pk}/{query}", headers={"accept-language": "en"}).content.decode()


def test_search_and_filters(cast):
    client = cast.client(cast.ms_li)
    roster = lambda page: page.split('class="roster compact"', 1)[1]  # noqa: E731
    assert "陈小红" not in roster(_page(client, cast, "?q=刘小"))
    assert "刘小明" in roster(_page(client, cast, "?q=13800000001"))
    # alice has signed in (the cast's parents have accounts); a new family with none has not joined
    s = Student.objects.create(school=cast.school, name="新同学", school_class=cast.class1)
    g = Guardian.objects.create(school=cast.school, name="新家长", phone="13700000001")
    StudentGuardian.objects.create(school=cast.school, student=s, guardian=g)
    not_joined = roster(_page(client, cast, "?show=not_joined"))
    assert "新同学" in not_joined and "刘小明" not in not_joined
    assert "<details>" in roster(_page(client, cast))


def test_families_are_households_not_guardians(cast):
    second = Guardian.objects.create(school=cast.school, name="刘爸爸", phone="13700000002")
    StudentGuardian.objects.create(school=cast.school, student=cast.alice_child, guardian=second)
    sibling = Student.objects.create(school=cast.school, name="刘小弟", school_class=cast.class1)
    StudentGuardian.objects.create(school=cast.school, student=sibling, guardian=second)
    page = _page(cast.client(cast.ms_li), cast)
    # 刘小明 and 刘小弟 share a family; 陈小红's is the other: 2 families, 3 guardians
    assert "of 2 families joined" in page and "of 3 guardians signed in" in page
