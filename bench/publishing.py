"""Public page benchmark (issue 16): how many requests per second the school's public page
(``/s/<code>/``, no sign-in) answers, against a bare Django view that returns the same bytes.

Run from the repository root:

    .venv/bin/python bench/publishing.py             # SQLite in a temporary file
    .venv/bin/python bench/publishing.py --postgres  # postgres://postgres@127.0.0.1:5432/tongxin

It never touches real data (``bench/harness.py``: a throwaway database, removed afterwards).

The school has ``--articles`` published column articles (2,000; one in ten on the public page) and
20 whole-school notices, 10 of them marked public. Both views are served in-process by Django's
WSGI handler (``django.test.Client``, anonymous: no session, no cookie), through the whole
middleware stack of ``tongxin.settings`` (security, WhiteNoise, sessions, locale, CSRF, auth, the
school scope, CSP...), so what is compared is the page's own work: the bare view is mounted on
``/bench-bare/`` and returns the public page's bytes from a Python variable, with nothing else.

Each round asks each view ``--requests`` times (alternating which goes first), for ``--rounds``
rounds; the rates are the medians. Printed: the rate of each, the cold rate (the page's cache
dropped before every request, so every request draws the page: 3 queries and the template), and
as the last line ``public_page_vs_bare_ratio: X`` (goal ≥ 0.5). The answers are checked: 200, the
same bytes, no ``Set-Cookie``; a conditional request with the ETag is a 304.
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import run_in_throwaway_database

BARE_BODY: bytes = b""


def bare_view(request):
    from django.http import HttpResponse

    return HttpResponse(BARE_BODY, content_type="text/html; charset=utf-8")


def _urlconf():
    import types

    from django.urls import include, path

    module = types.ModuleType("bench_publishing_urls")
    module.urlpatterns = [path("bench-bare/", bare_view), path("", include("tongxin.urls"))]  # type: ignore[attr-defined]
    sys.modules["bench_publishing_urls"] = module
    return "bench_publishing_urls"


def _school(articles: int):
    from django.utils import timezone
    from django_scopes import scopes_disabled

    from accounts.models import User
    from notices.models import Notice, NoticeTarget
    from publishing.models import Article, PublicNotice
    from schools.models import School, StaffMember

    with scopes_disabled():
        school = School.objects.create(name="阳光小学", code="bench")
        admin = User.objects.create_user("bench_admin", "x", name="张主任", phone="13900000001")
        StaffMember.objects.create(school=school, user=admin, is_school_admin=True)
        now = timezone.now()
        body = "<p>" + "每天陪孩子读二十分钟书，聊一聊书里的人物。" * 12 + "</p>"
        Article.objects.bulk_create(
            Article(
                school=school,
                title=f"家庭教育第{i}讲",
                body_html=body,
                body_text=body,
                summary="每天陪孩子读二十分钟书……",
                author_name="李老师",
                status="published",
                published_at=now - timezone.timedelta(hours=i),
                public=i % 10 == 0,
            )
            for i in range(articles)
        )
        for i in range(20):
            notice = Notice.objects.create(
                school=school,
                author=admin,
                title=f"学校通知{i}",
                body_html="<p>通知正文</p>",
                body_text="通知正文",
                status="published",
                published_at=now - timezone.timedelta(hours=3 * i),
            )
            NoticeTarget.objects.create(school=school, notice=notice, kind=NoticeTarget.Kind.SCHOOL)
            if i % 2 == 0:
                PublicNotice.objects.create(school=school, notice=notice, marked_by=admin)
    return school


def _rate(client, url: str, n: int, before=None) -> float:
    started = time.perf_counter()
    for _ in range(n):
        if before is not None:
            before()
        response = client.get(url)
        assert response.status_code == 200
    return n / (time.perf_counter() - started)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)

    def run(setup_seconds: float) -> int:
        global BARE_BODY
        from django.conf import settings
        from django.core.cache import cache
        from django.db import connection
        from django.test import Client
        from django.test.utils import override_settings

        from publishing.actions_articles import public_cache_key

        school = _school(args.articles)
        with override_settings(ROOT_URLCONF=_urlconf(), ALLOWED_HOSTS=["*"], DEBUG=False):
            client = Client()
            url = f"/s/{school.code}/"
            first = client.get(url)
            assert first.status_code == 200 and "Set-Cookie" not in first, first.headers
            BARE_BODY = first.content
            assert client.get("/bench-bare/").content == first.content
            assert client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
            page_rates, bare_rates, cold_rates = [], [], []
            for r in range(args.rounds):
                order = [("page", url), ("bare", "/bench-bare/")]
                if r % 2:
                    order.reverse()
                for name, target in order:
                    rate = _rate(client, target, args.requests)
                    (page_rates if name == "page" else bare_rates).append(rate)
                cold_rates.append(
                    _rate(
                        client,
                        url,
                        max(args.requests // 10, 10),
                        before=lambda: cache.delete(public_cache_key(school.pk)),
                    )
                )
        page, bare, cold = (statistics.median(x) for x in (page_rates, bare_rates, cold_rates))
        print(f"database: {connection.vendor} (throwaway); cache: {settings.CACHES['default']['BACKEND']}")
        print(f"setup {setup_seconds:.1f} s; {args.articles} articles, {len(first.content)} bytes a page")
        print(f"rounds: {args.rounds} × {args.requests} requests each; medians")
        print(f"public page: {page:,.0f} req/s (rounds: {', '.join(f'{x:,.0f}' for x in page_rates)})")
        print(f"bare view, same bytes: {bare:,.0f} req/s (rounds: {', '.join(f'{x:,.0f}' for x in bare_rates)})")
        print(f"public page drawn every time (cache dropped): {cold:,.0f} req/s = {cold / bare:.2f} × bare")
        print(f"public_page_vs_bare_ratio: {page / bare:.2f}")
        return 0

    return run_in_throwaway_database("publishing", postgres=args.postgres, run=run)


if __name__ == "__main__":
    sys.exit(main())
