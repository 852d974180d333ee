"""Survey results benchmark (issue 8): the results page of a school-wide survey with 3,000 answers
costs a number of SQL queries that does not grow with the answers.

Run from the repository root:

    .venv/bin/python bench/surveys.py             # SQLite in a temporary file (or DATABASE_URL)
    .venv/bin/python bench/surveys.py --postgres  # postgres://postgres@127.0.0.1:5432/tongxin

It never touches real data: it creates its own throwaway database with Django's test machinery
(on PostgreSQL a database ``tongxin_bench_surveys_<pid>``, created and dropped through the
``postgres`` database; on SQLite a file in a temporary folder) and removes it afterwards, also when
the run fails.

Two schools live side by side in that database, each with one school-wide anonymous survey: one
answered by 300 families and one by 3,000 (``--small``, ``--large``), three in four families of
each school answering (``--rate``: 400 and 4,000 students). Both schools have the same 60 classes
(``--classes``: 6 grades of 10), so a class holds about 5 answers in the small school (some of its
classes fall under the minimum group of 5 and are held back) and about 50 in the large one. Each
student has one guardian with a user account; the school has one admin. Schools, classes,
students, users, guardians and their links are written with bulk inserts.

Each survey is built and sent the way the application does it: ``surveys.actions.do_create_survey``
with the questions of the built-in monthly evaluation for parents
(``surveys.evaluation.builtin_questions("eval_parents")``: a matrix of five rows rated 1–5, two
ratings 1–5, a single choice of four, a 0–10 recommendation and an optional long text, so that
every kind of aggregation runs), then ``surveys.actions.do_send_survey`` to
``TargetSpec("school")``, then ``notices.fanout.fan_out(notice)`` inside the school's scope (the
test settings' in-memory broker has already run the same fan-out eagerly when the notice was
published; the second call adds nothing, and the receipts are checked to be one per family).
**The answers go through ``surveys.actions.do_answer``, one call per answering receipt** (chosen at
random), exactly as the page and the API write them: the "has answered" mark, the anonymous response
with its class and grade and no person or time, and its answer rows. Ratings lean to the top of the
scale, the recommendation spreads over 0–10, and three families in ten write a suggestion.

Measured for each school, each ``--repeat`` times after one unmeasured warm-up (query counts must
be the same in every repetition; times are medians):

- ``surveys.queries.survey_results(survey)``: SQL queries (CaptureQueriesContext) and wall time;
- the real pages through ``django.test.Client`` as the school admin (``force_login``; the client's
  request sets the school scope itself, through SchoolScopeMiddleware): ``/surveys/<id>/results/``,
  the API ``/api/v1/surveys/<id>/results`` and the export ``/surveys/<id>/results.xlsx``: queries
  (session, user and roles included; the export's audit entry too) and wall time;
- a baseline: the bare GROUP BY of the survey's answers (one query:
  ``Answer.objects.filter(survey=…).values("question_id", "row", "number").annotate(Count("id"))``),
  the least any results page has to read.

The figures are checked against counts made directly in the database: families reached, answers,
the count of every option of the single choice, the number and mean of each matrix row and of the
recommendation, the written answers listed, and the API's and the export's figures. The script
prints a table, then ``survey_results_queries_3000_vs_300`` (``survey_results`` alone, large over
small), ``results_page_time_3000_vs_300`` (the results page), ``results_vs_bare_group_by_3000``
(``survey_results`` over the bare GROUP BY, large survey) and, as the last line,
``survey_results_queries_growth_ratio: X`` (the queries of all four measures together, large over
small); it exits with status 1 when any query count of the larger survey differs from that of the
smaller one.
"""

import argparse
import io
import math
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
# This file is bench/surveys.py: keep its folder off sys.path, so that Django's ``import surveys``
# (the app) never finds this script instead.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]

SUGGESTIONS = [
    "希望班级通知能提前一天发。",
    "电话联系的时间能否安排在晚上七点以后？",
    "家长会可以提供线上参加的方式。",
    "希望老师多分享孩子在校的表现。",
    "通知太多了，重要的请标出来。",
    "感谢老师的耐心沟通！",
]


@dataclass
class Measure:
    label: str
    answers: int
    queries: int = -1
    seconds: list[float] = field(default_factory=list)
    statements: Counter = field(default_factory=Counter)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


