"""Removing a guardian on a phone (home.views_family): 李老师, head teacher of 三年级1班, learns that
the number on file for 刘小明's grandfather was never the family's. On the class page she opens
刘小明's line, taps 从孩子名下移除 beside 刘爷爷, reads what will happen, confirms, and is back on
the class page: 刘小明 keeps his mother, the grandfather is gone. axe-core on both pages."""

import pytest
from django_scopes import scopes_disabled

import conftest as cast_conftest

from .conftest import axe_check, sign_in, submit

pytestmark = pytest.mark.browser


def test_a_head_teacher_removes_a_wrong_guardian_on_her_phone(live_server, live_cast, phone_page):
    from schools.models import Guardian, StudentGuardian

    cast = live_cast
    with scopes_disabled():
        grandpa = Guardian.objects.create(school=cast.school, name="刘爷爷", phone="13800000021")
        StudentGuardian.objects.create(
            school=cast.school, student=cast.alice_child, guardian=grandpa, relationship="爷爷"
        )
    page = phone_page
    sign_in(page, live_server, "ms_li", cast_conftest.PASSWORD)
    page.goto(f"{live_server.url}/classes/{cast.class1.pk}/")
    row = page.locator("ul.roster > li", has_text="刘小明")
    row.locator("summary").click()
    with page.expect_navigation():
        row.locator(f"a[href='/students/{cast.alice_child.pk}/guardians/{grandpa.pk}/remove/']").click()
    main = page.locator("main")
    assert "刘爷爷" in main.inner_text() and "138****0021" in main.inner_text()
    assert page.locator("p.warning").count() == 0  # 刘小明 keeps his mother
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    axe_check(page, label="remove a guardian")
    submit(page, "main form[method=post]")
    assert page.url.endswith(f"/classes/{cast.class1.pk}/")
    assert "刘爷爷" in page.locator("ul.messages").inner_text()
    row = page.locator("ul.roster > li", has_text="刘小明")
    assert "刘爷爷" not in row.inner_text() and "母亲" in row.inner_text()
    axe_check(page, label="the class page after the removal")
    with scopes_disabled():
        assert not StudentGuardian.objects.filter(student=cast.alice_child, guardian=grandpa).exists()
        assert StudentGuardian.objects.filter(student=cast.alice_child, guardian=cast.alice_guardian).exists()
