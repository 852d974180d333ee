"""Take the screenshots of README.md and docs/guide/*.md from a running demo.

    make run                                   # in one terminal: the demo on http://127.0.0.1:8000
    .venv/bin/python docs/img/make_screenshots.py [BASE_URL]

Uses Playwright's sync API on Debian's Chromium (/usr/bin/chromium; never `playwright install`).
Phone pages are 390×844, admin pages 1280×800, all at device scale factor 1 so each PNG stays
small. On a phone the top menu is hidden (below 720 px): the pages are reached by their address,
the bottom tab bar (nav.tabbar) and 我的 (/me/). Only reads the demo, except: the class join code
of 三年级2班 is made if it has none, and one SMS code is requested for the parent (read from the
demo's SMS outbox, var/sms/outbox.jsonl, or $TONGXIN_DATA_DIR/sms/outbox.jsonl). Requesting a code
again for the same phone within a minute is refused, so wait a minute between two runs.
"""

import json
import os
import re
import sys
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

BASE = (sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000").rstrip("/")
HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
OUTBOX = Path(os.environ.get("TONGXIN_DATA_DIR", ROOT / "var")) / "sms" / "outbox.jsonl"
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # The browser's own controls (file chooser, date fields) in Chinese where Debian's chromium-l10n
    # is installed; without it they stay in English.
    "--lang=zh-CN",
]
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 1, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 800}, "device_scale_factor": 1}
PASSWORD = "tongxin-demo"
PARENT_PHONE = "13800000032"  # the README parent: children in 三年级2班 and 一年级1班 (schools.demo)


def shot(page, name: str, *, full_page: bool = False, locator=None, between=None) -> None:
    """The viewport (or the full page), one element (locator), or the band of the page from the top
    of one element to the bottom of another (between=(first, last), full width)."""
    # A stylesheet that failed to load (e.g. a server started before static/ changed) would make
    # a page look broken: refuse to save such a picture.
    styled = page.evaluate(
        "[...document.styleSheets].some(s => { try { return s.cssRules.length > 0 } catch (e) { return false } })"
    )
    if not styled:
        raise SystemExit(f"{name}: the page has no stylesheet; restart the server and try again")
    path = HERE / f"{name}.png"
    if locator is None and between is None and not full_page:
        page.screenshot(path=str(path), type="png")
    else:
        # A viewport as tall as the page, so that the phone's fixed tab bar sits at the bottom of the
        # page, as on the phone, rather than across the middle of a full page or over an element.
        size = page.viewport_size
        page.evaluate("window.scrollTo(0, 0)")
        height = page.evaluate("document.documentElement.scrollHeight")
        page.set_viewport_size({"width": size["width"], "height": max(height, size["height"])})
        if locator is not None:
            locator.screenshot(path=str(path), type="png")
        else:
            clip = None
            if between is not None:
                top, bottom = between[0].bounding_box(), between[1].bounding_box()
                y = top["y"] - 8
                clip = {"x": 0, "y": y, "width": size["width"], "height": bottom["y"] + bottom["height"] + 8 - y}
            page.screenshot(path=str(path), type="png", clip=clip)
        page.set_viewport_size(size)
    print(f"{path.relative_to(ROOT)}: {path.stat().st_size // 1024} KB")


def new_page(browser, device: dict):
    context = browser.new_context(locale="zh-CN", **device)
    context.set_default_timeout(15_000)
    return context.new_page()


def sign_in(page, identifier: str, password: str = PASSWORD) -> None:
    page.goto(f"{BASE}/accounts/login/")
    page.fill("input[name=identifier]", identifier)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.locator("form:has(input[name=identifier]) button[type=submit]").click()
    if "/accounts/login/" in page.url:
        raise SystemExit(f"could not sign in as {identifier}: {page.locator('main').inner_text()}")


def switch_language(page) -> None:
    """The language button of 我的 (on a phone the top bar's one is hidden)."""
    page.goto(f"{BASE}/me/")
    with page.expect_navigation():
        page.locator("main button[name=language]").click()


def class_href(page, name: str) -> str:
    href = page.locator("main a[href^='/classes/']", has_text=name).first.get_attribute("href")
    assert href, f"no link to {name}"
    return href


def latest_code(phone: str, since: float) -> str:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if OUTBOX.exists():
            for line in reversed(OUTBOX.read_text(encoding="utf-8").splitlines()):
                message = json.loads(line)
                at = message.get("at", "")
                if message["to"] == phone and at and _epoch(at) >= since - 1:
                    match = re.search(r"\b(\d{6})\b", message["text"])
                    if match:
                        return match.group(1)
        time.sleep(0.2)
    raise SystemExit(f"no SMS code for {phone} in {OUTBOX} (set TONGXIN_DATA_DIR to the demo's data folder)")


