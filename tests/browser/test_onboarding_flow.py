"""Bringing families on board, in a real browser on a phone-sized screen (docs/testing.md, the cast).

The head teacher 李老师 makes the class join code, imports a roster through the web (a GBK CSV with
a title row and one bad row), a parent joins with the code and a fact the school holds, the head
teacher sends activation SMS to the families not joined and one of them opens the link. A second
test covers a join whose details do not match: the head teacher approves it. axe-core checks every
page on the way; elements are found by names, form actions and links, not by visible text.

The live server runs in this process, so the SMS sent (``LocmemSmsBackend.outbox``) are read
directly; ``settings.SITE_URL`` points at the live server so the links in pages and SMS work.
"""

import re
import time

import pytest
from django_scopes import scopes_disabled

import conftest as cast_conftest

from .conftest import PHONE, TIMEOUT_MS, axe_check, sign_in, submit

pytestmark = pytest.mark.browser

# The roster file of 三年级1班: a title row above the header, two good rows, one impossible phone.
ROSTER_CSV = (
    "阳光小学三年级1班学生名单\r\n"
    "姓名,学号,家长姓名,关系,手机号\r\n"
    "孙小平,2024011,孙建国,父亲,13800000031\r\n"
    "林小雪,2024012,林芳,母亲,13800000032\r\n"
    "黄小龙,2024013,黄伟,父亲,23800000033\r\n"
)
BAD_ROW = 5  # the title is row 1, the header row 2
CHILD, CHILD_NUMBER, CHILD_FATHER_PHONE = "孙小平", "2024011", "13800000031"
OTHER_CHILD, OTHER_GUARDIAN_PHONE = "林小雪", "13800000032"
REFUSED_CHILD = "黄小龙"
MOTHER, MOTHER_PHONE, MOTHER_PASSWORD = "王丽", "13800000041", "mother-pass-2026"
ACTIVATED_PASSWORD = "father-pass-2026"


def _main_text(page) -> str:
    return page.locator("main").inner_text()


def _sms_to(phone: str, timeout: float = 5.0):
    """The messages sent to this phone, waiting a little for the first one."""
    from delivery.sms import LocmemSmsBackend

    deadline = time.monotonic() + timeout
    while True:
        found = [m for m in LocmemSmsBackend.outbox if m.phone == phone]
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def _sms_code_for(phone: str) -> str:
    from delivery.sms import LocmemSmsBackend

    messages = _sms_to(phone)
    assert messages, f"no SMS sent to {phone}; outbox: {LocmemSmsBackend.outbox!r}"
    match = re.search(r"\b(\d{6})\b", messages[-1].text)
    assert match, f"no 6-digit code in the SMS {messages[-1].text!r}"
    return match.group(1)


def _family_row(page, guardian_name: str):
    """The guardian's row in the families page's list of every family (each row has a state badge)."""
    return page.locator("main ul.rows > li:has(> .badge)", has_text=guardian_name)


def _new_phone_page(browser):
    context = browser.new_context(**PHONE)
    context.set_default_timeout(TIMEOUT_MS)
    return context, context.new_page()


def _join(page, join_url: str, *, child: str, fact: str, name: str, phone: str, label: str) -> None:
    """A parent fills in the join form, gets a code by SMS and types it."""
    page.goto(join_url)
    assert "/join/" in page.url
    axe_check(page, label=f"join page ({label})")
    details = "form:has(input[name=step][value=details])"
    page.fill(f"{details} input[name=child_name]", child)
    page.fill(f"{details} input[name=fact]", fact)
    page.fill(f"{details} input[name=guardian_name]", name)
    page.fill(f"{details} input[name=relationship]", "母亲")
    page.fill(f"{details} input[name=phone]", phone)
    page.check(f"{details} input[name=consent_data]")  # consent to what Tongxin keeps (accounts.consent)
    submit(page, details)
    code_input = page.locator("form:has(input[name=step][value=code]) input[name=code]")
    assert code_input.count() == 1, _main_text(page)
    axe_check(page, label=f"join page, code step ({label})")
    code_input.fill(_sms_code_for(phone))
    submit(page, "form:has(input[name=step][value=code])")
    assert "/join/" not in page.url, _main_text(page)


def _set_password(page, password: str, *, label: str) -> None:
    assert page.url.endswith("/accounts/password/"), page.url
    assert page.locator("form[action$='/accounts/logout/']").count() == 1  # signed in
    axe_check(page, label=f"set password ({label})")
    page.fill("input[name=password]", password)
    page.fill("input[name=password2]", password)
    submit(page, "form:has(input[name=password2])")
    assert not page.url.endswith("/accounts/password/"), _main_text(page)


