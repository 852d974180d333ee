"""manage.py yearly_summary --school CODE --year YYYY --output FILE.docx

The school year's summary drafted from its records, as the admins' page drafts it (reports.summary),
written to a .docx (and with --pdf, a PDF beside it). Nothing is stored in the database: this is the
draft as the records stand; the admins edit and issue theirs in the browser."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django_scopes import scope, scopes_disabled

from schools.models import School

from ... import summary as summaries


class Command(BaseCommand):
    help = "Draft a school's yearly summary (学年家校工作总结) from its records as a .docx."

    def add_arguments(self, parser):
        parser.add_argument("--school", required=True, help="the school's code, e.g. yangguang")
        parser.add_argument(
            "--year", required=True, type=int, help="the year the school year starts in: 2026 for 2026—2027"
        )
        parser.add_argument("--output", required=True, help="the .docx file to write")
        parser.add_argument("--pdf", action="store_true", help="also write the PDF beside it")

    def handle(self, *args, school: str, year: int, output: str, pdf: bool, **options):
        translation.activate("zh-hans")
        with scopes_disabled():  # the school is looked up by its code before its scope can be set
            found = School.objects.filter(code=school).first()
        if found is None:
            raise CommandError(f"No school with the code {school!r}.")
        target = Path(output)
        if target.suffix.lower() != ".docx":
            raise CommandError("--output must name a .docx file.")
        if not target.parent.is_dir():
            raise CommandError(f"The folder {target.parent} does not exist.")
        with scope(school=[found.pk]):
            sections = summaries.gather(found, year)
            if sections is None:
                raise CommandError(
                    f"{found.name} has no term in the school year {year}—{year + 1}: nothing to summarise."
                )
            if not summaries.has_records(sections):
                raise CommandError(
                    f"{found.name} has no records in the school year {year}—{year + 1}: nothing to summarise."
                )
            data = [s.as_dict() for s in sections]
            docx = summaries.docx_bytes(found, year, data)
            pdf_data = None
            if pdf:
                try:
                    pdf_data = summaries.pdf_bytes(found, year, data)
                except summaries.PdfUnavailable as exc:
                    raise CommandError(f"PDF export is unavailable on this server: {exc}") from None
        # Written only once everything is made: a failure leaves no half-written file behind.
        target.write_bytes(docx)
        if pdf_data is not None:
            target.with_suffix(".pdf").write_bytes(pdf_data)
        self.stdout.write(f"{summaries.document_title(found, year)}: {len(data)} sections → {target}")
