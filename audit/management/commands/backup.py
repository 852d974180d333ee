"""``manage.py backup DIR``: the database, its manifest and the uploaded files, all as of one moment.

Writes ``DIR/tongxin.dump`` (``pg_dump --format=custom``), ``DIR/manifest.json`` (row counts, files
with their SHA-256, the audit log's hash chain: audit/backup.py) and ``DIR/media.tar.gz``. The dump
and the manifest come from the same snapshot: this command opens a repeatable-read transaction,
exports its snapshot, has ``pg_dump`` take that snapshot, and writes the manifest inside the same
transaction, so families and teachers can go on using Tongxin while it runs. ``manage.py
check_restore DIR/manifest.json`` checks a restored copy against it.
"""

import json
import os
import shutil
import subprocess
import tarfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from audit.backup import build_manifest

PG_DUMP = shutil.which("pg_dump") or "/usr/bin/pg_dump"


def pg_connection_args() -> tuple[list[str], dict[str, str]]:
    """pg_dump's connection arguments and environment for the ``default`` database."""
    db = connection.settings_dict
    args = ["--dbname", db["NAME"]]
    if db.get("HOST"):
        args += ["--host", str(db["HOST"])]
    if db.get("PORT"):
        args += ["--port", str(db["PORT"])]
    if db.get("USER"):
        args += ["--username", str(db["USER"])]
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return args, env


class Command(BaseCommand):
    help = "Back up the database (pg_dump), a manifest of it and the media folder into DIR."

    def add_arguments(self, parser):
        parser.add_argument("directory", help="where to write tongxin.dump, manifest.json and media.tar.gz")

    def handle(self, *args, directory: str, **options):
        if connection.vendor != "postgresql":
            raise CommandError("manage.py backup needs PostgreSQL (on SQLite, copy the file with sqlite3 .backup).")
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True, mode=0o700)
        dump = out / "tongxin.dump"
        connection_args, env = pg_connection_args()
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                cursor.execute("SELECT pg_export_snapshot()")
                snapshot = cursor.fetchone()[0]
            # The snapshot stays importable while this transaction is open: pg_dump takes it first.
            result = subprocess.run(  # noqa: S603 (arguments from the settings, never from a request)
                [PG_DUMP, "--format=custom", f"--snapshot={snapshot}", f"--file={dump}", *connection_args],
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            if result.returncode != 0:
                raise CommandError(f"pg_dump failed: {result.stderr.strip()}")
            manifest = build_manifest(snapshot)
        (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
        # After the snapshot: a file uploaded meanwhile is in the archive without a row (harmless);
        # one deleted meanwhile is reported by check_restore.
        media = Path(settings.MEDIA_ROOT)
        with tarfile.open(out / "media.tar.gz", "w:gz") as archive:
            if media.is_dir():
                archive.add(media, arcname="media")
        self.stdout.write(
            f"{dump} ({dump.stat().st_size} bytes), {len(manifest['tables'])} tables, "
            f"{len(manifest['files'])} files, {manifest['audit']['rows']} audit entries"
        )
        for lost in manifest["missing_at_backup"]:
            self.stderr.write(f"missing before the backup: {lost['name']} ({lost['in']})")
