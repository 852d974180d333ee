"""The escalation ladder: a notice that needs an action climbs, family by family, from the app to
SMS to a phone call by the head teacher, until some guardian of the family acts.

Steps (minutes after publishing; the school's default per kind, ``DEFAULT_LADDER``, which the sender
may tighten on the notice, never loosen):

1. in the app (the receipt) and e-mail/push at once: fan-out does this (``notices.fanout``);
2. SMS to every guardian of a family where nobody has read it yet (``SMS_AFTER``, 2 h by default),
   through the delivery app's channel interface (``delivery.channels.CHANNELS["sms"]``, whatever
   provider is configured), or by push or WeCom where those reach the guardian (free). SMS only to a
   guardian who signed in, whose SMS consent stands (``accounts.consent``) and who has not turned
   SMS off in their channels (``DeliveryPreference.sms_enabled``); a consent withdrawn or SMS turned
   off after the step cancels the message when it is sent (``delivery.channels.SmsChannel``). A
   family that no guardian may be messaged goes straight to step 3. A guardian removed from the
   family since (``Receipt.left_family_at``) is not reached;
3. a call task for the head teacher (``CallTask``) after ``CALL_AFTER`` (6 h), or two hours before
   the deadline if that is sooner, for each family (student) not done yet.

A family stops climbing the moment any guardian acts (``StudentReceipt.done_at``: the steps select
only families not done); the message step skips it as soon as any guardian has read it
(``Receipt.family_read_at``, stamped on the whole family by ``notices.actions.mark_family_read``).
Each step is ONE ``INSERT … SELECT`` for every family due in every notice due, run by beat
(``notices.tasks.climb_ladders``); ``Delivery``'s unique (receipt, channel, round) with the ladder's
own round and ``CallTask``'s unique (notice, student) make a retry, or a run after a crash, create
nothing twice, and no family is sent the same step twice.

Quiet hours: outside URGENT notices no SMS step runs between 21:00 and 07:00 (the school's local
time, the teachers' default quiet hours of ``chat``); a step due then runs at 07:00. URGENT notices
(closure, early dismissal, outbreak; only an admin or a head teacher marks one) skip the wait and
the quiet hours: SMS at once to every guardian who may be texted, whatever their channel choice, and
the call step after an hour; marking one is audited (``AuditEntry.Action.NOTICE_URGENT``).
"""

import datetime
from collections import Counter
from typing import Any

from django.db import connection, transaction
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q
from django.utils import timezone
from django_scopes import scopes_disabled

from accounts.models import Consent
from core.bulk import insert_select
from delivery.actions import queue_ladder_sms_after_commit
from delivery.models import Delivery, DeliveryPreference, PushSubscription, WecomParent
from schools.models import Guardian, StudentGuardian

from .models import CallTask, Notice, Receipt, StudentReceipt

# (sms after, call after) in minutes, per kind of action; None: no such step.
DEFAULT_LADDER: dict[str, tuple[int | None, int | None]] = {
    Notice.Action.READ: (4 * 60, None),
    Notice.Action.CONFIRM: (2 * 60, 6 * 60),
    Notice.Action.ANSWER: (2 * 60, 6 * 60),
    Notice.Action.RSVP: (2 * 60, 6 * 60),
    Notice.Action.SURVEY: (2 * 60, 6 * 60),
    Notice.Action.FORM: (2 * 60, 6 * 60),
}
URGENT_LADDER = (0, 60)
CALL_BEFORE_DEADLINE = datetime.timedelta(hours=2)
# The ladder's SMS is its own delivery round, far above the reminder rounds (1, 2 …): the unique
# (receipt, channel, round) is then "never the ladder's SMS twice to one guardian".
LADDER_ROUND = 100
QUIET_START, QUIET_END = datetime.time(21, 0), datetime.time(7, 0)
# Notices older than this no longer climb (nothing to scan for ever).
LOOK_BACK = datetime.timedelta(days=14)


def steps_of(notice: Notice) -> tuple[int | None, int | None]:
    """The notice's (sms, call) minutes: the default for its kind, tightened by the sender."""
    sms: int | None
    call: int | None
    if notice.urgent:
        sms, call = URGENT_LADDER
    else:
        sms, call = DEFAULT_LADDER.get(notice.action, (None, None))
    if sms is not None and notice.ladder_sms_after is not None:
        sms = min(sms, notice.ladder_sms_after)
    if notice.ladder_call_after is not None:
        call = notice.ladder_call_after if call is None else min(call, notice.ladder_call_after)
    return sms, call


