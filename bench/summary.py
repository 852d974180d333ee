"""Yearly summary and archive benchmark (issue 15): gathering the summary's figures and writing a
grade's archive cost a number of SQL queries that does not grow with the students.

Run from the repository root:

    .venv/bin/python bench/summary.py             # SQLite in a temporary file (or DATABASE_URL)
    .venv/bin/python bench/summary.py --postgres  # postgres://postgres@127.0.0.1:5432/tongxin

It never touches real data: its throwaway database is made and dropped by bench/harness.py.

Two schools live side by side, one of 600 students and one of 2,400 (``--small``, ``--large``),
each in 60 classes (6 grades of 10), so a grade holds 100 → 400 students. Each school has a head
teacher per class, one guardian per student, a current term with the built-in term plan adopted
(its head teachers' tasks fanned out to every class, a third done) and a term of records written
with bulk inserts: a contact for two students in three, two parent meetings and a parent-school
session per grade with every family invited and two in three signed in, reflections (one in ten
excellent), and five notices to the whole school, half of them read.

Measured for each school, ``--repeat`` times after an unmeasured warm-up (the query count must be
the same every time; times are medians):

- ``reports.summary.gather(school, year)``: every figure of the summary;
- ``reports.archive.archive_zip(grade_archive(school, 3, term), with_pdf=False)``: a grade's zip;
- a baseline: one bare aggregate over the same rows (contacts per class: a GROUP BY of the
  contact links by the students' class), the least any per-class figure has to read.

Printed: a table, ``summary_vs_bare_aggregate_<large>``, ``archive_queries_growth_ratio: X`` and,
as the last line, ``summary_queries_growth_ratio: X`` (large school's queries over the small's;
the goal is 1.00). Exits 1 when a query count of the larger school differs from the smaller's.
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/tongxin"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", action="store_true", help=f"use {POSTGRES_URL} (a throwaway database on it)")
    parser.add_argument("--small", type=int, default=600, help="students of the small school (default 600)")
    parser.add_argument("--large", type=int, default=2400, help="students of the large school (default 2400)")
    parser.add_argument("--repeat", type=int, default=3, help="measured runs of each measure (default 3)")
    args = parser.parse_args(argv)
    if not (60 <= args.small <= 6000 and 60 <= args.large <= 6000):
        parser.error("--small and --large: between 60 and 6,000 students")
    sys.path.insert(0, str(HERE))
    from harness import run_in_throwaway_database

    sys.path.remove(str(HERE))
    return run_in_throwaway_database("summary", postgres=args.postgres, run=lambda setup: _run(args, setup))


CLASSES = 60  # 6 grades of 10


def _build_school(index: int, students: int):
    import datetime
    import random

    from django.utils import timezone
    from django_scopes import scopes_disabled

    from accounts.models import User
    from contactbook.models import ContactRecord, ContactStudent
    from events.models import Attendance, Event, Reflection
    from notices.models import Notice, Receipt
    from plans.actions import do_adopt_template
    from plans.models import PlanTask
    from schools.models import (
        Guardian,
        School,
        SchoolClass,
        StaffAssignment,
        StaffMember,
        Student,
        StudentGuardian,
        Term,
    )
    from schools.queries import term_dates_containing

    rng = random.Random(index)
    now = timezone.now()
    with scopes_disabled():
        school = School.objects.create(name=f"基准小学{index}", code=f"bench-summary-{index}")
        name, start, end = term_dates_containing(timezone.localdate())
        term = Term.objects.create(school=school, name=name, start_date=start, end_date=end, is_current=True)
        admin = User.objects.create_user(f"admin{index}", "x", name=f"管理员{index}", phone=f"1390{index:03d}0000")
        StaffMember.objects.create(school=school, user=admin, is_school_admin=True)
        classes = SchoolClass.objects.bulk_create(
            [SchoolClass(school=school, grade=1 + i // 10, number=1 + i % 10) for i in range(CLASSES)]
        )
        heads = User.objects.bulk_create(
            [
                User(username=f"head{index}-{i}", name=f"老师{i}", phone=f"1391{index:03d}{i:04d}")
                for i in range(CLASSES)
            ]
        )
        members = StaffMember.objects.bulk_create([StaffMember(school=school, user=u) for u in heads])
        StaffAssignment.objects.bulk_create(
            [
                StaffAssignment(school=school, term=term, staff=m, school_class=c, role="head")
                for m, c in zip(members, classes, strict=True)
            ]
        )
        pupils = Student.objects.bulk_create(
            [
                Student(
                    school=school,
                    name=f"学生{n}",
                    student_number=f"B{index}-{n:05d}",
                    school_class=classes[n % CLASSES],
                )
                for n in range(students)
            ]
        )
        guardians = Guardian.objects.bulk_create(
            [Guardian(school=school, name=f"家长{n}", phone=f"138{index:02d}{n:06d}") for n in range(students)]
        )
        StudentGuardian.objects.bulk_create(
            [
                StudentGuardian(school=school, student=s, guardian=g, relationship="母亲")
                for s, g in zip(pupils, guardians, strict=True)
            ]
        )
        plan = do_adopt_template(term, acting_user=admin)
        tasks = list(PlanTask.objects.filter(plan=plan).values_list("pk", flat=True))
        PlanTask.objects.filter(pk__in=tasks[::3]).update(status=PlanTask.Status.DONE)
        contacted = [s for n, s in enumerate(pupils) if n % 3]
        records = ContactRecord.objects.bulk_create(
            [
                ContactRecord(
                    school=school,
                    term=term,
                    author=heads[0],
                    kind="phone",
                    occurred_on=timezone.localdate(),
                    summary="谈话",
                )
                for _ in contacted
            ]
        )
        ContactStudent.objects.bulk_create(
            [ContactStudent(school=school, record=r, student=s) for r, s in zip(records, contacted, strict=True)]
        )
        events = []
        for grade in range(1, 7):
            for k, kind in enumerate((Event.Kind.PARENT_MEETING, Event.Kind.PARENT_MEETING, Event.Kind.PARENT_SCHOOL)):
                when = now - datetime.timedelta(days=2 + k)
                notice = Notice.objects.create(
                    school=school,
                    author=admin,
                    title=f"{grade}年级活动{k}",
                    body_html="x",
                    status="published",
                    published_at=when,
                )
                events.append(
                    (
                        grade,
                        Event.objects.create(
                            school=school,
                            author=admin,
                            kind=kind,
                            title=f"{grade}年级活动{k}",
                            starts_at=when,
                            ends_at=when + datetime.timedelta(hours=1),
                            notice=notice,
                        ),
                    )
                )
        family_grade = [classes[n % CLASSES].grade for n in range(students)]
        for grade, event in events:
            family = [g for g, fg in zip(guardians, family_grade, strict=True) if fg == grade]
            receipts = Receipt.objects.bulk_create(
                [Receipt(school=school, notice_id=event.notice_id, guardian=g) for g in family]
            )
            Attendance.objects.bulk_create(
                [
                    Attendance(school=school, event=event, receipt=r, status="present", method="code")
                    for n, r in enumerate(receipts)
                    if n % 3
                ]
            )
            if event.kind == Event.Kind.PARENT_SCHOOL:
                Reflection.objects.bulk_create(
                    [
                        Reflection(school=school, event=event, receipt=r, text="收获", excellent=rng.random() < 0.1)
                        for n, r in enumerate(receipts)
                        if n % 3
                    ]
                )
        for k in range(5):
            notice = Notice.objects.create(
                school=school, author=admin, title=f"全校通知{k}", body_html="x", status="published", published_at=now
            )
            Receipt.objects.bulk_create(
                [
                    Receipt(school=school, notice=notice, guardian=g, read_at=now if n % 2 else None)
                    for n, g in enumerate(guardians)
                ]
            )
    return school, term


def _measure(fn, repeat: int) -> tuple[int, float, object]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    result = fn()  # warm-up
    counts, seconds = set(), []
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            result = fn()
            seconds.append(time.perf_counter() - started)
        counts.add(len(ctx))
    if len(counts) != 1:
        raise SystemExit(f"query count changed between repetitions: {sorted(counts)}")
    return counts.pop(), statistics.median(seconds), result


def _run(args, setup_seconds: float) -> int:
    from django.db import connection
    from django.db.models import Count
    from django_scopes import scopes_disabled

    from community.models import school_year_of
    from contactbook.models import ContactStudent
    from reports import archive, summary

    print(f"database: {connection.vendor}; setup {setup_seconds:.1f}s")
    rows = {}
    with scopes_disabled():
        for index, students in ((1, args.small), (2, args.large)):
            started = time.perf_counter()
            school, term = _build_school(index, students)
            built = time.perf_counter() - started
            year = school_year_of(term)
            q_sum, t_sum, sections = _measure(lambda s=school, y=year: summary.gather(s, y), args.repeat)
            grade = archive.grade_archive(school, 3, term)
            q_zip, t_zip, _ = _measure(lambda g=grade: archive.archive_zip(g, with_pdf=False), args.repeat)

            def bare(s=school, t=term):
                return list(
                    ContactStudent.objects.filter(school=s, record__term=t)
                    .values("student__school_class")
                    .annotate(n=Count("student", distinct=True))
                    .order_by()
                )

            q_bare, t_bare, _ = _measure(bare, args.repeat)
            figures = {s.key: s.records for s in sections}
            rows[students] = (q_sum, t_sum, q_zip, t_zip, q_bare, t_bare)
            print(
                f"{students:>5} students (built in {built:.1f}s): summary {q_sum} queries {t_sum * 1000:.1f} ms; "
                f"grade archive {q_zip} queries {t_zip * 1000:.1f} ms; bare aggregate {q_bare} query "
                f"{t_bare * 1000:.2f} ms; records: {figures}"
            )
    small, large = rows[args.small], rows[args.large]
    print(f"summary_time_{args.large}_vs_{args.small}: {large[1] / small[1]:.2f}")
    print(f"archive_time_{args.large}_vs_{args.small}: {large[3] / small[3]:.2f}")
    print(f"summary_vs_bare_aggregate_{args.large}: {large[1] / large[5]:.1f}")
    print(f"archive_queries_growth_ratio: {large[2] / small[2]:.2f}")
    print(f"summary_queries_growth_ratio: {large[0] / small[0]:.2f}")
    return 0 if (large[0], large[2]) == (small[0], small[2]) else 1


if __name__ == "__main__":
    raise SystemExit(main())
