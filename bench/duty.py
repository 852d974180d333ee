"""Duty roster benchmark (issue 14): the fair rotation's queries at 300 and at 2,000 families, and its fairness.

Run from the repository root:

    .venv/bin/python bench/duty.py             # SQLite in a temporary file
    .venv/bin/python bench/duty.py --postgres  # postgres://postgres@127.0.0.1:5432/tongxin (a throwaway database)

It never touches real data: ``bench/harness.py`` creates a throwaway database and removes it afterwards.

1. Builds two schools: a large one of ``--families`` families (default 2,000) in ``--classes`` classes
   (default 48), and a small one of ``--small`` families (default 300) in classes of the same size.
   In each, one family in twenty has two children in two different classes (the same guardians), so
   the students outnumber the families; the roster must count each such family once. Two guardians
   a family. Not timed.
2. In each school a school-wide roster (``community.actions.do_create_roster``) and a 20-week roster
   of daily shifts (``--weeks``; Monday to Friday, 07:20–08:00 at the gate, ``do_add_shifts``), each
   shift needing as many families as make every family serve once and a quarter of the families twice
   (2,500 places for 2,000 families).
3. The rotation: ``do_propose_rotation`` (read the shifts, families and unavailable dates, place the
   families, one INSERT for every place) inside ``CaptureQueriesContext``, timed for information.
   ``duty_rotation_queries_small`` and ``duty_rotation_queries_large`` are its query counts in the two
   schools; ``duty_rotation_queries_growth_ratio`` is large / small (goal 1.00: the same number of
   queries whatever the size). ``duty_fairness_spread`` is the largest difference between two families'
   shift counts in the large roster, read back from the database (every family is available; goal ≤ 1).
   The script also checks that every place is filled and that no family is on one shift twice.

The last lines are the four figures; the script exits with status 1 when a goal is missed.
"""

import argparse
import datetime
import os
import sqlite3
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", action="store_true", help="use the shared PostgreSQL (a throwaway database)")
    parser.add_argument("--families", type=int, default=2000, help="families of the large school (default 2000)")
    parser.add_argument("--classes", type=int, default=48, help="classes of the large school (default 48)")
    parser.add_argument("--small", type=int, default=300, help="families of the small school (default 300)")
    parser.add_argument("--weeks", type=int, default=20, help="weeks of daily shifts (default 20)")
    args = parser.parse_args(argv)
    if args.small < 20 or args.families <= args.small:
        parser.error("--small must be at least 20 and smaller than --families")

    from harness import run_in_throwaway_database

    return run_in_throwaway_database("duty", postgres=args.postgres, run=lambda setup: _run(args, setup))