def _my_children(page, *, label: str):
    with page.expect_navigation():
        page.locator("nav.tabbar a[href='/me/']").click()  # 我的 lists the rest
    with page.expect_navigation():
        page.locator(".menu a[href='/children/']").click()
    axe_check(page, label=f"my children ({label})")
    return page.locator("ul.cards > li.child")


def test_onboarding_flow(live_server, live_cast, phone_page, browser, settings, tmp_path):
    settings.SITE_URL = live_server.url  # the join and activation links point at the live server
    page = phone_page
    url = live_server.url
    class_id = live_cast.class1.pk
    class_href = f"/classes/{class_id}/"
    families_href = f"/classes/{class_id}/families/"

    # (1) The head teacher opens the class, then the families page, and makes the join code.
    sign_in(page, live_server, "ms_li", cast_conftest.PASSWORD)
    with page.expect_navigation():
        page.locator(f"main a[href='{class_href}']").click()
    assert page.url.endswith(class_href)
    axe_check(page, label="class page (head teacher)")
    with page.expect_navigation():
        page.locator(f"main a[href='{families_href}']").click()
    assert page.url.endswith(families_href)
    assert page.locator("img.qr").count() == 0
    axe_check(page, label="families page (no join code yet)")
    make_code = f"form[action='{families_href}join-link/']:not(:has(input[name=action]))"
    submit(page, make_code)
    assert page.url.endswith(families_href), _main_text(page)
    qr = page.locator("main img.qr")
    assert qr.count() == 1, _main_text(page)
    assert qr.get_attribute("src").startswith("data:image/svg+xml")
    assert qr.evaluate("img => img.complete && img.naturalWidth > 0")
    join_link = page.locator("main a[href*='/join/']")
    join_url = join_link.get_attribute("href")
    assert re.fullmatch(rf"{re.escape(url)}/join/[\w-]+/", join_url), join_url
    assert join_link.inner_text() == join_url
    # The long link breaks inside its card instead of running past its edge on the phone.
    assert join_link.evaluate(
        "a => a.getBoundingClientRect().right <= a.closest('section').getBoundingClientRect().right"
    ), "the join link runs past its card"
    with scopes_disabled():
        from schools.models import JoinLink

        assert JoinLink.objects.get(school_class=live_cast.class1, revoked_at=None).token in join_url
    axe_check(page, label="families page (join code shown)")

    # (2) The head teacher imports the class roster: a GBK CSV with a title row and one bad row.
    roster_file = tmp_path / "三年级1班名单.csv"
    roster_file.write_bytes(ROSTER_CSV.encode("gbk"))
    page.goto(f"{url}{class_href}")
    with page.expect_navigation():
        page.locator(f"main a[href='{class_href}import/']").click()
    assert page.url.endswith(f"{class_href}import/")
    axe_check(page, label="roster import: upload")
    page.set_input_files("input[name=file]", str(roster_file))
    submit(page, "form[enctype='multipart/form-data']")
    assert re.search(r"/imports/\d+/$", page.url), _main_text(page)
    refused_rows = page.locator("main table tbody tr")
    assert refused_rows.count() == 1, _main_text(page)
    assert refused_rows.locator("td").first.inner_text().strip() == str(BAD_ROW)
    assert "23800000033" in refused_rows.inner_text()
    preview = _main_text(page)
    assert CHILD in preview and OTHER_CHILD in preview and REFUSED_CHILD not in preview
    axe_check(page, label="roster import: preview")
    submit(page, "main form:not([action])")  # confirm (the other form discards)
    assert page.url.endswith(class_href), _main_text(page)
    roster = page.locator("ul.roster").inner_text()
    assert CHILD in roster and OTHER_CHILD in roster and REFUSED_CHILD not in roster
    axe_check(page, label="class page after the import")
    with scopes_disabled():
        from schools.models import Student

        assert Student.objects.get(school_class=live_cast.class1, name=CHILD).student_number == CHILD_NUMBER
        assert not Student.objects.filter(name=REFUSED_CHILD).exists()

    # (3) A mother (a number the school does not have) joins with the code and the student number.
    parent_context, parent = _new_phone_page(browser)
    try:
        _join(
            parent, join_url, child=CHILD, fact=CHILD_NUMBER, name=MOTHER, phone=MOTHER_PHONE, label="matching details"
        )
        _set_password(parent, MOTHER_PASSWORD, label="joined mother")
        children = _my_children(parent, label="joined mother")
        assert children.count() == 1 and CHILD in children.inner_text(), _main_text(parent)
        assert live_cast.class1.name in children.inner_text()
    finally:
        parent_context.close()

    # (4) The families page shows her as joined; the reminder goes only to families not joined.
    page.goto(f"{url}{families_href}")
    axe_check(page, label="families page (one family joined)")
    mother_row = _family_row(page, MOTHER)
    assert mother_row.count() == 1, _main_text(page)
    assert mother_row.locator(".badge.ok").count() == 1, mother_row.inner_html()
    from delivery.sms import LocmemSmsBackend

    LocmemSmsBackend.outbox.clear()
    submit(page, f"form[action='{families_href}remind/']")
    assert page.url.endswith(families_href), _main_text(page)
    expected = {CHILD_FATHER_PHONE, OTHER_GUARDIAN_PHONE}  # alice and bob signed in long ago
    deadline = time.monotonic() + 5
    while {m.phone for m in LocmemSmsBackend.outbox} != expected and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sorted(m.phone for m in LocmemSmsBackend.outbox) == sorted(expected), LocmemSmsBackend.outbox
    invited = page.locator("main ul.rows > li:has(> .badge.warn)")  # now shown as invited
    invited_text = " ".join(invited.all_inner_texts())
    assert invited.count() == 2 and "孙建国" in invited_text and "林芳" in invited_text, _main_text(page)
    axe_check(page, label="families page (activation SMS sent)")

    # The father opens his activation link in another browser, confirms, and is signed in.
    (sms,) = _sms_to(CHILD_FATHER_PHONE)
    match = re.search(rf"{re.escape(url)}/activate/[\w-]+/", sms.text)
    assert match, sms.text
    activation_url = match.group(0)
    father_context, father = _new_phone_page(browser)
    try:
        father.goto(activation_url)
        assert father.locator("form[action$='/accounts/logout/']").count() == 0  # not signed in yet
        assert CHILD in _main_text(father)
        axe_check(father, label="activation page")
        father.check("main form input[name=consent_data]")
        submit(father, "main form")
        _set_password(father, ACTIVATED_PASSWORD, label="activated father")
        children = _my_children(father, label="activated father")
        assert children.count() == 1 and CHILD in children.inner_text(), _main_text(father)
        # The link works once.
        father.goto(activation_url)
        assert father.locator("main form").count() == 0, _main_text(father)
    finally:
        father_context.close()

    page.reload()
    father_row = _family_row(page, "孙建国")
    assert father_row.locator(".badge.ok").count() == 1, father_row.inner_html()


