"""Contact-book coverage benchmark (issue 5): the coverage pages cost a number of SQL queries that does
not grow with the students.

Run from the repository root:

    .venv/bin/python bench/coverage.py             # SQLite in a temporary file (or DATABASE_URL)
    .venv/bin/python bench/coverage.py --postgres  # postgres://postgres@127.0.0.1:5432/tongxin

It never touches real data: it creates its own throwaway database with Django's test machinery
(on PostgreSQL a database ``tongxin_bench_coverage_<pid>``, created and dropped through the
``postgres`` database; on SQLite a file in a temporary folder) and removes it afterwards, also when
the run fails.

Two schools live side by side in that database, one of 200 students and one of 2,000 (``--small``,
``--large``), each with the same 48 classes (``--classes``: 6 grades of 8), so that everything
measured holds ten times the students in the larger school: the school page 200 → 2,000 students,
one class 5 → 42. Each school has a head teacher for every class, one guardian per student, a
current term and the term before it, and a term of records written with bulk inserts: about 3
contacts per student (``--contacts``; one student in ten not contacted at all, one record in ten
about two classmates, two whole-class records per class), home visits, phone calls (a third of them
this month), praise, shared records acknowledged by families, agreed actions, open and closed care
cases, conversation requests, and a previous term's records that must not be counted.

Measured for each school, each ``--repeat`` times after one unmeasured warm-up (query counts must
be the same in every repetition; times are medians):

- ``contactbook.queries.school_overview(school, term)`` and ``contactbook.queries.coverage(...)``
  for the students of one class: SQL queries (CaptureQueriesContext) and wall time;
- the real pages through ``django.test.Client``: ``/school/coverage/`` as the school admin and
  ``/classes/<id>/coverage/`` as the class's head teacher: queries and wall time;
- a baseline: the bare GROUP BY of the same term's contact links per student (one query), the
  least any coverage page has to read.

The overview's figures are checked against counts made directly in the database. The results are
ratios measured in the same run (docs/benchmarks.md). The script prints a table, then
``coverage_queries_2000_vs_200`` (all four measures' queries, large over small),
``coverage_time_2000_vs_200`` (school_overview), ``overview_vs_bare_group_by_2000`` and, as the last
line, ``coverage_queries_growth_ratio: X``; it exits with status 1 when any query count of the larger
school differs from that of the smaller one.
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

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/tongxin"
# This file is bench/coverage.py: keep its folder off sys.path, so that an ``import coverage``
# anywhere (coverage.py, the measuring tool) never finds this script instead.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]


@dataclass
class Measure:
    label: str
    students: int
    queries: int = -1
    seconds: list[float] = field(default_factory=list)
    statements: Counter = field(default_factory=Counter)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


def _statement_kind(sql: str) -> str:
    """SELECT schools_student, INSERT django_session … : what a captured query does, to what."""
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
    parser.add_argument("--small", type=int, default=200, help="students of the small school (default 200)")
    parser.add_argument("--large", type=int, default=2000, help="students of the large school (default 2000)")
    parser.add_argument("--classes", type=int, default=48, help="classes of each school (default 48, at most 54)")
    parser.add_argument("--contacts", type=float, default=3.0, help="contacts per student this term, on average")
    parser.add_argument("--repeat", type=int, default=3, help="measured runs of each measure (default 3)")
    parser.add_argument("--verbose", action="store_true", help="list the statements of each measure")
    args = parser.parse_args(argv)
    if not 1 <= args.classes <= 54:
        parser.error("--classes: between 1 and 54 (6 grades of at most 9 classes)")

    sys.path.insert(0, str(HERE))  # only for this import: see the note on sys.path above
    from harness import run_in_throwaway_database

    sys.path.remove(str(HERE))

    return run_in_throwaway_database(
        "coverage", postgres=args.postgres, run=lambda setup_seconds: _run(args, setup_seconds)
    )


@dataclass
class BuiltSchool:
    school: object
    term: object
    admin: object
    first_class: object
    head_of_first_class: object
    students: int
    class_students: int
    records: int
    links: int


def _build_school(index: int, students: int, classes: int, contacts: float, seed: int) -> BuiltSchool:
    """A school with its classes, staff, families and a term of records, in bulk inserts."""
    import datetime
    import random

    from django.utils import timezone
    from django_scopes import scopes_disabled

    from accounts.models import User
    from contactbook.models import (
        CONCERN_TOPICS,
        Acknowledgement,
        ActionItem,
        CareCase,
        ContactRecord,
        ContactStudent,
        ConversationRequest,
        CoverageRules,
        Topic,
    )
    from schools.models import (
        Enrollment,
        Guardian,
        School,
        SchoolClass,
        StaffAssignment,
        StaffMember,
        Student,
        StudentGuardian,
        Term,
    )

    rng = random.Random(seed)
    today = timezone.localdate()
    month_start = today.replace(day=1)
    now = timezone.now()
    with scopes_disabled():
        school = School.objects.create(name=f"基准学校{index}（{students}人）", code=f"bench-coverage-{index}")
        term_start = today - datetime.timedelta(days=80)
        previous = Term.objects.create(
            school=school,
            name="上学期",
            start_date=term_start - datetime.timedelta(days=200),
            end_date=term_start - datetime.timedelta(days=30),
        )
        term = Term.objects.create(
            school=school,
            name="本学期",
            start_date=term_start,
            end_date=today + datetime.timedelta(days=60),
            is_current=True,
        )
        CoverageRules.objects.create(school=school, require_home_visit=True)

        # Staff: one admin, one head teacher per class (no passwords: the client signs in with force_login).
        admin = User.objects.create(username=f"bench_admin_{index}", name="校管理员", password="!")
        heads = User.objects.bulk_create(
            [User(username=f"bench_head_{index}_{c}", name=f"班主任{c}", password="!") for c in range(classes)]
        )
        StaffMember.objects.create(school=school, user=admin, is_school_admin=True)
        members = StaffMember.objects.bulk_create([StaffMember(school=school, user=u) for u in heads])
        klasses = SchoolClass.objects.bulk_create(
            [SchoolClass(school=school, grade=1 + c // 9, number=1 + c % 9) for c in range(classes)]
        )
        StaffAssignment.objects.bulk_create(
            [
                StaffAssignment(school=school, term=term, staff=m, school_class=k, role="head")
                for m, k in zip(members, klasses, strict=True)
            ]
        )

        # Students (one in a hundred has left the school: not counted), one guardian each.
        roster = Student.objects.bulk_create(
            [
                Student(
                    school=school,
                    name=f"学生{i:05d}",
                    student_number=f"{index}{i:05d}",
                    school_class=klasses[i % classes],
                    status=Student.Status.LEFT if i % 100 == 99 else Student.Status.ACTIVE,
                )
                for i in range(students)
            ],
            batch_size=2000,
        )
        Enrollment.objects.bulk_create(
            [
                Enrollment(school=school, term=term, student=s, school_class_id=s.school_class_id, class_name="")
                for s in roster
            ],
            batch_size=2000,
        )
        guardians = Guardian.objects.bulk_create(
            [
                Guardian(school=school, name=f"家长{i:05d}", phone=f"13{index}{i:08d}", activated_at=now)
                for i in range(students)
            ],
            batch_size=2000,
        )
        StudentGuardian.objects.bulk_create(
            [
                StudentGuardian(school=school, student=s, guardian=g, relationship="母亲")
                for s, g in zip(roster, guardians, strict=True)
            ],
            batch_size=2000,
        )
        guardian_of = {s.pk: g for s, g in zip(roster, guardians, strict=True)}
        by_class: dict[int, list] = {}
        for s in roster:
            by_class.setdefault(s.school_class_id, []).append(s)
        head_of = {k.pk: u for k, u in zip(klasses, heads, strict=True)}

        # A term of records: (record, [students]) pairs, then the links in one more bulk insert.
        kinds = ["phone", "home_visit", "school_talk", "online", "parent_visit", "meeting_talk"]
        kind_weights = [40, 15, 15, 20, 5, 5]
        concern_topics = sorted(CONCERN_TOPICS)
        span = (today - term_start).days
        planned: list[tuple] = []

        def contact(t, about, when=None, kind=None):
            kind = kind or rng.choices(kinds, kind_weights)[0]
            if when is None:
                when = (
                    month_start + datetime.timedelta(days=rng.randint(0, (today - month_start).days))
                    if kind == "phone" and rng.random() < 1 / 3
                    else term_start + datetime.timedelta(days=rng.randint(0, span))
                )
            topics = [Topic.PRAISE] if rng.random() < 0.3 else rng.sample(concern_topics, rng.randint(1, 2))
            if rng.random() < 0.2:
                topics.append(Topic.ADVICE)
            shared = rng.random() < 0.4
            klass_id = about[0].school_class_id if about else None
            record = ContactRecord(
                school=school,
                term=t,
                author=head_of[klass_id] if klass_id else heads[0],
                kind=kind,
                occurred_on=when,
                duration_minutes=rng.choice([5, 10, 15, 30, 45]),
                participants="家长、班主任",
                topics=[str(x) for x in topics],
                has_praise=Topic.PRAISE in topics,
                has_concern=bool(set(topics) & CONCERN_TOPICS),
                summary="学习情况：\n在家表现与习惯：\n商定的做法：",
                visibility="shared" if shared else "internal",
                parent_summary="孩子最近表现不错，请继续配合。" if shared else "",
                follow_up_on=when + datetime.timedelta(days=14) if rng.random() < 0.3 else None,
                follow_up_done_at=now if rng.random() < 0.5 else None,
            )
            planned.append((record, about))

        # 1 in 10 students never contacted, the others 1 to 2·mean−1 contacts; with the second child of one
        # record in ten, about --contacts contacts per student.
        top = max(1, round(2 * contacts / 0.99 - 1))
        for klass in klasses:
            pupils = by_class.get(klass.pk, [])
            for s in pupils:
                if rng.random() < 0.1:
                    continue
                for _ in range(rng.randint(1, top)):
                    about = [s]
                    if len(pupils) > 1 and rng.random() < 0.1:  # a talk about two classmates
                        other = rng.choice(pupils)
                        if other.pk != s.pk:
                            about.append(other)
                    contact(term, about)
                if rng.random() < 0.3:  # last term's contacts: never counted this term
                    contact(previous, [s], when=previous.start_date + datetime.timedelta(days=rng.randint(0, 150)))
            for _ in range(2):  # collective guidance (R8): the whole class, no student links
                contact(term, [])
                planned[-1][0].school_class = klass

        records = ContactRecord.objects.bulk_create([r for r, _ in planned], batch_size=2000)
        links = [
            ContactStudent(school=school, record=r, student=s)
            for r, (_, about) in zip(records, planned, strict=True)
            for s in about
        ]
        ContactStudent.objects.bulk_create(links, batch_size=5000)
        ActionItem.objects.bulk_create(
            [
                ActionItem(
                    school=school,
                    record=r,
                    description="每周电话沟通一次",
                    owner_id=r.author_id,
                    due_on=r.occurred_on + datetime.timedelta(days=7),
                    done_at=now if rng.random() < 0.5 else None,
                )
                for r in records
                if rng.random() < 0.2
            ],
            batch_size=2000,
        )
        Acknowledgement.objects.bulk_create(
            [
                Acknowledgement(
                    school=school,
                    record=r,
                    guardian=guardian_of[about[0].pk],
                    reply="谢谢老师。" if rng.random() < 0.3 else "",
                )
                for r, (_, about) in zip(records, planned, strict=True)
                if about and r.visibility == "shared" and rng.random() < 0.5
            ],
            batch_size=2000,
        )
        # Care cases: about 3 in 100 students open, 1 in 100 closed earlier.
        active = [s for s in roster if s.status == Student.Status.ACTIVE]
        cared = rng.sample(active, max(1, len(active) * 4 // 100))
        CareCase.objects.bulk_create(
            [
                CareCase(
                    school=school,
                    student=s,
                    concern="learning",
                    description="学习困难",
                    opened_by=head_of[s.school_class_id],
                    closed_at=now if n % 4 == 3 else None,
                )
                for n, s in enumerate(cared)
            ]
        )
        # Conversation requests: one waiting per class, some already held.
        ConversationRequest.objects.bulk_create(
            [
                ConversationRequest(
                    school=school, student=p, guardian=guardian_of[p.pk], topic="想聊聊孩子的作业", status=status
                )
                for pupils in by_class.values()
                for p, status in zip(pupils[:3], ["open", "held", "held"], strict=False)
            ]
        )
    first = klasses[0]
    return BuiltSchool(
        school=school,
        term=term,
        admin=admin,
        first_class=first,
        head_of_first_class=head_of[first.pk],
        students=students,
        class_students=sum(1 for s in by_class.get(first.pk, []) if s.status == Student.Status.ACTIVE),
        records=len(records),
        links=len(links),
    )


def _check_overview(built: BuiltSchool) -> dict:
    """The overview's totals, and the same totals counted directly in the database."""
    from django_scopes import scopes_disabled

    from contactbook.models import ContactStudent
    from contactbook.queries import school_overview
    from schools.models import Student

    with scopes_disabled():
        overview = school_overview(built.school, built.term)
        active = Student.objects.filter(school=built.school, status="active")
        links = ContactStudent.objects.filter(record__term=built.term, student__in=active)
        expected = {
            "classes": active.values("school_class").distinct().count(),
            "students": active.count(),
            "contacts": links.values("record_id", "student_id").distinct().count(),
            "uncontacted": active.exclude(pk__in=links.values("student_id")).count(),
        }
    got = {
        "classes": len(overview),
        "students": sum(e["students"] for e in overview),
        "contacts": sum(e["contacts"] for e in overview),
        "uncontacted": sum(e["uncontacted"] for e in overview),
    }
    if got != expected:
        raise SystemExit(f"school_overview of {built.school} gives {got}, the database {expected}")
    got["short"] = sum(e["short"] for e in overview)
    return got


