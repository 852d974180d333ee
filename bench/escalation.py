"""Escalation ladder benchmark (issue 17): the SMS step for a notice to 200,000 guardians, half unread,
against a raw insert of the same rows; and the sending throughput against a local SMS provider peer.

Run from the repository root:

    .venv/bin/python bench/escalation.py             # SQLite in a temporary file
    .venv/bin/python bench/escalation.py --postgres  # postgres://postgres@127.0.0.1:5432/tongxin (a throwaway database)

It never touches real data: ``bench/harness.py`` creates a throwaway database and removes it afterwards.

1. Builds one school of ``--guardians`` guardians (default 200,000): half as many students, two
   guardians each, every guardian signed in with a standing SMS consent (so every one may be texted).
   A confirm notice to the whole school is published and fanned out (``notices.fanout.fan_out``).
   Then the families of every second student read it, as the app records a read (``read_at``,
   then ``notices.actions.mark_family_read`` stamps the family): half of the guardians stay unread.
   Not timed.
2. The SMS step: ``notices.ladder.sms_step`` (the ladder's message step, ONE ``INSERT … SELECT`` of
   delivery rows for every guardian due: not acted, nobody in the family has read, still of the
   family, reachable by push, WeCom or SMS (here: SMS consent only, so every row is an SMS)) timed
   with its commit: the notice's first step, so before each repetition its ladder deliveries are
   deleted and its ``ladder_sms_at`` cleared (the state before any step); a last run checks that a
   second step inserts nothing. Baseline, in the same run on the same database: the same
   rows (same columns and values, prepared in Python beforehand, not timed) inserted into an empty
   scratch table with the constraints, indexes and foreign keys of ``delivery_delivery``
   (PostgreSQL: ``LIKE … INCLUDING ALL`` plus the two foreign keys, deferred; ``COPY … FROM STDIN``;
   SQLite: ``executemany``), timed with its commit. Each is repeated ``--repeat`` times (default 3),
   interleaved, on emptied tables; figures are medians.
3. Sending: ``--send`` (default 2,000) of those deliveries sent by ``delivery.tasks.send_due_deliveries``
   (the channel interface, batches of 500) through an SMS backend that POSTs each message as JSON to
   a local HTTP peer (a thread of this script) on a kept-alive connection: ``sms_sent_per_second``.
   The peer's own ceiling, for information: the same number of bare POSTs (``peer_posts_per_second``).
   Then the same deliveries once more through the Alibaba Cloud backend (``SendBatchSms``, 100
   numbers per signed request) against the local peer of its API (``delivery/tests/peers.py``):
   ``sms_sent_per_second_aliyun_batch``.

``--explain`` (PostgreSQL) instead prints where the step's time goes: EXPLAIN (ANALYZE, BUFFERS) of
the SELECT alone, the INSERT … SELECT and the step's statement, and of the raw insert of the same rows
from a table (into the scratch table, and into one without indexes or keys), then their execution
times with the foreign keys deferred and checked at once.

The last line is ``escalation_vs_raw_ratio: X`` (raw insert time / SMS step time: rows per second of
the step over rows per second of the raw insert). Goal X ≥ 0.8 on PostgreSQL: there the script exits
with status 1 when it is missed. On SQLite it only reports.
"""

import argparse
import http.client
import json
import statistics
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import run_in_throwaway_database

PEER: dict = {"port": 0, "received": 0}