def test_join_with_wrong_details_is_approved(live_server, live_cast, phone_page, browser, settings):
    settings.SITE_URL = live_server.url
    from schools import onboarding
    from schools.models import JoinRequest

    with scopes_disabled():
        link = onboarding.active_join_link(live_cast.class1, acting_user=live_cast.ms_li)
    join_url = f"{live_server.url}/join/{link.token}/"
    child = live_cast.alice_child

    # A second parent of 刘小明 gives a wrong student number: no automatic link.
    parent_context, parent = _new_phone_page(browser)
    try:
        _join(parent, join_url, child=child.name, fact="2099999", name=MOTHER, phone=MOTHER_PHONE, label="wrong number")
        assert parent.url == f"{live_server.url}/", _main_text(parent)
        assert parent.locator("a[href='/children/']").count() == 0
        assert child.name not in _main_text(parent)
        assert parent.locator("main [role=status]").count() == 1  # the head teacher will check
        axe_check(parent, label="home (parent waiting for the head teacher)")
        with scopes_disabled():
            request = JoinRequest.objects.get(phone=MOTHER_PHONE, status=JoinRequest.Status.PENDING)

        # The head teacher approves it on the families page, choosing the child.
        page = phone_page
        sign_in(page, live_server, "ms_li", cast_conftest.PASSWORD)
        page.goto(f"{live_server.url}/classes/{live_cast.class1.pk}/families/")
        decide = f"form[action='/join-requests/{request.pk}/']"
        assert page.locator(decide).count() == 1, _main_text(page)
        axe_check(page, label="families page (a request waiting)")
        page.select_option(f"{decide} select[name=student]", value=str(child.pk))
        with page.expect_navigation():
            page.locator(f"{decide} button[name=decision][value=approve]").click()
        assert page.locator(decide).count() == 0, _main_text(page)
        assert _family_row(page, MOTHER).locator(".badge.ok").count() == 1
        axe_check(page, label="families page (request approved)")

        # The parent now finds the child on My children.
        parent.reload()
        children = _my_children(parent, label="approved parent")
        assert children.count() == 1 and child.name in children.inner_text(), _main_text(parent)
    finally:
        parent_context.close()
