"""Notice fan-out benchmark (issue 4): receipts per second of a school-wide notice against COPY.

Run from the repository root:

    .venv/bin/python bench/fanout.py             # SQLite in a temporary file (or DATABASE_URL)
    .venv/bin/python bench/fanout.py --postgres  # postgres://postgres@127.0.0.1:5432/tongxin

It never touches real data: it creates its own throwaway database with Django's test machinery
(on PostgreSQL a database ``tongxin_bench_fanout_<pid>``, created and dropped through the
``postgres`` database; on SQLite a file in a temporary folder) and removes it afterwards, also when
the run fails.

1. Builds one school of ``--guardians`` guardians (default 200,000): half as many students, two
   guardians each, in up to 6 × 98 classes, plus a class of 40 for the feed. The rows are written
   with COPY on PostgreSQL and executemany on SQLite (not timed as part of any figure), then
   ANALYZE gives the planner its statistics, as autovacuum would on a live database.
2. Fan-out: a school-wide notice (Notice + NoticeTarget(kind="school"), published) and
   ``notices.fanout.fan_out(notice)`` inside ``scope(school=…)``, timed with its commit (and so with
   the deferred foreign-key checks PostgreSQL runs at commit). Receipts per second = Receipt rows /
   that time; the same call also writes one StudentReceipt per student.
3. Baseline of the last line, in the same run on the same database: the same rows as fan_out
   writes (the 200,000 receipts and the 100,000 rollups, same columns, same values, prepared in
   Python beforehand and not timed) bulk-inserted into empty scratch tables with the same
   constraints as ``notices_receipt`` and ``notices_studentreceipt``: the same columns, checks,
   unique constraints and indexes (PostgreSQL: ``CREATE TABLE … (LIKE … INCLUDING ALL)``; SQLite:
   the same CREATE TABLE and CREATE INDEX statements) and the same foreign keys (PostgreSQL: added
   from ``pg_constraint``, deferred as Django makes them; since notices 0002 there is none on
   ``school_id``, a copy of the notice's school). The script checks that each scratch table has
   the foreign keys, indexes and checks of its real table. ``COPY … FROM STDIN`` (psycopg 3
   ``write_row``) on PostgreSQL and ``executemany`` on SQLite, timed with its commit (and so with
   the deferred foreign-key checks). The issue asks for "a raw bulk insert of the same rows", and
   the fastest way to do the same work includes the same integrity checks.
   Three more, for information, printed on their own lines: the receipt rows alone into a scratch
   table without foreign keys (``LIKE … INCLUDING ALL`` copies none; the last line's baseline until
   2026-11-30, ``fanout_vs_raw_without_foreign_keys_ratio``), receipts and rollups without foreign
   keys, and the receipts alone with the foreign keys.
   Every measurement is repeated ``--repeat`` times on emptied tables (TRUNCATE / DELETE),
   interleaved (fan-out, then each baseline, then again), so that a busy moment of the machine
   hits all alike; figures are medians.
4. Parent feed: ``--feed-notices`` notices (default 2,000) to the class of one parent's child, each
   fanned out; ``list(notices.queries.parent_feed(user))`` timed and its queries counted
   (CaptureQueriesContext) at 20 and at 2,000 notices. One of them is the last school-wide notice
   of step 2, whose 200,000 receipts stay in the table, as in a school that uses notices; the
   others go to the class. Baseline: a bare SQL query of the parent's 50 newest notices through
   their own receipts (``feed_time_2000_vs_bare_query``, for information).

The results are ratios measured in the same run (docs/benchmarks.md, ENGINEERING.md "Performance").
The last line is ``fanout_vs_raw_ratio: X`` (fan-out receipts per second / receipts per second of
the raw insert of the same rows into tables with the same constraints). The goal is X ≥ 0.8 on
PostgreSQL: there the script exits with status 1 when it is missed, or when the feed's query count
grows from 20 to 2,000 notices. On SQLite it only reports.
``--explain`` (PostgreSQL) adds EXPLAIN ANALYZE of the fan-out's receipt statement (and, while it
has the shape of the first version, of two variants: ordered by guardian, and an anti-join instead
of ON CONFLICT) and of the parent feed at 2,000 notices, to see where the time goes.
"""

