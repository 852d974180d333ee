"""Fan-out: from a published notice's audience to its receipt rows, inside the database.

The audience (``notices.audience``) is resolved by one SELECT that the database runs inside an INSERT … SELECT, so a
notice to 200,000 guardians is one statement per table (receipts, student rollups), with no rows
travelling through Python. ``ON CONFLICT DO NOTHING`` on the unique constraints makes the task
idempotent: a retry, or a worker killed halfway and restarted, creates nothing twice.

``do_fan_out_notice`` is the one write the tasks call: the receipts, then the deliveries beyond the
app (email), inside the notice's own school."""

from datetime import timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from core.bulk import insert_select
from delivery.actions import queue_notice_deliveries
from delivery.live import nudge_school
from schools.models import StudentGuardian

from .audience import FAMILY_KINDS, audience_guardians, audience_staff_users, audience_students
from .models import Notice, NoticeTarget, Receipt, StudentReceipt

RECEIPT_CONSTANT_COLUMNS = [
    "school_id",
    "notice_id",
    "delivered_at",
    "seen_version",
    "answer",
    "comment",
    "acted_via",
    "created_at",
]


def fan_out(notice: Notice) -> dict:
    """Create the receipts and rollups of a published notice. Safe to run any number of times."""
    targets = list(NoticeTarget.objects.filter(notice=notice))
    now = timezone.now()
    counts = {"receipts": 0, "students": 0}
    with transaction.atomic():
        locked = Notice.objects.select_for_update().filter(pk=notice.pk, status=Notice.Status.PUBLISHED).first()
        if locked is None:
            return counts  # recalled or unpublished meanwhile: nobody gets it
        receipt_constants = [notice.school_id, notice.pk, now, 0, "", "", "", now]
        if any(t.kind in FAMILY_KINDS for t in targets):
            students = audience_students(notice.school_id, targets)
            # The notice row is locked and fan_out is the only writer of its receipts, so an anti-join
            # (NOT EXISTS) sees every row a previous run committed: a retry adds only what is
            # missing, and the unique constraints stay as the backstop. Rows go in sorted by the
            # indexed key, so the indexes are written in order rather than at random places.
            counts["students"] = insert_select(
                StudentReceipt._meta.db_table,
                ["school_id", "notice_id", "student_id"],
                [notice.school_id, notice.pk],
                students.filter(~Exists(StudentReceipt.objects.filter(notice=notice, student_id=OuterRef("pk"))))
                .values("pk")
                .order_by("pk"),
                on_conflict=False,
            )
            guardians = (
                StudentGuardian.objects.filter(student__in=students.values("pk"))
                .filter(~Exists(Receipt.objects.filter(notice=notice, guardian_id=OuterRef("guardian_id"))))
                .values("guardian_id")
                .distinct()
                .order_by("guardian_id")
            )
            counts["receipts"] += insert_select(
                Receipt._meta.db_table,
                [*RECEIPT_CONSTANT_COLUMNS, "guardian_id"],
                receipt_constants,
                guardians,
                on_conflict=False,
            )
        direct = audience_guardians(notice.school_id, targets)
        if direct is not None:  # guardians a registered group reaches (not through a child); ON CONFLICT
            counts["receipts"] += insert_select(  # skips those the family part already reached
                Receipt._meta.db_table, [*RECEIPT_CONSTANT_COLUMNS, "guardian_id"], receipt_constants, direct
            )
        staff = audience_staff_users(notice.school_id, targets)
        if staff is not None:
            counts["receipts"] += insert_select(
                Receipt._meta.db_table, [*RECEIPT_CONSTANT_COLUMNS, "user_id"], receipt_constants, staff
            )
        Notice.objects.filter(pk=notice.pk, fanned_out_at__isnull=True).update(fanned_out_at=now)
    return counts


def do_fan_out_notice(notice_id: int, *, acting_user) -> dict:
    """Fan out a published notice and queue its emails. Idempotent like ``fan_out``: receipts and
    deliveries are unique per notice and recipient, so a retry adds only what is missing."""
    with scopes_disabled():  # reviewed: given an id, the work then runs inside that notice's school
        notice = Notice.objects.filter(pk=notice_id).first()
    if notice is None:
        return {}
    # One transaction: the receipts, the emails and ``fanned_out_at`` commit together. A worker
    # lost in between used to leave the notice marked fanned out with its emails never queued,
    # where the sweeper (``do_fan_out_missed``) does not look; now nothing of it is kept, and the
    # redelivered task or the sweeper does it all again (tests/faults/test_worker_killed.py).
    with scope(school=[notice.school_id]), transaction.atomic():
        counts = fan_out(notice)
        queue_notice_deliveries(notice, notice.receipts.all())
    # Open pages of the school recount their badges (one message to the school's group).
    transaction.on_commit(lambda: nudge_school(notice.school_id))
    if notice.urgent:
        # URGENT: every channel at once, without waiting for beat's next climb.
        from .ladder import climb

        climb()
    return counts


def do_fan_out_missed(*, acting_user) -> int:
    """A published notice whose fan-out was never enqueued (the broker was down at publishing) or
    never finished is fanned out now, at most 100 at a time."""
    with scopes_disabled():  # reviewed: each notice is then fanned out inside its own school
        missed = list(
            Notice.objects.filter(
                status=Notice.Status.PUBLISHED,
                fanned_out_at__isnull=True,
                published_at__lte=timezone.now() - timedelta(minutes=1),
            ).values_list("pk", flat=True)[:100]
        )
    for notice_id in missed:
        do_fan_out_notice(notice_id, acting_user=acting_user)
    return len(missed)
