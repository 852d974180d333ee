"""The escalation ladder: a notice that needs an action climbs, family by family, from the app to
SMS to a phone call by the head teacher, until some guardian of the family acts.

Steps (minutes after publishing; the school's default per kind, ``DEFAULT_LADDER``, which the sender
may tighten on the notice, never loosen):

1. in the app (the receipt) and e-mail/push at once: fan-out does this (``notices.fanout``);
2. SMS to every guardian of a family where nobody has read it yet (``SMS_AFTER``, 2 h by default),
   through the delivery app's channel interface (``delivery.channels.CHANNELS["sms"]``, whatever
   provider is configured). Only to a guardian who signed in and whose SMS consent stands
   (``accounts.consent``); a family that no guardian may be texted goes straight to step 3;
3. a call task for the head teacher (``CallTask``) after ``CALL_AFTER`` (6 h), or two hours before
   the deadline if that is sooner, for each family (student) not done yet.

A family stops climbing the moment any guardian acts (``StudentReceipt.done_at``: the steps select
only families not done). Each step is ONE ``INSERT … SELECT`` for every family due in every notice
due, run by beat (``notices.tasks.climb_ladders``); ``Delivery``'s unique (receipt, channel, round)
with the ladder's own round and ``CallTask``'s unique (notice, student) make a retry, or a run after a
crash, create nothing twice, and no family is sent the same step twice.

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
from delivery.models import Delivery, PushSubscription, WecomParent
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


def _may_text(user_ref: str) -> Exists:
    """A guardian who may be sent an SMS: signed in, with a standing SMS consent (a never-signed-in
    guardian has given none, so the family goes to the call task instead)."""
    return Exists(Consent.objects.filter(user_id=OuterRef(user_ref), kind="sms", withdrawn_at__isnull=True))


def _reachable(guardian_ref: str) -> Q:
    """A guardian the ladder can message (``guardian_ref``: the guardian's id in the outer query):
    a device subscribed to push in the school, a WeCom parent of the school following its
    notifications (matched by phone), or a standing SMS consent."""
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
                | _may_text("user_id")
            )
        )
    )


def _in_list(column: str, ids: list[int]) -> tuple[str, list[int]]:
    if not ids:
        return "FALSE", []
    return f"{column} IN ({', '.join(['%s'] * len(ids))})", list(ids)


def _step_sql(notice_ids: list[int], urgent_ids: list[int]) -> tuple[str, list[Any]]:
    """The SELECT of the message step: (channel, school, receipt) for every guardian due.

    Hand-written rather than the ORM's (which walks from a link to its student and back, two
    joins too many, and correlates the family's read receipts two levels up, which PostgreSQL
    cannot turn into a join): each family condition is one flat semi- or anti-join over the
    student–guardian links, all keyed by indexed columns (bench/escalation.py, docs/benchmarks.md).

    A guardian is due when their receipt is not acted on, nobody of their family (a guardian sharing
    a child) has read it (URGENT: sent anyway, if a child of theirs has a family not done yet), and
    the ladder has sent this receipt nothing yet. The channels: push (a device subscribed in the school)
    and WeCom (the school's WeCom parent of their phone, following it), both free; SMS (standing
    consent) only when neither reaches them; an URGENT notice goes on every channel they have."""
    t = {
        "receipt": Receipt._meta.db_table,
        "guardian": Guardian._meta.db_table,
        "link": StudentGuardian._meta.db_table,
        "family": StudentReceipt._meta.db_table,
        "consent": Consent._meta.db_table,
        "push": PushSubscription._meta.db_table,
        "wecom": WecomParent._meta.db_table,
        "delivery": Delivery._meta.db_table,
    }
    notices_in, notice_params = _in_list("r.notice_id", notice_ids)
    urgent_in, urgent_params = _in_list("r.notice_id", urgent_ids)
    # Somebody of the family has read it: NOT IN the (notice, guardian) pairs of the families with a
    # read receipt, one uncorrelated subquery that PostgreSQL hashes once (as a NOT EXISTS anti-join
    # it guesses a few rows out of 100,000 and plans a nested loop per receipt for what follows);
    # an URGENT notice is sent anyway.
    not_urgent = f"AND NOT ({urgent_in.replace('r.', 'r2.')})" if urgent_ids else ""
    # A family not done yet. Needed for URGENT notices only: a family is done only when a guardian
    # of the child acted (``notices.actions._roll_up``, whose every caller marks the receipts
    # read with it), so a guardian none of whose family has read it has no child done.
    family_open = (
        f"""AND (NOT ({urgent_in}) OR EXISTS (
                SELECT 1 FROM {t["link"]} l JOIN {t["family"]} f ON f.student_id = l.student_id
                WHERE l.guardian_id = r.guardian_id AND f.notice_id = r.notice_id AND f.done_at IS NULL))"""  # noqa: S608
        if urgent_ids
        else ""
    )
    # PostgreSQL: OFFSET 0 keeps "due" a subquery, so each channel's EXISTS runs once per receipt
    # rather than once per receipt and channel.
    fence = "OFFSET 0" if connection.vendor == "postgresql" else ""
    # Table names come from model meta; every value is a bound parameter.
    sql = f"""
        SELECT ch.channel, due.school_id, due.id FROM (
            SELECT r.id, r.school_id, {urgent_in} AS urgent,
                EXISTS (SELECT 1 FROM {t["push"]} p WHERE p.user_id = g.user_id AND p.school_id = r.school_id)
                    AS push,
                EXISTS (SELECT 1 FROM {t["wecom"]} w
                        WHERE w.school_id = r.school_id AND w.phone = g.phone AND w.subscribed) AS wecom,
                EXISTS (SELECT 1 FROM {t["consent"]} c
                        WHERE c.user_id = g.user_id AND c.kind = 'sms' AND c.withdrawn_at IS NULL) AS sms
            FROM {t["receipt"]} r JOIN {t["guardian"]} g ON g.id = r.guardian_id
            WHERE {notices_in} AND r.acted_at IS NULL
              AND (r.notice_id, r.guardian_id) NOT IN (
                    SELECT r2.notice_id, mine.guardian_id FROM {t["receipt"]} r2
                    JOIN {t["link"]} theirs ON theirs.guardian_id = r2.guardian_id
                    JOIN {t["link"]} mine ON mine.student_id = theirs.student_id
                    WHERE {notices_in.replace("r.", "r2.")} AND r2.read_at IS NOT NULL {not_urgent})
              {family_open}
              AND NOT EXISTS (SELECT 1 FROM {t["delivery"]} d WHERE d.receipt_id = r.id AND d.round = %s)
            {fence}
        ) due
        JOIN (SELECT 'push' AS channel UNION ALL SELECT 'wecom' UNION ALL SELECT 'sms') ch
          ON (ch.channel = 'push' AND due.push) OR (ch.channel = 'wecom' AND due.wecom)
          OR (ch.channel = 'sms' AND due.sms AND (due.urgent OR NOT (due.push OR due.wecom)))"""  # noqa: S608
    return sql, [*urgent_params, *notice_params, *notice_params, *urgent_params, *urgent_params, LADDER_ROUND]


def message_step(notice_ids: list[int], urgent_ids: list[int], now: datetime.datetime) -> dict[str, int]:
    """ONE INSERT … SELECT of the ladder's deliveries (push, WeCom or SMS; see ``_step_sql``) for
    every guardian due, in every notice due. Returns the rows inserted per channel."""
    if not notice_ids:
        return {}
    # The notices' rows are locked for the transaction: two climbs at once wait for each other, so
    # the anti-join sees every row a previous climb committed and ON CONFLICT (a probe per row) is
    # not needed; the unique (receipt, channel, round) stays the backstop.
    list(Notice.objects.select_for_update().filter(pk__in=notice_ids).values_list("pk", flat=True))
    select_sql, select_params = _step_sql(notice_ids, urgent_ids)
    columns = ["round", "status", "attempts", "next_attempt_at", "last_error", "created_at", "channel", "school_id"]
    quote = connection.ops.quote_name
    # Sent at once: due from the real clock (``now`` only decides which steps are due).
    constants: list[Any] = [LADDER_ROUND, Delivery.Status.PENDING, 0, timezone.now(), "", timezone.now()]
    insert = (
        f"INSERT INTO {quote(Delivery._meta.db_table)} ({', '.join(quote(c) for c in [*columns, 'receipt_id'])}) "  # noqa: S608
        f"SELECT {', '.join(['%s'] * len(constants))}, sub.* FROM ({select_sql}) sub WHERE true"
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # A plan of hash joins over a few hundred thousand rows: compiling it (JIT) costs more
            # than it saves (about a quarter of the step on the benchmark).
            cursor.execute("SET LOCAL jit = off")
            # Room for the hashed NOT IN of a district's read families (2 × work_mem for hashes):
            # past it PostgreSQL would scan the subquery once per receipt.
            cursor.execute("SET LOCAL work_mem = '64MB'")
            cursor.execute(
                f"WITH ins AS ({insert} RETURNING channel) SELECT channel, count(*) FROM ins GROUP BY channel",  # noqa: S608
                [*constants, *select_params],
            )
            return dict(cursor.fetchall())
        cursor.execute(f"{insert} RETURNING channel", [*constants, *select_params])
        return dict(Counter(channel for (channel,) in cursor.fetchall()))


def sms_step(notice_ids: list[int], urgent_ids: list[int], now: datetime.datetime) -> int:
    """The message step (``message_step``); the number of deliveries it inserted, of any channel."""
    return sum(message_step(notice_ids, urgent_ids, now).values())


def call_step(call_ids: list[int], sms_ids: list[int], urgent_ids: list[int], now: datetime.datetime) -> int:
    """ONE INSERT … SELECT of call tasks: families not done in a notice whose call step is due, and
    families of a notice whose SMS step is due that no guardian may be texted."""
    if not call_ids and not sms_ids:
        return 0
    reachable = StudentGuardian.objects.filter(student_id=OuterRef("student_id")).filter(_reachable("guardian_id"))
    families = (
        _open_families([*call_ids, *sms_ids])
        .filter(Q(notice_id__in=call_ids) | ~Exists(reachable))
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