import argparse
import datetime
import os
import re
import sqlite3
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/tongxin"
GOAL = 0.8
FEED_CLASS_SIZE = 40
MAX_CLASS_NUMBER = 98  # class numbers 1–98 in each grade; 99 in grade 1 is the feed's class


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", action="store_true", help=f"use {POSTGRES_URL} (a throwaway database on it)")
    parser.add_argument("--guardians", type=int, default=200_000, help="guardians of the school (default 200000)")
    parser.add_argument("--repeat", type=int, default=3, help="repetitions of each measurement (default 3)")
    parser.add_argument("--feed-notices", type=int, default=2000, help="notices at the parent (default 2000)")
    parser.add_argument("--feed-small", type=int, default=20, help="notices of the small feed (default 20, ≥ 2)")
    parser.add_argument("--no-feed", action="store_true", help="skip the parent feed")
    parser.add_argument("--explain", action="store_true", help="PostgreSQL: EXPLAIN ANALYZE the fan-out and variants")
    args = parser.parse_args(argv)
    if args.feed_small < 2 or args.feed_notices <= args.feed_small:
        parser.error("--feed-small must be at least 2 and smaller than --feed-notices")
    if args.guardians < 2 or args.guardians % 2:
        parser.error("--guardians must be an even number ≥ 2 (two guardians a student)")

    from harness import run_in_throwaway_database

    return run_in_throwaway_database(
        "fanout", postgres=args.postgres, run=lambda setup_seconds: _run(args, setup_seconds)
    )


def _statement_kind(sql: str) -> str:
    text = sql.lstrip()
    verb = text.split(None, 1)[0].upper() if text else "?"
    match = None
    if verb == "INSERT":
        match = re.search(r'INTO\s+"?(\w+)"?', text, re.IGNORECASE)
    elif verb == "UPDATE":
        match = re.search(r'UPDATE\s+"?(\w+)"?', text, re.IGNORECASE)
    elif verb == "SELECT":
        match = re.search(r'FROM\s+"?(\w+)"?', text, re.IGNORECASE)
    return f"{verb} {match.group(1)}" if match else verb


