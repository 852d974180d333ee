"""Every write of the guardrails app: the school's word list (admins), and the counts of warnings
and overrides (called by the senders of class-wide messages: notices and chat)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import partial

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from audit.actions import record
from audit.models import AuditEntry
from core.guardrails import Concern, GuardrailWarning, normalize_text, require_override
from core.ocr import engine_status

from .models import MAX_WORD_LENGTH, MAX_WORDS, GuardrailTally, PictureCheck, SchoolWords
from .queries import words_cache_key

_SEPARATORS = re.compile(r"[\n,;、，；]+")


def parse_words(text: str) -> list[str]:
    """One word or phrase a line (or separated by commas): folded as the checker reads text
    (full-width, traditional), spaces removed, duplicates dropped, the admin's order kept."""
    words = []
    for raw in _SEPARATORS.split(text or ""):
        word = "".join(normalize_text(raw).split())
        if word and word not in words:
            words.append(word)
    return words


def do_set_school_words(
    school, text: str, *, acting_user, request=None, warn_named_awards: bool | None = None
) -> list[str]:
    """Replace the school's own forbidden words (at most 200, each at most 20 characters) and, if
    given, its choice to be warned when one child's award is named."""
    words = parse_words(text)
    if len(words) > MAX_WORDS:
        raise ValidationError(_("At most %(n)d words.") % {"n": MAX_WORDS})
    too_long = [w for w in words if len(w) > MAX_WORD_LENGTH]
    if too_long:
        raise ValidationError(
            _("A word is at most %(n)d characters: %(word)s") % {"n": MAX_WORD_LENGTH, "word": too_long[0]}
        )
    with transaction.atomic():
        defaults = {"words": words, "updated_at": timezone.now(), "updated_by": acting_user}
        if warn_named_awards is not None:
            defaults["warn_named_awards"] = warn_named_awards
        SchoolWords.objects.update_or_create(school=school, defaults=defaults)
        record(
            AuditEntry.Action.SETTINGS_CHANGED,
            actor=acting_user,
            school=school,
            summary=f"guardrail words: {len(words)}"
            + ("" if warn_named_awards is None else f", awards {warn_named_awards}"),
            request=request,
        )
        cache.delete(words_cache_key(school.pk))  # this request reads the new rules at once,
        transaction.on_commit(lambda: cache.delete(words_cache_key(school.pk)))  # others after commit
    return words


def do_count_guardrail_check(school_id: int, concerns: Iterable[Concern], *, acting_user, overridden: bool) -> None:
    """Count one class-wide message that met ``concerns``: stopped by the warning
    (``overridden=False``), or sent anyway with a reason. One row per school, day and rule; only
    counts, no message, no sender, no child's name. ``acting_user`` is the sender (not stored)."""
    codes = sorted({c.code for c in concerns})
    if not codes:
        return
    day = timezone.localdate()
    field = "overridden" if overridden else "warned"
    with scopes_disabled():  # reviewed: the rows are the school's by its id, given by the sender's check
        _count(school_id, day, codes, field)


def _count(school_id: int, day, codes: list[str], field: str) -> None:
    for code in codes:
        rows = GuardrailTally.objects.filter(school_id=school_id, day=day, code=code)
        if rows.update(**{field: F(field) + 1}):
            continue
        try:
            with transaction.atomic():
                GuardrailTally.objects.create(school_id=school_id, day=day, code=code, **{field: 1})
        except IntegrityError:  # another message made the row at the same instant
            rows.update(**{field: F(field) + 1})


