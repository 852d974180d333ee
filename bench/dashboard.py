"""The dashboards' benchmark (issue 15): the school dashboard costs a number of SQL queries that does
not grow with the students, and its time is a small multiple of one bare SQL aggregate.

Run from the repository root:

    .venv/bin/python bench/dashboard.py             # SQLite in a temporary file
    .venv/bin/python bench/dashboard.py --postgres  # postgres://postgres@127.0.0.1:5432/tongxin

Like every benchmark it builds its own throwaway database (bench/harness.py) and removes it. On
PostgreSQL it gathers the tables' statistics (``ANALYZE``) after loading them, as autovacuum does on
a school's database soon after a large change; ``--no-analyze`` measures before that. Two
schools live side by side, one of 600 students and one of 2,400 (``--small``, ``--large``), each in
60 classes (``--classes``) with a head teacher each, one guardian per student, a previous term and
a term of records written with bulk inserts: a class update a week per class (most classes; a few
skip weeks), a themed notice a month, themed class-group messages, two school-wide parent
meetings and a parent-school session with their invitations, a staff training, receipts of every
class update (two in three read), two contacts per student on average, care cases with phone
follow-ups, monthly-evaluation answers from half the families, families' questions in the class
groups, and follow-ups overdue.

Measured for each school, ``--repeat`` times after one warm-up (query counts must not change;
times are medians):

- ``reports.rhythm.class_rhythm`` + ``summarise`` (what the dashboards and the yearly summary read):
  queries and time;
- the school dashboard page ``/reports/dashboard/`` as the admin through ``django.test.Client``:
  queries and time;
- a baseline: one bare SQL aggregate over the same rows (contact links per class this term, a
  GROUP BY over students and their records), the least a dashboard has to read.

It prints a table, then ``dashboard_queries_small``/``_large``, ``dashboard_time_vs_bare_aggregate``
(the page's median time over the bare aggregate's, large school) and, last,
``dashboard_queries_growth_ratio: X`` (large over small; goal 1.00). Exit status 1 when the large
school's query counts differ from the small one's."""

import argparse
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent


@dataclass
class Measure:
    label: str
    queries: list[int] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--small", type=int, default=600)
    parser.add_argument("--large", type=int, default=2400)
    parser.add_argument("--classes", type=int, default=60)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--verbose", action="store_true", help="each query of class_rhythm and its time")
    parser.add_argument(
        "--no-analyze",
        action="store_true",
        help="PostgreSQL: measure on the bulk-loaded tables before their statistics are gathered",
    )
    args = parser.parse_args(argv)
    if not 1 <= args.classes <= 60:
        parser.error("--classes: between 1 and 60")
    sys.path.insert(0, str(HERE))
    from harness import run_in_throwaway_database

    sys.path.remove(str(HERE))
    return run_in_throwaway_database("dashboard", postgres=args.postgres, run=lambda s: _run(args, s))


