"""Purging records past the school's retention period (PIPL: kept no longer than needed). The school's
admins set a period per kind of record (``schools.models.RetentionPeriod``, with defaults); a Celery
beat task (``home.tasks.purge_past_retention``) runs daily and deletes, school by school, what is
older, in bulk statements of ``BATCH`` rows, each batch its own transaction so that a large purge
never holds locks for long. One ``retention_purged`` audit row per school counts what went.

What each kind deletes, and from when it counts:
- chat messages: the message (and its file), and the guardrails' reading of a picture sent in the
  class group, from when it was sent;
- the SMS and email delivery log: ``delivery.Delivery`` rows no longer waiting, from when queued;
- sign-in records of events: ``events.Attendance``, from the event's end;
- who read and answered closed notices: the receipts (and per-child rollups) of plain notices,
  from the notice's close (expiry, else deadline, else publication). The notice itself stays. The
  receipts of a survey's, an event's or a conference day's notice stay with those records (their
  answers, sign-ins and bookings hang on them);
- answers to closed surveys and forms: the responses, answers (and files) and "has answered" marks,
  from the survey's close. The survey and its questions stay; a survey with no closing time never
  closes, so its answers stay.

Never purged: the audit log (append-only, the school's legal record), the contact book and care
cases (the school's record that it was in contact: their existence stays, as erasure keeps it),
the roster. It lives in home because it deletes across apps, as ``home.erasure`` writes across them.
"""

import datetime
from collections.abc import Callable
from functools import partial

from django.db import transaction
from django.db.models import DateTimeField, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone
from django_scopes import scope

from audit.actions import record
from audit.models import AuditEntry
from chat.models import Message
from delivery.models import Delivery
from events.models import Attendance, ConferenceDay, Event
from guardrails.models import PictureCheck
from notices.models import Notice, Receipt, StudentReceipt
from schools.models import RetentionPeriod, School
from schools.queries import retention_periods
from surveys.models import Answer, Participation, Response, Survey

Kind = RetentionPeriod.Kind
BATCH = 2000


def _chat_messages(school_id: int, cutoff: datetime.datetime) -> list[QuerySet]:
    # The guardrails' reading of a class-group picture (its OCR concerns may quote the picture) goes
    # with the message it was sent in.
    return [
        PictureCheck.objects.filter(school_id=school_id, source="chat", created_at__lt=cutoff),
        Message.objects.filter(school_id=school_id, created_at__lt=cutoff),
    ]


def _delivery_log(school_id: int, cutoff: datetime.datetime) -> list[QuerySet]:
    return [Delivery.objects.filter(school_id=school_id, created_at__lt=cutoff).exclude(status=Delivery.Status.PENDING)]


def _event_sign_ins(school_id: int, cutoff: datetime.datetime) -> list[QuerySet]:
    return [Attendance.objects.filter(school_id=school_id, event__ends_at__lt=cutoff)]


def _closed_plain_notices(school_id: int, cutoff: datetime.datetime) -> QuerySet:
    """Notices that closed before ``cutoff`` and announce nothing else (no survey, event, minutes or
    conference day hangs on their receipts)."""
    # (NOT IN over a column with NULLs matches nothing: each list leaves its NULLs out)
    survey_notices = Survey.objects.filter(school_id=school_id, notice__isnull=False).values("notice_id")
    event_notices = Event.objects.filter(school_id=school_id, notice__isnull=False).values("notice_id")
    minutes = Event.objects.filter(school_id=school_id, minutes_notice__isnull=False).values("minutes_notice_id")
    conferences = ConferenceDay.objects.filter(school_id=school_id, notice__isnull=False).values("notice_id")
    return (
        Notice.objects.filter(school_id=school_id)
        .alias(closed_at=Coalesce("expires_at", "deadline", "published_at", "created_at", output_field=DateTimeField()))
        .filter(closed_at__lt=cutoff)
        .exclude(pk__in=survey_notices)
        .exclude(pk__in=event_notices)
        .exclude(pk__in=minutes)
        .exclude(pk__in=conferences)
        .values("pk")
    )