def _run(args, setup_seconds: float) -> int:
    from django.core.management.color import no_style
    from django.db import connection, transaction
    from django.db.models import Max
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone
    from django_scopes import scope, scopes_disabled

    from accounts.models import User
    from notices.fanout import RECEIPT_CONSTANT_COLUMNS, fan_out
    from notices.models import Notice, NoticeTarget, Receipt, StudentReceipt
    from schools.models import Guardian, School, SchoolClass, StaffMember, Student, StudentGuardian, Term

    vendor = connection.vendor
    postgres = vendor == "postgresql"
    quote = connection.ops.quote_name
    version = sqlite3.sqlite_version
    if postgres:
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            version = cursor.fetchone()[0]
    print(f"database: {vendor} {version} ({connection.settings_dict['NAME']}, throwaway)")
    print(f"cpus: {os.cpu_count()}; setup (create database + migrate): {setup_seconds:.1f} s")

    def execute(sql: str, params=None):
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall() if cursor.description else cursor.rowcount

    def bulk_load(model, columns: list[str], rows) -> None:
        """COPY on PostgreSQL, executemany on SQLite; one transaction."""
        table = quote(model._meta.db_table)
        cols = ", ".join(quote(c) for c in columns)
        with transaction.atomic(), connection.cursor() as cursor:
            if postgres:
                with cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                placeholders = ", ".join(["%s"] * len(columns))
                cursor.executemany(f"INSERT INTO {table} ({cols}) VALUES ({placeholders})", rows)

    def db_value(model, field: str, value):
        return model._meta.get_field(field).get_db_prep_save(value, connection)

    def next_id(model) -> int:
        with scopes_disabled():
            return (model.objects.aggregate(m=Max("pk"))["m"] or 0) + 1

    def analyze() -> None:
        execute("ANALYZE")

    # ---------------------------------------------------------------- 1. the school
    n_guardians = args.guardians
    n_students = n_guardians // 2
    built = time.perf_counter()
    now = timezone.now()
    with scopes_disabled():
        author = User.objects.create_user("bench_admin", None, name="基准管理员", phone="13900000001")
        school = School.objects.create(name="基准小学", code="bench")
        Term.objects.create(
            school=school,
            name="2026—2027学年第一学期",
            start_date=datetime.date(2026, 9, 1),
            end_date=datetime.date(2027, 1, 20),
            is_current=True,
        )
        StaffMember.objects.create(school=school, user=author, is_school_admin=True)
        regular = max(1, min(6 * MAX_CLASS_NUMBER, round((n_students - FEED_CLASS_SIZE) / 45)))
        classes = SchoolClass.objects.bulk_create(
            [SchoolClass(school=school, grade=1 + i % 6, number=1 + i // 6) for i in range(regular)]
            + [SchoolClass(school=school, grade=1, number=99)]
        )
    feed_class = classes[-1]
    class_ids = [c.pk for c in classes[:-1]]
    feed_students = min(FEED_CLASS_SIZE, n_students)
    school_id = school.pk
    created = db_value(Student, "created_at", now)
    student0, guardian0, link0 = next_id(Student), next_id(Guardian), next_id(StudentGuardian)

    def class_of(i: int) -> int:
        return feed_class.pk if i < feed_students else class_ids[i % len(class_ids)]

    bulk_load(
        Student,
        ["id", "school_id", "name", "student_number", "gender", "school_class_id", "status", "created_at"],
        (
            (student0 + i, school_id, f"学生{i}", f"S{i:07d}", "FM"[i % 2], class_of(i), "active", created)
            for i in range(n_students)
        ),
    )
    bulk_load(
        Guardian,
        ["id", "school_id", "name", "phone", "user_id", "activated_at", "created_at"],
        ((guardian0 + g, school_id, f"家长{g}", f"13{g:09d}", None, None, created) for g in range(n_guardians)),
    )
    bulk_load(
        StudentGuardian,
        ["id", "school_id", "student_id", "guardian_id", "relationship"],
        (
            (link0 + g, school_id, student0 + g // 2, guardian0 + g, "父亲" if g % 2 else "母亲")
            for g in range(n_guardians)
        ),
    )
    if postgres:
        for sql in connection.ops.sequence_reset_sql(no_style(), [Student, Guardian, StudentGuardian]):
            execute(sql)
    analyze()
    build_seconds = time.perf_counter() - built
    with scopes_disabled():
        counts = (Student.objects.count(), Guardian.objects.count(), StudentGuardian.objects.count())
    if counts != (n_students, n_guardians, n_guardians):
        raise SystemExit(f"the school holds {counts} students/guardians/links")
    print(
        f"school: {n_students:,} students in {len(classes)} classes, {n_guardians:,} guardians "
        f"(two a student); built in {build_seconds:.1f} s "
        f"({'COPY' if postgres else 'executemany'} + ANALYZE)"
    )

    # ---------------------------------------------------------------- 2. fan-out, 3. baseline
    receipt_table = Receipt._meta.db_table
    student_receipt_table = StudentReceipt._meta.db_table
    delivery_table = "delivery_delivery"

    def empty_receipts() -> None:
        if postgres:
            execute(f"TRUNCATE {quote(receipt_table)}, {quote(student_receipt_table)} CASCADE")
        else:
            with transaction.atomic():
                for table in (delivery_table, receipt_table, student_receipt_table):
                    execute(f"DELETE FROM {quote(table)}")

    def school_notice(n: int) -> Notice:
        with scopes_disabled(), transaction.atomic():
            notice = Notice.objects.create(
                school=school,
                author=author,
                title=f"全校通知{n}",
                body_text="请家长阅读。",
                action=Notice.Action.CONFIRM,
                status=Notice.Status.PUBLISHED,
                published_at=timezone.now(),
                audience_label="全校",
            )
            NoticeTarget.objects.create(school=school, notice=notice, kind=NoticeTarget.Kind.SCHOOL)
        return notice

    # The same rows as fan_out writes, prepared beforehand (not timed): the receipt constants of
    # fan_out, then the guardian; the rollups for the baseline of everything fan_out writes.
    first_notice = school_notice(0)
    constants = [
        value if column.endswith("_id") else db_value(Receipt, column, value)
        for column, value in zip(
            RECEIPT_CONSTANT_COLUMNS, [school_id, first_notice.pk, now, 0, "", "", "", now], strict=True
        )
    ]
    receipt_columns = [*RECEIPT_CONSTANT_COLUMNS, "guardian_id"]
    receipt_rows = [(*constants, guardian0 + g) for g in range(n_guardians)]
    rollup_columns = ["school_id", "notice_id", "student_id"]
    rollup_rows = [(school_id, first_notice.pk, student0 + i) for i in range(n_students)]

    def create_scratch(name: str, source: str, with_foreign_keys: bool) -> None:
        """An empty table with the columns, indexes and checks of ``source``, and its foreign keys
        if asked (PostgreSQL's LIKE … INCLUDING ALL copies none)."""
        execute(f"DROP TABLE IF EXISTS {quote(name)}")
        if postgres:
            execute(f"CREATE TABLE {quote(name)} (LIKE {quote(source)} INCLUDING ALL)")
            if with_foreign_keys:
                for (definition,) in execute(
                    "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass "
                    "AND contype = 'f'",
                    [source],
                ):
                    execute(f"ALTER TABLE {quote(name)} ADD {definition}")
        else:
            statements = execute(
                "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = %s AND sql IS NOT NULL ORDER BY type DESC",
                [source],
            )
            for kind, obj_name, sql in statements:  # the table first, then its indexes
                sql = sql.replace(f'"{source}"', quote(name))
                if kind != "table":
                    sql = sql.replace(f'"{obj_name}"', quote(f"{name}_{obj_name}"), 1)
                elif not with_foreign_keys:
                    sql = re.sub(r'\s+REFERENCES\s+"\w+"\s*\("\w+"\)(\s+DEFERRABLE INITIALLY DEFERRED)?', "", sql)
                execute(sql)

    def raw_insert(loads: list[tuple[str, list[str], list[tuple]]]) -> float:
        """COPY (PostgreSQL) or executemany (SQLite) of the prepared rows into emptied scratch
        tables, in one transaction; timed with its commit, nothing else."""
        for name, _columns, _rows in loads:
            execute(f"TRUNCATE {quote(name)}" if postgres else f"DELETE FROM {quote(name)}")
        with connection.cursor() as cursor:
            t0 = time.perf_counter()
            with transaction.atomic():
                for name, columns, rows in loads:
                    cols = ", ".join(quote(c) for c in columns)
                    if postgres:
                        with cursor.copy(f"COPY {quote(name)} ({cols}) FROM STDIN") as copy:
                            for row in rows:
                                copy.write_row(row)
                    else:
                        placeholders = ", ".join(["%s"] * len(columns))
                        cursor.executemany(f"INSERT INTO {quote(name)} ({cols}) VALUES ({placeholders})", rows)
            seconds = time.perf_counter() - t0
        for name, _columns, rows in loads:
            stored = execute(f"SELECT count(*) FROM {quote(name)}")[0][0]
            if stored != len(rows):
                raise SystemExit(f"the raw insert stored {stored} rows in {name}, not {len(rows)}")
        return seconds

    def shape(table: str) -> tuple[list[tuple[str, str]], list[tuple[tuple[str, ...], bool]], int]:
        """Foreign keys (column, referenced table), indexes (columns, unique) and checks of a table."""
        with connection.cursor() as cursor:
            constraints = connection.introspection.get_constraints(cursor, table).values()
        foreign_keys = sorted((c["columns"][0], c["foreign_key"][0]) for c in constraints if c["foreign_key"])
        # a set: SQLite reports a UNIQUE of the table both as a constraint and as its index
        indexes = {
            (tuple(c["columns"]), bool(c["unique"]))
            for c in constraints
            if c["index"] or c["unique"] or c["primary_key"]
        }
        return foreign_keys, sorted(indexes), sum(1 for c in constraints if c["check"])

    scratch_tables = {
        "bench_raw_receipt": (receipt_table, False),
        "bench_raw_rollup": (student_receipt_table, False),
        "bench_raw_receipt_fk": (receipt_table, True),
        "bench_raw_rollup_fk": (student_receipt_table, True),
    }
    for name, (source, with_fk) in scratch_tables.items():
        create_scratch(name, source, with_fk)
        real, (foreign_keys, indexes, checks) = shape(source), shape(name)
        if (foreign_keys, indexes, checks) != (real[0] if with_fk else [], *real[1:]):
            raise SystemExit(f"scratch table {name} is {shape(name)}, not like {source} {real}")
        keys = ", ".join(f"{column} → {target}" for column, target in foreign_keys) or "none"
        print(
            f"scratch table {name}: as {source}, {len(indexes)} indexes "
            f"({sum(u for _, u in indexes)} unique), {checks} checks; foreign keys: {keys}"
        )
    receipts_load = ("bench_raw_receipt", receipt_columns, receipt_rows)
    rollups_load = ("bench_raw_rollup", rollup_columns, rollup_rows)
    receipts_fk_load = ("bench_raw_receipt_fk", receipt_columns, receipt_rows)
    rollups_fk_load = ("bench_raw_rollup_fk", rollup_columns, rollup_rows)
    baseline_loads = {
        "same": [receipts_fk_load, rollups_fk_load],  # the last line's: same rows, same constraints
        "no_fk": [receipts_load],  # for information: the receipts alone, without foreign keys
        "no_fk_rollups": [receipts_load, rollups_load],  # … and the rollups, without foreign keys
        "fk": [receipts_fk_load],  # … the receipts alone, with the foreign keys
    }
    baselines: dict[str, list[float]] = {key: [] for key in baseline_loads}

    fan_seconds: list[float] = []
    phase_seconds: dict[str, list[float]] = {}
    receipt_sql = ""
    notice = first_notice
    # Interleaved: each repetition runs the fan-out, then every baseline, so that a busy moment of
    # this shared machine hits them alike.
    for rep in range(args.repeat):
        empty_receipts()
        notice = first_notice if rep == 0 else school_notice(rep)
        with scope(school=[school_id]), CaptureQueriesContext(connection) as captured:
            t0 = time.perf_counter()
            result = fan_out(notice)
            fan_seconds.append(time.perf_counter() - t0)
        for q in captured.captured_queries:
            kind = _statement_kind(q["sql"])
            if kind == f"INSERT {receipt_table}":
                receipt_sql = q["sql"]
            phase_seconds.setdefault(kind, []).append(float(q["time"]))
        with scopes_disabled():
            stored = (
                Receipt.objects.filter(notice=notice).count(),
                StudentReceipt.objects.filter(notice=notice).count(),
            )
        if result != {"receipts": n_guardians, "students": n_students} or stored != (n_guardians, n_students):
            raise SystemExit(f"fan-out made {result}, stored {stored}")
        for key, loads in baseline_loads.items():
            baselines[key].append(raw_insert(loads))
    for name in scratch_tables:
        execute(f"DROP TABLE {quote(name)}")

    fan_rate = n_guardians / statistics.median(fan_seconds)
    same_rate = n_guardians / statistics.median(baselines["same"])
    no_fk_rate = n_guardians / statistics.median(baselines["no_fk"])
    no_fk_rollups_rate = n_guardians / statistics.median(baselines["no_fk_rollups"])
    fk_rate = n_guardians / statistics.median(baselines["fk"])
    ratio = fan_rate / same_rate

    # ---------------------------------------------------------------- EXPLAIN (investigation)
    if args.explain and postgres:
        _explain(execute, receipt_sql, receipt_table, notice.pk)

    # ---------------------------------------------------------------- 4. parent feed
    feed = None
    if not args.no_feed:
        # The last school-wide notice and its receipts stay: it is one of the parent's notices.
        feed = _feed(args, school, author, feed_class, guardian0, now)

    # ---------------------------------------------------------------- report
    raw_label = "COPY" if postgres else "executemany"
    print(f"repetitions: {args.repeat} of each on emptied tables; times are medians")
    print()
    header = f"{'measurement':<58} {'rows':>9} {'median s':>9} {'min s':>7} {'max s':>7} {'rows/s':>10}"
    print(header)
    print("-" * len(header))

    def line(label: str, n_rows: int, seconds: list[float]) -> None:
        med = statistics.median(seconds)
        print(f"{label:<58} {n_rows:>9,} {med:>9.3f} {min(seconds):>7.3f} {max(seconds):>7.3f} {n_rows / med:>10,.0f}")

    line(f"fan_out(): receipts (+ {n_students:,} student rollups)", n_guardians, fan_seconds)
    line(f"raw {raw_label}: same rows, same constraints (baseline)", n_guardians, baselines["same"])
    line(f"raw {raw_label}: receipts alone, no foreign keys", n_guardians, baselines["no_fk"])
    line(f"raw {raw_label}: receipts + rollups, no foreign keys", n_guardians, baselines["no_fk_rollups"])
    line(f"raw {raw_label}: receipts alone, same foreign keys", n_guardians, baselines["fk"])
    print(
        f"(rows/s counts receipts only, in every line; the baseline also writes the {n_students:,} rollups, "
        "into scratch tables with the foreign keys, unique constraints, indexes and checks of the real ones)"
    )
    print()
    print("fan_out() statement by statement (medians; COMMIT runs the deferred foreign-key checks):")
    for kind, seconds in phase_seconds.items():
        print(f"  {kind:<40} {statistics.median(seconds):>8.3f} s")
    receipt_insert = statistics.median(phase_seconds.get(f"INSERT {receipt_table}", [float("nan")]))
    print(
        f"receipt INSERT … SELECT alone: {n_guardians / receipt_insert:,.0f} rows/s = "
        f"{(n_guardians / receipt_insert) / no_fk_rate:.2f} × raw receipts alone without foreign keys "
        "(without the rollups and the commit)"
    )
    if feed is not None:
        print()
        _print_feed(feed)
    if not postgres:
        print()
        print(f"(SQLite: only reported; the goal of {GOAL} × raw is for PostgreSQL)")
    print()
    print(f"fanout_vs_raw_without_foreign_keys_ratio: {fan_rate / no_fk_rate:.2f}")
    print(f"fanout_vs_raw_receipts_and_rollups_without_foreign_keys_ratio: {fan_rate / no_fk_rollups_rate:.2f}")
    print(f"fanout_vs_raw_receipts_with_foreign_keys_ratio: {fan_rate / fk_rate:.2f}")
    print(f"fanout_receipts_per_second: {fan_rate:,.0f}")
    print(f"raw_insert_without_foreign_keys_rows_per_second: {no_fk_rate:,.0f}")
    print(f"raw_insert_rows_per_second: {same_rate:,.0f}")
    print(f"fanout_vs_raw_ratio: {ratio:.2f}")
    if not postgres:
        return 0
    feed_ok = feed is None or feed["queries_large"] == feed["queries_small"]
    return 0 if ratio >= GOAL and feed_ok else 1


def _explain(execute, receipt_sql: str, receipt_table: str, notice_id: int) -> None:
    """EXPLAIN ANALYZE the receipt statement fan_out ran, and variants of it, each on an emptied
    table (TRUNCATE inside a transaction that is rolled back), with the foreign-key checks made
    immediate so that their time shows as "Trigger for constraint" lines."""
    from django.db import transaction

    class Rollback(Exception):
        pass

    def explain(label: str, sql: str) -> None:
        plan = []
        try:
            with transaction.atomic():
                execute("SET CONSTRAINTS ALL IMMEDIATE")
                execute(f'TRUNCATE "{receipt_table}" CASCADE')
                plan = execute(f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) {sql}")
                raise Rollback
        except Rollback:
            pass
        print(f"--- {label}")
        for (text,) in plan:
            print(f"    {text}")

    inner_end = ") sub WHERE true ON CONFLICT DO NOTHING"
    if not receipt_sql.endswith(inner_end) or "ORDER BY" in receipt_sql:
        print()
        print("EXPLAIN ANALYZE of the receipt statement of fan_out (foreign keys checked immediately):")
        explain("as fan_out runs it", receipt_sql)
        return
    ordered = receipt_sql.replace(inner_end, " ORDER BY 1) sub WHERE true ON CONFLICT DO NOTHING")
    anti_join = (
        ' ORDER BY 1) sub WHERE NOT EXISTS (SELECT 1 FROM "notices_receipt" r '
        f"WHERE r.notice_id = {int(notice_id)} AND r.guardian_id = sub.guardian_id)"
    )
    print()
    print("EXPLAIN ANALYZE of the receipt statement of fan_out (foreign keys checked immediately):")
    explain("as fan_out runs it", receipt_sql)
    explain("with ORDER BY guardian_id in the SELECT", ordered)
    explain("ORDER BY guardian_id, NOT EXISTS instead of ON CONFLICT", receipt_sql.replace(inner_end, anti_join))


def _feed(args, school, author, feed_class, guardian0: int, now) -> dict:
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext
    from django_scopes import scope, scopes_disabled

    from accounts.models import User
    from notices.fanout import fan_out
    from notices.models import Notice, NoticeTarget, Receipt
    from notices.queries import parent_feed
    from schools.models import Guardian

    with scopes_disabled():
        guardian = Guardian.objects.get(pk=guardian0)  # the mother of the feed class's first child
        parent = User.objects.create_user(guardian.phone, None, name=guardian.name, phone=guardian.phone)
        guardian.user, guardian.activated_at = parent, now
        guardian.save(update_fields=["user", "activated_at"])

    made = 0
    fan_out_seconds = 0.0

    def add_notices(n: int) -> None:
        nonlocal made, fan_out_seconds
        actions = [Notice.Action.READ, Notice.Action.CONFIRM, Notice.Action.ANSWER, Notice.Action.NONE]
        with scopes_disabled(), transaction.atomic():
            notices = Notice.objects.bulk_create(
                [
                    Notice(
                        school=school,
                        author=author,
                        title=f"班级通知{made + i}",
                        body_text="请家长阅读。",
                        action=actions[(made + i) % 4],
                        options=["参加", "不参加"] if actions[(made + i) % 4] == Notice.Action.ANSWER else [],
                        deadline=now + datetime.timedelta(days=7) if (made + i) % 3 else None,
                        status=Notice.Status.PUBLISHED,
                        published_at=now - datetime.timedelta(minutes=made + i),
                        pinned=(made + i) % 500 == 0,
                        audience_label=feed_class.name,
                    )
                    for i in range(n)
                ]
            )
            NoticeTarget.objects.bulk_create(
                [
                    NoticeTarget(school=school, notice=notice, kind=NoticeTarget.Kind.CLASS, school_class=feed_class)
                    for notice in notices
                ]
            )
        t0 = time.perf_counter()
        with scope(school=[school.pk]):
            for notice in notices:
                fan_out(notice)
        fan_out_seconds += time.perf_counter() - t0
        made += n

    # The baseline of the feed: a bare query of the parent's 50 newest notices, from their own
    # receipts (found through the guardian index), without the to-do order and the per-notice
    # columns. What any feed must at least read.
    bare_sql = (
        "SELECT n.id, n.title, n.published_at FROM notices_receipt r "
        "JOIN notices_notice n ON n.id = r.notice_id "
        "WHERE r.guardian_id IN (SELECT g.id FROM schools_guardian g WHERE g.user_id = %s) "
        "AND n.status = 'published' ORDER BY n.pinned DESC, n.published_at DESC, n.id DESC LIMIT 50"
    )

    def measure_bare() -> float:
        times = []
        with connection.cursor() as cursor:
            cursor.execute(bare_sql, [parent.pk])  # warm
            for _ in range(5):
                t0 = time.perf_counter()
                cursor.execute(bare_sql, [parent.pk])
                cursor.fetchall()
                times.append(time.perf_counter() - t0)
        return statistics.median(times)

    def measure() -> tuple[int, float, int]:
        times, queries, shown = [], set(), 0
        with scope(school=[school.pk]):
            list(parent_feed(parent))  # warm
            for _ in range(5):
                with CaptureQueriesContext(connection) as captured:
                    t0 = time.perf_counter()
                    shown = len(list(parent_feed(parent)))
                    times.append(time.perf_counter() - t0)
                queries.add(len(captured))
        if len(queries) != 1:
            raise SystemExit(f"parent_feed: query count changed between repetitions: {queries}")
        return queries.pop(), statistics.median(times), shown

    add_notices(args.feed_small - 1)  # + the school-wide notice
    execute_analyze()
    q_small, t_small, shown_small = measure()
    bare_small = measure_bare()
    add_notices(args.feed_notices - args.feed_small)
    execute_analyze()
    q_large, t_large, shown_large = measure()
    bare_large = measure_bare()
    if args.explain and connection.vendor == "postgresql":
        with scope(school=[school.pk]):
            plan = parent_feed(parent).explain(analyze=True, buffers=True, costs=False)
        print()
        print(f"EXPLAIN ANALYZE of parent_feed at {args.feed_notices:,} notices:")
        for text in plan.splitlines():
            print(f"    {text}")
    with scopes_disabled():
        mine = Receipt.objects.filter(guardian__user=parent).count()
        total = Receipt.objects.count()
    if mine != args.feed_notices:
        raise SystemExit(f"the parent has {mine} receipts, expected {args.feed_notices}")
    return {
        "small": args.feed_small,
        "large": args.feed_notices,
        "queries_small": q_small,
        "queries_large": q_large,
        "time_small": t_small,
        "time_large": t_large,
        "shown_small": shown_small,
        "shown_large": shown_large,
        "bare_small": bare_small,
        "bare_large": bare_large,
        "receipts_total": total,
        "fan_out_seconds": fan_out_seconds,
    }


def execute_analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _print_feed(feed: dict) -> None:
    header = f"{'parent feed':<32} {'queries':>8} {'median ms':>10} {'shown':>6} {'bare SQL ms':>12} {'× bare':>7}"
    print(header)
    print("-" * len(header))
    for size in ("small", "large"):
        print(
            f"{'parent with ' + format(feed[size], ',') + ' notices':<32} {feed['queries_' + size]:>8} "
            f"{feed['time_' + size] * 1000:>10.1f} {feed['shown_' + size]:>6} {feed['bare_' + size] * 1000:>12.2f} "
            f"{feed['time_' + size] / feed['bare_' + size]:>7.1f}"
        )
    print(
        f"(one notice to the whole school, the others to the child's class of {FEED_CLASS_SIZE}, fanned out one "
        f"by one: {feed['large'] - 1:,} fan_out() calls in {feed['fan_out_seconds']:.1f} s; "
        f"{feed['receipts_total']:,} receipts in the table; 5 timed runs after one warm-up; the bare SQL query "
        f"reads the parent's 50 newest notices through their receipts, with no ORM)"
    )
    print(f"feed_queries_{feed['large']}_vs_{feed['small']}: {feed['queries_large'] / feed['queries_small']:.2f}")
    print(f"feed_time_{feed['large']}_vs_{feed['small']}: {feed['time_large'] / feed['time_small']:.2f}")
    print(f"feed_time_{feed['large']}_vs_bare_query: {feed['time_large'] / feed['bare_large']:.1f}")


if __name__ == "__main__":
    sys.exit(main())