def do_check_guardrails(school_id: int, concerns: list[Concern], override_reason: str, *, acting_user):
    """``core.guardrails.require_override`` for a sender of class-wide messages, counted: a warning
    (``GuardrailWarning`` raised again) or an override (returned, for the caller to store and log)
    adds one to the school's tally of each rule concerned."""
    try:
        override = require_override(concerns, override_reason)
    except GuardrailWarning:
        pending = _pending.get()
        if pending is not None and connection.in_atomic_block:
            # The caller's transaction is rolled back with the warning: count it after the request.
            pending.append((school_id, list(concerns), acting_user))
        else:
            do_count_guardrail_check(school_id, concerns, acting_user=acting_user, overridden=False)
        raise
    if override is not None:
        do_count_guardrail_check(school_id, concerns, acting_user=acting_user, overridden=True)
    return override


# A warning raised inside the caller's transaction (the chat API, an event that sends a notice) is
# rolled back with it; the count is kept here and written once the request (or the socket's
# message) is done: GuardrailCountMiddleware, and chat's consumer, run inside ``counting_warnings``.
_pending: ContextVar[list | None] = ContextVar("guardrail_pending_warnings", default=None)


@contextmanager
def counting_warnings() -> Iterator[None]:
    token = _pending.set([])
    try:
        yield
    finally:
        pending = _pending.get() or []
        _pending.reset(token)
        for school_id, concerns, user in pending:
            do_count_guardrail_check(school_id, concerns, acting_user=user, overridden=False)


def do_queue_picture_checks(
    school_id: int,
    *,
    source: str,
    object_id: int,
    files: list[tuple[str, str]],
    class_ids: Iterable[int],
    acting_user,
) -> list[PictureCheck]:
    """Read the pictures (storage name, shown name) of a class-wide notice or class-group message
    in the background once the sender's transaction commits. Without the OCR engine the checks are
    stored as such, so the sender's page can say pictures are not read."""
    available = engine_status().available
    checks = [
        PictureCheck.objects.create(
            school_id=school_id,
            sender=acting_user,
            source=source,
            object_id=object_id,
            file=name,
            file_name=shown[:120],
            class_ids=sorted(set(class_ids)),
            status=PictureCheck.Status.PENDING if available else PictureCheck.Status.NO_ENGINE,
        )
        for name, shown in files
    ]
    if available:
        from .tasks import read_picture

        for check in checks:
            transaction.on_commit(partial(read_picture.delay, check.pk))
    return checks


def do_record_picture_result(check: PictureCheck, *, acting_user, status: str, concerns: list[Concern]) -> None:
    """What reading the picture found (the task's ``acting_user`` is None: nobody acts)."""
    check.status = status
    check.concerns = [c.as_dict() for c in concerns]
    check.checked_at = timezone.now()
    check.save(update_fields=["status", "concerns", "checked_at"])


def do_read_picture(check_id: int, *, acting_user=None) -> str:
    """Read one queued picture and check its text against the classes' rosters and the school's
    words; the result is what the sender is shown. Returns the status."""
    from django.core.files.storage import default_storage

    from core.guardrails import check_class_message
    from core.ocr import MAX_BYTES, OcrFailed, OcrRefused, OcrUnavailable, read_image_text
    from schools.models import Student

    from .queries import school_rules

    with scopes_disabled():  # reviewed: a task, the check names its school
        check = PictureCheck.objects.filter(pk=check_id, status=PictureCheck.Status.PENDING).first()
        if check is None:
            return ""
        status, concerns = PictureCheck.Status.UNREADABLE, []
        try:
            with default_storage.open(check.file, "rb") as handle:
                text = read_image_text(handle.read(MAX_BYTES + 1))
        except OcrUnavailable:
            status = PictureCheck.Status.NO_ENGINE
        except (OcrRefused, OcrFailed, OSError):
            status = PictureCheck.Status.UNREADABLE
        else:
            names = Student.objects.filter(school_class_id__in=check.class_ids, status="active").values_list(
                "name", flat=True
            )
            concerns = check_class_message(
                text, student_names=list(names), **school_rules(check.school_id).checker_kwargs
            )
            status = PictureCheck.Status.WARNED if concerns else PictureCheck.Status.CLEAN
        do_record_picture_result(check, acting_user=acting_user, status=status, concerns=concerns)
        return status
