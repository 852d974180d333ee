"""Backup and restore, rehearsed (issue 20, security-test-plan R-11).

``manage.py backup`` takes ``pg_dump`` while Tongxin is in use, with a manifest from the same
snapshot and the media folder; the dump is restored into a NEW database with the files, and
``manage.py check_restore`` proves every row, every file and the audit log's hash chain are back,
and says what is not when something is missing. The commands are the ones of docs/deployment.md
section 10 (checked below, so the two cannot drift apart).
"""

import json
import os
import shutil
import struct
import subprocess
import sys
import tarfile
import threading
import time
import zlib
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django_scopes import scopes_disabled

from audit.actions import record
from audit.backup import build_manifest, check_restore
from audit.models import AuditEntry
from chat.actions import private_conversation
from chat.models import Message
from notices.models import Notice, NoticeAttachment

ROOT = Path(__file__).resolve().parent.parent


def png(seed: int) -> bytes:
    raw = b"\x00" + bytes([seed % 256, 0, 0, 255])
    chunk = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)  # noqa: E731
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 6, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def publish_with_attachment(client, cast, n: int):
    return client.post(
        "/notices/new/",
        {
            "title": f"通知{n}",
            "body": "请看附件。",
            "action": "read",
            "classes": [cast.class1.pk],
            "attachments": [SimpleUploadedFile(f"图{n}.png", png(n))],
        },
    )


def use_tongxin(cast, n: int) -> None:
    """What a school does for a moment: a notice with a file, a family's message, a recall (an
    audit entry)."""
    assert publish_with_attachment(cast.client(cast.ms_li), cast, n).status_code == 302
    with scopes_disabled():
        conversation = private_conversation(cast.ms_li, cast.alice_child)
        notice = Notice.objects.filter(title=f"通知{n}").get()
    sent = cast.client(cast.alice).post(
        f"/api/v1/conversations/{conversation.pk}/messages",
        {"body": f"收到{n}", "client_key": f"k{n}"},
        content_type="application/json",
    )
    assert sent.status_code == 201
    if n % 2:
        assert cast.client(cast.ms_li).post(f"/api/v1/notices/{notice.pk}/recall").status_code == 204


# --- the check itself, on any database --------------------------------------------------------------


@pytest.mark.usefixtures("unscoped")
def test_check_restore_passes_on_the_same_data_and_names_every_difference(school_day, cast):
    # At 10:00: a family's message in a teacher's quiet hours (21:00–07:00) brings an auto-reply,
    # one more chat message than the counts below expect.
    for n in range(3):
        use_tongxin(cast, n)
    record(AuditEntry.Action.EXPORT, actor=cast.ms_li, school=cast.school, summary="导出")
    manifest = json.loads(json.dumps(build_manifest()))  # as written to and read from the file
    assert manifest["tables"]["notices_notice"] == 3 and manifest["tables"]["chat_message"] == 3
    assert len(manifest["files"]) == 3 and manifest["audit"]["rows"] == AuditEntry.objects.count() >= 2
    report = check_restore(manifest)
    assert report.ok, report.problems
    assert report.checked == {"tables": len(manifest["tables"]), "files": 3, "audit entries": manifest["audit"]["rows"]}

    # What a bad restore looks like: a file not unpacked, a row not restored, an audit entry changed.
    attachment = NoticeAttachment.objects.order_by("pk").first()
    assert attachment is not None
    Path(attachment.file.path).unlink()
    Message.objects.filter(pk=Message.objects.order_by("pk").last().pk).delete()  # type: ignore[union-attr]
    if connection.vendor == "postgresql":  # past the append-only trigger, as someone with the database's keys
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
    AuditEntry.objects.filter(pk=AuditEntry.objects.order_by("pk").first().pk).update(summary="改过")  # type: ignore[union-attr]
    problems = check_restore(manifest).problems
    assert any(p.startswith(f"file {attachment.file.name}") and "missing" in p for p in problems), problems
    assert "table chat_message: 2 rows, the backup had 3" in problems
    assert any(p.startswith("audit log: the hash chain is broken") for p in problems), problems
    assert len(problems) == 3, problems


# --- the drill, on PostgreSQL ---------------------------------------------------------------------------


def _pg_args(name: str) -> list[str]:
    db = connection.settings_dict
    args = ["--host", str(db.get("HOST") or "127.0.0.1"), "--port", str(db.get("PORT") or 5432)]
    if db.get("USER"):
        args += ["--username", str(db["USER"])]
    return [*args, name]


def _url(name: str) -> str:
    db = connection.settings_dict
    auth = db.get("USER") or ""
    if db.get("PASSWORD"):
        auth += f":{db['PASSWORD']}"
    return f"postgres://{auth}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{name}"


def _run(command: list[str], **env) -> subprocess.CompletedProcess:
    environment = {**os.environ, **env}
    if connection.settings_dict.get("PASSWORD"):
        environment["PGPASSWORD"] = str(connection.settings_dict["PASSWORD"])
    return subprocess.run(command, env=environment, capture_output=True, text=True, timeout=300, check=False)


def _manage(*args: str, database: str, data_dir: Path) -> subprocess.CompletedProcess:
    return _run(
        [sys.executable, str(ROOT / "manage.py"), *args], DATABASE_URL=_url(database), TONGXIN_DATA_DIR=str(data_dir)
    )


