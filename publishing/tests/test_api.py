"""The column in the JSON API: the same access rules and messages as the pages."""

import pytest

from conftest import zh
from publishing.models import Article

pytestmark = pytest.mark.usefixtures("unscoped")


def post(client, url, data=None):
    return client.post(url, data or {}, content_type="application/json")


def test_write_submit_review_read_and_comment_through_the_api(cast):
    li, admin, alice = cast.client(cast.ms_li), cast.client(cast.admin_zhang), cast.client(cast.alice)
    bad = post(li, "/api/v1/publishing/articles", {"title": "", "body_html": "<p>x</p>"})
    assert bad.status_code == 400 and bad.json()["detail"] == zh("Give the article a title.")
    assert post(alice, "/api/v1/publishing/articles", {"title": "t", "body_html": "<p>x</p>"}).status_code == 404
    created = post(
        li,
        "/api/v1/publishing/articles",
        {"title": "陪孩子整理书包", "body_html": "<p>每晚一起整理</p>", "topic": "habits", "allow_comments": True},
    )
    assert created.status_code == 201
    article_id = created.json()["id"]
    assert created.json()["status"] == "draft"
    assert alice.get(f"/api/v1/publishing/articles/{article_id}").status_code == 404
    assert post(li, f"/api/v1/publishing/articles/{article_id}/submit").json()["status"] == "submitted"
    assert [a["id"] for a in admin.get("/api/v1/publishing/review").json()] == [article_id]
    assert post(li, f"/api/v1/publishing/articles/{article_id}/review", {"decision": "publish"}).status_code == 404
    reviewed = post(admin, f"/api/v1/publishing/articles/{article_id}/review", {"decision": "publish"})
    assert reviewed.status_code == 200 and reviewed.json()["status"] == "published"
    listed = alice.get("/api/v1/publishing/articles?topic=habits").json()
    assert listed["count"] == 1 and listed["articles"][0]["title"] == "陪孩子整理书包"
    comment = post(alice, f"/api/v1/publishing/articles/{article_id}/comments", {"text": "好方法"})
    assert comment.status_code == 201
    empty = post(alice, f"/api/v1/publishing/articles/{article_id}/comments", {"text": ""})
    assert empty.status_code == 400 and empty.json()["detail"] == zh("Write your comment first.")
    comment_id = comment.json()["id"]
    assert post(cast.client(cast.bob), f"/api/v1/publishing/comments/{comment_id}/hide").status_code == 404
    assert post(li, f"/api/v1/publishing/comments/{comment_id}/hide", {"hidden": True}).status_code == 204
    shown = cast.client(cast.bob).get(f"/api/v1/publishing/articles/{article_id}").json()
    assert shown["comments"] == []
    assert cast.client(cast.erin).get(f"/api/v1/publishing/articles/{article_id}").status_code == 404
    assert Article.objects.get().reviewed_by == cast.admin_zhang
