"""The yearly summary and the archive in a real browser on a phone-sized screen (issue 15).

The admin 张主任 drafts the school year's summary from its records, rewrites the contact book's
section, issues it and finds the .docx kept; the head teacher 李老师 finds her class's archive.
axe-core checks every page on the way."""

import io

import docx
import pytest
from django_scopes import scopes_disabled

import conftest as cast_conftest
from community.models import school_year_of
from contactbook.models import ContactRecord, ContactStudent
from plans.actions import do_adopt_template
from reports.models import YearlySummary

from .conftest import axe_check, sign_in, sign_out, submit

pytestmark = pytest.mark.browser


def test_admin_drafts_edits_and_issues_the_yearly_summary(school_day, live_server, live_cast, phone_page):
    url, page = live_server.url, phone_page
    cast = live_cast
    with scopes_disabled():
        do_adopt_template(cast.term, acting_user=cast.admin_zhang)
        record = ContactRecord.objects.create(
            school=cast.school, term=cast.term, author=cast.ms_li, kind="phone", occurred_on=cast.term.start_date
        )
        ContactStudent.objects.create(school=cast.school, record=record, student=cast.alice_child)
    year = school_year_of(cast.term)

    sign_in(page, live_server, "admin_zhang", cast_conftest.PASSWORD)
    page.goto(f"{url}/reports/summary/")
    axe_check(page, label="the summaries")
    page.fill("main input[name=year]", str(year))
    submit(page, "main form[action='/reports/summary/draft/']")
    with scopes_disabled():
        summary = YearlySummary.objects.get(school=cast.school, year=year)
    assert page.url.endswith(f"/reports/summary/{summary.pk}/")
    assert "三年级1班" in page.locator("main").inner_text()
    axe_check(page, label="the draft")
    form = f"main form[action='/reports/summary/{summary.pk}/sections/contacts/']"
    page.fill(f"{form} textarea", "各班坚持电话家访，下学期覆盖全体学生。")
    submit(page, form)
    submit(page, f"main form[action='/reports/summary/{summary.pk}/issue/']")
    axe_check(page, label="the issued summary")
    assert page.locator("main textarea").count() == 0  # issued: no more editing
    with scopes_disabled():
        summary.refresh_from_db()
        assert summary.is_issued
        with summary.docx_file.open("rb") as fh:
            text = "\n".join(p.text for p in docx.Document(io.BytesIO(fh.read())).paragraphs)
    assert "各班坚持电话家访，下学期覆盖全体学生。" in text
    sign_out(page)

    sign_in(page, live_server, "ms_li", cast_conftest.PASSWORD)
    page.goto(f"{url}/reports/archive/")
    axe_check(page, label="the archive")
    link = page.locator(f"main a[href='/reports/archive/classes/{cast.class1.pk}.zip']")
    assert link.count() == 1
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename.endswith(".zip")
