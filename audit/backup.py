"""Backups that can be proven: a manifest written from the same snapshot as the dump, and the check
of a restored database against it (``manage.py backup``, ``manage.py check_restore``,
docs/deployment.md section 10).

The manifest holds, as of the snapshot the dump was taken from:
- the number of rows of every table;
- every file the database refers to (every FileField of every model), with its size and SHA-256;
- the audit log's hash chain: each entry hashed together with the hash before it, in id order, with
  a checkpoint every ``CHECKPOINT_EVERY`` entries, so a restored log that differs is found, and
  where it starts to differ.
"""

import datetime
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.apps import apps
from django.core.files.storage import default_storage
from django.db import connection, models
from django.db.migrations.executor import MigrationExecutor
from django_scopes import scopes_disabled

from .models import AuditEntry

FORMAT = 1
CHECKPOINT_EVERY = 500
CHAIN_START = hashlib.sha256(b"tongxin audit log").hexdigest()
TRIGGER = "audit_entry_no_update_delete"  # audit/migrations/0002_append_only_trigger.py


def table_counts() -> dict[str, int]:
    """Rows per table, for every table in the database (Django's own, Celery's, everything)."""
    counts = {}
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names(cursor)):
            cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608 (a table name)
            counts[table] = cursor.fetchone()[0]
    return counts


def _file_fields() -> Iterator[tuple[type[models.Model], str]]:
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        for f in model._meta.concrete_fields:
            if isinstance(f, models.FileField):
                yield model, f.name


def referenced_files() -> dict[str, str]:
    """Every file name the database refers to, with where (``app.model.field``)."""
    names: dict[str, str] = {}
    with scopes_disabled():  # reviewed: the whole database, for the operator's backup
        for model, name in _file_fields():
            for value in model._base_manager.exclude(**{name: ""}).values_list(name, flat=True).iterator():
                if value:
                    names[value] = f"{model._meta.label_lower}.{name}"
    return names


def file_digest(name: str) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    with default_storage.open(name, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def _canonical(row: tuple) -> bytes:
    return json.dumps(
        [v.isoformat() if isinstance(v, datetime.datetime) else v for v in row],
        sort_keys=True,
        ensure_ascii=False,
        default=str,
    ).encode()


AUDIT_COLUMNS = (
    "id",
    "school_id",
    "actor_id",
    "action",
    "target_type",
    "target_id",
    "summary",
    "detail",
    "ip",
    "user_agent",
    "created_at",
)


def audit_chain(until_id: int | None = None) -> dict:
    """The audit log's hash chain up to ``until_id`` (all of it when None)."""
    head, rows, last_id = CHAIN_START, 0, 0
    checkpoints: dict[str, str] = {}
    with scopes_disabled():  # reviewed: every school's log, for the operator's backup
        entries = AuditEntry._base_manager.order_by("id").values_list(*AUDIT_COLUMNS)
        if until_id is not None:
            entries = entries.filter(id__lte=until_id)
        for row in entries.iterator(chunk_size=2000):
            head = hashlib.sha256(head.encode() + _canonical(row)).hexdigest()
            rows, last_id = rows + 1, row[0]
            if rows % CHECKPOINT_EVERY == 0:
                checkpoints[str(last_id)] = head
    return {"rows": rows, "last_id": last_id, "head": head, "checkpoints": checkpoints}


def build_manifest(snapshot: str = "") -> dict:
    """The manifest of the database as the current transaction sees it (``manage.py backup`` runs
    it inside the transaction whose snapshot ``pg_dump`` dumps)."""
    files, missing = {}, []
    for name, where in sorted(referenced_files().items()):
        try:
            size, sha256 = file_digest(name)
        except OSError:
            missing.append({"name": name, "in": where})
            continue
        files[name] = {"size": size, "sha256": sha256, "in": where}
    return {
        "format": FORMAT,
        "created_at": datetime.datetime.now(datetime.UTC).isoformat(),
        "database": connection.vendor,
        "snapshot": snapshot,
        "tables": table_counts(),
        "files": files,
        "missing_at_backup": missing,
        "audit": audit_chain(),
    }


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    checked: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


def _check_tables(manifest: dict, report: Report) -> None:
    counts = table_counts()
    for table, expected in sorted(manifest["tables"].items()):
        if table not in counts:
            report.problems.append(f"table {table}: missing (the backup had {expected} rows)")
        elif counts[table] != expected:
            report.problems.append(f"table {table}: {counts[table]} rows, the backup had {expected}")
    extra = sorted(set(counts) - set(manifest["tables"]))
    if extra:
        report.notes.append(f"tables not in the backup (newer migrations?): {', '.join(extra)}")
    report.checked["tables"] = len(manifest["tables"])


def _check_files(manifest: dict, report: Report) -> None:
    expected = manifest["files"]
    referenced = referenced_files()
    for name, where in sorted(referenced.items()):
        if name not in expected:
            if not any(m["name"] == name for m in manifest.get("missing_at_backup", [])):
                report.problems.append(f"file {name} ({where}): referenced but not in the backup's manifest")
            continue
        try:
            size, sha256 = file_digest(name)
        except OSError:
            report.problems.append(f"file {name} ({where}): missing from the media folder")
            continue
        if (size, sha256) != (expected[name]["size"], expected[name]["sha256"]):
            report.problems.append(f"file {name} ({where}): {size} bytes, differs from the backup")
    for name in sorted(set(expected) - set(referenced)):
        report.problems.append(f"file {name}: in the backup, but no row refers to it any more")
    for lost in manifest.get("missing_at_backup", []):
        report.notes.append(f"file {lost['name']} ({lost['in']}) was already missing when the backup was taken")
    report.checked["files"] = len(expected)


def _check_audit(manifest: dict, report: Report) -> None:
    expected = manifest["audit"]
    found = audit_chain(until_id=expected["last_id"])
    report.checked["audit entries"] = found["rows"]
    if found["head"] != expected["head"] or found["rows"] != expected["rows"]:
        first_bad = next(
            (int(at) for at, head in expected["checkpoints"].items() if found["checkpoints"].get(at) != head), None
        )
        where = f"at or before entry {first_bad}" if first_bad else "after the last checkpoint"
        report.problems.append(
            f"audit log: the hash chain is broken ({found['rows']} entries up to id {expected['last_id']}, "
            f"the backup had {expected['rows']}); it differs from the backup {where}"
        )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT tgenabled FROM pg_trigger WHERE tgname = %s", [TRIGGER])
            row = cursor.fetchone()
        if row is None or row[0] == "D":
            report.problems.append(f"audit log: the append-only trigger {TRIGGER} is missing or disabled")


def _check_migrations(report: Report) -> None:
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        report.notes.append(f"{len(plan)} migrations of this code are not applied: run `manage.py migrate` next")


def check_restore(manifest: dict) -> Report:
    """Compare the database (a restored copy) and the media folder with a backup's manifest."""
    report = Report()
    if manifest.get("format") != FORMAT:
        report.problems.append(f"manifest format {manifest.get('format')!r} is not {FORMAT}")
        return report
    _check_tables(manifest, report)
    _check_files(manifest, report)
    _check_audit(manifest, report)
    _check_migrations(report)
    return report
