"""Pages of the parent newspaper (家长报): the list of issues, an issue, its printable PDF, and for
editors putting an issue together and sending it. Thin: parse, access_*, one action or query."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.pdf import pdf_response, unavailable_response
from core.uploads import file_response

from . import actions_newspaper as actions
from . import pdf, queries
from .access import (
    access_article_to_read,
    access_editor_school,
    access_issue_to_edit,
    access_issue_to_read,
    access_reader_school,
    access_section_photo,
    access_section_to_edit,
    is_editor,
)
from .models import Section


@login_required
@require_GET
def issues(request):
    school = access_reader_school(request, None)
    editor = is_editor(request, school.pk)
    return render(
        request,
        "publishing/issues.html",
        {"school": school, "issues": queries.issues(school, with_drafts=editor), "editor": editor},
    )


@login_required
@require_http_methods(["GET", "POST"])
def issue_new(request):
    school = access_editor_school(request)
    form: dict[str, str] = {
        "number": str(actions.next_number(school)),
        "date": timezone.localdate().isoformat(),
        "title": "",
    }
    if request.method == "POST":
        form = {k: request.POST.get(k, "") for k in ("number", "date", "title")}
        try:
            day = datetime.date.fromisoformat(form["date"]) if form["date"] else None
        except ValueError:
            day = None
        try:
            issue = actions.do_create_issue(
                school, acting_user=request.user, number=form["number"], date=day, title=form["title"]
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            return redirect("publishing:issue_edit", issue_id=issue.pk)
    return render(request, "publishing/issue_new.html", {"form": form})


@login_required
@require_GET
def issue(request, issue_id: int):
    item = access_issue_to_read(request, issue_id)
    return render(
        request,
        "publishing/issue.html",
        {"issue": item, "sections": queries.sections(item), "editor": is_editor(request, item.school_id)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def issue_edit(request, issue_id: int):
    item = access_issue_to_edit(request, issue_id)
    if request.method == "POST":
        kind = request.POST.get("kind", "")
        try:
            if request.POST.get("send") == "1":
                actions.do_send_issue(item, acting_user=request.user, roles=request.roles, request=request)
                messages.success(request, _("The issue is sent to every family of the school."))
                return redirect("publishing:issue", issue_id=item.pk)
            article = None
            if kind == Section.Kind.ARTICLE:
                article_id = request.POST.get("article", "")
                article = access_article_to_read(request, int(article_id)) if article_id.isdigit() else None
            upload = request.FILES.get("photo")
            photo = actions.accept_photo(upload) if upload and kind == Section.Kind.PHOTO else None
            actions.do_add_section(
                item,
                acting_user=request.user,
                kind=kind,
                heading=request.POST.get("heading", ""),
                article=article,
                text=request.POST.get("text", ""),
                photo=photo,
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Added."))
        return redirect("publishing:issue_edit", issue_id=item.pk)
    return render(
        request,
        "publishing/issue_edit.html",
        {
            "issue": item,
            "sections": queries.sections(item),
            "articles": queries.articles_for_issue(item.school),
            "kinds": Section.Kind.choices,
        },
    )


@login_required
@require_POST
def section_change(request, section_id: int):
    section = access_section_to_edit(request, section_id)
    how = request.POST.get("how", "")
    try:
        if how == "remove":
            actions.do_remove_section(section, acting_user=request.user)
        else:
            actions.do_move_section(section, acting_user=request.user, up=how == "up")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("publishing:issue_edit", issue_id=section.issue_id)


@login_required
@require_GET
def section_photo(request, section_id: int):
    section = access_section_photo(request, section_id)
    return file_response(
        section.photo, filename=f"photo-{section.pk}.{(section.photo.name or '').rpartition('.')[2]}", inline=True
    )


@login_required
@require_GET
def issue_pdf(request, issue_id: int):
    item = access_issue_to_read(request, issue_id)
    try:
        data = pdf.issue_pdf(item, queries.sections(item))
    except pdf.PdfUnavailable:
        return unavailable_response()
    filename = _("%(school)s parent newspaper issue %(n)d.pdf") % {"school": item.school.name, "n": item.number}
    return pdf_response(data, filename)
