"""The column: writing, review (审核), reading, comments, an invited parent, bad input, and the
query counts of the column list from 20 to 2,000 articles."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from audit.models import AuditEntry
from conftest import zh
from publishing.actions_articles import do_publish_external_article
from publishing.models import Article, Comment, Editor, Invitation

pytestmark = pytest.mark.usefixtures("unscoped")

BODY = "<p>每天睡前和孩子一起读二十分钟书。</p><script>alert(1)</script>"


def write(client, **extra):
    data = {
        "title": "亲子共读的三个小习惯",
        "body_html": BODY,
        "topic": "reading",
        "space": "column",
        "grade_from": "1",
        "grade_to": "3",
        "allow_comments": "on",
        "submit": "review",
        **extra,
    }
    return client.post("/column/write/", data)


def png_bytes() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, format="PNG")
    return buffer.getvalue()


def test_a_teacher_writes_an_editor_publishes_and_a_parent_reads(cast):
    response = write(cast.client(cast.ms_li))
    assert response.status_code == 302
    article = Article.objects.get()
    assert article.status == "submitted" and article.author == cast.ms_li and article.author_name == "李老师"
    assert "<script>" not in article.body_html and "二十分钟" in article.body_html
    assert (article.grade_from, article.grade_to) == (1, 3)
    # Not published yet: a parent cannot read it, the column does not list it.
    alice = cast.client(cast.alice)
    assert alice.get(f"/column/{article.pk}/").status_code == 404
    assert "亲子共读" not in alice.get("/column/").content.decode()
    # The author is not an editor: reviewing is refused.
    assert cast.client(cast.ms_li).post(f"/column/{article.pk}/review/", {"decision": "publish"}).status_code == 404
    admin = cast.client(cast.admin_zhang)
    assert "亲子共读" in admin.get("/column/review/").content.decode()
    assert admin.post(f"/column/{article.pk}/review/", {"decision": "publish"}).status_code == 302
    article.refresh_from_db()
    assert article.status == "published" and article.reviewed_by == cast.admin_zhang and not article.public
    page = alice.get("/column/").content.decode()
    assert "亲子共读" in page
    assert "二十分钟" in alice.get(f"/column/{article.pk}/").content.decode()
    assert cast.client(cast.erin).get(f"/column/{article.pk}/").status_code == 404
    assert AuditEntry.objects.filter(action="publishing.article_publish", actor=cast.admin_zhang).exists()


def test_an_editor_returns_a_draft_with_a_note_and_the_author_changes_it(cast):
    write(cast.client(cast.ms_li))
    article = Article.objects.get()
    Editor.objects.create(school=cast.school, user=cast.mr_wang)
    wang = cast.client(cast.mr_wang)
    response = wang.post(f"/column/{article.pk}/review/", {"decision": "return"}, follow=True)
    assert zh("Say what should change before returning the article.") in response.content.decode()
    wang.post(f"/column/{article.pk}/review/", {"decision": "return", "note": "请加一个例子"})
    article.refresh_from_db()
    assert article.status == "returned" and article.review_note == "请加一个例子"
    li = cast.client(cast.ms_li)
    assert "请加一个例子" in li.get("/column/mine/").content.decode()
    li.post(
        f"/column/{article.pk}/edit/",
        {
            "title": "亲子共读（修改）",
            "body_html": "<p>例如……</p>",
            "topic": "reading",
            "space": "column",
            "submit": "review",
        },
    )
    article.refresh_from_db()
    assert article.status == "submitted" and article.title == "亲子共读（修改）"


def test_the_staff_space_is_for_staff_only(cast):
    write(cast.client(cast.ms_li), space="staff", title="班会怎么开")
    article = Article.objects.get()
    cast.client(cast.admin_zhang).post(f"/column/{article.pk}/review/", {"decision": "publish", "public": "on"})
    article.refresh_from_db()
    assert article.status == "submitted"  # a staff-space piece cannot go public: refused, nothing written
    cast.client(cast.admin_zhang).post(f"/column/{article.pk}/review/", {"decision": "publish"})
    assert "班会怎么开" in cast.client(cast.mr_wang).get("/column/staff/").content.decode()
    assert cast.client(cast.alice).get(f"/column/{article.pk}/").status_code == 404
    assert cast.client(cast.alice).get("/column/staff/").status_code == 404
    assert "班会怎么开" not in cast.client(cast.alice).get("/column/").content.decode()


def test_bad_input_is_refused_with_a_message_and_nothing_written(cast):
    li = cast.client(cast.ms_li)
    response = write(
        li,
        title="  ",
    )
    assert response.status_code == 200 and zh("Give the article a title.") in response.content.decode()
    response = write(li, body_html="<script>x</script>")
    assert zh("Write the article first.") in response.content.decode()
    response = write(li, grade_from="5", grade_to="2")
    assert zh("The first grade must not be after the last.") in response.content.decode()
    fake = SimpleUploadedFile("cover.jpg", b"MZ\x90\x00 this is a program", content_type="image/jpeg")
    response = write(li, cover=fake)
    assert response.status_code == 200
    assert not Article.objects.exists()
    good = SimpleUploadedFile("cover.png", png_bytes(), content_type="image/png")
    assert write(li, cover=good).status_code == 302
    article = Article.objects.get()
    assert article.cover.name.endswith(".png")
    cover = cast.client(cast.alice).get(f"/column/{article.pk}/cover/")
    assert cover.status_code == 404  # not published yet
    cast.client(cast.admin_zhang).post(f"/column/{article.pk}/review/", {"decision": "publish"})
    cover = cast.client(cast.alice).get(f"/column/{article.pk}/cover/")
    assert cover.status_code == 200 and cover["Content-Type"] == "image/png"


def test_the_same_write_twice_makes_one_article(cast):
    li = cast.client(cast.ms_li)
    write(li, idempotency_key="k-1")
    write(li, idempotency_key="k-1")
    assert Article.objects.count() == 1


def _published(cast, **extra) -> Article:
    now = timezone.now()
    data = {
        "school": cast.school,
        "title": "好习惯",
        "body_html": "<p>早睡早起</p>",
        "body_text": "早睡早起",
        "author": cast.ms_li,
        "author_name": "李老师",
        "status": "published",
        "published_at": now,
        "allow_comments": True,
        **extra,
    }
    return Article.objects.create(**data)


def test_families_comment_through_the_guardrails_and_staff_hide_a_comment(cast):
    article = _published(cast)
    alice, bob = cast.client(cast.alice), cast.client(cast.bob)
    assert alice.post(f"/column/{article.pk}/", {"text": "谢谢老师，很有用"}).status_code == 302
    assert alice.post(f"/column/{article.pk}/", {"text": "谢谢老师，很有用"}).status_code == 302  # a double tap
    # A comment that ranks children by name breaks the class-channel rules: refused, nothing kept.
    response = bob.post(f"/column/{article.pk}/", {"text": "刘小明这次考试全班倒数第一"})
    assert response.status_code == 200
    assert Comment.objects.count() == 1
    comment = Comment.objects.get()
    # Empty: refused.
    response = bob.post(f"/column/{article.pk}/", {"text": "  "})
    assert zh("Write your comment first.") in response.content.decode()
    # The author hides the comment: families no longer see it, staff see it marked.
    assert cast.client(cast.ms_li).post(f"/column/comments/{comment.pk}/hide/").status_code == 302
    assert "很有用" not in bob.get(f"/column/{article.pk}/").content.decode()
    assert "很有用" in cast.client(cast.admin_zhang).get(f"/column/{article.pk}/").content.decode()
    assert AuditEntry.objects.filter(action="publishing.comment_hide").exists()
    # Closed comments: refused.
    Article.objects.filter(pk=article.pk).update(allow_comments=False)
    response = alice.post(f"/column/{article.pk}/", {"text": "再说一句"})
    assert zh("Comments are closed on this article.") in response.content.decode()
    assert Comment.objects.count() == 1


def test_an_invited_parent_writes_a_draft_reviewed_like_any_other(cast):
    alice = cast.client(cast.alice)
    assert alice.get("/column/write/").status_code == 404  # a parent writes only when invited
    admin = cast.client(cast.admin_zhang)
    response = admin.post("/column/invite/", {"phone": "138 0000 0001", "note": "写写您家的阅读角"})
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert invitation.user == cast.alice
    page = alice.get("/column/").content.decode()
    assert f"/column/invitations/{invitation.pk}/write/" in page
    assert cast.client(cast.bob).get(f"/column/invitations/{invitation.pk}/write/").status_code == 404
    response = alice.post(
        f"/column/invitations/{invitation.pk}/write/",
        {
            "title": "我家的阅读角",
            "body_html": "<p>一个书架</p>",
            "topic": "reading",
            "space": "staff",
            "submit": "review",
        },
    )
    assert response.status_code == 302
    article = Article.objects.get()
    assert (article.source, article.space, article.status) == ("parent", "column", "submitted")
    # Used: the invitation is gone from the column.
    assert alice.get(f"/column/invitations/{invitation.pk}/write/").status_code == 404
    admin.post(f"/column/{article.pk}/review/", {"decision": "publish", "public": "on"})
    article.refresh_from_db()
    assert article.public


def test_external_articles_from_the_contest_are_published_once(cast):
    kwargs = {
        "acting_user": cast.admin_zhang,
        "title": "我的教育故事",
        "body_html": "<p>一等奖作品</p>",
        "author_name": "三(2)班 周可家长",
        "idempotency_key": "contest-entry-7",
    }
    first = do_publish_external_article(cast.school, **kwargs)
    again = do_publish_external_article(cast.school, **kwargs)
    assert first.pk == again.pk and first.status == "published" and first.source == "contest"
    assert not first.public
    assert "我的教育故事" in cast.client(cast.carol).get("/column/").content.decode()


@pytest.mark.parametrize("count", [20, 2000])
def test_the_column_list_keeps_its_query_count(cast, count, django_assert_max_num_queries):
    now = timezone.now()
    Article.objects.bulk_create(
        Article(
            school=cast.school,
            title=f"第{i}篇",
            body_html="<p>x</p>",
            body_text="x",
            author_name="李老师",
            status="published",
            published_at=now,
            topic="reading",
        )
        for i in range(count)
    )
    alice = cast.client(cast.alice)
    alice.get("/column/")
    with django_assert_max_num_queries(16):
        response = alice.get("/column/?topic=reading&grade=3&page=2")
    assert response.status_code == 200
    api = cast.client(cast.alice)
    api.get("/api/v1/publishing/articles")
    with django_assert_max_num_queries(9):  # session, user, roles (3), school, count, page
        assert api.get("/api/v1/publishing/articles?page=2").status_code == 200
