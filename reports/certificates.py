"""The certificate (荣誉证书) of a commendation as a PDF, drawn by ``core.pdf`` (WeasyPrint, Noto CJK
fonts through fontconfig, nothing fetched from outside the document)."""

import datetime

from core.pdf import PdfUnavailable, cn_date, pdf_response, render_pdf
from core.pdf import unavailable_response as unavailable

from .models import Commendation

__all__ = ["PdfUnavailable", "certificate_pdf", "pdf_response", "unavailable"]


def certificate_pdf(commendation: Commendation, *, day: datetime.date) -> bytes:
    return render_pdf(
        "reports/certificate.html",
        {"c": commendation, "school": commendation.school, "term": commendation.term, "on": cn_date(day)},
    )