def in_quiet_hours(at: datetime.datetime) -> bool:
    local = timezone.localtime(at).time()
    return local >= QUIET_START or local < QUIET_END


def due_notices(now: datetime.datetime) -> tuple[list[int], list[int], list[int]]:
    """(notices whose SMS step is due, of those the urgent ones, notices whose call step is due)."""
    sms_due: list[int] = []
    urgent: list[int] = []
    call_due: list[int] = []
    quiet = in_quiet_hours(now)
    with scopes_disabled():  # reviewed: beat climbs every school's notices; rows keep their school
        notices = Notice.objects.filter(
            status=Notice.Status.PUBLISHED, published_at__gte=now - LOOK_BACK, fanned_out_at__isnull=False
        ).exclude(action=Notice.Action.NONE, urgent=False)
        for notice in notices.only(
            "pk", "action", "urgent", "published_at", "deadline", "ladder_sms_after", "ladder_call_after"
        ):
            sms, call = steps_of(notice)
            published = notice.published_at
            assert published is not None
            if sms is not None and published + datetime.timedelta(minutes=sms) <= now and (notice.urgent or not quiet):
                sms_due.append(notice.pk)
                if notice.urgent:
                    urgent.append(notice.pk)
            call_at = published + datetime.timedelta(minutes=call) if call is not None else None
            if notice.deadline and not notice.urgent and (call is not None or sms is not None):
                before = notice.deadline - CALL_BEFORE_DEADLINE
                call_at = before if call_at is None else min(call_at, before)
            if call_at is not None and call_at <= now:
                call_due.append(notice.pk)
    return sms_due, urgent, call_due


def _open_families(notice_ids: list[int]):
    """Students of these notices whose family has not acted."""
    return StudentReceipt.objects.filter(notice_id__in=notice_ids, done_at__isnull=True)


def _may_text(user_ref: str, *, urgent: bool) -> Q:
    """A guardian who may be sent an SMS: signed in, with a standing SMS consent (a never-signed-in
    guardian has given none, so the family goes to the call task instead), and, unless the notice
    is URGENT, who has not turned SMS off in their channels (``DeliveryPreference.sms_enabled``;
    no choice saved: the consent decides)."""
    consent = Q(Exists(Consent.objects.filter(user_id=OuterRef(user_ref), kind="sms", withdrawn_at__isnull=True)))
    if urgent:
        return consent
    return consent & ~Q(Exists(DeliveryPreference.objects.filter(user_id=OuterRef(user_ref), sms_enabled=False)))


def _reachable(guardian_ref: str, *, urgent: bool) -> Q:
    """A guardian the ladder can message (``guardian_ref``: the guardian's id in the outer query):
    a device subscribed to push in the school, a WeCom parent of the school following its
    notifications (matched by phone), or SMS (``_may_text``)."""
    guardians = Guardian._base_manager.filter(pk=OuterRef(guardian_ref))
    return Q(
        Exists(
            guardians.filter(
                Exists(
                    PushSubscription._base_manager.filter(user_id=OuterRef("user_id"), school_id=OuterRef("school_id"))
                )
                | Exists(
                    WecomParent._base_manager.filter(
                        school_id=OuterRef("school_id"), phone=OuterRef("phone"), subscribed=True
                    )
                )
                | _may_text("user_id", urgent=urgent)
            )
        )
    )


def _in_list(column: str, ids: list[int]) -> tuple[str, list[int]]:
    if not ids:
        return "FALSE", []
    return f"{column} IN ({', '.join(['%s'] * len(ids))})", list(ids)