class _Peer(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        json.loads(body)
        PEER["received"] += 1
        reply = b'{"code":"OK"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args):
        pass


_local = threading.local()


def _post(payload: dict) -> None:
    conn = getattr(_local, "conn", None)
    if conn is None:
        conn = _local.conn = http.client.HTTPConnection("127.0.0.1", PEER["port"], timeout=5)
    body = json.dumps(payload, ensure_ascii=False).encode()
    conn.request("POST", "/sms", body=body, headers={"Content-Type": "application/json"})
    response = conn.getresponse()
    response.read()
    if response.status != 200:
        raise ConnectionError(response.status)


class HttpPeerBackend:
    """An SMS backend (``delivery.sms`` interface) that POSTs to the local peer."""

    def send(self, message) -> None:
        _post({"to": message.phone, "text": message.text})


def build(n_guardians: int):
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone
    from django_scopes import scopes_disabled

    from accounts.models import Consent, User
    from notices.actions import mark_family_read
    from notices.fanout import fan_out
    from notices.models import Notice, NoticeTarget, Receipt
    from schools.models import Guardian, School, SchoolClass, Student, StudentGuardian, Term

    now = timezone.now()
    n_students = n_guardians // 2
    with scopes_disabled(), transaction.atomic():
        school = School.objects.create(name="基准小学", code="BENCH")
        term = Term.objects.create(
            school=school,
            name="2026-2027-1",
            start_date=now.date(),
            end_date=now.date().replace(year=now.year + 1),
            is_current=True,
        )
        del term
        klass = SchoolClass.objects.create(school=school, grade=3, number=1)
        author = User.objects.create(username="bench_teacher", password=make_password(None))
        password = make_password(None)
        users = User.objects.bulk_create(
            # Mainland mobile numbers (13x…), as the providers' peers check them.
            [User(username=f"13{i:09d}", phone=f"13{i:09d}", password=password) for i in range(n_guardians)],
            batch_size=5000,
        )
        Consent.objects.bulk_create([Consent(user=u, kind="sms", version="2026-1") for u in users], batch_size=5000)
        guardians = Guardian.objects.bulk_create(
            [Guardian(school=school, name=f"家长{i}", phone=u.phone, user=u) for i, u in enumerate(users)],
            batch_size=5000,
        )
        students = Student.objects.bulk_create(
            [Student(school=school, name=f"学生{i}", school_class=klass) for i in range(n_students)], batch_size=5000
        )
        StudentGuardian.objects.bulk_create(
            [
                StudentGuardian(school=school, student=s, guardian=guardians[2 * i + k])
                for i, s in enumerate(students)
                for k in (0, 1)
            ],
            batch_size=5000,
        )
        notice = Notice.objects.create(
            school=school,
            author=author,
            title="春游回执",
            action=Notice.Action.CONFIRM,
            status=Notice.Status.PUBLISHED,
            published_at=now,
        )
        NoticeTarget.objects.create(school=school, notice=notice, kind="school")
    with scopes_disabled():
        fan_out(notice)
        # Every second family has read it: half of the guardians stay unread. Both guardians of a
        # family read (the receipt's read_at), and the family is stamped as the app stamps it
        # (``mark_family_read``: every receipt of the family, ``family_read_at``).
        read_ids = [g.pk for i, g in enumerate(guardians) if (i // 2) % 2 == 0]
        for start in range(0, len(read_ids), 10000):
            readers = Receipt.objects.filter(notice=notice, guardian_id__in=read_ids[start : start + 10000])
            with transaction.atomic():
                readers.update(read_at=now)
                mark_family_read(notice, readers, now)
        notice.refresh_from_db()
    return notice


def explain(notice_id: int, school_id: int, cols: list[str]) -> None:
    """``--explain`` (PostgreSQL): where the step's time goes, on the benchmark's data. Each statement
    runs under EXPLAIN (ANALYZE, BUFFERS) in a transaction rolled back, with the step's settings
    and the foreign keys checked at once (SET CONSTRAINTS ALL IMMEDIATE), so their triggers' time
    shows; then a table of execution times measured without per-node timing (TIMING OFF, less
    overhead): the SELECT alone, the INSERT, the step's statement (the CTE counting RETURNING),
    and the raw insert of the same rows from a temporary table into the scratch copy of the
    delivery table and into a copy without indexes or keys (heap only)."""
    from django.db import connection, transaction

    from notices.ladder import _step_sql, several_channels, step_insert, step_settings, step_statement

    # The notice's first run of the step (no ladder delivery can exist yet: no anti-join).
    select_sql, select_params = _step_sql([notice_id], [], [], [school_id], several=several_channels([], [school_id]))
    insert_sql, insert_params = step_insert([notice_id], [], [], [school_id])
    step_sql, step_params = step_statement([notice_id], [], [], [school_id])
    # The rows the step would insert, for the raw inserts (same values as the step's constants).
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE bench_rows AS SELECT sub.channel, 100::smallint AS round, 'pending'::varchar AS status, "
            "0::smallint AS attempts, now() AS next_attempt_at, ''::varchar AS last_error, now() AS created_at, "
            f"sub.school_id, sub.id AS receipt_id FROM ({select_sql}) sub",
            select_params,
        )
        cursor.execute("CREATE TABLE bench_bare (LIKE delivery_delivery INCLUDING DEFAULTS INCLUDING IDENTITY)")
        cursor.execute("ANALYZE bench_rows")
    raw_sql = f"INSERT INTO bench_delivery ({', '.join(cols)}) SELECT {', '.join(cols)} FROM bench_rows"
    bare_sql = raw_sql.replace("bench_delivery", "bench_bare")
    statements = [
        ("the SELECT alone", select_sql, select_params),
        ("the INSERT … SELECT", insert_sql, insert_params),
        ("the step (CTE over RETURNING)", step_sql, step_params),
        ("raw: the same rows from a table into the scratch delivery table", raw_sql, []),
        ("raw: the same rows into a table without indexes or keys", bare_sql, []),
    ]

    def measure(sql: str, params: list, options: str, immediate: bool) -> list[str]:
        with transaction.atomic(), connection.cursor() as cursor:
            step_settings(cursor)
            if immediate:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"EXPLAIN ({options}) {sql}", params)
            lines = [row[0] for row in cursor.fetchall()]
            transaction.set_rollback(True)
        return lines

    for title, sql, params in statements:
        print(f"\n--- EXPLAIN (ANALYZE, BUFFERS), foreign keys immediate: {title}")
        print("\n".join(measure(sql, params, "ANALYZE, BUFFERS", True)))
    # Execution Time includes the AFTER triggers fired at the statement's end (the foreign keys
    # when immediate).
    print("\n--- execution times, ms (EXPLAIN ANALYZE, TIMING OFF; best of 3)")
    print("| statement | foreign keys deferred (not checked) | foreign keys checked at once |")
    print("|---|---|---|")
    for title, sql, params in statements:
        figures = []
        for immediate in (False, True):
            times = []
            for _ in range(3):
                lines = measure(sql, params, "ANALYZE, TIMING OFF", immediate)
                times.append(next(float(x.split(": ")[1].split()[0]) for x in lines if x.startswith("Execution Time")))
            figures.append(f"{min(times):,.0f}")
        print(f"| {title} | {figures[0]} | {figures[1]} |")
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_rows, bench_bare")


def run(args) -> int:
    from django.conf import settings
    from django.db import connection, transaction
    from django.utils import timezone
    from django_scopes import scopes_disabled

    from delivery.models import Delivery
    from notices.ladder import LADDER_ROUND, sms_step
    from notices.models import Notice

    started = time.perf_counter()
    notice = build(args.guardians)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE")
    print(f"database: {connection.vendor}; built {args.guardians} guardians in {time.perf_counter() - started:.1f} s")

    table = Delivery._meta.db_table
    cols = [
        "channel",
        "round",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
        "created_at",
        "school_id",
        "receipt_id",
    ]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE TABLE bench_delivery (LIKE {table} INCLUDING ALL)")
            cursor.execute(
                "ALTER TABLE bench_delivery ADD FOREIGN KEY (receipt_id) REFERENCES notices_receipt(id) "
                "DEFERRABLE INITIALLY DEFERRED, ADD FOREIGN KEY (school_id) REFERENCES schools_school(id) "
                "DEFERRABLE INITIALLY DEFERRED"
            )
    else:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT sql FROM sqlite_master WHERE tbl_name = %s AND sql IS NOT NULL ORDER BY type DESC", [table]
            )
            for (sql,) in cursor.fetchall():
                cursor.execute(sql.replace(f'"{table}"', '"bench_delivery"').replace('INDEX "', 'INDEX "bench_'))

    if args.explain:
        if connection.vendor != "postgresql":
            print("--explain needs --postgres")
            return 2
        explain(notice.pk, notice.school_id, cols)
        return 0

    step_times, raw_times, counts = [], [], []
    rows: list[tuple] = []
    for _ in range(args.repeat):
        with scopes_disabled():
            # Back to before the notice's first step: no ladder delivery, the step never ran.
            Delivery.objects.filter(round=LADDER_ROUND).delete()
            Notice.objects.filter(pk=notice.pk).update(ladder_sms_at=None)
        now = timezone.now()
        t = time.perf_counter()
        with scopes_disabled(), transaction.atomic():
            n = sms_step([notice.pk], [], now)
        step_times.append(time.perf_counter() - t)
        counts.append(n)
        if not rows:
            with scopes_disabled():
                rows = [
                    ("sms", LADDER_ROUND, "pending", 0, now, "", now, school_id, receipt_id)
                    for school_id, receipt_id in Delivery.objects.filter(round=LADDER_ROUND)
                    .order_by("receipt_id")
                    .values_list("school_id", "receipt_id")
                ]
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM bench_delivery")
        t = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.copy(f"COPY bench_delivery ({', '.join(cols)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                cursor.executemany(
                    f"INSERT INTO bench_delivery ({', '.join(cols)}) VALUES ({', '.join(['%s'] * len(cols))})", rows
                )
        raw_times.append(time.perf_counter() - t)
    expected = args.guardians // 2
    assert all(c == expected for c in counts), f"the SMS step inserted {counts}, expected {expected} each time"
    with scopes_disabled(), transaction.atomic():
        assert sms_step([notice.pk], [], timezone.now()) == 0, "a second run must insert nothing"
    step, raw = statistics.median(step_times), statistics.median(raw_times)
    print(f"sms_step_rows: {expected}")
    print(f"sms_step_rows_per_second: {expected / step:,.0f}")
    print(f"raw_insert_rows_per_second: {expected / raw:,.0f}")

    # Sending through the channel interface to a local provider peer.
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Peer)
    PEER["port"] = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    t = time.perf_counter()
    for i in range(args.send):
        _post({"to": f"1{i:010d}", "text": "x"})
    peer_rate = args.send / (time.perf_counter() - t)
    settings.SMS_BACKEND = "__main__.HttpPeerBackend"
    from delivery.tasks import BATCH, send_due_deliveries

    with scopes_disabled():
        keep = list(
            Delivery.objects.filter(round=LADDER_ROUND).order_by("pk").values_list("pk", flat=True)[: args.send]
        )
        Delivery.objects.filter(round=LADDER_ROUND).exclude(pk__in=keep).delete()
    PEER["received"] = 0
    t = time.perf_counter()
    sent = 0
    for _ in range((args.send + BATCH - 1) // BATCH):
        sent += send_due_deliveries()["sent"]
    send_rate = sent / (time.perf_counter() - t)
    server.shutdown()
    assert sent == args.send == PEER["received"], (sent, PEER["received"])

    # The same deliveries again, through the Alibaba Cloud backend (SendBatchSms, 100 numbers per
    # signed request) against the local peer of its documented API, which checks each request's
    # signature, signature name, template parameters and numbers.
    from delivery.tests.peers import AliyunPeer

    aliyun = AliyunPeer(
        secret="bench-secret",
        sign_name="基准小学",
        templates={"SMS_NOTICE": ("${school}：${title}，请打开 ${link} 查看并回复。", ["school", "title", "link"])},
    ).start()
    settings.SMS_BACKEND = "delivery.sms_providers.AliyunSmsBackend"
    settings.SMS_ALIYUN = {
        "access_key_id": aliyun.access_key_id,
        "access_key_secret": "bench-secret",
        "sign_name": "基准小学",
        "endpoint": aliyun.url,
        "templates": {"notice": {"id": "SMS_NOTICE", "params": ["school", "title", "link"]}},
    }
    with scopes_disabled():
        Delivery.objects.filter(round=LADDER_ROUND).update(
            status=Delivery.Status.PENDING, attempts=0, next_attempt_at=timezone.now(), sent_at=None, provider_ref=""
        )
    t = time.perf_counter()
    batch_sent = 0
    for _ in range((args.send + BATCH - 1) // BATCH):
        batch_sent += send_due_deliveries()["sent"]
    batch_rate = batch_sent / (time.perf_counter() - t)
    aliyun.stop()
    assert batch_sent == args.send == len(aliyun.sent), (batch_sent, len(aliyun.sent))
    print(f"peer_posts_per_second: {peer_rate:,.0f}")
    print(f"sms_sent_per_second: {send_rate:,.0f}")
    print(f"sms_sent_per_second_aliyun_batch: {batch_rate:,.0f} ({len(aliyun.requests)} requests)")
    ratio = raw / step
    print(f"escalation_vs_raw_ratio: {ratio:.2f}")
    if connection.vendor == "postgresql" and ratio < 0.8:
        return 1
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--guardians", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--send", type=int, default=2000)
    parser.add_argument("--explain", action="store_true", help="print the plans and where the time goes (PostgreSQL)")
    args = parser.parse_args()
    return run_in_throwaway_database("escalation", postgres=args.postgres, run=lambda _setup: run(args))


if __name__ == "__main__":
    sys.exit(main())