def _build_school(code: str, families: int, classes: int):
    """A school of ``families`` families in ``classes`` classes; one family in twenty has a second child
    in the next class (the same two guardians)."""
    from accounts.models import User
    from schools.models import Guardian, School, SchoolClass, StaffMember, Student, StudentGuardian, Term

    school = School.objects.create(name=f"基准小学{code}", code=code)
    term = Term.objects.create(
        school=school,
        name="2026—2027学年第一学期",
        start_date=datetime.date(2026, 9, 1),
        end_date=datetime.date(2027, 7, 10),
        is_current=True,
    )
    admin = User.objects.create_user(f"bench_admin_{code}", None, name="基准管理员", phone=None)
    StaffMember.objects.create(school=school, user=admin, is_school_admin=True)
    klasses = SchoolClass.objects.bulk_create(
        [SchoolClass(school=school, grade=1 + i % 6, number=1 + i // 6) for i in range(classes)]
    )
    guardians = Guardian.objects.bulk_create(
        [Guardian(school=school, name=f"家长{i}", phone=f"1{code_digit(code)}{i:09d}") for i in range(2 * families)]
    )
    students = []
    owners = []  # family index of each student
    for f in range(families):
        students.append(Student(school=school, name=f"学生{f}", school_class=klasses[f % classes]))
        owners.append(f)
        if f % 20 == 0:
            students.append(Student(school=school, name=f"学生{f}妹", school_class=klasses[(f + 1) % classes]))
            owners.append(f)
    students = Student.objects.bulk_create(students)
    StudentGuardian.objects.bulk_create(
        [
            StudentGuardian(school=school, student=s, guardian=guardians[2 * f + k])
            for s, f in zip(students, owners, strict=True)
            for k in (0, 1)
        ]
    )
    return school, term, admin, len(students)


def code_digit(code: str) -> str:
    return "3" if code == "small" else "5"


def _run(args, setup_seconds: float) -> int:
    from django.db import connection
    from django.db.models import Count
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone
    from django_scopes import scope, scopes_disabled

    from community.actions import do_add_shifts, do_create_roster, do_propose_rotation
    from community.models import DutyAssignment, DutyFamily, DutyRoster

    version = sqlite3.sqlite_version
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            version = cursor.fetchone()[0]
    print(f"database: {connection.vendor} {version} (throwaway); cpus: {os.cpu_count()}; setup {setup_seconds:.1f} s")

    today = timezone.localdate()
    first = today + datetime.timedelta(days=7 - today.weekday())  # next Monday
    last = first + datetime.timedelta(weeks=args.weeks) - datetime.timedelta(days=3)  # a Friday
    shifts_count = args.weeks * 5
    results = {}
    failures = []
    for label, families in (("small", args.small), ("large", args.families)):
        classes = max(1, round(args.classes * families / args.families))
        with scopes_disabled():
            school, term, admin, students = _build_school(label, families, classes)
        with scope(school=[school.pk]):
            roster = do_create_roster(school, acting_user=admin, term=term, title="护学岗")
            made = DutyFamily.objects.filter(roster=roster).count()
            if made != families:
                failures.append(f"{label}: {made} families on the roster for {families} ({students} students)")
            needed = -(-families * 5 // 4 // shifts_count)  # every family once, a quarter twice
            do_add_shifts(
                roster,
                acting_user=admin,
                first=first,
                last=last,
                starts_at="07:20",
                ends_at="08:00",
                place="校门口",
                families_needed=needed,
            )
            roster = DutyRoster.objects.select_related("school").get(pk=roster.pk)
            started = time.perf_counter()
            with CaptureQueriesContext(connection) as queries:
                report = do_propose_rotation(roster, acting_user=admin)
            seconds = time.perf_counter() - started
            counts = list(
                DutyFamily.objects.filter(roster=roster).annotate(n=Count("assignments")).values_list("n", flat=True)
            )
            places = DutyAssignment.objects.filter(shift__roster=roster).count()
            twice = (
                DutyAssignment.objects.filter(shift__roster=roster)
                .values("shift", "family")
                .annotate(n=Count("id"))
                .filter(n__gt=1)
                .count()
            )
        if places != needed * shifts_count or report["gaps"] or twice:
            failures.append(
                f"{label}: {places} places of {needed * shifts_count}, {len(report['gaps'])} gaps, {twice} doubles"
            )
        spread = max(counts) - min(counts)
        results[label] = (len(queries), spread)
        print(
            f"{label}: {families} families ({students} students) in {classes} classes, {shifts_count} shifts × "
            f"{needed} = {places} places; rotation {seconds * 1000:.0f} ms, {len(queries)} queries, spread {spread}"
        )
    small_q, _ = results["small"]
    large_q, spread = results["large"]
    ratio = large_q / small_q
    print(f"duty_rotation_queries_small: {small_q}")
    print(f"duty_rotation_queries_large: {large_q}")
    print(f"duty_rotation_queries_growth_ratio: {ratio:.2f}")
    print(f"duty_fairness_spread: {spread}")
    if ratio > 1.0:
        failures.append(f"the rotation's queries grow with the families ({ratio:.2f}, goal 1.00)")
    if spread > 1:
        failures.append(f"fairness spread {spread} (goal ≤ 1)")
    for failure in failures:
        print(f"GOAL MISSED: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