def _step_sql(
    notice_ids: list[int],
    urgent_ids: list[int],
    stepped_ids: list[int],
    school_ids: list[int],
    first: str = "",
    several: bool = True,
) -> tuple[str, list[Any]]:
    """The SELECT of the message step: (channel, school, receipt) for every guardian due, after the
    columns ``first`` (the INSERT's constants: one projection, not a subquery of its own).
    ``several``: whether a guardian may be due on several channels (``several_channels``).

    A guardian is due when their receipt is not acted on, nobody of their family (a guardian sharing
    a child) has read it (URGENT: sent anyway, if a child of theirs has a family not done yet), they
    are still of the family (``left_family_at``), and, in a notice the step ran for before
    (``stepped_ids``, ``Notice.ladder_sms_at``), the ladder has sent this receipt nothing yet. The
    channels: push (a device subscribed in the school) and WeCom (the school's WeCom parent of
    their phone, following it), both free; SMS (``_may_text``) only when neither reaches them; an
    URGENT notice goes on every channel they have.

    Hand-written for its plan (bench/escalation.py --explain, docs/benchmarks.md): the family's read
    is a column of the receipt (``Receipt.family_read_at``), not a join of every due guardian's
    links to their family's receipts; push, WeCom and SMS turned off are uncorrelated ``IN`` lists
    that PostgreSQL hashes once (as correlated EXISTS it probes them once per receipt); consent
    stays an EXISTS, which PostgreSQL hashes too when many receipts are due and otherwise probes
    through the index, whatever the number of users. What is left is a scan of the notices'
    receipts and one hash join to their guardians (their user and phone). ``school_ids``: the
    notices' schools, to which the push and WeCom lists are cut."""
    t = {
        "receipt": Receipt._meta.db_table,
        "guardian": Guardian._meta.db_table,
        "link": StudentGuardian._meta.db_table,
        "family": StudentReceipt._meta.db_table,
        "consent": Consent._meta.db_table,
        "preference": DeliveryPreference._meta.db_table,
        "push": PushSubscription._meta.db_table,
        "wecom": WecomParent._meta.db_table,
        "delivery": Delivery._meta.db_table,
    }
    sql: list[str] = []
    params: list[Any] = []

    def add(text: str, *values: Any) -> None:
        """The statement in the order it reads, each piece with its bound values."""
        sql.append(text)
        params.extend(values)

    def in_list(column: str, ids: list[int]) -> str:
        text, values = _in_list(column, ids)
        params.extend(values)
        return text

    # Table names come from model meta; every value is a bound parameter.
    add("SELECT r.id, r.school_id, ")
    add(f"{in_list('r.notice_id', urgent_ids)} AS urgent,")
    add(
        f"COALESCE((g.user_id, r.school_id) IN (SELECT p.user_id, p.school_id FROM {t['push']} p"  # noqa: S608
        f" WHERE {in_list('p.school_id', school_ids)}), FALSE) AS push,"
    )
    add(
        f"COALESCE((r.school_id, g.phone) IN (SELECT w.school_id, w.phone FROM {t['wecom']} w"  # noqa: S608
        f" WHERE w.subscribed AND {in_list('w.school_id', school_ids)}), FALSE) AS wecom,"
    )
    # SMS: a standing consent, and (but for URGENT notices) SMS not turned off (``_may_text``).
    add(
        f"""(EXISTS (SELECT 1 FROM {t["consent"]} c
                     WHERE c.user_id = g.user_id AND c.kind = 'sms' AND c.withdrawn_at IS NULL)
             AND ({in_list("r.notice_id", urgent_ids)} OR COALESCE(g.user_id NOT IN (
                 SELECT f.user_id FROM {t["preference"]} f WHERE NOT f.sms_enabled), FALSE))) AS sms"""  # noqa: S608
    )
    add(f"FROM {t['receipt']} r JOIN {t['guardian']} g ON g.id = r.guardian_id")
    add(f"WHERE {in_list('r.notice_id', notice_ids)} AND r.acted_at IS NULL AND r.left_family_at IS NULL")
    if urgent_ids:
        add(f"AND (r.family_read_at IS NULL OR {in_list('r.notice_id', urgent_ids)})")
        # A family not done yet: needed for URGENT notices only. Otherwise a family is done only
        # when a guardian of the child acted (``notices.actions._roll_up``), and acting marks the
        # family read.
        add(
            f"""AND (NOT ({in_list("r.notice_id", urgent_ids)}) OR EXISTS (
                SELECT 1 FROM {t["link"]} l JOIN {t["family"]} f ON f.student_id = l.student_id
                WHERE l.guardian_id = r.guardian_id AND f.notice_id = r.notice_id AND f.done_at IS NULL))"""  # noqa: S608
        )
    else:
        add("AND r.family_read_at IS NULL")
    # Nothing sent by the ladder yet: only in notices the step ran for before. Before its first run
    # no ladder delivery of a notice can exist (``Notice.ladder_sms_at`` is set in the same
    # transaction as the deliveries, under the notices' row lock), and that first run is the one
    # that sends to every family due; later runs find the few that became due since.
    stepped = sorted(set(stepped_ids) & set(notice_ids))
    if stepped:
        sent = f"EXISTS (SELECT 1 FROM {t['delivery']} d WHERE d.receipt_id = r.id AND d.round = %s)"  # noqa: S608
        if len(stepped) == len(set(notice_ids)):
            add(f"AND NOT {sent}", LADDER_ROUND)
        else:
            add(f"AND (NOT ({in_list('r.notice_id', stepped)}) OR NOT {sent})", LADDER_ROUND)
    due = "\n".join(sql)
    if not several:
        # One channel per guardian (no URGENT notice, and no school of these notices reaches
        # families by both push and WeCom): the channel is a CASE, and the SELECT stays one
        # projection under the INSERT. OFFSET 0 keeps "due" a subquery (PostgreSQL), so each
        # channel's test runs once per receipt rather than again in the CASE.
        fence = "OFFSET 0" if connection.vendor == "postgresql" else ""
        return (
            f"""SELECT {first} CASE WHEN due.push THEN 'push' WHEN due.wecom THEN 'wecom' ELSE 'sms' END AS channel,
                    due.school_id, due.id
                FROM ({due} {fence}) due WHERE due.push OR due.wecom OR due.sms""",  # noqa: S608
            params,
        )
    if connection.vendor == "postgresql":
        # Several channels for some: the one channel of most guardians as a one-element array, the
        # several (push and WeCom; SMS beside them only when URGENT) as a longer one, unnested.
        return (
            f"""SELECT {first} unnest(CASE WHEN due.urgent OR (due.push AND due.wecom)
                    THEN array_remove(ARRAY[CASE WHEN due.push THEN 'push' END, CASE WHEN due.wecom THEN 'wecom' END,
                                            CASE WHEN due.sms AND due.urgent THEN 'sms' END], NULL)
                    ELSE ARRAY[CASE WHEN due.push THEN 'push' WHEN due.wecom THEN 'wecom' ELSE 'sms' END]
                    END)::varchar AS channel, due.school_id, due.id
                FROM ({due} OFFSET 0) due WHERE due.push OR due.wecom OR due.sms""",  # noqa: S608
            params,
        )
    return (
        f"""SELECT {first} ch.channel, due.school_id, due.id FROM ({due}) due
            JOIN (SELECT 'push' AS channel UNION ALL SELECT 'wecom' UNION ALL SELECT 'sms') ch
              ON (ch.channel = 'push' AND due.push) OR (ch.channel = 'wecom' AND due.wecom)
              OR (ch.channel = 'sms' AND due.sms AND (due.urgent OR NOT (due.push OR due.wecom)))""",  # noqa: S608
        params,
    )


