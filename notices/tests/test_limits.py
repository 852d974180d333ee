"""A notice's text has a limit (issue 20: a 2,000,000-character body was published and copied into
every family's feed). Refused with a clear message on the page and in the API; nothing written."""

import pytest

from notices.actions import MAX_BODY_TEXT
from notices.models import Notice

from .test_notices import compose

pytestmark = pytest.mark.usefixtures("unscoped")


def test_a_text_too_long_is_refused_on_the_page_and_nothing_is_sent(cast):
    page = compose(
        cast.client(cast.ms_li), title="太长的通知", body="字" * (MAX_BODY_TEXT + 1), classes=[cast.class1.pk]
    )
    assert page.status_code == 400  # the form again, with the reason
    assert "太长" in page.content.decode()
    assert not Notice.objects.filter(title="太长的通知").exists()


def test_a_text_at_the_limit_is_sent(cast):
    compose(cast.client(cast.ms_li), title="长通知", body="字" * MAX_BODY_TEXT, classes=[cast.class1.pk])
    assert Notice.objects.filter(title="长通知").exists()


def test_the_api_refuses_a_huge_body_in_json(cast):
    response = cast.client(cast.ms_li).post(
        "/api/v1/notices",
        {
            "title": "巨大的通知",
            "body_html": "<p>" + "x" * 2_000_000 + "</p>",
            "targets": [{"kind": "class", "class_id": cast.class1.pk}],
        },
        content_type="application/json",
    )
    assert response.status_code in (400, 413) and response["Content-Type"].startswith("application/json")
    assert not Notice.objects.filter(title="巨大的通知").exists()


def test_an_edit_cannot_make_the_text_too_long(cast):
    li = cast.client(cast.ms_li)
    compose(li, title="周五活动", body="原文", classes=[cast.class1.pk])
    notice = Notice.objects.get(title="周五活动")
    li.post(f"/notices/{notice.pk}/edit/", {"title": "周五活动", "body": "字" * (MAX_BODY_TEXT + 1)})
    notice.refresh_from_db()
    assert notice.body_text == "原文" and notice.version == 1
