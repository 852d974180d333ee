"""Who sees what in the column and the newspaper (the essay contest has ``access_contest``).

- A published column article: every member of its school (staff and families). A staff-space
  article: the school's staff only. A draft: its author, and the school's editors and admins.
- Writing: the school's staff; a parent only through an invitation (R30).
- Reviewing, hiding comments, the newspaper's drafts, editors, public notices: the school's editors
  (``Editor``) and admins; the author of an article may hide comments on it too.
- A sent newspaper issue: every member of its school.
- The public page: anybody, by the school's code, and only what is public.
A refusal is always a 404."""

from django.http import Http404
from django_scopes import scope, scopes_disabled

from notices.models import Notice, NoticeTarget
from schools.models import School
from schools.roles import Roles

from .models import Article, Comment, Editor, Invitation, Issue, Section, Space


def _roles(request) -> Roles:
    return getattr(request, "roles", None) or Roles()


def editor_school_ids(request) -> set[int]:
    """The schools where the user reviews and edits: admins always, plus named editors (one query,
    kept on the request)."""
    cached = getattr(request, "_publishing_editor_of", None)
    if cached is not None:
        return cached
    roles = _roles(request)
    ids = set(roles.admin_school_ids)
    staff_ids = set(roles.staff) - ids
    if staff_ids:
        ids |= set(
            Editor.objects.filter(user_id=request.user.pk, school_id__in=staff_ids).values_list("school_id", flat=True)
        )
    request._publishing_editor_of = ids
    return ids


def is_editor(request, school_id: int) -> bool:
    return school_id in editor_school_ids(request)


def access_reader_school(request, school_id: int | None = None) -> School:
    """The school whose column the user reads: the one asked for, else the staff school chosen in
    the session, else the first school of their children."""
    roles = _roles(request)
    ids = roles.school_ids
    if not ids:
        raise Http404
    if school_id is None:
        chosen = request.session.get("school_id") if hasattr(request, "session") else None
        school_id = chosen if chosen in ids else (min(roles.staff) if roles.staff else ids[0])
    if school_id not in ids:
        raise Http404
    school = School.objects.filter(pk=school_id).first()
    if school is None:
        raise Http404
    return school


def access_writer_school(request) -> School:
    """Staff write in their school; a parent only in a school that invited them."""
    roles = _roles(request)
    if roles.staff:
        chosen = request.session.get("school_id") if hasattr(request, "session") else None
        school_id = chosen if chosen in roles.staff else min(roles.staff)
        return roles.staff[school_id].school
    raise Http404


def access_editor_school(request) -> School:
    """The school the user edits for (the staff school chosen in the session, if they edit there)."""
    school = access_writer_school(request)
    if not is_editor(request, school.pk):
        raise Http404
    return school


def may_read(request, article: Article) -> bool:
    roles = _roles(request)
    if article.status == Article.Status.PUBLISHED:
        if article.space == Space.STAFF:
            return roles.is_staff_of(article.school_id)
        return article.school_id in roles.school_ids
    return article.author_id == request.user.pk or is_editor(request, article.school_id)


def access_article_to_read(request, article_id: int) -> Article:
    article = Article.objects.filter(pk=article_id).select_related("school").first()
    if article is None or not may_read(request, article):
        raise Http404
    return article


def may_edit(request, article: Article) -> bool:
    if article.status == Article.Status.WITHDRAWN:
        return False
    if is_editor(request, article.school_id):
        return True
    return article.author_id == request.user.pk and article.status in (Article.Status.DRAFT, Article.Status.RETURNED)


def access_article_to_edit(request, article_id: int) -> Article:
    """Its author while it is a draft or returned; an editor or admin of its school at any time."""
    article = Article.objects.filter(pk=article_id).select_related("school").first()
    if article is None or not may_edit(request, article):
        raise Http404
    return article