def _notice_receipts(school_id: int, cutoff: datetime.datetime) -> list[QuerySet]:
    notices = _closed_plain_notices(school_id, cutoff)
    return [
        StudentReceipt.objects.filter(school_id=school_id, notice_id__in=notices),
        Receipt.objects.filter(school_id=school_id, notice_id__in=notices),
    ]


def _survey_answers(school_id: int, cutoff: datetime.datetime) -> list[QuerySet]:
    # a survey with no closing time never closes (``Survey.is_open``): its answers stay
    surveys = Survey.objects.filter(school_id=school_id, closes_at__lt=cutoff).values("pk")
    return [
        Answer.objects.filter(school_id=school_id, survey_id__in=surveys),
        Participation.objects.filter(school_id=school_id, survey_id__in=surveys),
        Response.objects.filter(school_id=school_id, survey_id__in=surveys),
    ]


# For each kind: the querysets of the rows past ``cutoff``, deleted in this order (dependents first);
# the last is the kind's own record, the one counted.
RULES: dict[str, Callable[[int, datetime.datetime], list[QuerySet]]] = {
    Kind.CHAT_MESSAGES: _chat_messages,
    Kind.DELIVERY_LOG: _delivery_log,
    Kind.EVENT_SIGN_INS: _event_sign_ins,
    Kind.NOTICE_RECEIPTS: _notice_receipts,
    Kind.SURVEY_ANSWERS: _survey_answers,
}
# Stored files that go with the rows.
FILE_FIELDS = {Message: "file", Answer: "file"}


def _cutoffs(periods: dict[str, int], now: datetime.datetime) -> dict[str, datetime.datetime]:
    return {kind: now - datetime.timedelta(days=days) for kind, days in periods.items()}


def preview(school: School, periods: dict[str, int] | None = None, *, now=None) -> dict[str, int]:
    """The dry run: how many records of each kind the purge would delete now with ``periods`` (the
    school's own when not given). Counts only; nothing is deleted. One count query per kind."""
    now = now or timezone.now()
    counts = {}
    with scope(school=[school.pk]):
        periods = periods or retention_periods(school)
        for kind, cutoff in _cutoffs(periods, now).items():
            # the last queryset of a kind is its main record (the ones before depend on it)
            counts[kind] = RULES[kind](school.pk, cutoff)[-1].count()
    return counts


def do_purge_past_retention(school: School, *, acting_user=None, now=None, batch_size: int = BATCH) -> dict[str, int]:
    """Delete what ``school`` keeps past its retention periods, batch by batch (each batch one
    transaction: ``DELETE … WHERE id IN (…)``, with the cascades Django runs as bulk statements too),
    files after each batch commits. Writes one ``retention_purged`` audit row with the counts when
    anything went. ``acting_user`` is None for the beat task. Safe to run twice: the second finds
    nothing."""
    now = now or timezone.now()
    counts: dict[str, int] = {}
    with scope(school=[school.pk]):
        for kind, cutoff in _cutoffs(retention_periods(school), now).items():
            for queryset in RULES[kind](school.pk, cutoff):
                counts[kind] = _delete_in_batches(queryset, batch_size)  # the last is the kind's own record
    if any(counts.values()):
        record(
            AuditEntry.Action.RETENTION_PURGED,
            actor=acting_user,
            school=school,
            target=school,
            summary=", ".join(f"{kind} {n}" for kind, n in counts.items() if n),
            detail={"deleted": counts, "before": now.isoformat()},
        )
    return counts


def _delete_in_batches(queryset: QuerySet, batch_size: int) -> int:
    model = queryset.model
    file_field = FILE_FIELDS.get(model)
    total = 0
    while True:
        with transaction.atomic():
            ids = list(queryset.order_by("pk").values_list("pk", flat=True)[:batch_size])
            if not ids:
                return total
            files = []
            if file_field:
                files = [name for name in model.objects.filter(pk__in=ids).values_list(file_field, flat=True) if name]
            model.objects.filter(pk__in=ids).delete()
            total += len(ids)
            if files:
                transaction.on_commit(partial(_delete_files, model._meta.get_field(file_field).storage, files))


def _delete_files(storage, names: list[str]) -> None:
    for name in names:
        storage.delete(name)
