"""Roster import benchmark (issue 3): the queries of a whole-school import do not grow with the rows.

Run from the repository root:

    .venv/bin/python bench/import_roster.py             # SQLite in a temporary file (or DATABASE_URL)
    .venv/bin/python bench/import_roster.py --postgres  # postgres://postgres@127.0.0.1:5432/tongxin

It never touches real data: it creates its own throwaway database with Django's test machinery
(on PostgreSQL a database ``tongxin_bench_import_<pid>``, created and dropped through the
``postgres`` database; on SQLite a file in a temporary folder) and removes it afterwards, also when
the run fails.

For each size (300 and 3,000 rows, built by ``schools.tests.rosterfiles.big_school_xlsx``: two
guardians a row, 12 classes) the roster goes into a fresh school, so both are first imports; then
the 3,000-row file is imported a second time into the same school (the idempotent, no-change path).
Measured for each: the SQL queries of ``do_import_roster`` (CaptureQueriesContext), the wall time of
read + parse + plan + apply (time.perf_counter), and rows per second. Every import is repeated
``--repeat`` times, each into its own fresh school; times are the median, query counts must be the
same in every repetition.

The results are ratios measured in the same run (docs/benchmarks.md, ENGINEERING.md "Performance").
The last line is ``import_queries_growth_ratio: X``; the script exits with status 1 when the query
count of the 3,000-row import differs from that of the 300-row import.
"""

import argparse
import os
import re
import sqlite3
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/tongxin"


@dataclass
class Measure:
    label: str
    rows: int
    queries: int
    plan_queries: int
    seconds: list[float] = field(default_factory=list)
    phases: dict[str, list[float]] = field(default_factory=dict)
    statements: Counter = field(default_factory=Counter)
    summary: dict = field(default_factory=dict)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.median


def _statement_kind(sql: str) -> str:
    """INSERT schools_guardian, SELECT schools_student … : what a captured query does, to what."""
    text = sql.lstrip()
    verb = text.split(None, 1)[0].upper() if text else "?"
    if verb == "INSERT":
        match = re.search(r'INTO\s+"?(\w+)"?', text, re.IGNORECASE)
    elif verb == "UPDATE":
        match = re.search(r'UPDATE\s+"?(\w+)"?', text, re.IGNORECASE)
    else:
        match = re.search(r'FROM\s+"?(\w+)"?', text, re.IGNORECASE)
    return f"{verb} {match.group(1)}" if match else verb


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", action="store_true", help=f"use {POSTGRES_URL} (a throwaway database on it)")
    parser.add_argument("--small", type=int, default=300, help="rows of the small roster (default 300)")
    parser.add_argument("--large", type=int, default=3000, help="rows of the large roster (default 3000)")
    parser.add_argument("--repeat", type=int, default=3, help="imports of each size, each into a fresh school")
    parser.add_argument("--verbose", action="store_true", help="list the statements of each do_import_roster")
    args = parser.parse_args(argv)

    from harness import run_in_throwaway_database

    return run_in_throwaway_database(
        "import", postgres=args.postgres, run=lambda setup_seconds: _run(args, setup_seconds)
    )


