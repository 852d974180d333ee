"""The parent newspaper as a printable A4 PDF, drawn like a school newspaper: a masthead with the
school's name, 家长报, the issue's number and date, then its sections in two columns.

The renderer is WeasyPrint with the Noto CJK fonts through fontconfig, set up as in the contact
book's PDF (``contactbook.pdf``, an app on the same layer that this one may not import): WeasyPrint
is imported only when a PDF is asked for (``PdfUnavailable`` without Pango), and the document may
fetch nothing but ``data:`` URLs, so the photos are embedded from storage."""

import base64
import logging

from django.template.loader import render_to_string
from django.utils import translation

from .models import Issue, Section

logger = logging.getLogger(__name__)

UNAVAILABLE_MESSAGE = (
    "PDF 暂时不可用：服务器上没有安装 WeasyPrint 或它所需的 Pango 库。请联系学校的系统管理员。\n"
    "PDF is unavailable: WeasyPrint, or the Pango library it needs, is not installed on the server.\n"
)


class PdfUnavailable(RuntimeError):
    """WeasyPrint or Pango is missing on this machine."""


def cn_date(day) -> str:
    return f"{day.year}年{day.month}月{day.day}日" if day else ""


def render_pdf(template: str, context: dict) -> bytes:
    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
    try:
        import weasyprint
    except (ImportError, OSError) as exc:
        logger.warning("PDF unavailable: %s", exc)
        raise PdfUnavailable(str(exc)) from exc
    with translation.override("zh-hans"):
        html = render_to_string(template, context)
    fetcher = weasyprint.URLFetcher(allowed_protocols={"data"})
    return weasyprint.HTML(string=html, base_url=None, url_fetcher=fetcher).write_pdf()


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
