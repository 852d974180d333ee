"""The certificate (荣誉证书) of a commendation as a PDF, drawn with the contact book's renderer
(WeasyPrint, Noto CJK fonts through fontconfig, nothing fetched from outside the document)."""

import datetime

from django.http import HttpResponse

from contactbook.pdf import UNAVAILABLE_MESSAGE, PdfUnavailable, cn_date, render_pdf
from core.uploads import content_disposition

from .models import Commendation

__all__ = ["PdfUnavailable", "certificate_pdf", "pdf_response", "unavailable"]


def certificate_pdf(commendation: Commendation, *, day: datetime.date) -> bytes:
    return render_pdf(
        "reports/certificate.html",
        {"c": commendation, "school": commendation.school, "term": commendation.term, "on": cn_date(day)},
    )


def pdf_response(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition(filename, inline=False)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def unavailable() -> HttpResponse:
    response = HttpResponse(UNAVAILABLE_MESSAGE, status=503, content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "no-store"
    return response