def _statement_kind(sql: str) -> str:
    """SELECT surveys_answer, INSERT audit_auditentry … : what a captured query does, to what."""
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
    parser.add_argument("--small", type=int, default=300, help="answers of the small survey (default 300)")
    parser.add_argument("--large", type=int, default=3000, help="answers of the large survey (default 3000)")
    parser.add_argument("--rate", type=float, default=0.75, help="share of the families who answer (default 0.75)")
    parser.add_argument("--classes", type=int, default=60, help="classes of each school (default 60: 6 grades of 10)")
    parser.add_argument("--repeat", type=int, default=3, help="measured runs of each measure (default 3)")
    parser.add_argument("--verbose", action="store_true", help="list the statements of each measure")
    args = parser.parse_args(argv)
    if not 6 <= args.classes <= 6 * 99:
        parser.error("--classes: between 6 and 594 (6 grades of at most 99 classes)")
    if not 0 < args.rate <= 1:
        parser.error("--rate: a share above 0 and at most 1")
    if not 5 <= args.small < args.large:
        parser.error("--small and --large: at least 5 answers, and the large survey larger")

    sys.path.insert(0, str(HERE))  # only for this import: see the note on sys.path above
    from harness import run_in_throwaway_database

    sys.path.remove(str(HERE))

    return run_in_throwaway_database(
        "surveys", postgres=args.postgres, run=lambda setup_seconds: _run(args, setup_seconds)
    )


@dataclass
class BuiltSurvey:
    school: object
    admin: object
    survey: object
    students: int
    answers: int
    answer_rows: int
    fan_out_counts: tuple[dict, dict]
    answer_seconds: float


