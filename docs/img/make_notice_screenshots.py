"""Take the notice screenshots of docs/guide/*.md from a running demo (notices with receipts).

    TONGXIN_DATA_DIR=/tmp/docs-data make run PORT=8021           # a demo of its own
    .venv/bin/python docs/img/make_notice_screenshots.py http://127.0.0.1:8021

Unlike make_screenshots.py this one **writes** to the demo: it publishes a few notices (as the
head teachers t32, t11 and t21 and the admin) and has some parents of 三年级2班 answer, so run it
against a demo you can throw away, once. Uses the helpers of make_screenshots.py (Debian's
Chromium at /usr/bin/chromium, never `playwright install`; phone pages at 390×844, scale 1).
"""

import datetime
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import make_screenshots as ms
from playwright.sync_api import sync_playwright

BASE = (sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000").rstrip("/")
ms.BASE = BASE
PARENT_OF_TWO = ms.PARENT_PHONE  # children in 三年级2班 and 一年级1班
# Parents of 三年级2班 whom the demo has already activated (password tongxin-demo).
CLASS_PARENTS = [("13810000322", "参加", ""), ("13810000323", "参加", ""), ("13810000324", "不参加", "周六要去外婆家")]


def later(days: int, hour: int) -> str:
    when = datetime.datetime.now() + datetime.timedelta(days=days)
    return when.replace(hour=hour, minute=0).strftime("%Y-%m-%dT%H:%M")


def open_compose(page) -> None:
    page.goto(f"{BASE}/notices/new/")


def tick_label(page, text: str) -> None:
    # check(), not click(): a teacher of one class finds it ticked already, and a click would untick it.
    page.locator("form label", has_text=text).first.locator("input").check()


def compose(page, *, title, body, action, classes=(), options="", comment=False, deadline="", whole_school=False):
    open_compose(page)
    page.fill("input[name=title]", title)
    page.fill("textarea[name=body]", body)
    for name in classes:
        tick_label(page, name)
    if whole_school:
        page.check("input[name=whole_school]")
    page.check(f"input[name=action][value={action}]")
    if options:
        page.fill("textarea[name=options]", options)
    if comment:
        page.check("input[name=allow_comment]")
    if deadline:
        page.fill("input[name=deadline]", deadline)


def publish(page) -> None:
    with page.expect_navigation():
        page.locator("main form button.primary[type=submit]").click()
    if "/results/" not in page.url:
        raise SystemExit(f"not published: {page.locator('main').inner_text()[:500]}")


def head_teacher(browser) -> str:
    page = ms.new_page(browser, ms.PHONE)
    ms.sign_in(page, "t32")

    # The warning before a score list goes to the whole class.
    compose(
        page,
        title="期中考试成绩",
        body="期中数学成绩：陶明曦 98分，宋然杰 95分，吴欣梓 72分。",
        action="read",
        classes=["三年级2班"],
    )
    with page.expect_navigation():
        page.locator("main form button.primary[type=submit]").click()
    ms.shot(page, "teacher-notice-warning", locator=page.locator("section.warning"))

    # A notice that needs an answer, filled in.
    compose(
        page,
        title="秋季运动会报名",
        body="本周六上午 8:30 在学校操场举行秋季运动会，欢迎家长来观看。请在周四前回复孩子是否参加。",
        action="answer",
        classes=["三年级2班"],
        options="参加\n不参加",
        comment=True,
        deadline=later(3, 17),
    )
    page.evaluate("document.activeElement && document.activeElement.blur()")
    ms.shot(page, "teacher-notice-compose", full_page=True)
    publish(page)
    results_url = page.url

    # Choosing students instead of the class: the class unticked, the list opened, two characters typed.
    open_compose(page)
    page.locator("input[name=classes]:checked").uncheck()
    picker = page.locator("details.picker")
    picker.locator("summary").click()
    picker.locator("input[type=search]").fill("萱")
    picker.locator(".picker-list li:visible input[type=checkbox]").nth(1).check()
    picker.locator(".picker-list li:visible input[type=checkbox]").nth(3).check()
    page.evaluate("document.activeElement && document.activeElement.blur()")
    ms.shot(
        page,
        "teacher-notice-students",
        between=(page.locator("fieldset:has(input[name=classes])"), page.locator("fieldset:has(details.picker)")),
    )
    page.context.close()
    return results_url


def class_parents_answer(browser, results_url: str) -> None:
    notice_id = results_url.rstrip("/").split("/")[-2]
    for phone, answer, comment in CLASS_PARENTS:
        page = ms.new_page(browser, ms.PHONE)
        ms.sign_in(page, phone)
        page.goto(f"{BASE}/notices/{notice_id}/")
        if comment:
            page.fill("input[name=comment]", comment)
        with page.expect_navigation():
            page.locator(f"button[name=answer][value='{answer}']").click()
        page.context.close()


def results(browser, results_url: str) -> None:
    page = ms.new_page(browser, ms.PHONE)
    ms.sign_in(page, "t32")
    page.goto(results_url)
    ms.shot(page, "teacher-notice-results")
    # 只看未完成: the students whose families have not answered, one opened to see its guardians.
    page.goto(results_url + "?pending=1")
    each = page.locator("section[aria-labelledby=h-each]")
    each.locator("details summary").first.click()
    ms.shot(page, "teacher-notice-results-pending", between=(each, each.locator("ul.roster > li").nth(5)))
    page.goto(f"{BASE}/notices/sent/")
    ms.shot(page, "teacher-notices-sent")
    page.context.close()


def parent_of_two(browser) -> None:
    # Notices for the other class of the demo parent's children (一年级1班; 三年级2班 has the head
    # teacher's above and the demo's own), and one for the whole school.
    admin = ms.new_page(browser, ms.DESKTOP)
    ms.sign_in(admin, "admin")
    compose(
        admin,
        title="国庆节放假通知",
        body="10月1日至7日放假，10月8日（星期三）正常上课。假期请注意安全。",
        action="none",
        whole_school=True,
    )
    ms.shot(admin, "admin-notice-compose", locator=admin.locator("main form"))
    publish(admin)
    admin.context.close()
    for teacher, klass, title, body, action, options in [
        ("t11", "一年级1班", "新生体检通知", "下周二上午全班在校医室体检，请孩子当天吃早饭。", "confirm", ""),
        ("t11", "一年级1班", "秋游报名", "10月15日秋游去植物园，费用自理（门票 10 元）。", "answer", "参加\n不参加"),
    ]:
        page = ms.new_page(browser, ms.PHONE)
        ms.sign_in(page, teacher)
        compose(page, title=title, body=body, action=action, classes=[klass], options=options, deadline=later(4, 17))
        publish(page)
        page.context.close()

    page = ms.new_page(browser, ms.PHONE)
    ms.sign_in(page, PARENT_OF_TWO)
    page.goto(f"{BASE}/notices/")
    ms.shot(page, "parent-notices")
    # The meeting invitation answered in the feed itself: 参加 / 不参加, one tap.
    invitation = page.locator("ul.feed > li", has=page.locator("form.answers")).first
    ms.shot(page, "parent-feed-rsvp", locator=invitation)
    with page.expect_navigation():
        invitation.locator("button[name=answer][value=yes]").click()
    ms.shot(page, "parent-feed-rsvp-done", locator=page.locator("ul.feed > li", has_text="家长会").first)
    page.goto(f"{BASE}/notices/")
    with page.expect_navigation():
        page.locator("main a.feed-link", has_text="秋游报名").click()
    ms.shot(page, "parent-notice-answer")
    page.context.close()


def main() -> None:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=ms.CHROMIUM, args=ms.ARGS, headless=True)
        try:
            results_url = head_teacher(browser)
            class_parents_answer(browser, results_url)
            results(browser, results_url)
            parent_of_two(browser)
        finally:
            browser.close()


if __name__ == "__main__":
    main()
