"""Every write of the guardrails app: the school's word list (admins), and the counts of warnings
and overrides (called by the senders of class-wide messages: notices and chat)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

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

from .models import MAX_WORD_LENGTH, MAX_WORDS, GuardrailTally, SchoolWords
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


def do_set_school_words(school, text: str, *, acting_user, request=None) -> list[str]:
    """Replace the school's own forbidden words. At most 200, each at most 20 characters."""
    words = parse_words(text)
    if len(words) > MAX_WORDS:
        raise ValidationError(_("At most %(n)d words.") % {"n": MAX_WORDS})
    too_long = [w for w in words if len(w) > MAX_WORD_LENGTH]
    if too_long:
        raise ValidationError(
            _("A word is at most %(n)d characters: %(word)s") % {"n": MAX_WORD_LENGTH, "word": too_long[0]}
        )
    with transaction.atomic():
        SchoolWords.objects.update_or_create(
            school=school, defaults={"words": words, "updated_at": timezone.now(), "updated_by": acting_user}
        )
        record(
            AuditEntry.Action.SETTINGS_CHANGED,
            actor=acting_user,
            school=school,
            summary=f"guardrail words: {len(words)}",
            request=request,
        )
        transaction.on_commit(lambda: cache.delete(words_cache_key(school.pk)))
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