def _epoch(iso: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(iso).timestamp()


def parent_pages(browser) -> None:
    page = new_page(browser, PHONE)
    page.goto(f"{BASE}/accounts/login/")
    shot(page, "login")

    # Sign in with a code, the way a parent does the first time.
    page.goto(f"{BASE}/accounts/login/code/")
    page.fill("input[name=phone]", PARENT_PHONE)
    shot(page, "parent-code-send")
    asked = time.time()
    with page.expect_navigation():
        page.locator("form:has(input[name=phone]) button[type=submit]").first.click()
    page.fill("input[name=code]", "")
    shot(page, "parent-code")
    page.fill("input[name=code]", latest_code(PARENT_PHONE, asked))
    with page.expect_navigation():
        page.locator("form:has(input[name=code]) button[type=submit]").click()
    shot(page, "parent-home")
    # The bottom tab bar with its badges (unread notices and messages, the contact book's to acknowledge).
    shot(page, "parent-tabbar", locator=page.locator("nav.tabbar"))
    page.goto(f"{BASE}/me/")
    shot(page, "parent-me", full_page=True)

    page.goto(f"{BASE}/children/")
    # Look at the second child: the children page marks the one being looked at.
    with page.expect_navigation():
        page.locator("main form[action^='/children/'] button[type=submit]").nth(1).click()
    shot(page, "parent-children-selected")

    page.goto(f"{BASE}/accounts/password/")
    shot(page, "parent-password")

    page.goto(f"{BASE}/family/")
    shot(page, "parent-family")

    # The home page in English (switched in 我的), then back to Chinese for everyone else.
    switch_language(page)
    page.goto(f"{BASE}/")
    shot(page, "parent-home-en")
    switch_language(page)
    page.context.close()


def head_teacher_pages(browser) -> str:
    """Returns the class join link of 三年级2班 (made here if the class has none yet)."""
    page = new_page(browser, PHONE)
    sign_in(page, "t32")
    # The whole home: recent notices with their rates, questions waiting, today, the to-do list.
    shot(page, "teacher-home", full_page=True)
    shot(page, "teacher-tabbar", locator=page.locator("nav.tabbar"))
    page.goto(f"{BASE}/me/")
    shot(page, "teacher-me", full_page=True)
    page.goto(f"{BASE}/")
    class_url = BASE + class_href(page, "三年级2班")
    page.goto(class_url)
    shot(page, "class-page")
    # The roster's filter: the families where a guardian has not signed in, one line opened.
    page.select_option("select[name=show]", "not_signed_in")
    with page.expect_navigation():
        page.locator("form.filters button[type=submit]").click()
    roster = page.locator("section[aria-labelledby=h-roster]")
    # A family with one guardian signed in and one not: its details show 重置登录 for the first.
    roster.locator("li:has(summary .badge.ok) summary").first.click()
    shot(page, "class-roster-filter", between=(roster, roster.locator("ul.roster > li").nth(5)))
    shot(page, "class-add-student", locator=page.locator("section.card:has(form input[name=name])"))
    page.goto(class_url + "import/")
    shot(page, "class-import")
    page.goto(class_url + "families/")
    make_code = page.locator("form[action$='/families/join-link/']:not(:has(input[name=action])) button")
    if make_code.count():
        with page.expect_navigation():
            make_code.click()
    join_url = page.locator("main a[href*='/join/']").first.get_attribute("href") or ""
    shot(page, "class-families")
    shot(page, "class-join-code", locator=page.locator("section.card:has(img.qr)"))
    page.context.close()
    return join_url


def subject_teacher_pages(browser) -> None:
    page = new_page(browser, PHONE)
    sign_in(page, "s1")
    shot(page, "subject-home")
    page.goto(BASE + class_href(page, "年级"))
    shot(page, "subject-class")
    page.context.close()


def admin_pages(browser) -> None:
    page = new_page(browser, DESKTOP)
    sign_in(page, "admin")
    shot(page, "admin-home")
    for path, name in [
        ("/school/classes/", "admin-classes"),
        ("/school/staff/", "admin-staff"),
        ("/school/terms/", "admin-terms"),
        ("/school/year/", "admin-year"),
    ]:
        page.goto(BASE + path)
        shot(page, name)
    # The forms further down, filled in but not sent: nothing in the demo changes.
    page.goto(BASE + "/school/classes/")
    page.fill("form:has(input[name=name]) input[name=name]", "三(3)班")
    shot(page, "admin-new-class", locator=page.locator("section.card:has(form input[name=name])"))
    page.goto(BASE + "/school/import/")
    shot(page, "admin-import")
    page.goto(BASE + "/school/staff/")
    staff_form = "form:has(input[name=form][value=staff])"
    page.fill(f"{staff_form} input[name=name]", "孙老师")
    page.fill(f"{staff_form} input[name=phone]", "13900001234")
    page.fill(f"{staff_form} input[name=title]", "数学教师")
    shot(page, "admin-add-staff", locator=page.locator(f"section.card:has({staff_form})"))
    shot(page, "admin-assign", locator=page.locator("section.card:has(form input[name=form][value=assign])"))
    page.context.close()


def join_page(browser, join_url: str) -> None:
    """What a parent sees after scanning the class code (filled in, not sent)."""
    page = new_page(browser, PHONE)
    page.goto(BASE + "/join/" + join_url.rstrip("/").rsplit("/", 1)[-1] + "/")
    for name, value in [
        ("child_name", "向萱"),
        ("fact", "20240201"),
        ("guardian_name", "向晨萱"),
        ("relationship", "父亲"),
        ("phone", "13810000320"),
    ]:
        if page.locator(f"input[name={name}]").count():
            page.fill(f"input[name={name}]", value)
    shot(page, "parent-join", full_page=True)
    page.context.close()


def admin_audit(browser) -> None:
    """Last, so that the sign-ins of the teachers and the parent above are in the log."""
    page = new_page(browser, DESKTOP)
    sign_in(page, "admin")
    page.goto(BASE + "/school/audit/")
    shot(page, "admin-audit")
    page.context.close()


def main() -> None:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            admin_pages(browser)
            join_url = head_teacher_pages(browser)
            subject_teacher_pages(browser)
            parent_pages(browser)
            join_page(browser, join_url)
            admin_audit(browser)
        finally:
            browser.close()


if __name__ == "__main__":
    main()
