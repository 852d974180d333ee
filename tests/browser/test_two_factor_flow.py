"""Two-factor sign-in in a real browser on a phone-sized screen (issue 20): a teacher turns it on
from 我的 with the key the page shows, keeps the recovery codes, signs out, and signs in again with
the password and then a code from the "app" (computed here from the key). axe-core checks each page."""

import pytest

import conftest as cast_conftest
from accounts import totp

from .conftest import axe_check, sign_in, sign_out, submit

pytestmark = pytest.mark.browser


def test_teacher_turns_on_two_factor_and_signs_in_with_a_code(live_server, live_cast, phone_page):
    page = phone_page
    sign_in(page, live_server, "ms_li", cast_conftest.PASSWORD)
    with page.expect_navigation():
        page.locator("nav.tabbar a[href='/me/']").click()
    with page.expect_navigation():
        page.locator(".menu a[href='/accounts/two-factor/']").click()
    axe_check(page, label="two-factor set-up")
    assert page.locator("main img[src^='data:image/svg+xml']").count() == 1
    secret = page.locator("#two-factor-secret").inner_text().replace(" ", "")
    page.fill("input[name=code]", totp.code_at(secret, totp.current_step()))
    submit(page, "main form:has(input[name=code])")
    assert page.locator(".recovery-codes li").count() == 10
    axe_check(page, label="recovery codes")

    sign_out(page)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=identifier]", "ms_li")
    page.fill("input[name=password]", cast_conftest.PASSWORD)
    submit(page, "form:has(input[name=identifier])")
    assert page.url.endswith("/accounts/login/verify/"), page.url
    axe_check(page, label="second step")
    # The next step's code (accepted as clock drift): the one that confirmed never works twice.
    page.fill("input[name=code]", totp.code_at(secret, totp.current_step() + 1))
    submit(page, "main form:has(input[name=code])")
    assert "/accounts/login/" not in page.url, page.locator("main").inner_text()
    assert page.locator("nav.tabbar a[href='/me/']").count() == 1
