"""The parent newspaper as a printable A4 PDF, drawn like a school newspaper: a masthead with the
school's name, 家长报, the issue's number and date, then its sections in two columns.

Drawn by ``core.pdf`` (WeasyPrint, Noto CJK; ``PdfUnavailable`` without Pango), which fetches
nothing but ``data:`` URLs, so the photos are embedded from storage."""

import base64

from core.pdf import UNAVAILABLE_MESSAGE, PdfUnavailable, cn_date, render_pdf

from .models import Issue, Section

__all__ = ["UNAVAILABLE_MESSAGE", "PdfUnavailable", "issue_pdf"]


def _data_url(section: Section) -> str:
    name = section.photo.name or ""
    mime = {"png": "image/png", "gif": "image/gif", "webp": "image/webp"}.get(name.rpartition(".")[2], "image/jpeg")
    with section.photo.open("rb") as handle:
        return f"data:{mime};base64,{base64.b64encode(handle.read()).decode()}"


def issue_pdf(issue: Issue, sections: list[Section]) -> bytes:
    for section in sections:
        section.photo_src = _data_url(section) if section.photo else ""  # type: ignore[attr-defined]
    return render_pdf(
        "publishing/issue_pdf.html",
        {"issue": issue, "school": issue.school, "sections": sections, "date": cn_date(issue.date)},
    )
