"""The column on phones (issue 16): 李老师 finds 家庭教育专栏 under 我的 and writes an article; 张主任
(an admin: an editor) reviews and publishes it, on the school's public page too; alice finds it in
the column under 我的, reads it and comments; anybody reads it on the public page without signing
in. axe-core checks every page on the way. (The suggestion part of the issue's flow is in
test_feedback_flow.py.)"""

import pytest
from django.core.cache import cache
from django_scopes import scopes_disabled

import conftest as cast_conftest

from .conftest import PHONE, TIMEOUT_MS, axe_check, sign_in, submit

pytestmark = pytest.mark.browser


def _page(browser, live_server, identifier):
    context = browser.new_context(**PHONE)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    sign_in(page, live_server, identifier, cast_conftest.PASSWORD)
    return context, page


def test_an_editor_publishes_an_article_and_a_parent_reads_it(live_server, live_cast, phone_page, browser):
    from publishing.models import Article, Comment

    cache.clear()
    url = live_server.url

    # (1) 李老师 writes an article for the column and sends it for review.
    context, teacher = _page(browser, live_server, "ms_li")
    teacher.goto(f"{url}/me/")
    with teacher.expect_navigation():
        teacher.locator("main a[href='/column/']").click()
    axe_check(teacher, label="the column (empty)")
    with teacher.expect_navigation():
        teacher.locator("main a[href='/column/write/']").click()
    axe_check(teacher, label="write an article")
    teacher.fill("main input[name=title]", "睡前二十分钟：亲子共读")
    teacher.fill("main textarea[name=body_html]", "<p>每天睡前和孩子一起读二十分钟书，聊一聊书里的人物。</p>")
    teacher.select_option("main select[name=topic]", "reading")
    teacher.select_option("main select[name=grade_from]", "1")
    teacher.select_option("main select[name=grade_to]", "3")
    with teacher.expect_navigation():
        teacher.locator("main button[value=review]").click()
    axe_check(teacher, label="the draft, waiting for review")
    context.close()
    with scopes_disabled():
        article = Article.objects.get()
        assert article.status == "submitted"

    # (2) 张主任 reviews it and publishes it, on the public page too.
    context, editor = _page(browser, live_server, "admin_zhang")
    editor.goto(f"{url}/column/review/")
    axe_check(editor, label="review queue")
    with editor.expect_navigation():
        editor.locator(f"main a[href='/column/{article.pk}/']").click()
    axe_check(editor, label="an article to review")
    editor.check("main input[name=public]")
    with editor.expect_navigation():
        editor.locator("main button[value=publish]").click()
    assert "每天睡前" in editor.locator("main").inner_text()
    context.close()
    with scopes_disabled():
        article.refresh_from_db()
        assert article.status == "published" and article.public

    # (3) alice finds it in the column, reads it and comments.
    page = phone_page
    sign_in(page, live_server, live_cast.alice.phone, cast_conftest.PASSWORD)
    page.goto(f"{url}/me/")
    with page.expect_navigation():
        page.locator("main a[href='/column/']").click()
    axe_check(page, label="the column, as a parent")
    with page.expect_navigation():
        page.locator(f"main a[href='/column/{article.pk}/']").first.click()
    assert "每天睡前和孩子一起读二十分钟书" in page.locator("main").inner_text()
    axe_check(page, label="an article, as a parent")
    page.fill("main textarea[name=text]", "谢谢李老师，今晚就试试。")
    submit(page, "main form:has(textarea[name=text])")
    assert "今晚就试试" in page.locator("#comments").inner_text()
    with scopes_disabled():
        assert Comment.objects.filter(article=article, author=live_cast.alice).exists()

    # (4) anybody reads it on the school's public page, with no sign-in.
    context = browser.new_context(**PHONE)
    visitor = context.new_page()
    visitor.goto(f"{url}/s/{live_cast.school.code}/")
    assert "睡前二十分钟：亲子共读" in visitor.locator("main").inner_text()
    axe_check(visitor, label="the public page")
    with visitor.expect_navigation():
        visitor.locator(f"main a[href='/s/{live_cast.school.code}/articles/{article.pk}/']").click()
    text = visitor.locator("main").inner_text()
    assert "每天睡前" in text and "谢谢李老师" not in text
    axe_check(visitor, label="a public article")
    context.close()
