"""Every write of the column: write and change an article, send it for review, publish or return it
(审核), withdraw it, comment and hide a comment, invite a parent to write, name editors, put a
whole-school notice on the public page, and ``do_publish_external_article`` for a piece from
outside the column's editor (the essay contest's winning entries, with the author's consent).

Each is one transaction with its audit row; the public page's cache is dropped after commit when
what it shows may have changed."""

import datetime
import re

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.actions import record
from audit.models import AuditEntry
from core.guardrails import check_class_message
from core.richtext import clean_html, html_to_text
from core.uploads import AcceptedUpload, UploadRefused, accept_upload
from guardrails.actions import do_check_guardrails
from guardrails.queries import school_rules
from schools.models import Guardian, StaffMember, Student

from .models import Article, Comment, Editor, Invitation, PublicNotice, Space, Topic

MAX_TITLE = 120
MAX_BODY = 50_000
MAX_COMMENT = 1000
MAX_COVER_BYTES = 5 * 1024 * 1024
RETRY_WINDOW = datetime.timedelta(minutes=10)


def public_cache_key(school_id: int) -> str:
    return f"publishing:public:{school_id}"


def forget_public_page(school_id: int) -> None:
    """Drop the public page's cached drawing after the transaction commits."""
    transaction.on_commit(lambda: cache.delete(public_cache_key(school_id)))


def accept_cover(upload) -> AcceptedUpload:
    """An image, checked from its bytes (its metadata stripped), or a clear message."""
    try:
        return accept_upload(upload, max_bytes=MAX_COVER_BYTES, allowed_kinds=("image",))
    except UploadRefused as exc:
        raise ValidationError(str(exc)) from None


def _grades(grade_from, grade_to) -> tuple[int | None, int | None]:
    def one(value):
        if value in (None, ""):
            return None
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise ValidationError(_("Choose grades between 1 and 6.")) from None
        if not 1 <= number <= 9:
            raise ValidationError(_("Choose grades between 1 and 6."))
        return number

    low, high = one(grade_from), one(grade_to)
    if low is not None and high is not None and low > high:
        raise ValidationError(_("The first grade must not be after the last."))
    return low, high


def _clean_fields(title: str, body_html: str, topic: str, space: str) -> tuple[str, str, str]:
    title = (title or "").strip()
    if not title:
        raise ValidationError(_("Give the article a title."))
    if len(title) > MAX_TITLE:
        raise ValidationError(_("Keep the title under %(n)d characters.") % {"n": MAX_TITLE})
    body = clean_html(body_html or "")
    text = html_to_text(body).strip()
    if not text:
        raise ValidationError(_("Write the article first."))
    if len(body) > MAX_BODY:
        raise ValidationError(_("The article is too long."))
    if topic not in Topic.values:
        raise ValidationError(_("Choose a topic."))
    if space not in Space.values:
        raise ValidationError(_("Choose where the article goes."))
    return title, body, text


def _summary(text: str) -> str:
    flat = re.sub(r"\s+", " ", text).strip()
    return flat if len(flat) <= 120 else flat[:118] + "…"


def _display_name(user) -> str:
    return (getattr(user, "name", "") or user.get_username())[:60]


