"""A winning entry's certificate (获奖证书) as an A4 PDF, drawn as reports/certificates.py draws a
commendation's (WeasyPrint, Noto CJK through fontconfig, nothing fetched from outside the
document). WeasyPrint is imported only when a certificate is asked for, so the app starts without
Pango, where a certificate answers 503."""

import logging

from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone, translation

from core.uploads import content_disposition

from .models import Entry

logger = logging.getLogger(__name__)

UNAVAILABLE = (
    "PDF 暂时不可用：服务器上没有安装 WeasyPrint 或它所需的 Pango 库。请联系学校的系统管理员。\n"
    "PDF is unavailable: WeasyPrint, or the Pango library it needs, is not installed on the server.\n"
)


class PdfUnavailable(RuntimeError):
    pass


def certificate_pdf(entry: Entry) -> bytes:
    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
    try:
        import weasyprint
    except (ImportError, OSError) as exc:
        logger.warning("PDF unavailable: %s", exc)
        raise PdfUnavailable(str(exc)) from exc
    day = timezone.localdate(entry.contest.announced_at) if entry.contest.announced_at else timezone.localdate()
    with translation.override("zh-hans"):
        html = render_to_string(
            "publishing/contest/certificate.html",
            {
                "e": entry,
                "contest": entry.contest,
                "school": entry.school,
                "on": f"{day.year}年{day.month}月{day.day}日",
            },
        )
    fetcher = weasyprint.URLFetcher(allowed_protocols={"data"})
    return weasyprint.HTML(string=html, base_url=None, url_fetcher=fetcher).write_pdf()


def certificate_response(entry: Entry) -> HttpResponse:
    try:
        data = certificate_pdf(entry)
    except PdfUnavailable:
        response = HttpResponse(UNAVAILABLE, status=503, content_type="text/plain; charset=utf-8")
        response["Cache-Control"] = "no-store"
        return response
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition(f"获奖证书-{entry.contest.title}.pdf", inline=False)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
