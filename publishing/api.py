"""The column, the newspaper and the public page in the JSON API: the same actions, queries and
access functions as the pages (the essay contest has its own router in ``api_contest``)."""

import datetime

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import translation
from ninja import Router, Schema, Status

from . import actions_articles, actions_newspaper, queries
from .access import (
    access_article_to_edit,
    access_article_to_read,
    access_article_to_review,
    access_comment_to_hide,
    access_editor_school,
    access_issue_to_edit,
    access_issue_to_read,
    access_public_school,
    access_reader_school,
    access_writer_school,
    is_editor,
    public_scope,
)
from .models import Article, Section, Space

router = Router(tags=["publishing"])


class ErrorOut(Schema):
    detail: str


def _error(exc: ValidationError) -> dict:
    return {"detail": " ".join(exc.messages)}


class ArticleItemOut(Schema):
    id: int
    title: str
    summary: str
    topic: str
    grades: str
    byline: str
    published_at: datetime.datetime | None


class ArticlePageOut(Schema):
    count: int
    page: int
    pages: int
    articles: list[ArticleItemOut]


class CommentOut(Schema):
    id: int
    author: str
    text: str
    created_at: datetime.datetime
    hidden: bool


class ArticleOut(Schema):
    id: int
    space: str
    title: str
    body_html: str
    topic: str
    grade_from: int | None
    grade_to: int | None
    byline: str
    status: str
    public: bool
    allow_comments: bool
    review_note: str
    published_at: datetime.datetime | None
    comments: list[CommentOut] = []


class ArticleIn(Schema):
    title: str
    body_html: str
    topic: str = "together"
    space: str = Space.COLUMN
    grade_from: int | None = None
    grade_to: int | None = None
    allow_comments: bool = False
    idempotency_key: str = ""


class ReviewIn(Schema):
    decision: str  # publish, return, withdraw, public, private
    note: str = ""
    public: bool = False


class CommentIn(Schema):
    text: str


class HideIn(Schema):
    hidden: bool = True


class SectionOut(Schema):
    id: int
    kind: str
    heading: str
    text: str
    article_id: int | None
    body_html: str


class IssueOut(Schema):
    id: int
    number: int
    date: datetime.date
    title: str
    status: str
    sent_at: datetime.datetime | None
    sections: list[SectionOut] = []


class IssueIn(Schema):
    number: int
    date: datetime.date
    title: str = ""


class SectionIn(Schema):
    kind: str  # article or item (a photo goes through the page's upload form)
    heading: str = ""
    article_id: int | None = None
    text: str = ""


class PublicPageItemOut(Schema):
    kind: str
    id: int
    title: str
    summary: str
    byline: str
    at: datetime.datetime


class PublicPageOut(Schema):
    school: str
    items: list[PublicPageItemOut]


def _item(a: Article) -> dict:
    return {
        "id": a.pk,
        "title": a.title,
        "summary": a.summary,
        "topic": a.topic,
        "grades": a.grades_label,
        "byline": a.author_name,
        "published_at": a.published_at,
    }


def _article(a: Article, comments=()) -> dict:
    return {
        "id": a.pk,
        "space": a.space,
        "title": a.title,
        "body_html": a.body_html,
        "topic": a.topic,
        "grade_from": a.grade_from,
        "grade_to": a.grade_to,
        "byline": a.author_name,
        "status": a.status,
        "public": a.public,
        "allow_comments": a.allow_comments,
        "review_note": a.review_note,
        "published_at": a.published_at,
        "comments": [
            {
                "id": c.pk,
                "author": c.author.display_name,
                "text": c.text,
                "created_at": c.created_at,
                "hidden": c.hidden_at is not None,
            }
            for c in comments
        ],
    }


def _issue(issue, sections=()) -> dict:
    return {
        "id": issue.pk,
        "number": issue.number,
        "date": issue.date,
        "title": issue.title,
        "status": issue.status,
        "sent_at": issue.sent_at,
        "sections": [
            {
                "id": s.pk,
                "kind": s.kind,
                "heading": s.heading,
                "text": s.text,
                "article_id": s.article_id,
                "body_html": s.article.body_html if s.article_id else "",
            }
            for s in sections
        ],
    }


@router.get("/publishing/articles", response=ArticlePageOut)
def publishing_articles(
    request,
    school_id: int | None = None,
    space: str = Space.COLUMN,
    topic: str = "",
    grade: int | None = None,
    page: int = 1,
):
    school = access_reader_school(request, school_id)
    if space not in Space.values or (space == Space.STAFF and not request.roles.is_staff_of(school.pk)):
        raise Http404
    result = queries.column_page(school, space=space, topic=topic, grade=grade, page=page)
    return {
        "count": result.paginator.count,
        "page": result.number,
        "pages": result.paginator.num_pages,
        "articles": [_item(a) for a in result],
    }


@router.get("/publishing/articles/{article_id}", response=ArticleOut)
def publishing_article(request, article_id: int):
    article = access_article_to_read(request, article_id)
    staff_view = is_editor(request, article.school_id) or (
        request.roles.is_staff_of(article.school_id) and article.author_id == request.user.pk
    )
    comments = queries.comments(article, staff_view=staff_view) if article.status == Article.Status.PUBLISHED else []
    return _article(article, comments)


@router.post("/publishing/articles", response={201: ArticleOut, 400: ErrorOut})
def publishing_article_create(request, payload: ArticleIn):
    school = access_writer_school(request)
    try:
        article = actions_articles.do_save_article(school, acting_user=request.user, **payload.dict())
    except ValidationError as exc:
        return Status(400, _error(exc))
    return Status(201, _article(article))


