"""Pages of the yearly summary (学年总结): the school's admins draft it from the records, edit each
section's text, download the draft (.docx, PDF) and issue the final version, which is kept."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from community.models import school_year_of
from core.uploads import download_response, file_response
from schools.access import access_admin_school
from schools.queries import current_term

from . import actions, certificates
from . import summary as summaries
from .access import access_summary
from .models import YearlySummary

DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _year_from(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@login_required
@require_GET
def summaries_page(request):
    school = access_admin_school(request)
    term = current_term(school)
    return render(
        request,
        "reports/summary_list.html",
        {
            "school": school,
            "summaries": list(YearlySummary.objects.filter(school=school).order_by("-year")),
            "this_year": school_year_of(term) if term else timezone.localdate().year,
        },
    )


@login_required
@require_POST
def draft(request):
    school = access_admin_school(request)
    year = _year_from(request.POST.get("year"))
    try:
        if year is None:
            raise ValidationError(_("Give the school year as the year it starts in, e.g. 2026 for 2026—2027."))
        summary = actions.do_draft_summary(school, year, acting_user=request.user, request=request)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("reports:summaries")
    messages.success(request, _("The summary is drafted from the records. Edit its sections, then issue it."))
    return redirect("reports:summary", summary_id=summary.pk)


@login_required
@require_GET
def summary_page(request, summary_id: int):
    summary = access_summary(request, summary_id)
    return render(request, "reports/summary.html", {"summary": summary, "school": summary.school})


@login_required
@require_POST
def edit_section(request, summary_id: int, key: str):
    summary = access_summary(request, summary_id)
    try:
        actions.do_edit_summary_section(
            summary,
            key,
            text=request.POST.get("text", ""),
            version=_year_from(request.POST.get("version")),
            acting_user=request.user,
            request=request,
        )
        messages.success(request, _("The section is saved."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("reports:summary", summary_id=summary.pk)


@login_required
@require_POST
def issue(request, summary_id: int):
    summary = access_summary(request, summary_id)
    try:
        actions.do_issue_summary(summary, acting_user=request.user, request=request)
        messages.success(request, _("The summary is issued and kept as it is now."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("reports:summary", summary_id=summary.pk)


@login_required
@require_GET
def document(request, summary_id: int, kind: str):
    """The summary as .docx or PDF: the issued files as kept, or the draft as it stands."""
    summary = access_summary(request, summary_id)
    if kind not in ("docx", "pdf"):
        raise Http404
    title = summaries.document_title(summary.school, summary.year)
    if summary.is_issued:
        field = summary.docx_file if kind == "docx" else summary.pdf_file
        return file_response(field, filename=f"{title}.{kind}", mime=DOCX_MIME if kind == "docx" else "application/pdf")
    if kind == "pdf":
        try:
            data = summaries.pdf_bytes(summary.school, summary.year, summary.sections)
        except summaries.PdfUnavailable:
            return certificates.unavailable()
        return certificates.pdf_response(data, f"{title}（草稿）.pdf")
    return download_response(
        summaries.docx_bytes(summary.school, summary.year, summary.sections), f"{title}（草稿）.docx", DOCX_MIME
    )
