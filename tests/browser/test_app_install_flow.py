"""The installable app in a real browser on a phone (issue 17).

The parent alice signs in on her phone: the page links the manifest (同心, its icons load), the
service worker registers with the whole site as its scope and takes control. She opens her
notices; then the phone loses its connection, and the notices list she saw is still readable.
我的 offers notifications on this phone (the switch appears: the browser can do Web Push).
axe-core checks 我的 with the switch shown.
"""

import pytest
from django_scopes import scope

import conftest as cast_conftest

from .conftest import axe_check, sign_in

pytestmark = pytest.mark.browser


def _wait_until(page, expression: str, seconds: float = 10.0) -> None:
    """Poll a condition with page.evaluate (run by the browser's debugger, outside the page's CSP),
    not wait_for_function, whose polling evaluates a string that the pages' CSP (no 'unsafe-eval')
    refuses whenever its first look is too early."""
    import time

    deadline = time.monotonic() + seconds
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"still false after {seconds} s: {expression}"
        time.sleep(0.1)


def test_the_app_installs_and_keeps_the_last_notices_offline(live_server, live_cast, phone_page):
    from notices.fanout import fan_out
    from notices.models import Notice, NoticeTarget

    with scope(school=[live_cast.school.pk]):
        notice = Notice.objects.create(
            school=live_cast.school,
            author=live_cast.ms_li,
            title="春游通知",
            body_html="<p>周五春游。</p>",
            status="published",
        )
        NoticeTarget.objects.create(school=live_cast.school, notice=notice, kind="class", school_class=live_cast.class1)
        fan_out(notice)

    page = phone_page
    sign_in(page, live_server, "13800000001", cast_conftest.PASSWORD)
    manifest = page.evaluate("fetch(document.querySelector('link[rel=manifest]').href).then(r => r.json())")
    assert manifest["name"] == "同心" and manifest["display"] == "standalone"
    for icon in manifest["icons"]:
        assert page.evaluate(f"fetch('{icon['src']}').then(r => r.status)") == 200

    page.locator("html[data-sw='registered']").wait_for(state="attached")
    scope_url = page.evaluate("navigator.serviceWorker.ready.then(r => r.scope)")
    assert scope_url == f"{live_server.url}/"
    page.goto(f"{live_server.url}/notices/")
    _wait_until(page, "navigator.serviceWorker.controller !== null")
    page.reload()  # controlled now: this visit is kept
    assert "春游通知" in page.locator("main").inner_text()
    _wait_until(
        page, "caches.open('tongxin-pages-v1').then(c => c.match('/notices/', {ignoreVary: true})).then(Boolean)"
    )

    page.context.set_offline(True)
    page.reload()
    assert "春游通知" in page.locator("main").inner_text()
    page.context.set_offline(False)

    page.goto(f"{live_server.url}/me/")
    toggle = page.locator("#push-toggle")
    toggle.wait_for(state="visible")
    assert toggle.get_attribute("aria-pressed") == "false"
    axe_check(page, label="我的 with the notifications switch")


def test_badges_move_live_on_an_open_page(asgi_server, browser, settings):
    """alice's 我的 page is open on her phone; 李老师 publishes a notice to 三年级1班 and writes in
    the class group: alice's 通知 and 消息 tab badges appear without a reload."""
    from django_scopes import scopes_disabled

    from chat.actions import class_group

    from .conftest import PHONE, TIMEOUT_MS, submit

    settings.ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
    cast = cast_conftest.build_cast()
    with scopes_disabled():
        group = class_group(cast.class1)
    contexts = []

    def phone(login: str):
        context = browser.new_context(**PHONE)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        sign_in(page, asgi_server, login, cast_conftest.PASSWORD)
        return page

    try:
        parent = phone("13800000001")
        parent.goto(f"{asgi_server.url}/me/")
        # A selector, not wait_for_function: its polling evaluates a string, which the pages' CSP
        # (script-src 'self', no 'unsafe-eval') refuses whenever the first look is too early.
        parent.locator("html[data-live='open']").wait_for(state="attached")
        notices_tab = parent.locator("nav.tabbar a[data-badge=notices]")
        messages_tab = parent.locator("nav.tabbar a[data-badge=messages]")
        assert notices_tab.locator(".tab-badge").count() == 0

        teacher = phone("ms_li")
        teacher.goto(f"{asgi_server.url}/notices/new/")
        form = "form[enctype='multipart/form-data']:has(input[name=title])"
        teacher.locator(f"{form} input[name=title]").fill("春游通知")
        teacher.locator(f"{form} textarea[name=body]").fill("周五春游。")
        submit(teacher, form)
        notices_tab.locator(".tab-badge").wait_for()  # arrived live, no reload
        assert notices_tab.locator(".tab-badge").inner_text().startswith("1")

        teacher.goto(f"{asgi_server.url}/chat/{group.pk}/")
        teacher.fill("#chat-form textarea[name=body]", "明天请带水壶。")
        submit(teacher, "#chat-form")
        messages_tab.locator(".tab-badge").wait_for()
        assert messages_tab.locator(".tab-badge").inner_text().startswith("1")
        axe_check(parent, label="我的 with live badges")
    finally:
        for context in contexts:
            context.close()
