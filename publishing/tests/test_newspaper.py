"""The parent newspaper (家长报): an editor puts issue 8 together from a published article, a photo
and a short item, sends it to every family as a notice, and families read it and print it as A4."""

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from conftest import zh
from notices.models import Notice, Receipt
from publishing.models import Article, Issue, Section

pytestmark = pytest.mark.usefixtures("unscoped")


def png_bytes() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "green").save(buffer, format="PNG")
    return buffer.getvalue()


def _article(cast) -> Article:
    return Article.objects.create(
        school=cast.school,
        title="春季家庭教育讲座回顾",
        body_html="<p>专家谈亲子沟通。</p>",
        body_text="专家谈亲子沟通。",
        author=cast.ms_li,
        author_name="李老师",
        status="published",
        published_at=timezone.now(),
    )


def test_an_editor_builds_issue_8_sends_it_and_families_read_and_print_it(cast):
    article = _article(cast)
    admin = cast.client(cast.admin_zhang)
    response = admin.post("/newspaper/new/", {"number": "8", "date": "2026-05-20", "title": "五月刊"})
    assert response.status_code == 302
    issue = Issue.objects.get()
    assert (issue.number, issue.date, issue.status) == (8, datetime.date(2026, 5, 20), "draft")
    # A draft is the editors' only.
    assert cast.client(cast.alice).get(f"/newspaper/{issue.pk}/").status_code == 404
    edit = f"/newspaper/{issue.pk}/edit/"
    admin.post(edit, {"kind": "article", "article": article.pk})
    admin.post(
        edit,
        {
            "kind": "photo",
            "heading": "运动会",
            "text": "接力赛",
            "photo": SimpleUploadedFile("a.png", png_bytes(), content_type="image/png"),
        },
    )
    admin.post(edit, {"kind": "item", "heading": "温馨提示", "text": "天冷了，请给孩子添衣。"})
    # Bad input: a photo that is not one, an empty item, a second issue 8.
    response = admin.post(
        edit, {"kind": "photo", "photo": SimpleUploadedFile("x.png", b"%PDF-1.4 not a photo")}, follow=True
    )
    assert response.status_code == 200
    response = admin.post(edit, {"kind": "item", "text": " "}, follow=True)
    assert zh("Write the short item first.") in response.content.decode()
    response = admin.post("/newspaper/new/", {"number": "8", "date": "2026-07-01"})
    assert (zh("Issue %(n)d already exists.") % {"n": 8}) in response.content.decode()
    assert Issue.objects.count() == 1
    sections = list(issue.sections.order_by("position"))
    assert [s.kind for s in sections] == ["article", "photo", "item"]
    assert sections[0].heading == "春季家庭教育讲座回顾"
    # Move the item up.
    admin.post(f"/newspaper/sections/{sections[2].pk}/change/", {"how": "up"})
    assert [s.kind for s in issue.sections.order_by("position")] == ["article", "item", "photo"]

    assert admin.post(edit, {"send": "1"}).status_code == 302
    issue.refresh_from_db()
    assert issue.status == "sent" and issue.notice is not None
    notice = issue.notice
    assert notice.title == zh("Parent newspaper, issue %(n)d") % {"n": 8}
    assert f"/newspaper/{issue.pk}/" in notice.body_html
    assert Receipt.objects.filter(notice=notice).count() >= 3  # every family of the school
    # Sent: it can no longer change, and sending again sends nothing.
    admin.post(edit, {"kind": "item", "text": "补一条"})
    assert issue.sections.count() == 3
    admin.post(edit, {"send": "1"})
    assert Notice.objects.filter(title=notice.title).count() == 1

    carol = cast.client(cast.carol)
    page = carol.get(f"/newspaper/{issue.pk}/").content.decode()
    assert "五月刊" in page and "专家谈亲子沟通" in page and "天冷了" in page
    assert "五月刊" not in cast.client(cast.erin).get("/newspaper/").content.decode()
    assert "8" in carol.get("/newspaper/").content.decode()
    photo = sections[1]
    assert carol.get(f"/newspaper/sections/{photo.pk}/photo/").status_code == 200
    assert cast.client(cast.erin).get(f"/newspaper/sections/{photo.pk}/photo/").status_code == 404

    response = carol.get(f"/newspaper/{issue.pk}/pdf/")
    if response.status_code == 503:
        pytest.skip("WeasyPrint/Pango is not installed here")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(response.content))
    text = "".join(page.extract_text() for page in reader.pages)
    assert "家长报" in text and "第8期" in text and "阳光小学" in text
    width, height = reader.pages[0].mediabox.width, reader.pages[0].mediabox.height
    assert (round(float(width)), round(float(height))) == (595, 842)  # A4 in points


def test_only_published_column_articles_go_in_the_newspaper(cast):
    draft = Article.objects.create(school=cast.school, title="草稿", body_html="<p>x</p>", author_name="李老师")
    issue = Issue.objects.create(
        school=cast.school, number=3, date=datetime.date(2026, 3, 1), created_by=cast.admin_zhang
    )
    admin = cast.client(cast.admin_zhang)
    admin.post(f"/newspaper/{issue.pk}/edit/", {"kind": "article", "article": draft.pk})
    assert not Section.objects.exists()
    # An empty issue is not sent.
    response = admin.post(f"/newspaper/{issue.pk}/edit/", {"send": "1"}, follow=True)
    assert zh("Add something to the issue before sending it.") in response.content.decode()
    issue.refresh_from_db()
    assert issue.status == "draft"


def test_past_issues_are_listed_with_a_fixed_number_of_queries(cast, django_assert_max_num_queries):
    for n in range(1, 30):
        Issue.objects.create(
            school=cast.school, number=n, date=datetime.date(2026, 1, 1), status="sent", created_by=cast.admin_zhang
        )
    alice = cast.client(cast.alice)
    alice.get("/newspaper/")
    with django_assert_max_num_queries(15):
        response = alice.get("/newspaper/")
    assert "29" in response.content.decode()


def test_the_api_builds_and_sends_an_issue(cast):
    article = _article(cast)
    admin = cast.client(cast.admin_zhang)
    created = admin.post(
        "/api/v1/publishing/newspaper", {"number": 8, "date": "2026-05-20"}, content_type="application/json"
    )
    assert created.status_code == 201
    issue_id = created.json()["id"]
    added = admin.post(
        f"/api/v1/publishing/newspaper/{issue_id}/sections",
        {"kind": "article", "article_id": article.pk},
        content_type="application/json",
    )
    assert added.status_code == 201 and added.json()["sections"][0]["article_id"] == article.pk
    bad = admin.post(
        f"/api/v1/publishing/newspaper/{issue_id}/sections",
        {"kind": "item", "text": ""},
        content_type="application/json",
    )
    assert bad.status_code == 400 and bad.json()["detail"] == zh("Write the short item first.")
    sent = admin.post(f"/api/v1/publishing/newspaper/{issue_id}/send")
    assert sent.status_code == 200 and sent.json()["status"] == "sent"
    listed = cast.client(cast.bob).get("/api/v1/publishing/newspaper").json()
    assert [i["number"] for i in listed] == [8]
