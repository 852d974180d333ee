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

from django.db import transaction
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q
from django.utils import timezone
from django_scopes import scopes_disabled

from accounts.models import Consent
from core.bulk import insert_select
from delivery.actions import COLUMNS as DELIVERY_COLUMNS
from delivery.actions import queue_ladder_sms_after_commit
from delivery.models import Delivery
from schools.models import StudentGuardian

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


def sms_step(notice_ids: list[int], urgent_ids: list[int], now: datetime.datetime) -> int:
    """ONE INSERT … SELECT of ladder SMS deliveries for every guardian due, in every notice due."""
    if not notice_ids:
        return 0
    family_open = StudentReceipt.objects.filter(
        notice_id=OuterRef("notice_id"),
        done_at__isnull=True,
        student__guardian_links__guardian=OuterRef("guardian_id"),
    )
    # Somebody of the family (a guardian sharing a child) has read it: no SMS (URGENT: still sent).
    # Walked from the outer guardian's own links (indexed): their children, those children's
    # guardians, and whether one of them has a read receipt of the notice.
    family_read = StudentGuardian.objects.filter(
        student__guardian_links__guardian_id=OuterRef("guardian_id"),
    ).filter(
        Exists(
            Receipt.objects.filter(
                notice_id=OuterRef(OuterRef("notice_id")), guardian_id=OuterRef("guardian_id"), read_at__isnull=False
            )
        )
    )
    receipts = (
        Receipt.objects.filter(notice_id__in=notice_ids, guardian__isnull=False, acted_at__isnull=True)
        .filter(Exists(family_open))
        .filter(Q(notice_id__in=urgent_ids) | ~Exists(family_read))
        .filter(_may_text("guardian__user_id"))
        .filter(~Exists(Delivery.objects.filter(receipt_id=OuterRef("pk"), channel="sms", round=LADDER_ROUND)))
        .values("school_id", "pk")
        .order_by("pk")
    )
    # The notices' rows are locked for the transaction: two climbs at once wait for each other, so
    # the anti-join above sees every row a previous climb committed and ON CONFLICT (a probe per
    # row) is not needed; the unique constraint stays the backstop.
    list(Notice.objects.select_for_update().filter(pk__in=notice_ids).values_list("pk", flat=True))
    return insert_select(
        Delivery._meta.db_table,
        [*DELIVERY_COLUMNS[1:], "school_id", "receipt_id"],
        # Sent at once: due from the real clock (``now`` only decides which steps are due).
        [Delivery.Channel.SMS, LADDER_ROUND, Delivery.Status.PENDING, 0, timezone.now(), "", timezone.now()],
        receipts,
        on_conflict=False,
    )


def call_step(call_ids: list[int], sms_ids: list[int], urgent_ids: list[int], now: datetime.datetime) -> int:
    """ONE INSERT … SELECT of call tasks: families not done in a notice whose call step is due, and
    families of a notice whose SMS step is due that no guardian may be texted."""
    if not call_ids and not sms_ids:
        return 0
    textable = StudentGuardian.objects.filter(student_id=OuterRef("student_id")).filter(_may_text("guardian__user_id"))
    families = (
        _open_families([*call_ids, *sms_ids])
        .filter(Q(notice_id__in=call_ids) | ~Exists(textable))
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
        texted = sms_step(sms_ids, urgent_ids, now)
        called = call_step(call_ids, sms_ids, urgent_ids, now)
        if texted:
            queue_ladder_sms_after_commit()
    return {"sms": texted, "calls": called}


def do_climb_ladders(*, acting_user) -> dict:
    """The beat task's write: no audit row per run (each SMS is a delivery row, each call a task)."""
    return climb()
