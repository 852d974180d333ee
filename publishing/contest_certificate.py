"""A winning entry's certificate (获奖证书) as an A4 PDF, drawn as reports/certificates.py draws a
commendation's (``core.pdf``: WeasyPrint, Noto CJK, nothing fetched from outside the document; a
certificate answers 503 on a machine without Pango)."""

from django.http import HttpResponse
from django.utils import timezone

from core.pdf import PdfUnavailable, cn_date, pdf_response, render_pdf, unavailable_response

from .models import Entry

__all__ = ["PdfUnavailable", "certificate_pdf", "certificate_response"]


def certificate_pdf(entry: Entry) -> bytes:
    day = timezone.localdate(entry.contest.announced_at) if entry.contest.announced_at else timezone.localdate()
    return render_pdf(
        "publishing/contest/certificate.html",
        {"e": entry, "contest": entry.contest, "school": entry.school, "on": cn_date(day)},
    )


def certificate_response(entry: Entry) -> HttpResponse:
    try:
        data = certificate_pdf(entry)
    except PdfUnavailable:
        return unavailable_response()
    return pdf_response(data, f"获奖证书-{entry.contest.title}.pdf")
