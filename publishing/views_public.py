"""The school's public page (R6), with no sign-in: its name, its published public column articles
and the notices marked public, newest first, one public article's page, and an Atom feed.

Nothing about a child, a family or a class's members appears: only articles an editor put on the
page (refused when they name a pupil or a guardian of the school), a parent's article without the
parent's name, never comments.

Fast and cacheable: the page and the feed are drawn once (outside any request context, so no
session, cookie or CSRF token is touched and nothing varies by visitor), kept in the cache with
their ETag and Last-Modified until something they show changes (the actions drop the cache after
commit) or for ``PUBLIC_TTL`` seconds; a repeat visit costs no database query at all (a school
whose code changes keeps its page under the old code for at most that long), and a conditional one
gets a 304. ``Cache-Control: public`` lets a proxy or CDN keep them too."""

import hashlib

from django.core.cache import cache
from django.http import HttpResponse, HttpResponseNotModified
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import feedgenerator, translation
from django.utils.http import http_date, parse_etags
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from . import queries
from .access import access_public_article, access_public_school, public_scope
from .actions_articles import public_cache_key

PUBLIC_TTL = 300
CODE_KEY = "publishing:public-code:"
MAX_AGE = 60


def _drawings(code: str) -> dict:
    """The public page and feed of a school, drawn (from the cache when possible: then without a
    single database query, the school's id too being kept by its code for ``PUBLIC_TTL``)."""
    school_id = cache.get(CODE_KEY + code)
    if school_id is not None:
        cached = cache.get(public_cache_key(school_id))
        if cached is not None and cached.get("code") == code:
            return cached
    school = access_public_school(code)
    cache.set(CODE_KEY + code, school.pk, PUBLIC_TTL)
    with public_scope(school), translation.override("zh-hans"):
        items = queries.public_items(school)
        page = render_to_string("publishing/public.html", {"school": school, "items": items}).encode()
        feed = _atom(school, items)
    updated = max((i.at for i in items), default=school.created_at)
    drawn = {
        "code": code,
        "page": page,
        "feed": feed,
        "etag": '"' + hashlib.sha256(page).hexdigest()[:32] + '"',
        "feed_etag": '"' + hashlib.sha256(feed).hexdigest()[:32] + '"',
        "last_modified": http_date(updated.timestamp()),
    }
    cache.set(public_cache_key(school.pk), drawn, PUBLIC_TTL)
    return drawn


def _atom(school, items) -> bytes:
    base = reverse("publishing:public", kwargs={"code": school.code})
    feed = feedgenerator.Atom1Feed(
        title=_("%(school)s: articles and notices") % {"school": school.name},
        link=base,
        description="",
        language="zh-cn",
        feed_url=reverse("publishing:public_feed", kwargs={"code": school.code}),
    )
    for item in items:
        link = (
            reverse("publishing:public_article", kwargs={"code": school.code, "article_id": item.id})
            if item.kind == "article"
            else f"{base}#notice-{item.id}"
        )
        feed.add_item(
            title=item.title,
            link=link,
            description=item.body_html,
            unique_id=f"tag:tongxin,{school.code}:{item.kind}:{item.id}",
            pubdate=item.at,
            updateddate=item.at,
            author_name=item.byline or school.name,
        )
    return feed.writeString("utf-8").encode()


def _answer(request, body: bytes, etag: str, last_modified: str, content_type: str) -> HttpResponse:
    if etag in parse_etags(request.headers.get("If-None-Match", "")):
        response: HttpResponse = HttpResponseNotModified()
    else:
        response = HttpResponse(body, content_type=content_type)
    response["ETag"] = etag
    response["Last-Modified"] = last_modified
    response["Cache-Control"] = f"public, max-age={MAX_AGE}"
    return response


@require_GET
def public(request, code: str):
    drawn = _drawings(code)
    return _answer(request, drawn["page"], drawn["etag"], drawn["last_modified"], "text/html; charset=utf-8")


@require_GET
def public_feed(request, code: str):
    drawn = _drawings(code)
    return _answer(
        request, drawn["feed"], drawn["feed_etag"], drawn["last_modified"], "application/atom+xml; charset=utf-8"
    )


@require_GET
def public_article(request, code: str, article_id: int):
    school = access_public_school(code)
    with public_scope(school), translation.override("zh-hans"):
        article = access_public_article(school, article_id)
        body = render_to_string(
            "publishing/public_article.html",
            {"school": school, "article": article, "byline": queries.public_byline(article)},
        ).encode()
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    return _answer(
        request,
        body,
        etag,
        http_date((article.published_at or article.created_at).timestamp()),
        "text/html; charset=utf-8",
    )