@pytest.mark.faults
@pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_dump and pg_restore need PostgreSQL")
@pytest.mark.skipif(not shutil.which("pg_restore"), reason="the PostgreSQL client programs are not installed")
@pytest.mark.django_db(transaction=True)
def test_a_backup_taken_while_in_use_restores_into_a_new_database_whole(transactional_db, settings, tmp_path):
    from conftest import build_cast

    live, restored_data, backup = tmp_path / "live", tmp_path / "restored", tmp_path / "backup"
    settings.MEDIA_ROOT = live / "media"  # the running Tongxin's uploads, as TONGXIN_DATA_DIR gives them
    cast = build_cast()
    for n in range(4):
        use_tongxin(cast, n)

    # Tongxin keeps being used while the backup runs.
    stop, done, errors = threading.Event(), [], []

    def keep_writing():
        n = 100
        try:
            while not stop.is_set():
                use_tongxin(cast, n)
                done.append(n)
                n += 1
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        deadline = time.monotonic() + 30
        while not done and time.monotonic() < deadline:
            time.sleep(0.05)
        written_before = len(done)
        made = _manage("backup", str(backup), database=connection.settings_dict["NAME"], data_dir=live)
        written_during = len(done) - written_before
        deadline = time.monotonic() + 30
        while len(done) < written_before + written_during + 2 and time.monotonic() < deadline:
            time.sleep(0.05)  # and after it
    finally:
        stop.set()
        writer.join(60)
    assert not errors, errors
    assert made.returncode == 0, made.stderr
    assert written_before >= 1 and len(done) > written_before, "the backup was not taken while Tongxin was in use"
    manifest = json.loads((backup / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["snapshot"] and manifest["missing_at_backup"] == []
    with scopes_disabled():
        assert 4 + written_before <= manifest["tables"]["notices_notice"] < Notice.objects.count()
    assert len(manifest["files"]) == manifest["tables"]["notices_noticeattachment"]
    assert manifest["audit"]["rows"] >= 2

    # Restored into a NEW database, with the uploaded files, as docs/deployment.md section 10 does.
    restored = f"{connection.settings_dict['NAME']}_restored_{os.getpid()}"
    _run(["dropdb", "--if-exists", *_pg_args(restored)])
    try:
        created = _run(["createdb", *_pg_args(restored)])
        assert created.returncode == 0, created.stderr
        loaded = _run(
            ["pg_restore", "--no-owner", "--dbname", restored, *_pg_args("")[:-1], str(backup / "tongxin.dump")]
        )
        assert loaded.returncode == 0, loaded.stderr
        restored_data.mkdir()
        with tarfile.open(backup / "media.tar.gz") as archive:
            assert all(m.name == "media" or m.name.startswith("media/") for m in archive.getmembers())
        unpacked = _run(["tar", "-C", str(restored_data), "-xzf", str(backup / "media.tar.gz")])
        assert unpacked.returncode == 0, unpacked.stderr

        checked = _manage("check_restore", str(backup / "manifest.json"), database=restored, data_dir=restored_data)
        assert checked.returncode == 0, checked.stdout + checked.stderr
        assert "restore check passed" in checked.stdout
        assert f"{len(manifest['files'])} files" in checked.stdout
        assert f"{manifest['audit']['rows']} audit entries" in checked.stdout

        # A restore that lost something fails, and says what: a file, a row, an audit entry.
        lost = next(iter(manifest["files"]))
        (restored_data / "media" / lost).unlink()
        import psycopg

        db = connection.settings_dict
        with psycopg.connect(
            host=db.get("HOST") or "127.0.0.1",
            port=db.get("PORT") or 5432,
            user=db.get("USER") or None,
            password=db.get("PASSWORD") or None,
            dbname=restored,
            autocommit=True,
        ) as raw:
            raw.execute("SET session_replication_role = replica")  # past the append-only trigger, as an attacker
            raw.execute("DELETE FROM chat_message WHERE id = (SELECT max(id) FROM chat_message)")
            raw.execute("UPDATE audit_auditentry SET summary = 'x' WHERE id = (SELECT min(id) FROM audit_auditentry)")
        failed = _manage("check_restore", str(backup / "manifest.json"), database=restored, data_dir=restored_data)
        assert failed.returncode == 1
        assert f"PROBLEM: file {lost}" in failed.stderr and "missing from the media folder" in failed.stderr
        assert "PROBLEM: table chat_message:" in failed.stderr
        assert "PROBLEM: audit log: the hash chain is broken" in failed.stderr
        assert "restore check FAILED: 3 problems" in failed.stderr
    finally:
        _run(["dropdb", "--if-exists", *_pg_args(restored)])


def test_the_deployment_guide_does_what_the_drill_does():
    """docs/deployment.md section 10 runs the commands the drill above runs."""
    guide = (ROOT / "docs" / "deployment.md").read_text(encoding="utf-8")
    section = guide.split("## 10. Backups")[1].split("\n## ")[0]
    for command in (
        "manage.py backup ",
        "createdb --owner tongxin tongxin_restore",
        "pg_restore --no-owner --role=tongxin --dbname tongxin_restore ",
        "/tongxin.dump",
        "tar -C /var/lib/tongxin_restore -xzf ",
        "/media.tar.gz",
        "TONGXIN_DATA_DIR=/var/lib/tongxin_restore",
        "manage.py check_restore ",
        "/manifest.json",
        "dropdb tongxin_restore",
    ):
        assert command in section, f"docs/deployment.md section 10 no longer says: {command}"
