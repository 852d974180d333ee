"""The school's public page and its Atom feed: no sign-in, nothing about a child, a family or a
class's members, cacheable (ETag, Last-Modified, Cache-Control public, 304), and the same number
of queries from 20 to 2,000 articles."""

import pytest
from defusedxml import ElementTree as ET
from django.core.cache import cache
from django.utils import timezone

from conftest import zh
from notices.models import Notice, NoticeTarget
from publishing.models import Article, Comment, PublicNotice

pytestmark = pytest.mark.usefixtures("unscoped")


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


def _article(cast, **extra) -> Article:
    data = {
        "school": cast.school,
        "title": "怎样陪孩子写作业",
        "body_html": "<p>陪伴而不代替。</p>",
        "body_text": "陪伴而不代替。",
        "author": cast.ms_li,
        "author_name": "李老师",
        "status": "published",
        "published_at": timezone.now(),
        "public": True,
        "allow_comments": True,
        **extra,
    }
    return Article.objects.create(**data)


def _notice(cast, title="关于冬季作息时间调整的通知", kind=NoticeTarget.Kind.SCHOOL) -> Notice:
    notice = Notice.objects.create(
        school=cast.school,
        author=cast.admin_zhang,
        title=title,
        body_html="<p>自12月起下午放学时间调整为16:30。</p>",
        body_text="自12月起下午放学时间调整为16:30。",
        status="published",
        published_at=timezone.now(),
    )
    NoticeTarget.objects.create(
        school=cast.school,
        notice=notice,
        kind=kind,
        school_class=cast.class1 if kind == NoticeTarget.Kind.CLASS else None,
    )
    return notice


# Everything personal in the cast: pupils, guardians (and the parent users), class rosters, phones.
PERSONAL = [
    "刘小明",
    "陈小红",
    "周小刚",
    "刘爱丽",
    "陈波",
    "周可",
    "13800000001",
    "13800000002",
    "13800000003",
    "2024001",
    "三年级1班",
]


def test_the_public_page_shows_public_articles_and_notices_newest_first_and_nothing_personal(cast):
    _article(cast)
    _article(cast, title="草稿不应出现", status="draft", public=False, published_at=None)
    _article(cast, title="只给本校家长看", public=False)
    parent_piece = _article(cast, title="我家的阅读角", author=cast.alice, author_name="刘爱丽", source="parent")
    Comment.objects.create(school=cast.school, article=parent_piece, author=cast.bob, text="陈波的评论")
    notice = _notice(cast)
    _notice(cast, title="三年级1班春游", kind=NoticeTarget.Kind.CLASS)  # never offered
    admin = cast.client(cast.admin_zhang)
    assert admin.post("/column/public-notices/", {"notice": notice.pk, "public": "1"}).status_code == 302
    # A class notice cannot be made public.
    other = Notice.objects.get(title="三年级1班春游")
    assert admin.post("/column/public-notices/", {"notice": other.pk, "public": "1"}).status_code == 404

    anonymous = cast.client()
    response = anonymous.get(f"/s/{cast.school.code}/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "阳光小学" in body and "怎样陪孩子写作业" in body and "冬季作息" in body and "我家的阅读角" in body
    assert body.index("冬季作息") < body.index("怎样陪孩子写作业")  # newest first
    for absent in ["草稿不应出现", "只给本校家长看", "三年级1班春游", "陈波的评论", *PERSONAL]:
        assert absent not in body, absent
    assert zh("a parent of the school") in body
    assert "csrf" not in body.lower() and "sessionid" not in response.cookies and "csrftoken" not in response.cookies

    feed = anonymous.get(f"/s/{cast.school.code}/feed.atom")
    assert feed.status_code == 200 and feed["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(feed.content)
    titles = [e.findtext("{http://www.w3.org/2005/Atom}title") for e in root.iter("{http://www.w3.org/2005/Atom}entry")]
    assert set(titles) == {"关于冬季作息时间调整的通知", "怎样陪孩子写作业", "我家的阅读角"}
    for absent in PERSONAL:
        assert absent not in feed.content.decode(), absent

    piece = anonymous.get(f"/s/{cast.school.code}/articles/{parent_piece.pk}/")
    assert piece.status_code == 200 and "刘爱丽" not in piece.content.decode()
    hidden = Article.objects.get(title="只给本校家长看")
    assert anonymous.get(f"/s/{cast.school.code}/articles/{hidden.pk}/").status_code == 404
    assert anonymous.get(f"/s/{cast.school_b.code}/articles/{parent_piece.pk}/").status_code == 404
    assert anonymous.get("/s/no-such-school/").status_code == 404

    api = anonymous.get(f"/api/v1/publishing/public/{cast.school.code}")
    assert api.status_code == 200 and len(api.json()["items"]) == 3
    for absent in PERSONAL:
        assert absent not in api.content.decode("unicode_escape", errors="ignore")


def test_the_public_page_is_cacheable_and_answers_304(cast):
    _article(cast)
    client = cast.client()
    first = client.get(f"/s/{cast.school.code}/")
    assert first["Cache-Control"].startswith("public")
    assert first["ETag"] and first["Last-Modified"]
    again = client.get(f"/s/{cast.school.code}/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and not again.content
    feed = client.get(f"/s/{cast.school.code}/feed.atom")
    assert client.get(f"/s/{cast.school.code}/feed.atom", HTTP_IF_NONE_MATCH=feed["ETag"]).status_code == 304


def test_publishing_changes_the_page_at_once(cast, django_capture_on_commit_callbacks):
    article = _article(cast, public=False)
    client = cast.client()
    assert "怎样陪孩子写作业" not in client.get(f"/s/{cast.school.code}/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        cast.client(cast.admin_zhang).post(f"/column/{article.pk}/review/", {"decision": "public"})
    assert "怎样陪孩子写作业" in client.get(f"/s/{cast.school.code}/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        cast.client(cast.admin_zhang).post(f"/column/{article.pk}/review/", {"decision": "withdraw"})
    assert "怎样陪孩子写作业" not in client.get(f"/s/{cast.school.code}/").content.decode()


def test_an_article_naming_a_pupil_or_a_parent_cannot_go_public(cast):
    article = _article(
        cast, public=False, body_html="<p>刘小明的妈妈分享了经验</p>", body_text="刘小明的妈妈分享了经验"
    )
    response = cast.client(cast.admin_zhang).post(f"/column/{article.pk}/review/", {"decision": "public"}, follow=True)
    expected = zh("The text names a pupil or a family member (%(names)s): it cannot go on the public page.") % {
        "names": "刘小明"
    }
    assert expected in response.content.decode()
    article.refresh_from_db()
    assert not article.public
    notice = _notice(cast, title="表扬刘小明同学")
    cast.client(cast.admin_zhang).post("/column/public-notices/", {"notice": notice.pk, "public": "1"})
    assert not PublicNotice.objects.exists()


@pytest.mark.parametrize("count", [20, 2000])
def test_the_public_page_keeps_its_query_count(cast, count, django_assert_num_queries):
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
            public=True,
        )
        for i in range(count)
    )
    client = cast.client()
    with django_assert_num_queries(3):  # the school, the articles, the public notices
        assert client.get(f"/s/{cast.school.code}/").status_code == 200
    with django_assert_num_queries(0):  # drawn and kept: not a single query
        assert client.get(f"/s/{cast.school.code}/feed.atom").status_code == 200