def access_article_to_review(request, article_id: int) -> Article:
    article = Article.objects.filter(pk=article_id).select_related("school").first()
    if article is None or not is_editor(request, article.school_id):
        raise Http404
    return article


def access_comment_to_hide(request, comment_id: int) -> Comment:
    comment = Comment.objects.filter(pk=comment_id).select_related("article").first()
    if comment is None:
        raise Http404
    roles = _roles(request)
    own_article = roles.is_staff_of(comment.school_id) and comment.article.author_id == request.user.pk
    if not (own_article or is_editor(request, comment.school_id)):
        raise Http404
    return comment


def access_my_invitation(request, invitation_id: int) -> Invitation:
    """An invitation to the signed-in parent, not yet used for a draft."""
    invitation = (
        Invitation.objects.filter(pk=invitation_id, user_id=request.user.pk, article__isnull=True)
        .select_related("school")
        .first()
    )
    if invitation is None or invitation.school_id not in _roles(request).school_ids:
        raise Http404
    return invitation


def access_issue_to_read(request, issue_id: int) -> Issue:
    issue = Issue.objects.filter(pk=issue_id).select_related("school").first()
    if issue is None:
        raise Http404
    if issue.status == Issue.Status.SENT and issue.school_id in _roles(request).school_ids:
        return issue
    if is_editor(request, issue.school_id):
        return issue
    raise Http404


def access_issue_to_edit(request, issue_id: int) -> Issue:
    issue = Issue.objects.filter(pk=issue_id).select_related("school").first()
    if issue is None or not is_editor(request, issue.school_id):
        raise Http404
    return issue


def access_section_to_edit(request, section_id: int) -> Section:
    section = Section.objects.filter(pk=section_id).select_related("issue", "school").first()
    if section is None or not is_editor(request, section.school_id):
        raise Http404
    return section


def access_section_photo(request, section_id: int) -> Section:
    section = Section.objects.filter(pk=section_id).exclude(photo="").select_related("issue").first()
    if section is None:
        raise Http404
    access_issue_to_read(request, section.issue_id)
    return section


def access_article_cover(request, article_id: int) -> Article:
    article = access_article_to_read(request, article_id)
    if not article.cover:
        raise Http404
    return article


def access_notice_to_make_public(request, notice_id: int) -> Notice:
    """A published whole-school notice of a school the user administers."""
    roles = _roles(request)
    notice = Notice.objects.filter(pk=notice_id, status=Notice.Status.PUBLISHED).first()
    if notice is None or not roles.is_admin_of(notice.school_id):
        raise Http404
    if not NoticeTarget.objects.filter(notice=notice, kind=NoticeTarget.Kind.SCHOOL).exists():
        raise Http404
    return notice


def access_public_school(code: str) -> School:
    """The school of a public page, by its code, for anybody (no sign-in)."""
    # reviewed: a visitor has no scope; the school is found by its public code, and every read of
    # the public page then runs inside this school's scope alone (``public_scope``).
    with scopes_disabled():
        school = School.objects.filter(code=code).first()
    if school is None:
        raise Http404
    return school


def public_scope(school: School):
    """The scope the public page's reads run in: this one school."""
    return scope(school=[school.pk])


def access_guardian_to_invite(request, school: School, phone: str):
    """A guardian of the school the editor edits for, found by the phone the school has on file."""
    from core.phones import InvalidPhone, normalize_phone
    from schools.models import Guardian

    if not is_editor(request, school.pk):
        raise Http404
    try:
        phone = normalize_phone(phone)
    except InvalidPhone:
        raise Http404 from None
    guardian = Guardian.objects.filter(school=school, phone=phone).first() if phone else None
    if guardian is None:
        raise Http404
    return guardian


def access_public_article(school: School, article_id: int) -> Article:
    """A published column article the editors put on the school's public page (anybody)."""
    article = Article.objects.filter(
        school=school, pk=article_id, public=True, status=Article.Status.PUBLISHED, space=Space.COLUMN
    ).first()
    if article is None:
        raise Http404
    return article