def _run(args, setup_seconds: float) -> int:
    import datetime

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django_scopes import scope, scopes_disabled

    from conftest import build_cast
    from schools.actions import do_import_roster
    from schools.models import Guardian, School, StaffMember, Student, StudentGuardian, Term
    from schools.roster import parse_rows, plan_import
    from schools.rosterfile import read_roster_file
    from schools.tests.rosterfiles import big_school_xlsx

    cast = build_cast()  # two small schools already in the database, and an acting admin
    actor = cast.admin_zhang
    vendor = connection.vendor
    version = sqlite3.sqlite_version if vendor == "sqlite" else ""
    if vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            version = cursor.fetchone()[0]
    print(f"database: {vendor} {version} ({connection.settings_dict['NAME']}, throwaway)")
    print(f"max_query_params: {connection.features.max_query_params}")
    print(f"cpus: {os.cpu_count()}; setup (create database + migrate): {setup_seconds:.1f} s")

    schools_made = 0

    def fresh_school() -> School:
        nonlocal schools_made
        schools_made += 1
        with scopes_disabled():
            school = School.objects.create(name=f"基准小学{schools_made}", code=f"bench{schools_made}")
            Term.objects.create(
                school=school,
                name="2026—2027学年第一学期",
                start_date=datetime.date(2026, 9, 1),
                end_date=datetime.date(2027, 1, 20),
                is_current=True,
            )
            StaffMember.objects.create(school=school, user=actor, is_school_admin=True)
        return school

    def import_once(school: School, data: bytes, measure: Measure | None, label: str, rows: int) -> Measure:
        t0 = time.perf_counter()
        sheet = read_roster_file(data, "花名册.xlsx")
        t1 = time.perf_counter()
        parsed = parse_rows(sheet, max_grade=school.grade_count)
        t2 = time.perf_counter()
        with scope(school=[school.pk]):
            with CaptureQueriesContext(connection) as planned:
                plan = plan_import(school, parsed, allow_new_classes=True)
            t3 = time.perf_counter()
            with CaptureQueriesContext(connection) as applied:
                summary = do_import_roster(plan, acting_user=actor, filename="花名册.xlsx")
            t4 = time.perf_counter()
        phases = {"read": t1 - t0, "parse": t2 - t1, "plan": t3 - t2, "apply": t4 - t3}
        statements = Counter(_statement_kind(q["sql"]) for q in applied.captured_queries)
        if measure is None:
            measure = Measure(label, rows, len(applied), len(planned), statements=statements, summary=summary)
        elif (len(applied), len(planned)) != (measure.queries, measure.plan_queries):
            raise SystemExit(
                f"{label}: query count changed between repetitions "
                f"({measure.queries}+{measure.plan_queries} → {len(applied)}+{len(planned)})"
            )
        measure.summary = summary
        measure.seconds.append(t4 - t0)
        for name, seconds in phases.items():
            measure.phases.setdefault(name, []).append(seconds)
        return measure

    def check(summary: dict, rows: int, first: bool) -> None:
        expected = (
            {"students_created": rows, "guardians_created": 2 * rows, "guardians_linked": 2 * rows}
            if first
            else {"students_created": 0, "students_updated": 0, "guardians_created": 0, "guardians_linked": 0}
        )
        got = {k: summary[k] for k in expected}
        if got != expected or summary["rejected"]:
            raise SystemExit(f"unexpected import result for {rows} rows: {got} (rejected: {len(summary['rejected'])})")

    files = {rows: big_school_xlsx(rows) for rows in (args.small, args.large)}
    small = large = again = None
    large_schools = []
    for _ in range(args.repeat):
        school = fresh_school()
        small = import_once(school, files[args.small], small, f"first import, {args.small} rows", args.small)
        check(small.summary, args.small, first=True)
        school = fresh_school()
        large = import_once(school, files[args.large], large, f"first import, {args.large} rows", args.large)
        check(large.summary, args.large, first=True)
        large_schools.append(school)
    for school in large_schools:
        again = import_once(school, files[args.large], again, f"re-import, {args.large} rows", args.large)
        check(again.summary, args.large, first=False)
    assert small is not None and large is not None and again is not None

    with scope(school=[large_schools[0].pk]):
        counts = (Student.objects.count(), Guardian.objects.count(), StudentGuardian.objects.count())
    if counts != (args.large, 2 * args.large, 2 * args.large):
        raise SystemExit(f"the re-imported school holds {counts} students/guardians/links")

    print(f"repetitions: {args.repeat} of each (fresh school each time); times are medians")
    print()
    header = (
        f"{'import':<26} {'apply queries':>13} {'plan queries':>12} {'read s':>7} {'parse s':>7} "
        f"{'plan s':>7} {'apply s':>7} {'total s':>7} {'rows/s':>8}"
    )
    print(header)
    print("-" * len(header))
    for m in (small, large, again):
        ph = {name: statistics.median(v) for name, v in m.phases.items()}
        print(
            f"{m.label:<26} {m.queries:>13} {m.plan_queries:>12} {ph['read']:>7.3f} {ph['parse']:>7.3f} "
            f"{ph['plan']:>7.3f} {ph['apply']:>7.3f} {m.median:>7.3f} {m.rows_per_second:>8,.0f}"
        )
    print()
    for m in (small, large):
        if m.statements != small.statements or args.verbose:
            print(f"statements of do_import_roster, {m.label}:")
            for kind, n in sorted(m.statements.items()):
                print(f"  {n} × {kind}")
    if large.statements != small.statements:
        grown = {k: (small.statements[k], large.statements[k]) for k in large.statements | small.statements}
        grown = {k: v for k, v in grown.items() if v[0] != v[1]}
        print(f"statements that grew ({args.small} → {args.large} rows): {grown}")
        print(
            f"(bulk_create splits an insert into statements of max_query_params // columns rows; "
            f"max_query_params here: {connection.features.max_query_params})"
        )
        print()

    growth = large.queries / small.queries
    print(f"queries_{args.large}_vs_{args.small}: {growth:.2f}")
    print(f"rows_per_second_{args.large}_vs_{args.small}: {large.rows_per_second / small.rows_per_second:.2f}")
    print(f"reimport_vs_first_import_time_{args.large}: {again.median / large.median:.2f}")
    print(f"import_queries_growth_ratio: {growth:.2f}")
    return 0 if large.queries == small.queries else 1


if __name__ == "__main__":
    sys.exit(main())
