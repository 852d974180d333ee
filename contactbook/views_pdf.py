"""The 家校联系册 as PDF (R32): one student's book for the current term, and a whole class's.

Staff-only (the PDF holds the internal summaries), never any care-case content, every export written
to the audit log like the .xlsx export. Without WeasyPrint/Pango on the server: 503 with a message.
"""

from django.contrib.auth.decorators import login_required
from django.views.decorators.http import require_GET

from audit.actions import record as audit
from audit.models import AuditEntry
from core.pdf import pdf_response, unavailable_response
from schools.access import access_class
from schools.models import Term
from schools.queries import current_term

from . import pdf
from .access import access_student_for_care


def _term_suffix(term: Term | None) -> str:
    return f"（{term.name}）" if term else ""


@login_required
@require_GET
def student_pdf(request, student_id: int):
    """One student's contact book for the current term, internal summaries included: so only for
    the head teacher, designated care staff and admins."""
    student = access_student_for_care(request, student_id)
    term = current_term(student.school_id)
    try:
        data = pdf.render_pdf("contactbook/pdf_student.html", pdf.student_context(student, term))
    except pdf.PdfUnavailable:
        return unavailable_response(pdf.UNAVAILABLE_MESSAGE)
    audit(
        AuditEntry.Action.EXPORT,
        actor=request.user,
        school=student.school,
        target=student,
        summary="contact book PDF",
        detail={"format": "pdf", "term_id": term.pk if term else None},
        request=request,
    )
    class_name = student.school_class.name if student.school_class else ""
    return pdf_response(data, f"{class_name}{student.name}家校联系册{_term_suffix(term)}.pdf")


@login_required
@require_GET
def class_pdf(request, class_id: int):
    """The whole class's contact book: its head teacher and the school's admins."""
    school_class = access_class(request, class_id, manage=True)
    term = current_term(school_class.school_id)
    try:
        data = pdf.render_pdf("contactbook/pdf_class.html", pdf.class_context(school_class, term))
    except pdf.PdfUnavailable:
        return unavailable_response(pdf.UNAVAILABLE_MESSAGE)
    audit(
        AuditEntry.Action.EXPORT,
        actor=request.user,
        school=school_class.school,
        target=school_class,
        summary="contact book PDF",
        detail={"format": "pdf", "term_id": term.pk if term else None},
        request=request,
    )
    return pdf_response(data, f"{school_class.name}家校联系册{_term_suffix(term)}.pdf")
