"""A district admin (教育局) in a real browser on a phone-sized screen (issue 20).

钱局长, admin of 城区教育局 (schools 阳光小学 and 新华小学), signs in and lands on the district's
page: each school's figures, no name of a child or a family. She sends one notice to every school,
sees each school's figures for it, and the parent alice finds it in her feed, from 城区教育局.
axe-core checks every page on the way."""

import pytest
from django_scopes import scopes_disabled

import conftest as cast_conftest
from schools.tests.districts import build_districts

from .conftest import PHONE, TIMEOUT_MS, axe_check, sign_in, submit

pytestmark = pytest.mark.browser


def test_a_district_admin_sees_figures_and_sends_to_every_school(live_server, live_cast, phone_page, browser):
    d = build_districts(live_cast)
    page = phone_page
    sign_in(page, live_server, "qian", cast_conftest.PASSWORD)
    assert page.url.endswith(f"/district/{d.x.pk}/"), page.url
    main = page.locator("main").inner_text()
    assert "阳光小学" in main and "新华小学" in main and "明德小学" not in main
    assert "刘小明" not in main and "刘爱丽" not in main
    axe_check(page, label="district overview")

    with page.expect_navigation():
        page.locator(f"main a[href='/district/{d.x.pk}/notices/']").first.click()
    with page.expect_navigation():
        page.locator(f"main a[href='/district/{d.x.pk}/notices/new/']").click()
    axe_check(page, label="district compose")
    page.fill("input[name=title]", "寒假安全告家长书")
    page.fill("textarea[name=body]", "寒假期间请注意交通和用火安全。")
    page.locator("input[name=action][value=confirm]").check()
    submit(page, "main form:has(input[name=title])")
    assert "/notices/" in page.url and "/new/" not in page.url, page.locator("main").inner_text()
    rows = page.locator("main table tbody tr")
    assert rows.count() == 2
    assert "阳光小学" in rows.nth(1).inner_text() or "阳光小学" in rows.nth(0).inner_text()
    axe_check(page, label="district notice")

    context = browser.new_context(**PHONE)
    context.set_default_timeout(TIMEOUT_MS)
    parent = context.new_page()
    sign_in(parent, live_server, "13800000001", cast_conftest.PASSWORD)
    parent.goto(f"{live_server.url}/notices/")
    with parent.expect_navigation():
        parent.get_by_text("寒假安全告家长书").first.click()
    assert "城区教育局" in parent.locator("main").inner_text()
    context.close()
    with scopes_disabled():
        from notices.models import Notice

        assert Notice.objects.filter(district_notice__district=d.x).count() == 2