def do_save_article(
    school,
    *,
    acting_user,
    article: Article | None = None,
    title: str,
    body_html: str,
    topic: str = Topic.TOGETHER,
    space: str = Space.COLUMN,
    grade_from=None,
    grade_to=None,
    allow_comments: bool = False,
    cover: AcceptedUpload | None = None,
    invitation: Invitation | None = None,
    idempotency_key: str = "",
) -> Article:
    """Write a new draft (``article`` None) or change one. A parent's draft (``invitation``) is
    always in the column."""
    if invitation is not None:
        space = Space.COLUMN
    title, body, text = _clean_fields(title, body_html, topic, space)
    low, high = _grades(grade_from, grade_to)
    if article is None and idempotency_key:
        existing = Article.objects.filter(school=school, idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing
    now = timezone.now()
    with transaction.atomic():
        if article is None:
            article = Article(
                school=school,
                author=acting_user,
                author_name=_display_name(acting_user),
                source=Article.Source.PARENT if invitation is not None else Article.Source.STAFF,
                invitation=invitation,
                idempotency_key=idempotency_key[:64],
                created_at=now,
            )
        article.title, article.body_html, article.body_text = title, body, text
        article.summary = _summary(text)
        article.topic, article.space = topic, space
        article.grade_from, article.grade_to = low, high
        article.allow_comments = bool(allow_comments)
        article.updated_at = now
        if article.space != Space.COLUMN:
            article.public = False
        if cover is not None:
            cover.store(article.cover)
        try:
            article.save()
        except IntegrityError:  # the same key, twice at once
            raise ValidationError(_("This article was already saved.")) from None
        record(
            AuditEntry.Action.ARTICLE_SAVED,
            actor=acting_user,
            school=school,
            target=article,
            summary=article.title,
        )
        if article.status == Article.Status.PUBLISHED:
            forget_public_page(school.pk)
    return article


def do_submit_article(article: Article, *, acting_user) -> Article:
    if article.status not in (Article.Status.DRAFT, Article.Status.RETURNED):
        raise ValidationError(_("Only a draft can be sent for review."))
    with transaction.atomic():
        article.status = Article.Status.SUBMITTED
        article.submitted_at = timezone.now()
        article.save(update_fields=["status", "submitted_at"])
        record(AuditEntry.Action.ARTICLE_SUBMITTED, actor=acting_user, school=article.school, target=article)
    return article


def personal_names_in(school_id: int, text: str) -> list[str]:
    """The names of the school's pupils and guardians that appear in ``text`` (two queries)."""
    names = set(Student.objects.filter(school_id=school_id).values_list("name", flat=True))
    names |= set(Guardian.objects.filter(school_id=school_id).values_list("name", flat=True))
    return sorted(n for n in names if len(n) >= 2 and n in text)


def _check_public(school_id: int, article: Article) -> None:
    """Nothing about a child or a family may reach the public page."""
    found = personal_names_in(school_id, article.title + "\n" + article.body_text)
    if found:
        raise ValidationError(
            _("The text names a pupil or a family member (%(names)s): it cannot go on the public page.")
            % {"names": "、".join(found)}
        )


def do_review_article(article: Article, *, acting_user, publish: bool, note: str = "", public: bool = False) -> Article:
    """审核: publish the article (on the public page too, if asked and it is a column article), or
    return it to its author with a note."""
    if article.status != Article.Status.SUBMITTED:
        raise ValidationError(_("Only an article waiting for review can be reviewed."))
    note = (note or "").strip()[:2000]
    if not publish and not note:
        raise ValidationError(_("Say what should change before returning the article."))
    if publish and public:
        if article.space != Space.COLUMN:
            raise ValidationError(_("Only column articles can go on the public page."))
        _check_public(article.school_id, article)
    now = timezone.now()
    with transaction.atomic():
        article.reviewed_by = acting_user
        article.review_note = note
        if publish:
            article.status = Article.Status.PUBLISHED
            article.published_at = now
            article.public = bool(public)
        else:
            article.status = Article.Status.RETURNED
        article.save(update_fields=["reviewed_by", "review_note", "status", "published_at", "public"])
        record(
            AuditEntry.Action.ARTICLE_PUBLISHED if publish else AuditEntry.Action.ARTICLE_RETURNED,
            actor=acting_user,
            school=article.school,
            target=article,
            summary=article.title,
            detail={"public": article.public} if publish else {},
        )
        if article.public:
            forget_public_page(article.school_id)
    return article


def do_set_article_public(article: Article, *, acting_user, public: bool) -> Article:
    if article.status != Article.Status.PUBLISHED or article.space != Space.COLUMN:
        raise ValidationError(_("Only published column articles can go on the public page."))
    if public:
        _check_public(article.school_id, article)
    with transaction.atomic():
        article.public = public
        article.save(update_fields=["public"])
        record(
            AuditEntry.Action.ARTICLE_PUBLISHED,
            actor=acting_user,
            school=article.school,
            target=article,
            summary=article.title,
            detail={"public": public},
        )
        forget_public_page(article.school_id)
    return article


def do_withdraw_article(article: Article, *, acting_user) -> Article:
    if article.status == Article.Status.WITHDRAWN:
        return article
    with transaction.atomic():
        article.status = Article.Status.WITHDRAWN
        article.public = False
        article.save(update_fields=["status", "public"])
        record(AuditEntry.Action.ARTICLE_WITHDRAWN, actor=acting_user, school=article.school, target=article)
        forget_public_page(article.school_id)
    return article


def do_publish_external_article(
    school,
    *,
    acting_user,
    title: str,
    body_html: str,
    author_name: str,
    source: str = Article.Source.CONTEST,
    topic: str = Topic.TOGETHER,
    space: str = Space.COLUMN,
    idempotency_key: str = "",
) -> Article:
    """Publish a piece written elsewhere (a winning essay-contest entry, with its author's consent)
    straight into the column, by ``acting_user`` (the organiser, an editor or an admin), under the
    byline ``author_name``. It is not on the public page until an editor puts it there. A second
    call with the same ``idempotency_key`` returns the first article."""
    title, body, text = _clean_fields(title, body_html, topic, space)
    author_name = (author_name or "").strip()[:60]
    if not author_name:
        raise ValidationError(_("Say whose piece it is."))
    if source not in Article.Source.values:
        raise ValidationError(_("Say where the piece comes from."))
    if idempotency_key:
        existing = Article.objects.filter(school=school, idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing
    now = timezone.now()
    with transaction.atomic():
        article = Article.objects.create(
            school=school,
            space=space,
            title=title,
            body_html=body,
            body_text=text,
            summary=_summary(text),
            topic=topic,
            author=None,
            author_name=author_name,
            source=source,
            status=Article.Status.PUBLISHED,
            reviewed_by=acting_user,
            created_at=now,
            updated_at=now,
            submitted_at=now,
            published_at=now,
            idempotency_key=idempotency_key[:64],
        )
        record(
            AuditEntry.Action.ARTICLE_PUBLISHED,
            actor=acting_user,
            school=school,
            target=article,
            summary=title,
            detail={"source": source},
        )
    return article


def do_comment(article: Article, *, acting_user, text: str) -> Comment:
    """A family's or a colleague's comment, where the author allows it, through the class-channel
    guardrails (a comment is read by every family of the school: no scores, no named criticism of a
    child); a comment that breaks them is refused with the reason and nothing is kept."""
    if article.status != Article.Status.PUBLISHED or not article.allow_comments:
        raise ValidationError(_("Comments are closed on this article."))
    text = (text or "").strip()
    if not text:
        raise ValidationError(_("Write your comment first."))
    if len(text) > MAX_COMMENT:
        raise ValidationError(_("Keep the comment under %(n)d characters.") % {"n": MAX_COMMENT})
    names = list(Student.objects.filter(school_id=article.school_id).values_list("name", flat=True))
    concerns = check_class_message(text, student_names=names, **school_rules(article.school_id).checker_kwargs)
    do_check_guardrails(article.school_id, concerns, "", acting_user=acting_user)
    # A double tap or a retry (the same words by the same person, just now) posts one comment.
    recent = timezone.now() - RETRY_WINDOW
    existing = Comment.objects.filter(
        article=article, author=acting_user, text=text, hidden_at__isnull=True, created_at__gte=recent
    ).first()
    if existing is not None:
        return existing
    return Comment.objects.create(school_id=article.school_id, article=article, author=acting_user, text=text)


def do_hide_comment(comment: Comment, *, acting_user, hidden: bool = True) -> Comment:
    with transaction.atomic():
        comment.hidden_at = timezone.now() if hidden else None
        comment.hidden_by = acting_user if hidden else None
        comment.save(update_fields=["hidden_at", "hidden_by"])
        record(
            AuditEntry.Action.COMMENT_HIDDEN,
            actor=acting_user,
            school=comment.article.school,
            target=comment,
            detail={"article": comment.article_id, "hidden": hidden},
        )
    return comment


def do_invite_writer(school, *, acting_user, guardian: Guardian, note: str = "") -> Invitation:
    """Ask a parent of the school (who has an account) to write for the column (R30)."""
    if guardian.school_id != school.pk or guardian.user_id is None:
        raise ValidationError(_("This parent has no account yet: invite them once they have signed in."))
    with transaction.atomic():
        invitation = Invitation.objects.create(
            school=school, user_id=guardian.user_id, invited_by=acting_user, note=(note or "").strip()[:200]
        )
        record(AuditEntry.Action.WRITER_INVITED, actor=acting_user, school=school, target=invitation)
    return invitation


def do_set_editor(school, *, acting_user, member: StaffMember, editor: bool) -> None:
    if member.school_id != school.pk:
        raise ValidationError(_("Choose a member of the school's staff."))
    with transaction.atomic():
        if editor:
            Editor.objects.get_or_create(school=school, user_id=member.user_id)
        else:
            Editor.objects.filter(school=school, user_id=member.user_id).delete()
        record(
            AuditEntry.Action.EDITORS_CHANGED,
            actor=acting_user,
            school=school,
            target=member,
            detail={"editor": editor},
        )


def do_set_notice_public(notice, *, acting_user, public: bool) -> None:
    """Show a whole-school notice on the public page, or take it off."""
    if public:
        found = personal_names_in(notice.school_id, notice.title + "\n" + notice.body_text)
        if found:
            raise ValidationError(
                _("The text names a pupil or a family member (%(names)s): it cannot go on the public page.")
                % {"names": "、".join(found)}
            )
    with transaction.atomic():
        if public:
            PublicNotice.objects.get_or_create(
                school_id=notice.school_id, notice=notice, defaults={"marked_by": acting_user}
            )
        else:
            PublicNotice.objects.filter(notice=notice).delete()
        record(
            AuditEntry.Action.NOTICE_MADE_PUBLIC,
            actor=acting_user,
            school=notice.school,
            target=notice,
            detail={"public": public},
        )
        forget_public_page(notice.school_id)