def several_channels(urgent_ids: list[int], school_ids: list[int]) -> bool:
    """Whether the step may reach a guardian on several channels: an URGENT notice (every channel
    they have), or a school where families are reached both by push and by WeCom."""
    if urgent_ids:
        return True
    schools = PushSubscription._base_manager.filter(school_id__in=school_ids).values("school_id")
    return WecomParent._base_manager.filter(school_id__in=schools, subscribed=True).exists()


def step_insert(
    notice_ids: list[int], urgent_ids: list[int], stepped_ids: list[int], school_ids: list[int]
) -> tuple[str, list[Any]]:
    """The message step's INSERT … SELECT and its parameters (no RETURNING)."""
    columns = ["round", "status", "attempts", "next_attempt_at", "last_error", "created_at", "channel", "school_id"]
    quote = connection.ops.quote_name
    # Sent at once: due from the real clock (``now`` only decides which steps are due).
    constants: list[Any] = [LADDER_ROUND, Delivery.Status.PENDING, 0, timezone.now(), "", timezone.now()]
    select_sql, select_params = _step_sql(
        notice_ids,
        urgent_ids,
        stepped_ids,
        school_ids,
        first="".join(["%s, "] * len(constants)),
        several=several_channels(urgent_ids, school_ids),
    )
    insert = (
        f"INSERT INTO {quote(Delivery._meta.db_table)} ({', '.join(quote(c) for c in [*columns, 'receipt_id'])}) "
        f"{select_sql}"
    )
    return insert, [*constants, *select_params]


def step_statement(
    notice_ids: list[int], urgent_ids: list[int], stepped_ids: list[int], school_ids: list[int]
) -> tuple[str, list[Any]]:
    """The message step's statement and parameters (PostgreSQL: counted per channel by a CTE over
    RETURNING; SQLite: the channels of the rows inserted). ``bench/escalation.py --explain`` prints
    its plan."""
    insert, params = step_insert(notice_ids, urgent_ids, stepped_ids, school_ids)
    if connection.vendor == "postgresql":
        return f"WITH ins AS ({insert} RETURNING channel) SELECT channel, count(*) FROM ins GROUP BY channel", params  # noqa: S608
    return f"{insert} RETURNING channel", params


