"""Reads of the column, the public page and the newspaper, each a fixed number of queries whatever
the number of articles (pinned in the tests from 20 to 2,000)."""

import datetime
from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db.models import Count, Q, QuerySet

from notices.models import Notice

from .models import Article, Comment, Invitation, Issue, PublicNotice, Section, Space

PAGE_SIZE = 20
PUBLIC_LIMIT = 30


def column_page(
    school,
    *,
    space: str = Space.COLUMN,
    topic: str = "",
    grade: int | None = None,
    page: int | str = 1,
) -> Page:
    """One page of published articles, newest first (two queries: the count and the page)."""
    articles = Article.objects.filter(school=school, space=space, status=Article.Status.PUBLISHED).only(
        "id",
        "title",
        "summary",
        "topic",
        "grade_from",
        "grade_to",
        "author_name",
        "source",
        "published_at",
        "space",
        "public",
        "cover",
    )
    if topic:
        articles = articles.filter(topic=topic)
    if grade:
        articles = articles.filter(Q(grade_from__isnull=True) | Q(grade_from__lte=grade)).filter(
            Q(grade_to__isnull=True) | Q(grade_to__gte=grade)
        )
    return Paginator(articles.order_by("-published_at", "-id"), PAGE_SIZE).get_page(page)


def review_queue(school) -> QuerySet:
    return Article.objects.filter(school=school, status=Article.Status.SUBMITTED).order_by("submitted_at", "id")


def my_articles(user, school_ids) -> QuerySet:
    return (
        Article.objects.filter(author=user, school_id__in=school_ids)
        .exclude(status=Article.Status.WITHDRAWN)
        .order_by("-updated_at", "-id")[:50]
    )


def my_invitations(user, school_ids) -> QuerySet:
    return Invitation.objects.filter(user=user, school_id__in=school_ids, article__isnull=True).select_related("school")


def comments(article: Article, *, staff_view: bool) -> list[Comment]:
    """The comments (one query with their authors); staff also see the hidden ones, marked."""
    rows = Comment.objects.filter(article=article).select_related("author")
    if not staff_view:
        rows = rows.filter(hidden_at__isnull=True)
    return list(rows)


def comment_counts(article_ids: list[int]) -> dict[int, int]:
    rows = (
        Comment.objects.filter(article_id__in=article_ids, hidden_at__isnull=True)
        .values("article_id")
        .annotate(n=Count("id"))
    )
    return {r["article_id"]: r["n"] for r in rows}


@dataclass
class PublicItem:
    kind: str  # "article" or "notice"
    id: int
    title: str
    summary: str
    body_html: str
    byline: str
    at: datetime.datetime


def public_items(school) -> list[PublicItem]:
    """What the public page shows: published public column articles and the notices marked public,
    newest first (two queries). A parent's article carries no name: nothing about a family is
    shown to the world."""
    items: list[PublicItem] = []
    articles = (
        Article.objects.filter(school=school, public=True, status=Article.Status.PUBLISHED, space=Space.COLUMN)
        .order_by("-published_at", "-id")
        .only("id", "title", "summary", "body_html", "author_name", "source", "published_at", "created_at")[
            :PUBLIC_LIMIT
        ]
    )
    for a in articles:
        items.append(
            PublicItem(
                "article", a.pk, a.title, a.summary, a.body_html, public_byline(a), a.published_at or a.created_at
            )
        )
    marks = (
        PublicNotice.objects.filter(school=school, notice__status=Notice.Status.PUBLISHED)
        .select_related("notice")
        .only("notice__id", "notice__title", "notice__body_html", "notice__body_text", "notice__published_at")
        .order_by("-notice__published_at")[:PUBLIC_LIMIT]
    )
    for m in marks:
        n = m.notice
        text = (n.body_text or "").strip()
        items.append(
            PublicItem(
                "notice",
                n.pk,
                n.title,
                text[:118] + ("…" if len(text) > 118 else ""),
                n.body_html,
                "",
                n.published_at or m.marked_at,
            )
        )
    items.sort(key=lambda i: i.at, reverse=True)
    return items[:PUBLIC_LIMIT]


def public_byline(article: Article) -> str:
    from django.utils.translation import gettext as _

    if article.source == Article.Source.STAFF:
        return article.author_name
    if article.source == Article.Source.PARENT:
        return _("a parent of the school")
    return _("the essay contest")


def issues(school, *, with_drafts: bool) -> QuerySet:
    rows = Issue.objects.filter(school=school).annotate(section_count=Count("sections"))
    if not with_drafts:
        rows = rows.filter(status=Issue.Status.SENT)
    return rows.order_by("-number")


def sections(issue: Issue) -> list[Section]:
    return list(Section.objects.filter(issue=issue).select_related("article").order_by("position", "id"))


def articles_for_issue(school) -> QuerySet:
    return Article.objects.filter(school=school, status=Article.Status.PUBLISHED, space=Space.COLUMN).order_by(
        "-published_at"
    )[:100]


def public_notice_candidates(school) -> list[tuple[Notice, bool]]:
    """The school's recent published whole-school notices and whether each is on the public page."""
    from notices.models import NoticeTarget

    notices = list(
        Notice.objects.filter(school=school, status=Notice.Status.PUBLISHED, targets__kind=NoticeTarget.Kind.SCHOOL)
        .distinct()
        .order_by("-published_at")[:50]
    )
    marked = set(PublicNotice.objects.filter(school=school).values_list("notice_id", flat=True))
    return [(n, n.pk in marked) for n in notices]


def staff_with_editor(school) -> list:
    """The school's active staff (with their user), each marked ``is_editor`` (two queries)."""
    from schools.models import StaffMember

    from .models import Editor

    editors = set(Editor.objects.filter(school=school).values_list("user_id", flat=True))
    members = list(StaffMember.objects.filter(school=school, is_active=True).select_related("user").order_by("pk"))
    for m in members:
        m.is_editor = m.user_id in editors or m.is_school_admin  # type: ignore[attr-defined]
    return members