def _build(index: int, students: int, classes: int):
    import datetime
    import random

    from django.utils import timezone
    from django_scopes import scopes_disabled

    from accounts.models import User
    from chat.models import Conversation, Message
    from contactbook.models import CareCase, ContactRecord, ContactStudent
    from events.models import Event
    from notices.models import Notice, NoticeTarget, Receipt
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
    from surveys.models import Answer, Question, Response, Survey

    rng = random.Random(index)
    today = timezone.localdate()
    now = timezone.now()

    def at(day, hour=10):
        return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))

    with scopes_disabled():
        school = School.objects.create(name=f"基准学校{index}（{students}人）", code=f"bench-dashboard-{index}")
        start = today - datetime.timedelta(days=84)
        Term.objects.create(
            school=school,
            name="上学期",
            start_date=start - datetime.timedelta(days=200),
            end_date=start - datetime.timedelta(days=30),
        )
        term = Term.objects.create(
            school=school,
            name="本学期",
            start_date=start,
            end_date=today + datetime.timedelta(days=60),
            is_current=True,
        )
        admin = User.objects.create(username=f"bench_dash_admin_{index}", name="校管理员", password="!")
        StaffMember.objects.create(school=school, user=admin, is_school_admin=True)
        heads = User.objects.bulk_create(
            [User(username=f"bench_dash_head_{index}_{c}", name=f"班主任{c}", password="!") for c in range(classes)]
        )
        members = StaffMember.objects.bulk_create([StaffMember(school=school, user=u) for u in heads])
        klasses = SchoolClass.objects.bulk_create(
            [SchoolClass(school=school, grade=1 + c // 10, number=1 + c % 10) for c in range(classes)]
        )
        StaffAssignment.objects.bulk_create(
            [
                StaffAssignment(school=school, term=term, staff=m, school_class=k, role="head")
                for m, k in zip(members, klasses, strict=True)
            ]
        )
        roster = Student.objects.bulk_create(
            [Student(school=school, name=f"学生{i:05d}", school_class=klasses[i % classes]) for i in range(students)]
        )
        Enrollment.objects.bulk_create(
            [
                Enrollment(school=school, term=term, student=s, school_class=s.school_class, class_name="x")
                for s in roster
            ]
        )
        parents = User.objects.bulk_create(
            [User(username=f"bench_dash_p_{index}_{i}", name=f"家长{i}", password="!") for i in range(students)]
        )
        guardians = Guardian.objects.bulk_create(
            [
                Guardian(school=school, name=p.name, phone=f"139{index}{i:07d}"[:11], user=p)
                for i, p in enumerate(parents)
            ]
        )
        StudentGuardian.objects.bulk_create(
            [StudentGuardian(school=school, student=s, guardian=g) for s, g in zip(roster, guardians, strict=True)]
        )
        by_class: dict[int, list] = {}
        for s, g in zip(roster, guardians, strict=True):
            by_class.setdefault(s.school_class_id, []).append((s, g))

        # Class updates: a week each (one class in six skips every third week), and their receipts.
        notices, targets = [], []
        for k in klasses:
            for week in range(12):
                if k.number % 6 == 0 and week % 3 == 0:
                    continue
                notices.append(
                    Notice(
                        school=school,
                        author=heads[0],
                        title="班级动态",
                        kind=Notice.Kind.CLASS_UPDATE,
                        action=Notice.Action.NONE,
                        status=Notice.Status.PUBLISHED,
                        published_at=at(start + datetime.timedelta(days=7 * week)),
                        themed=week % 4 == 0,
                    )
                )
                targets.append(k)
        created = Notice.objects.bulk_create(notices)
        NoticeTarget.objects.bulk_create(
            [
                NoticeTarget(school=school, notice=n, kind="class", school_class=k)
                for n, k in zip(created, targets, strict=True)
            ]
        )
        Receipt.objects.bulk_create(
            [
                Receipt(school=school, notice=n, guardian=g, read_at=now if rng.random() < 0.67 else None)
                for n, k in zip(created, targets, strict=True)
                for _s, g in by_class.get(k.pk, [])
            ],
            batch_size=2000,
        )
        # Events: two school-wide parent meetings, a parent-school session, a staff training.
        for i, kind in enumerate(("parent_meeting", "parent_meeting", "parent_school", "staff_training")):
            day = start + datetime.timedelta(days=10 + 20 * i)
            invitation = Notice.objects.create(
                school=school, author=admin, title="邀请", status=Notice.Status.PUBLISHED, published_at=at(day)
            )
            NoticeTarget.objects.create(school=school, notice=invitation, kind="school")
            Event.objects.create(
                school=school,
                author=admin,
                kind=kind,
                title="活动",
                starts_at=at(day, 15),
                ends_at=at(day, 16),
                notice=invitation,
            )
        # Contacts (two per student on average), care cases (one in twenty) phoned this month.
        records, links = [], []
        for s in roster:
            for j in range(rng.choice((0, 1, 2, 3, 4))):
                records.append(
                    ContactRecord(
                        school=school,
                        term=term,
                        author=heads[0],
                        kind="phone" if j == 0 else "school_talk",
                        occurred_on=today - datetime.timedelta(days=rng.randrange(0, 60)),
                        summary="x",
                        school_class=s.school_class,
                        follow_up_on=today - datetime.timedelta(days=3) if rng.random() < 0.05 else None,
                    )
                )
                links.append(s)
        made = ContactRecord.objects.bulk_create(records, batch_size=2000)
        ContactStudent.objects.bulk_create(
            [ContactStudent(school=school, record=r, student=s) for r, s in zip(made, links, strict=True)],
            batch_size=2000,
        )
        CareCase.objects.bulk_create(
            [
                CareCase(school=school, student=s, concern="learning", description="x", opened_by=admin)
                for i, s in enumerate(roster)
                if i % 20 == 0
            ]
        )
        # Monthly evaluation: three months, half the families answer a rating each.
        for m in range(3):
            period = (start + datetime.timedelta(days=31 * m)).replace(day=1)
            survey = Survey.objects.create(
                school=school, author=admin, title="月度评价", series="eval_parents", period=period, status="sent"
            )
            question = Question.objects.create(
                school=school, survey=survey, kind="rating", text="满意吗？", key="timely"
            )
            answering = [(s, g) for i, (s, g) in enumerate(zip(roster, guardians, strict=True)) if (i + m) % 2 == 0]
            responses = Response.objects.bulk_create(
                [
                    Response(
                        school=school,
                        survey=survey,
                        school_class=s.school_class,
                        grade=s.school_class.grade,
                        guardian=g,
                        student=s,
                        submitted_at=at(max(period, start)),
                    )
                    for s, g in answering
                ],
                batch_size=2000,
            )
            Answer.objects.bulk_create(
                [
                    Answer(school=school, survey=survey, response=r, question=question, number=rng.randint(3, 5))
                    for r in responses
                ],
                batch_size=2000,
            )
        # Class groups with messages: themed ones, late-evening ones, families' questions unanswered.
        groups = Conversation.objects.bulk_create(
            [Conversation(school=school, kind="class", school_class=k, created_by=heads[0]) for k in klasses]
        )
        messages = []
        for g, head in zip(groups, heads, strict=True):
            messages.append(
                Message(
                    school=school,
                    conversation=g,
                    sender=head,
                    body="主题",
                    theme="阅读",
                    created_at=at(today - datetime.timedelta(days=5)),
                )
            )
            messages.append(
                Message(
                    school=school,
                    conversation=g,
                    sender=head,
                    body="晚安",
                    created_at=at(today - datetime.timedelta(days=2), 22),
                )
            )
            messages.append(
                Message(
                    school=school,
                    conversation=g,
                    sender=parents[0],
                    kind="question",
                    body="请问？",
                    created_at=at(today - datetime.timedelta(days=6)),
                )
            )
        Message.objects.bulk_create(messages)
        return school, term, admin


def _profile(size, school, term) -> None:
    """The time of each of class_rhythm's readers, rows fetched (SQLite runs a query as it is read)."""
    from django.utils import timezone

    from reports import rhythm

    period = rhythm.period_of(term, timezone.localdate())
    classes = rhythm._classes(school)
    readers = {
        "students": lambda: rhythm._students(school, term, period, 2),
        "receipts": lambda: rhythm._receipts(school, period),
        "evaluated": lambda: rhythm._evaluated(school, period),
        "themed_chat": lambda: rhythm._themed_chat(school, period),
        "unanswered": lambda: rhythm._unanswered(school),
        "meetings": lambda: rhythm._event_reach(school, period, "parent_meeting", classes),
        "satisfaction": lambda: rhythm.satisfaction(school, term.start_date, period.end),
        "updates": lambda: rhythm._reach(
            school,
            rhythm.NoticeTarget.objects.filter(rhythm._published_in(period), notice__kind="class_update"),
            classes,
        ),
        "themed": lambda: rhythm._reach(
            school, rhythm.NoticeTarget.objects.filter(rhythm._published_in(period), notice__themed=True), classes
        ),
        "heads": lambda: rhythm._heads(term),
        "overdue": lambda: rhythm._overdue(school, period.today),
        "whole": lambda: rhythm.class_rhythm(school, term),
    }
    for name, reader in readers.items():
        t = time.perf_counter()
        reader()
        print(f"  {size} {name}: {1000 * (time.perf_counter() - t):.1f} ms")


def _run(args, setup_seconds: float) -> int:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django_scopes import scope, scopes_disabled

    from reports import rhythm

    started = time.perf_counter()
    schools = {}
    for index, size in ((1, args.small), (2, args.large)):
        schools[size] = _build(index, size, args.classes)
    build_seconds = time.perf_counter() - started
    # A school's PostgreSQL has statistics on its tables: autovacuum gathers them within a minute
    # or so of a large change. The build loads everything at once and would otherwise be measured
    # before that, with plans made blind (2.8 s for the page at 2,400 students, 0.1 s after).
    analyzed = connection.vendor == "postgresql" and not args.no_analyze
    if analyzed:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    results: dict[tuple[int, str], Measure] = {}
    for size, (school, term, admin) in schools.items():
        client = Client()
        client.force_login(admin)
        fn = results[(size, "class_rhythm")] = Measure("class_rhythm + summarise")
        page = results[(size, "page")] = Measure("/reports/dashboard/")
        bare = results[(size, "bare")] = Measure("bare aggregate")
        sql = (
            "SELECT s.school_class_id, COUNT(cs.id) FROM schools_student s "
            "LEFT JOIN contactbook_contactstudent cs ON cs.student_id = s.id "
            "LEFT JOIN contactbook_contactrecord r ON r.id = cs.record_id AND r.term_id = %s "
            "WHERE s.school_id = %s GROUP BY s.school_class_id"
        )
        for i in range(args.repeat + 1):
            with scopes_disabled(), scope(school=[school.pk]), CaptureQueriesContext(connection) as ctx:
                t = time.perf_counter()
                rows = rhythm.class_rhythm(school, term)
                rhythm.summarise(rows)
                elapsed = time.perf_counter() - t
            if i == 1 and "--verbose" in sys.argv:
                with scopes_disabled():
                    _profile(size, school, term)
            if i:
                fn.queries.append(len(ctx.captured_queries))
                fn.seconds.append(elapsed)
            assert len(rows) == args.classes
            with CaptureQueriesContext(connection) as ctx:
                t = time.perf_counter()
                response = client.get("/reports/dashboard/")
                elapsed = time.perf_counter() - t
            assert response.status_code == 200, response.status_code
            if i:
                page.queries.append(len(ctx.captured_queries))
                page.seconds.append(elapsed)
            with connection.cursor() as cursor, CaptureQueriesContext(connection) as ctx:
                t = time.perf_counter()
                cursor.execute(sql, [term.pk, school.pk])
                cursor.fetchall()
                elapsed = time.perf_counter() - t
            if i:
                bare.queries.append(1)
                bare.seconds.append(elapsed)

    print(
        f"database: {connection.vendor}{' (tables analysed)' if analyzed else ''}; setup {setup_seconds:.1f}s, "
        f"build {build_seconds:.1f}s; classes {args.classes}"
    )
    print(f"{'measure':32} {'students':>8} {'queries':>8} {'median ms':>10}")
    ok = True
    for key in ("class_rhythm", "page", "bare"):
        for size in (args.small, args.large):
            m = results[(size, key)]
            if len(set(m.queries)) != 1:
                ok = False
            print(f"{m.label:32} {size:>8} {m.queries[0]:>8} {1000 * m.median:>10.2f}")
    small_q = results[(args.small, "page")].queries[0]
    large_q = results[(args.large, "page")].queries[0]
    fn_ratio = results[(args.large, "class_rhythm")].queries[0] / results[(args.small, "class_rhythm")].queries[0]
    time_ratio = results[(args.large, "page")].median / results[(args.large, "bare")].median
    fn_time_ratio = results[(args.large, "class_rhythm")].median / results[(args.large, "bare")].median
    growth = large_q / small_q
    print(f"class_rhythm_queries_growth_ratio: {fn_ratio:.2f}")
    print(f"class_rhythm_time_vs_bare_aggregate: {fn_time_ratio:.1f}")
    print(f"dashboard_queries_small: {small_q}")
    print(f"dashboard_queries_large: {large_q}")
    print(f"dashboard_time_vs_bare_aggregate: {time_ratio:.1f}")
    print(f"dashboard_queries_growth_ratio: {growth:.2f}")
    return 0 if ok and growth == 1.0 and fn_ratio == 1.0 else 1


if __name__ == "__main__":
    sys.exit(main())
