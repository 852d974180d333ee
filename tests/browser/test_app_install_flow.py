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

    page.wait_for_function("document.documentElement.dataset.sw === 'registered'")
    scope_url = page.evaluate("navigator.serviceWorker.ready.then(r => r.scope)")
    assert scope_url == f"{live_server.url}/"
    page.goto(f"{live_server.url}/notices/")
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    page.reload()  # controlled now: this visit is kept
    assert "春游通知" in page.locator("main").inner_text()
    page.wait_for_function("caches.open('tongxin-pages-v1').then(c => c.match('/notices/')).then(Boolean)")

    page.context.set_offline(True)
    page.reload()
    assert "春游通知" in page.locator("main").inner_text()
    page.context.set_offline(False)

    page.goto(f"{live_server.url}/me/")
    toggle = page.locator("#push-toggle")
    toggle.wait_for(state="visible")
    assert toggle.get_attribute("aria-pressed") == "false"
    axe_check(page, label="我的 with the notifications switch")