def _build_school(index: int, answers: int, classes: int, rate: float, seed: int) -> BuiltSurvey:
    """A school with its classes and families in bulk inserts, and its survey sent and answered."""
    import datetime
    import random

    from django.utils import timezone
    from django_scopes import scope, scopes_disabled

    from accounts.models import User
    from notices.audience import TargetSpec
    from notices.fanout import fan_out
    from notices.models import Receipt
    from schools.models import Guardian, School, SchoolClass, StaffMember, Student, StudentGuardian, Term
    from schools.roles import compute_roles
    from surveys.actions import do_answer, do_create_survey, do_send_survey
    from surveys.evaluation import builtin_questions
    from surveys.models import Answer, Question

    rng = random.Random(seed)
    students = math.ceil(answers / rate)
    per_grade = math.ceil(classes / 6)
    today = timezone.localdate()
    now = timezone.now()
    with scopes_disabled():
        school = School.objects.create(name=f"基准学校{index}（{answers}份答卷）", code=f"bench-surveys-{index}")
        Term.objects.create(
            school=school,
            name="本学期",
            start_date=today - datetime.timedelta(days=80),
            end_date=today + datetime.timedelta(days=60),
            is_current=True,
        )
        # No passwords: the client signs in with force_login, and families never sign in here.
        admin = User.objects.create(username=f"bench_admin_{index}", name="校管理员", password="!")
        StaffMember.objects.create(school=school, user=admin, is_school_admin=True)
        klasses = SchoolClass.objects.bulk_create(
            [SchoolClass(school=school, grade=1 + c // per_grade, number=1 + c % per_grade) for c in range(classes)]
        )
        roster = Student.objects.bulk_create(
            [
                Student(
                    school=school,
                    name=f"学生{i:05d}",
                    student_number=f"{index}{i:05d}",
                    school_class=klasses[i % classes],
                )
                for i in range(students)
            ],
            batch_size=2000,
        )
        phones = [f"13{index}{i:08d}" for i in range(students)]
        users = User.objects.bulk_create(
            [
                User(username=f"bench_parent_{index}_{i}", phone=phone, name=f"家长{i:05d}", password="!")
                for i, phone in enumerate(phones)
            ],
            batch_size=2000,
        )
        guardians = Guardian.objects.bulk_create(
            [
                Guardian(school=school, name=f"家长{i:05d}", phone=phone, user=user, activated_at=now)
                for i, (phone, user) in enumerate(zip(phones, users, strict=True))
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

    with scope(school=[school.pk]):
        roles = compute_roles(admin)
        survey = do_create_survey(
            school,
            acting_user=admin,
            roles=roles,
            title="家校沟通月度评价（全校）",
            questions=builtin_questions("eval_parents"),
        )
        do_send_survey(
            survey,
            acting_user=admin,
            roles=roles,
            targets=[TargetSpec("school")],
            closes_at=now + datetime.timedelta(days=7),
        )
        notice = survey.notice
        # The in-memory broker of the test settings has fanned the notice out eagerly at commit;
        # fan_out is idempotent, so this call finds every receipt there and adds none.
        receipts_before = Receipt.objects.filter(notice=notice).count()
        second = fan_out(notice)
        receipts = list(Receipt.objects.filter(notice=notice).order_by("pk"))
        if len(receipts) != students:
            raise SystemExit(f"school {index}: {len(receipts)} receipts for {students} families")

        questions = list(survey.questions.all())
        t0 = time.perf_counter()
        for receipt in rng.sample(receipts, answers):
            raw: dict = {}
            for q in questions:
                if q.kind == Question.Kind.MATRIX:
                    raw[str(q.pk)] = rng.choices([1, 2, 3, 4, 5], [2, 4, 14, 42, 38], k=len(q.options))
                elif q.kind == Question.Kind.RATING:
                    raw[str(q.pk)] = rng.choices([1, 2, 3, 4, 5], [3, 5, 17, 40, 35])[0]
                elif q.kind == Question.Kind.NPS:
                    raw[str(q.pk)] = rng.choices(range(11), [1, 1, 1, 2, 2, 5, 6, 12, 20, 22, 28])[0]
                elif q.kind == Question.Kind.SINGLE:
                    raw[str(q.pk)] = rng.choices(range(len(q.options)), [15, 30, 35, 20][: len(q.options)])[0]
                elif q.kind in Question.TEXT_KINDS:
                    raw[str(q.pk)] = rng.choice(SUGGESTIONS) if rng.random() < 0.3 else ""
            do_answer(survey, receipt, raw)
        answer_seconds = time.perf_counter() - t0
        answer_rows = Answer.objects.filter(survey=survey).count()
    return BuiltSurvey(
        school=school,
        admin=admin,
        survey=survey,
        students=students,
        answers=answers,
        answer_rows=answer_rows,
        fan_out_counts=({"receipts": receipts_before}, second),
        answer_seconds=answer_seconds,
    )


def _expected(built: BuiltSurvey) -> dict:
    """What the results must say, counted directly in the database."""
    from django.db.models import Avg, Count
    from django_scopes import scopes_disabled

    from notices.models import Receipt
    from surveys.models import Answer, Participation, Question, Response

    survey = built.survey
    with scopes_disabled():
        questions = {q.kind: q for q in survey.questions.all()}
        single, nps, matrix, text = (
            questions[Question.Kind.SINGLE],
            questions[Question.Kind.NPS],
            questions[Question.Kind.MATRIX],
            questions[Question.Kind.LONG_TEXT],
        )
        options = dict(Answer.objects.filter(question=single).values_list("number").annotate(n=Count("id")).order_by())
        rows = {
            r["row"]: (r["n"], float(r["mean"]))
            for r in Answer.objects.filter(question=matrix).values("row").annotate(n=Count("id"), mean=Avg("number"))
        }
        nps_row = Answer.objects.filter(question=nps).aggregate(n=Count("id"), mean=Avg("number"))
        return {
            "audience": Receipt.objects.filter(notice_id=survey.notice_id).count(),
            "answered": Participation.objects.filter(survey=survey).count(),
            "responses": Response.objects.filter(survey=survey).count(),
            "single": [options.get(i, 0) for i in range(len(single.options))],
            "matrix": [rows.get(i, (0, None)) for i in range(len(matrix.options))],
            "nps": (nps_row["n"], float(nps_row["mean"])),
            "texts": Answer.objects.filter(question=text).exclude(text="").count(),
            "ids": {"single": single.pk, "nps": nps.pk, "matrix": matrix.pk, "text": text.pk},
            "text_question": text.text,
        }


def _check_results(r: dict, expected: dict, built: BuiltSurvey) -> dict:
    """survey_results against the direct counts; returns what the report prints."""
    from surveys.queries import TEXTS_SHOWN

    by_id = {item["question"].pk: item for item in r["questions"]}
    ids = expected["ids"]
    got = {
        "audience": r["audience"],
        "answered": r["answered"],
        "responses": r["responses"],
        "single": [n for _label, n, _pct in by_id[ids["single"]]["parts"][0]["options"]],
        "matrix": [(p["n"], p["mean"]) for p in by_id[ids["matrix"]]["parts"]],
        "nps": (by_id[ids["nps"]]["parts"][0]["n"], by_id[ids["nps"]]["parts"][0]["mean"]),
        "texts": len(by_id[ids["text"]]["texts"]),
    }
    want = {k: expected[k] for k in got} | {"texts": min(expected["texts"], TEXTS_SHOWN)}
    want_sizes = {"audience": built.students, "answered": built.answers, "responses": built.answers}

    def same(a, b) -> bool:  # means: the page rounds to 2 decimals, the database does not
        if isinstance(a, list | tuple):
            return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
        if isinstance(a, float) or isinstance(b, float):
            return a is not None and b is not None and abs(a - b) <= 0.005 + 1e-9
        return a == b

    if not all(same(got[k], want[k]) for k in got) or any(got[k] != v for k, v in want_sizes.items()):
        raise SystemExit(f"survey_results of {built.survey} gives {got}, the database {want} ({want_sizes})")
    return {
        "nps": by_id[ids["nps"]]["parts"][0]["nps"],
        "held_back": r["held_back_classes"],
        "class_means": len(by_id[ids["matrix"]]["parts"][0]["by_class"]),
        "grade_means": len(by_id[ids["matrix"]]["parts"][0]["by_grade"]),
    }


def _run(args, setup_seconds: float) -> int:
    from django.db import connection
    from django.db.models import Count
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django_scopes import scope

    from surveys.models import Answer
    from surveys.queries import survey_results

    vendor = connection.vendor
    version = sqlite3.sqlite_version if vendor == "sqlite" else ""
    if vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            version = cursor.fetchone()[0]
    print(f"database: {vendor} {version} ({connection.settings_dict['NAME']}, throwaway)")
    print(f"cpus: {os.cpu_count()}; setup (create database + migrate): {setup_seconds:.1f} s")

    sizes = (args.small, args.large)
    built: dict[int, BuiltSurvey] = {}
    for index, answers in enumerate(sizes, start=1):
        t0 = time.perf_counter()
        built[answers] = b = _build_school(index, answers, args.classes, args.rate, seed=answers)
        first, second = b.fan_out_counts
        print(
            f"school {index}: {b.students} families in {args.classes} classes; {first['receipts']} receipts at "
            f"publication, fan_out() again: +{second['receipts']}; {b.answers} answers through do_answer "
            f"({b.answer_rows} answer rows) in {b.answer_seconds:.1f} s; built in {time.perf_counter() - t0:.1f} s"
        )
    if vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # fresh statistics after the bulk inserts, as autovacuum would
    expected = {answers: _expected(built[answers]) for answers in sizes}
    checked = {}
    for answers in sizes:
        b = built[answers]
        with scope(school=[b.school.pk]):
            checked[answers] = _check_results(survey_results(b.survey), expected[answers], b)

    def measure(label: str, answers: int, run, *, check=None) -> Measure:
        m = Measure(label, answers)
        run()  # warm-up, not measured
        for _ in range(args.repeat):
            with CaptureQueriesContext(connection) as ctx:
                t0 = time.perf_counter()
                result = run()
                seconds = time.perf_counter() - t0
            if check is not None:
                check(result)
            if m.queries not in (-1, len(ctx)):
                raise SystemExit(f"{label} ({answers}): query count changed between runs ({m.queries} → {len(ctx)})")
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

    def api_ok(b: BuiltSurvey, e: dict):
        def check(response):
            data = response.json() if response.status_code == 200 else {}
            single = next((q for q in data.get("questions", []) if q["id"] == e["ids"]["single"]), None)
            got = (
                data.get("answered"),
                data.get("audience"),
                [o["count"] for o in single["parts"][0]["options"]] if single else None,
            )
            if got != (b.answers, b.students, e["single"]):
                raise SystemExit(f"{response.request['PATH_INFO']}: {response.status_code}, {got}")

        return check

    exported: dict[int, int] = {}

    def export_ok(answers: int, e: dict):
        def check(response):
            from openpyxl import load_workbook

            if response.status_code != 200:
                raise SystemExit(f"{response.request['PATH_INFO']}: {response.status_code}")
            sheet = load_workbook(io.BytesIO(response.content), read_only=True).active
            rows = list(sheet.iter_rows(min_row=2, values_only=True))
            single = [row[3] for row in rows if row[0] == e["single_text"]]
            if single != e["single"]:
                raise SystemExit(f"{response.request['PATH_INFO']}: single choice counts {single}, not {e['single']}")
            exported[answers] = sum(1 for row in rows if row[0] == e["text_question"])

        return check

    results: dict[str, dict[int, Measure]] = {}
    for answers in sizes:
        b, e = built[answers], expected[answers]
        survey = b.survey
        e["single_text"] = next(q.text for q in _questions(survey) if q.pk == e["ids"]["single"])
        client = Client()
        client.force_login(b.admin)
        with scope(school=[b.school.pk]):
            results.setdefault("survey_results(survey)", {})[answers] = measure(
                "survey_results", answers, lambda survey=survey: survey_results(survey)
            )
            results.setdefault("baseline: bare GROUP BY", {})[answers] = measure(
                "bare GROUP BY",
                answers,
                lambda survey=survey: list(
                    Answer.objects.filter(survey=survey).values("question_id", "row", "number").annotate(Count("id"))
                ),
            )
        results.setdefault("GET /surveys/<id>/results/ (admin)", {})[answers] = measure(
            "results page",
            answers,
            lambda c=client, pk=survey.pk: c.get(f"/surveys/{pk}/results/"),
            check=page_ok(f"{b.answers}/{b.students}"),
        )
        results.setdefault("GET /api/v1/surveys/<id>/results", {})[answers] = measure(
            "API results",
            answers,
            lambda c=client, pk=survey.pk: c.get(f"/api/v1/surveys/{pk}/results"),
            check=api_ok(b, e),
        )
        results.setdefault("GET /surveys/<id>/results.xlsx", {})[answers] = measure(
            "export",
            answers,
            lambda c=client, pk=survey.pk: c.get(f"/surveys/{pk}/results.xlsx"),
            check=export_ok(answers, e),
        )

    small, large = sizes
    print(f"runs: {args.repeat} of each measure after one warm-up; times are medians")
    for answers in sizes:
        e, c = expected[answers], checked[answers]
        print(
            f"survey of {answers}: {e['answered']}/{e['audience']} answered, single choice {e['single']}, "
            f"matrix row 1 {e['matrix'][0][0]} answers mean {e['matrix'][0][1]:.2f}, recommendation "
            f"{e['nps'][0]} answers mean {e['nps'][1]:.2f} (NPS {c['nps']}), {e['texts']} written answers "
            f"(checked against the database); {c['held_back']} of {args.classes} classes held back, "
            f"{c['class_means']} class and {c['grade_means']} grade means shown"
        )
    for answers in sizes:
        if exported[answers] != expected[answers]["texts"]:
            print(
                f"note: the export of the survey of {answers} lists {exported[answers]} of its "
                f"{expected[answers]['texts']} written answers"
            )
    print()
    header = f"{'measure':<36} {'answers':>11} {'queries':>9} {'queries':>9} {'ms':>8} {'ms':>8} {'time':>6}"
    at_small, at_large = f"@{small}", f"@{large}"
    sub = f"{'':<36} {f'{small} / {large}':>11} {at_small:>9} {at_large:>9} {at_small:>8} {at_large:>8} {'ratio':>6}"
    print(header)
    print(sub)
    print("-" * len(header))
    for label, by_size in results.items():
        s, g = by_size[small], by_size[large]
        print(
            f"{label:<36} {f'{s.answers} / {g.answers}':>11} {s.queries:>9} {g.queries:>9} "
            f"{s.median * 1000:>8.1f} {g.median * 1000:>8.1f} {g.median / s.median:>6.2f}"
        )
    print()
    grown = False
    for label, by_size in results.items():
        s, g = by_size[small], by_size[large]
        if s.statements != g.statements or args.verbose:
            grown = grown or s.statements != g.statements
            for m, size in ((s, small), (g, large)):
                print(f"statements of {label}, survey of {size}:")
                for kind, n in sorted(m.statements.items()):
                    print(f"  {n} × {kind}")
    if grown or args.verbose:
        print()

    measured = [label for label in results if not label.startswith("baseline")]
    total_small = sum(results[label][small].queries for label in measured)
    total_large = sum(results[label][large].queries for label in measured)
    growth = total_large / total_small
    function = results["survey_results(survey)"]
    page = results["GET /surveys/<id>/results/ (admin)"]
    bare = results["baseline: bare GROUP BY"]
    print(f"survey_results_queries_{large}_vs_{small}: {function[large].queries / function[small].queries:.2f}")
    print(f"results_page_time_{large}_vs_{small}: {page[large].median / page[small].median:.2f}")
    print(f"results_vs_bare_group_by_{large}: {function[large].median / bare[large].median:.2f}")
    print(f"survey_results_queries_growth_ratio: {growth:.2f}")
    same = all(results[label][small].queries == results[label][large].queries for label in results)
    return 0 if same else 1


def _questions(survey) -> list:
    from django_scopes import scopes_disabled

    with scopes_disabled():
        return list(survey.questions.all())


if __name__ == "__main__":
    sys.exit(main())