@router.put("/publishing/articles/{article_id}", response={200: ArticleOut, 400: ErrorOut})
def publishing_article_update(request, article_id: int, payload: ArticleIn):
    article = access_article_to_edit(request, article_id)
    data = payload.dict()
    data.pop("idempotency_key", None)
    try:
        article = actions_articles.do_save_article(article.school, acting_user=request.user, article=article, **data)
    except ValidationError as exc:
        return Status(400, _error(exc))
    return Status(200, _article(article))


@router.post("/publishing/articles/{article_id}/submit", response={200: ArticleOut, 400: ErrorOut})
def publishing_article_submit(request, article_id: int):
    article = access_article_to_edit(request, article_id)
    try:
        actions_articles.do_submit_article(article, acting_user=request.user)
    except ValidationError as exc:
        return Status(400, _error(exc))
    return Status(200, _article(article))


@router.post("/publishing/articles/{article_id}/review", response={200: ArticleOut, 400: ErrorOut})
def publishing_article_review(request, article_id: int, payload: ReviewIn):
    article = access_article_to_review(request, article_id)
    try:
        if payload.decision == "withdraw":
            actions_articles.do_withdraw_article(article, acting_user=request.user)
        elif payload.decision in ("public", "private"):
            actions_articles.do_set_article_public(
                article, acting_user=request.user, public=payload.decision == "public"
            )
        elif payload.decision in ("publish", "return"):
            actions_articles.do_review_article(
                article,
                acting_user=request.user,
                publish=payload.decision == "publish",
                note=payload.note,
                public=payload.public,
            )
        else:
            return Status(400, {"detail": "decision: publish, return, withdraw, public or private"})
    except ValidationError as exc:
        return Status(400, _error(exc))
    return Status(200, _article(article))


@router.get("/publishing/review", response=list[ArticleItemOut])
def publishing_review_queue(request):
    school = access_editor_school(request)
    return [_item(a) for a in queries.review_queue(school)]


@router.post("/publishing/articles/{article_id}/comments", response={201: CommentOut, 400: ErrorOut})
def publishing_comment(request, article_id: int, payload: CommentIn):
    article = access_article_to_read(request, article_id)
    try:
        c = actions_articles.do_comment(article, acting_user=request.user, text=payload.text)
    except ValidationError as exc:
        return Status(400, _error(exc))
    return Status(
        201,
        {"id": c.pk, "author": request.user.display_name, "text": c.text, "created_at": c.created_at, "hidden": False},
    )


@router.post("/publishing/comments/{comment_id}/hide", response={204: None})
def publishing_comment_hide(request, comment_id: int, payload: HideIn):
    comment = access_comment_to_hide(request, comment_id)
    actions_articles.do_hide_comment(comment, acting_user=request.user, hidden=payload.hidden)
    return Status(204, None)


@router.get("/publishing/newspaper", response=list[IssueOut])
def publishing_issues(request, school_id: int | None = None):
    school = access_reader_school(request, school_id)
    return [_issue(i) for i in queries.issues(school, with_drafts=is_editor(request, school.pk))]


@router.get("/publishing/newspaper/{issue_id}", response=IssueOut)
def publishing_issue(request, issue_id: int):
    issue = access_issue_to_read(request, issue_id)
    return _issue(issue, queries.sections(issue))


@router.post("/publishing/newspaper", response={201: IssueOut, 400: ErrorOut})
def publishing_issue_create(request, payload: IssueIn):
    school = access_editor_school(request)
    try:
        issue = actions_newspaper.do_create_issue(
            school, acting_user=request.user, number=payload.number, date=payload.date, title=payload.title
        )
    except ValidationError as exc:
        return Status(400, _error(exc))
    return Status(201, _issue(issue))


@router.post("/publishing/newspaper/{issue_id}/sections", response={201: IssueOut, 400: ErrorOut})
def publishing_section_add(request, issue_id: int, payload: SectionIn):
    issue = access_issue_to_edit(request, issue_id)
    article = access_article_to_read(request, payload.article_id) if payload.article_id else None
    if payload.kind == Section.Kind.PHOTO:
        return Status(400, {"detail": "kind: article or item"})
    try:
        actions_newspaper.do_add_section(
            issue,
            acting_user=request.user,
            kind=payload.kind,
            heading=payload.heading,
            article=article,
            text=payload.text,
        )
    except ValidationError as exc:
        return Status(400, _error(exc))
    return Status(201, _issue(issue, queries.sections(issue)))


@router.post("/publishing/newspaper/{issue_id}/send", response={200: IssueOut, 400: ErrorOut})
def publishing_issue_send(request, issue_id: int):
    issue = access_issue_to_edit(request, issue_id)
    try:
        actions_newspaper.do_send_issue(issue, acting_user=request.user, roles=request.roles, request=request)
    except ValidationError as exc:
        return Status(400, _error(exc))
    return Status(200, _issue(issue, queries.sections(issue)))


@router.get("/publishing/public/{code}", auth=None, response=PublicPageOut)
def publishing_public(request, code: str):
    """The school's public page as JSON: no sign-in, nothing about a child or a family."""
    school = access_public_school(code)
    with public_scope(school), translation.override("zh-hans"):
        items = queries.public_items(school)
    return {
        "school": school.name,
        "items": [
            {"kind": i.kind, "id": i.id, "title": i.title, "summary": i.summary, "byline": i.byline, "at": i.at}
            for i in items
        ],
    }
