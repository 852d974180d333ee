"""core.pdf, the one PDF renderer of every app: dates as schools print them, and a clear 503
(not a crash) on a machine without WeasyPrint or Pango."""

import datetime
import sys

import pytest

from core.pdf import PdfUnavailable, cn_date, pdf_response, render_pdf, unavailable_response


def test_dates_are_written_the_way_schools_print_them():
    day = datetime.date(2026, 12, 5)
    assert cn_date(day) == "2026年12月5日"
    assert cn_date(day, weekday=True) == "2026年12月5日（周六）"
    assert cn_date(datetime.date(2026, 12, 7), weekday=True) == "2026年12月7日（周一）"
    assert cn_date(None) == ""


def test_without_weasyprint_rendering_says_so_and_the_answer_is_a_503_in_chinese(monkeypatch):
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # `import weasyprint` now raises ImportError
    with pytest.raises(PdfUnavailable):
        render_pdf("reports/certificate.html", {})
    response = unavailable_response()
    assert response.status_code == 503 and response["Cache-Control"] == "no-store"
    assert "PDF 暂时不可用" in response.content.decode() and "WeasyPrint" in response.content.decode()
    assert unavailable_response("另一句话\n").content.decode() == "另一句话\n"


def test_a_pdf_is_downloaded_and_kept_by_no_cache():
    response = pdf_response(b"%PDF-1.7 ...", "三年级1班家校联系册.pdf")
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "private, no-store" and response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment") and "filename*=" in response["Content-Disposition"]
