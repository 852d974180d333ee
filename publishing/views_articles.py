"""Pages of the column: the list, an article with its comments, writing and editing, the review
queue (审核), the staff space, inviting a parent to write, editors and public notices. Thin: parse,
access_*, one action or query, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.uploads import file_response
from schools.access import access_staff_member

from . import actions_articles as actions
from . import queries
from .access import (
    access_article_cover,
    access_article_to_edit,
    access_article_to_read,
    access_article_to_review,
    access_comment_to_hide,
    access_editor_school,
    access_guardian_to_invite,
    access_my_invitation,
    access_notice_to_make_public,
    access_reader_school,
    access_writer_school,
    is_editor,
    may_edit,
)
from .models import Article, Space, Topic


def _int(value) -> int | None:
    return int(value) if str(value or "").isdigit() else None


@login_required
@require_GET
def column(request, space: str = Space.COLUMN):
    school = access_reader_school(request, _int(request.GET.get("school")))
    if space == Space.STAFF and not request.roles.is_staff_of(school.pk):
        raise Http404
    topic = request.GET.get("topic", "")
    topic = topic if topic in Topic.values else ""
    grade = _int(request.GET.get("grade"))
    page = queries.column_page(school, space=space, topic=topic, grade=grade, page=request.GET.get("page", 1))
    return render(
        request,
        "publishing/column.html",
        {
            "school": school,
            "space": space,
            "page": page,
            "topics": Topic.choices,
            "topic": topic,
            "grade": grade,
            "grades": range(1, school.grade_count + 1),
            "editor": is_editor(request, school.pk),
            "staff": request.roles.is_staff_of(school.pk),
            "invitations": queries.my_invitations(request.user, request.roles.school_ids),
        },
    )


@login_required
@require_GET
def staff_space(request):
    return column(request, space=Space.STAFF)


@login_required
@require_http_methods(["GET", "POST"])
def article(request, article_id: int):
    item = access_article_to_read(request, article_id)
    staff_view = is_editor(request, item.school_id) or (
        request.roles.is_staff_of(item.school_id) and item.author_id == request.user.pk
    )
    if request.method == "POST":
        try:
            actions.do_comment(item, acting_user=request.user, text=request.POST.get("text", ""))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Your comment is posted."))
            return redirect(reverse("publishing:article", kwargs={"article_id": item.pk}) + "#comments")
    return render(
        request,
        "publishing/article.html",
        {
            "article": item,
            "comments": queries.comments(item, staff_view=staff_view),
            "staff_view": staff_view,
            "can_edit": may_edit(request, item),
            "editor": is_editor(request, item.school_id),
            "draft_text": request.POST.get("text", "") if request.method == "POST" else "",
        },
    )


@login_required
@require_GET
def cover(request, article_id: int):
    item = access_article_cover(request, article_id)
    return file_response(item.cover, filename=f"{item.title}.{(item.cover.name or '').rpartition('.')[2]}", inline=True)


def _form_from(request, article: Article | None) -> dict:
    if request.method == "POST":
        p = request.POST
        return {
            "title": p.get("title", ""),
            "body_html": p.get("body_html", ""),
            "topic": p.get("topic", Topic.TOGETHER),
            "space": p.get("space", Space.COLUMN),
            "grade_from": p.get("grade_from", ""),
            "grade_to": p.get("grade_to", ""),
            "allow_comments": p.get("allow_comments") == "on",
        }
    if article is None:
        return {
            "title": "",
            "body_html": "",
            "topic": Topic.TOGETHER,
            "space": request.GET.get("space", Space.COLUMN),
            "grade_from": "",
            "grade_to": "",
            "allow_comments": True,
        }
    return {
        "title": article.title,
        "body_html": article.body_html,
        "topic": article.topic,
        "space": article.space,
        "grade_from": article.grade_from or "",
        "grade_to": article.grade_to or "",
        "allow_comments": article.allow_comments,
    }


def _save(request, school, article: Article | None, invitation=None):
    form = _form_from(request, article)
    if request.method == "POST":
        try:
            upload = request.FILES.get("cover")
            cover = actions.accept_cover(upload) if upload else None
            saved = actions.do_save_article(
                school,
                acting_user=request.user,
                article=article,
                cover=cover,
                invitation=invitation,
                idempotency_key=request.POST.get("idempotency_key", "") if article is None else "",
                **form,
            )
            if request.POST.get("submit") == "review":
                actions.do_submit_article(saved, acting_user=request.user)
                messages.success(request, _("Sent for review: an editor will read it before it is published."))
            else:
                messages.success(request, _("Saved."))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            return redirect("publishing:article", article_id=saved.pk)
    return render(
        request,
        "publishing/edit.html",
        {
            "form": form,
            "article": article,
            "topics": Topic.choices,
            "spaces": Space.choices,
            "grades": range(1, school.grade_count + 1),
            "parent_writer": invitation is not None
            or (article is not None and article.source == Article.Source.PARENT),
            "invitation": invitation,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def write(request):
    school = access_writer_school(request)
    return _save(request, school, None)


@login_required
@require_http_methods(["GET", "POST"])
def write_invited(request, invitation_id: int):
    invitation = access_my_invitation(request, invitation_id)
    return _save(request, invitation.school, None, invitation=invitation)


@login_required
@require_http_methods(["GET", "POST"])
def edit(request, article_id: int):
    item = access_article_to_edit(request, article_id)
    return _save(request, item.school, item)


@login_required
@require_GET
def mine(request):
    return render(
        request,
        "publishing/mine.html",
        {
            "articles": queries.my_articles(request.user, request.roles.school_ids),
            "invitations": queries.my_invitations(request.user, request.roles.school_ids),
        },
    )


@login_required
@require_GET
def review_queue(request):
    school = access_editor_school(request)
    return render(request, "publishing/review.html", {"school": school, "articles": queries.review_queue(school)})


@login_required
@require_POST
def review(request, article_id: int):
    item = access_article_to_review(request, article_id)
    decision = request.POST.get("decision", "")
    try:
        if decision == "withdraw":
            actions.do_withdraw_article(item, acting_user=request.user)
            messages.success(request, _("The article is withdrawn."))
        elif decision in ("public", "private"):
            actions.do_set_article_public(item, acting_user=request.user, public=decision == "public")
            messages.success(request, _("Saved."))
        else:
            actions.do_review_article(
                item,
                acting_user=request.user,
                publish=decision == "publish",
                note=request.POST.get("note", ""),
                public=request.POST.get("public") == "on",
            )
            messages.success(
                request, _("Published.") if decision == "publish" else _("Returned to its author with your note.")
            )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("publishing:article", article_id=item.pk)


@login_required
@require_POST
def hide_comment(request, comment_id: int):
    comment = access_comment_to_hide(request, comment_id)
    actions.do_hide_comment(comment, acting_user=request.user, hidden=request.POST.get("hidden", "1") == "1")
    return redirect(reverse("publishing:article", kwargs={"article_id": comment.article_id}) + "#comments")


@login_required
@require_http_methods(["GET", "POST"])
def invite(request):
    school = access_editor_school(request)
    if request.method == "POST":
        phone = request.POST.get("phone", "")
        if not phone.strip():
            messages.error(request, _("Give the parent's phone number."))
        else:
            guardian = access_guardian_to_invite(request, school, phone)
            try:
                actions.do_invite_writer(
                    school, acting_user=request.user, guardian=guardian, note=request.POST.get("note", "")
                )
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(request, _("Invited: the parent sees the invitation in the column."))
                return redirect("publishing:column")
    return render(request, "publishing/invite.html", {"school": school})


@login_required
@require_http_methods(["GET", "POST"])
def editors(request):
    school = access_editor_school(request)
    if not request.roles.is_admin_of(school.pk):
        raise Http404
    if request.method == "POST":
        member = access_staff_member(request, _int(request.POST.get("member")) or 0, active_only=True)
        actions.do_set_editor(school, acting_user=request.user, member=member, editor=request.POST.get("editor") == "1")
        messages.success(request, _("Saved."))
        return redirect("publishing:editors")
    return render(request, "publishing/editors.html", {"school": school, "members": queries.staff_with_editor(school)})


@login_required
@require_http_methods(["GET", "POST"])
def public_notices(request):
    school = access_editor_school(request)
    if not request.roles.is_admin_of(school.pk):
        raise Http404
    if request.method == "POST":
        notice = access_notice_to_make_public(request, _int(request.POST.get("notice")) or 0)
        try:
            actions.do_set_notice_public(notice, acting_user=request.user, public=request.POST.get("public") == "1")
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Saved."))
        return redirect("publishing:public_notices")
    return render(
        request,
        "publishing/public_notices.html",
        {"school": school, "notices": queries.public_notice_candidates(school)},
    )
