"""``manage.py check_restore MANIFEST``: is this database (a restored copy) the backup, whole?

Compares the database of ``DATABASE_URL`` and the media folder of ``TONGXIN_DATA_DIR`` with the
manifest ``manage.py backup`` wrote: rows per table, every file the database refers to (present,
same size and SHA-256), the audit log's hash chain and its append-only trigger. Prints what it
checked and every problem; exits with status 1 if there is any.
"""

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from audit.backup import check_restore


class Command(BaseCommand):
    help = "Check a restored database and media folder against a backup's manifest.json."

    def add_arguments(self, parser):
        parser.add_argument("manifest", help="the manifest.json written by manage.py backup")

    def handle(self, *args, manifest: str, **options):
        try:
            expected = json.loads(Path(manifest).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CommandError(f"cannot read the manifest {manifest}: {exc}") from exc
        report = check_restore(expected)
        checked = ", ".join(f"{n} {what}" for what, n in report.checked.items())
        self.stdout.write(f"checked against the backup of {expected.get('created_at', '?')}: {checked}")
        for note in report.notes:
            self.stdout.write(f"note: {note}")
        for problem in report.problems:
            self.stderr.write(f"PROBLEM: {problem}")
        if not report.ok:
            self.stderr.write(f"restore check FAILED: {len(report.problems)} problems")
            sys.exit(1)
        self.stdout.write(self.style.SUCCESS("restore check passed: every row, file and audit entry is back"))