def step_settings(cursor) -> None:
    """The statement's settings for the transaction (PostgreSQL)."""
    if connection.vendor != "postgresql":
        return
    # A plan of hash joins over a few hundred thousand rows: compiling it (JIT) costs more
    # than it saves (about a quarter of the step on the benchmark).
    cursor.execute("SET LOCAL jit = off")
    # Room for the hashed IN lists (push, WeCom and SMS turned off, cut to the notices' schools but
    # the last) of a district (2 × work_mem for hashes): past it PostgreSQL would scan a list once
    # per receipt. Consent is an EXISTS, which falls back to the index instead.
    cursor.execute("SET LOCAL work_mem = '64MB'")


def message_step(notice_ids: list[int], urgent_ids: list[int], now: datetime.datetime) -> dict[str, int]:
    """ONE INSERT … SELECT of the ladder's deliveries (push, WeCom or SMS; see ``_step_sql``) for
    every guardian due, in every notice due. Returns the rows inserted per channel."""
    if not notice_ids:
        return {}
    # The notices' rows are locked for the transaction: two climbs at once wait for each other, so
    # the anti-join sees every row a previous climb committed and ON CONFLICT (a probe per row) is
    # not needed; the unique (receipt, channel, round) stays the backstop. Read under the lock:
    # whether the step ran for each notice before (``Notice.ladder_sms_at``).
    locked = list(
        Notice.objects.select_for_update().filter(pk__in=notice_ids).values_list("pk", "ladder_sms_at", "school_id")
    )
    stepped = [pk for pk, ran_at, _school in locked if ran_at is not None]
    schools = sorted({school for _pk, _ran_at, school in locked})
    sql, params = step_statement(notice_ids, urgent_ids, stepped, schools)
    with connection.cursor() as cursor:
        step_settings(cursor)
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            inserted = dict(cursor.fetchall())
        else:
            inserted = dict(Counter(channel for (channel,) in cursor.fetchall()))
    if len(stepped) < len(notice_ids):
        Notice.objects.filter(pk__in=notice_ids, ladder_sms_at__isnull=True).update(ladder_sms_at=timezone.now())
    return inserted


def sms_step(notice_ids: list[int], urgent_ids: list[int], now: datetime.datetime) -> int:
    """The message step (``message_step``); the number of deliveries it inserted, of any channel."""
    return sum(message_step(notice_ids, urgent_ids, now).values())


def call_step(call_ids: list[int], sms_ids: list[int], urgent_ids: list[int], now: datetime.datetime) -> int:
    """ONE INSERT … SELECT of call tasks: families not done in a notice whose call step is due, and
    families of a notice whose SMS step is due that no guardian may be texted."""
    if not call_ids and not sms_ids:
        return 0
    links = StudentGuardian.objects.filter(student_id=OuterRef("student_id"))
    reachable = links.filter(_reachable("guardian_id", urgent=False))
    reachable_urgent = links.filter(_reachable("guardian_id", urgent=True))
    urgent = Q(notice_id__in=urgent_ids)
    families = (
        _open_families([*call_ids, *sms_ids])
        .filter(Q(notice_id__in=call_ids) | (urgent & ~Exists(reachable_urgent)) | (~urgent & ~Exists(reachable)))
        .filter(~Exists(CallTask.objects.filter(notice_id=OuterRef("notice_id"), student_id=OuterRef("student_id"))))
        .annotate(is_urgent=ExpressionWrapper(Q(notice_id__in=urgent_ids or [0]), output_field=BooleanField()))
        .values("school_id", "notice_id", "student_id", "student__school_class_id", "is_urgent")
        .order_by("notice_id", "student_id")
    )
    return insert_select(
        CallTask._meta.db_table,
        ["created_at", "outcome", "school_id", "notice_id", "student_id", "school_class_id", "urgent"],
        [now, ""],
        families,
    )


def climb(*, now: datetime.datetime | None = None) -> dict:
    """One climb of every ladder: the SMS step, then the call step, each one statement."""
    now = now or timezone.now()
    sms_ids, urgent_ids, call_ids = due_notices(now)
    with scopes_disabled(), transaction.atomic():  # reviewed: set-based over all schools; rows keep theirs
        messages = message_step(sms_ids, urgent_ids, now)
        called = call_step(call_ids, sms_ids, urgent_ids, now)
        if messages:
            queue_ladder_sms_after_commit()
    # "sms" and "calls" always; "push" and "wecom" when the step sent any.
    return {"sms": messages.pop("sms", 0), **messages, "calls": called}


def do_climb_ladders(*, acting_user) -> dict:
    """The beat task's write: no audit row per run (each SMS is a delivery row, each call a task)."""
    return climb()
