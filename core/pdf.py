"""PDFs, for every app that draws one (the contact book, the newspaper, certificates, the yearly
summary): WeasyPrint on Pango, with the Noto CJK fonts found through fontconfig (Debian's
fonts-noto-cjk; WeasyPrint embeds the subset of the glyphs used).

WeasyPrint is imported only when a PDF is asked for, so Tongxin starts, and everything else works,
on a machine without Pango, where a PDF answers 503 with a message (``PdfUnavailable``,
``unavailable_response``). The renderer may fetch nothing: no file, no network, only ``data:`` URLs
(a logo, a photo embedded from storage), so no text typed into a record can reach anything outside
the document."""

import datetime
import logging

from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import translation

from .uploads import download_response

logger = logging.getLogger(__name__)

WEEKDAYS = "一二三四五六日"

UNAVAILABLE_MESSAGE = (
    "PDF 暂时不可用：服务器上没有安装 WeasyPrint 或它所需的 Pango 库。请联系学校的系统管理员。\n"
    "PDF is unavailable: WeasyPrint, or the Pango library it needs, is not installed on the server.\n"
)


class PdfUnavailable(RuntimeError):
    """WeasyPrint or Pango is missing on this machine."""


def cn_date(day: datetime.date | None, *, weekday: bool = False) -> str:
    """2026年12月5日, or 2026年12月5日（周六）: a date as a school prints it."""
    if day is None:
        return ""
    text = f"{day.year}年{day.month}月{day.day}日"
    return f"{text}（周{WEEKDAYS[day.weekday()]}）" if weekday else text


def render_pdf(template: str, context: dict) -> bytes:
    """The template rendered in Chinese to PDF bytes; PdfUnavailable when WeasyPrint or Pango is missing."""
    # WeasyPrint reports each step (its own style sheets at import, then each page) at INFO.
    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
    try:
        # Imported here, not at module level: the app must start without Pango.
        import weasyprint
    except (ImportError, OSError) as exc:  # OSError: WeasyPrint is installed but Pango is not
        logger.warning("PDF unavailable: %s", exc)
        raise PdfUnavailable(str(exc)) from exc
    with translation.override("zh-hans"):
        html = render_to_string(template, context)
    fetcher = weasyprint.URLFetcher(allowed_protocols={"data"})
    return weasyprint.HTML(string=html, base_url=None, url_fetcher=fetcher).write_pdf()


def pdf_response(data: bytes, filename: str) -> HttpResponse:
    """A PDF to download, kept by no cache (it holds a school's records)."""
    return download_response(data, filename, "application/pdf")


def unavailable_response(message: str = UNAVAILABLE_MESSAGE) -> HttpResponse:
    response = HttpResponse(message, status=503, content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "no-store"
    return response