def _run(args, setup_seconds: float) -> int:
    from django.db import connection
    from django.db.models import Count
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django_scopes import scope

    from contactbook.models import ContactStudent
    from contactbook.queries import coverage, school_overview
    from schools.models import Student

    vendor = connection.vendor
    version = sqlite3.sqlite_version if vendor == "sqlite" else ""
    if vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            version = cursor.fetchone()[0]
    print(f"database: {vendor} {version} ({connection.settings_dict['NAME']}, throwaway)")
    print(f"cpus: {os.cpu_count()}; setup (create database + migrate): {setup_seconds:.1f} s")

    sizes = (args.small, args.large)
    built: dict[int, BuiltSchool] = {}
    for index, students in enumerate(sizes, start=1):
        t0 = time.perf_counter()
        built[students] = _build_school(index, students, args.classes, args.contacts, seed=students)
        b = built[students]
        print(
            f"school of {students} students: {args.classes} classes, {b.records} records, "
            f"{b.links} record–student links (both terms); built in {time.perf_counter() - t0:.1f} s"
        )
    if vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # fresh statistics after the bulk inserts, as autovacuum would
    checked = {students: _check_overview(built[students]) for students in sizes}

    def measure(label: str, students: int, run, *, check=None) -> Measure:
        m = Measure(label, students)
        run()  # warm-up, not measured
        for _ in range(args.repeat):
            with CaptureQueriesContext(connection) as ctx:
                t0 = time.perf_counter()
                result = run()
                seconds = time.perf_counter() - t0
            if check is not None:
                check(result)
            if m.queries not in (-1, len(ctx)):
                raise SystemExit(f"{label} ({students}): query count changed between runs ({m.queries} → {len(ctx)})")
            m.queries = len(ctx)
            m.statements = Counter(_statement_kind(q["sql"]) for q in ctx.captured_queries)
            m.seconds.append(seconds)
        return m

    def page_ok(marker: str):
        def check(response):
            body = response.content.decode()
            if response.status_code != 200 or marker not in body:
                raise SystemExit(f"{response.request['PATH_INFO']}: {response.status_code}, {marker!r} not in the page")

        return check

    results: dict[str, dict[int, Measure]] = {}
    for students in sizes:
        b = built[students]
        school, term, klass = b.school, b.term, b.first_class
        admin_client, head_client = Client(), Client()
        admin_client.force_login(b.admin)
        head_client.force_login(b.head_of_first_class)
        with scope(school=[school.pk]):
            results.setdefault("school_overview(school, term)", {})[students] = measure(
                "school_overview", students, lambda school=school, term=term: school_overview(school, term)
            )
            results.setdefault("coverage(one class)", {})[students] = measure(
                "coverage",
                b.class_students,
                lambda school=school, term=term, klass=klass: coverage(
                    Student.objects.filter(school_class=klass), school=school, term=term
                ),
            )
            results.setdefault("baseline: bare GROUP BY", {})[students] = measure(
                "bare GROUP BY",
                students,
                lambda term=term: list(
                    ContactStudent.objects.filter(record__term=term, student__status="active")
                    .values("student_id")
                    .annotate(n=Count("record_id"))
                ),
            )
        results.setdefault("GET /school/coverage/ (admin)", {})[students] = measure(
            "school page",
            students,
            lambda c=admin_client: c.get("/school/coverage/"),
            check=page_ok(f"/classes/{klass.pk}/coverage/"),
        )
        results.setdefault("GET /classes/<id>/coverage/ (head)", {})[students] = measure(
            "class page",
            b.class_students,
            lambda c=head_client, pk=klass.pk: c.get(f"/classes/{pk}/coverage/"),
            check=page_ok("/contacts/new/?student="),
        )

    small, large = sizes
    print(f"runs: {args.repeat} of each measure after one warm-up; times are medians")
    for students in sizes:
        c = checked[students]
        print(
            f"school of {students}: {c['students']} active students, {c['contacts']} contacts this term, "
            f"{c['uncontacted']} never contacted, {c['short']} short of the rules (checked against the database)"
        )
    print()
    header = f"{'measure':<36} {'students':>12} {'queries':>9} {'queries':>9} {'ms':>8} {'ms':>8} {'time':>6}"
    at_small, at_large = f"@{small}", f"@{large}"
    sub = f"{'':<36} {f'{small} / {large}':>12} {at_small:>9} {at_large:>9} {at_small:>8} {at_large:>8} {'ratio':>6}"
    print(header)
    print(sub)
    print("-" * len(header))
    for label, by_size in results.items():
        s, g = by_size[small], by_size[large]
        print(
            f"{label:<36} {f'{s.students} / {g.students}':>12} {s.queries:>9} {g.queries:>9} "
            f"{s.median * 1000:>8.1f} {g.median * 1000:>8.1f} {g.median / s.median:>6.2f}"
        )
    print()
    grown = False
    for label, by_size in results.items():
        s, g = by_size[small], by_size[large]
        if s.statements != g.statements or args.verbose:
            grown = grown or s.statements != g.statements
            for m, size in ((s, small), (g, large)):
                print(f"statements of {label}, school of {size}:")
                for kind, n in sorted(m.statements.items()):
                    print(f"  {n} × {kind}")
    if grown:
        print()

    measured = [label for label in results if not label.startswith("baseline")]
    total_small = sum(results[label][small].queries for label in measured)
    total_large = sum(results[label][large].queries for label in measured)
    growth = total_large / total_small
    overview = results["school_overview(school, term)"]
    bare = results["baseline: bare GROUP BY"]
    print(f"coverage_queries_{large}_vs_{small}: {growth:.2f}")
    print(f"coverage_time_{large}_vs_{small}: {overview[large].median / overview[small].median:.2f}")
    print(f"overview_vs_bare_group_by_{large}: {overview[large].median / bare[large].median:.2f}")
    print(f"coverage_queries_growth_ratio: {growth:.2f}")
    same = all(results[label][small].queries == results[label][large].queries for label in measured)
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
