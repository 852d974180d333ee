"""Tables on a phone: the school's staff pages with a table scroll the table, not the page.

张主任, the school admin, opens on her phone (390 px) the pages whose tables have the most
columns: the audit log after a morning's work, the classes, the school's contact-book coverage,
the retention periods, the guardrails' terms, the suggestions' monthly report, a class's
volunteers and the home page. None may be wider than the phone (the page would slide sideways
under her thumb and hide its right edge), and axe-core finds nothing serious on any.
"""

import pytest

from .conftest import axe_check, sign_in

pytestmark = pytest.mark.browser


def test_no_staff_page_is_wider_than_the_phone(live_server, live_cast, phone_page):
    from conftest import PASSWORD

    cast = live_cast
    page = phone_page
    sign_in(page, live_server, "admin_zhang", PASSWORD)
    pages = {
        "audit log": "/school/audit/",
        "classes": "/school/classes/",
        "contact-book coverage": "/school/coverage/",
        "retention": "/school/retention/",
        "guardrails": "/school/guardrails/",
        "suggestions report": "/feedback/report/",
        "volunteers of 三年级1班": f"/classes/{cast.class1.pk}/volunteers/",
        "home": "/",
    }
    too_wide = {}
    for label, path in pages.items():
        page.goto(f"{live_server.url}{path}")
        assert page.locator("main").count() == 1, label
        width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        if width[0] > width[1]:
            too_wide[label] = width
        axe_check(page, label=label)
    assert too_wide == {}, f"wider than the phone (page width, screen width): {too_wide}"
