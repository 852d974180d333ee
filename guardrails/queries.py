"""Reads of the guardrails app: the school's words for the checker (cached), and the per-term
counts for the admin page and API."""

from __future__ import annotations

import functools
import json
import logging
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db import connection
from django_scopes import scopes_disabled

from core.db import Statement, together
from core.guardrails import ALL_CODES
from schools.models import Term

from .models import GuardrailTally, PictureCheck, SchoolWords

WORDS_CACHE_SECONDS = 600
logger = logging.getLogger(__name__)


def words_cache_key(school_id: int) -> str:
    return f"guardrails:words:{school_id}"


@dataclass(frozen=True)
class SchoolRules:
    """What the school adds to the checker: ``check_class_message(**rules.checker_kwargs)``."""

    words: tuple[str, ...] = ()
    warn_named_awards: bool = False

    @property
    def checker_kwargs(self) -> dict:
        return {"school_words": self.words, "warn_named_awards": self.warn_named_awards}


def school_rules(school_id: int) -> SchoolRules:
    """The school's own forbidden words and choices, for the checker. Cached (chat checks every
    message); ``do_set_school_words`` clears the cache when they change."""
    key = words_cache_key(school_id)
    try:
        cached = cache.get(key)
    except Exception:  # the cache is down: the database still answers, and a message still goes
        logger.warning("guardrails: cache unavailable, reading the school's words from the database")
        return _rules_from_database(school_id)
    if cached is None:
        rules = _rules_from_database(school_id)
        cached = (rules.words, rules.warn_named_awards)
        try:
            cache.set(key, cached, WORDS_CACHE_SECONDS)
        except Exception:
            logger.warning("guardrails: cache unavailable, the school's words are not cached")
    return SchoolRules(tuple(cached[0]), bool(cached[1]))


def _rules_from_database(school_id: int) -> SchoolRules:
    (rows,) = together([school_rules_statement(school_id)])
    return school_rules_from_rows(rows)


def school_rules_statement(school_id: int) -> Statement:
    """``school_rules`` as a query of the database, to be read in the same trip as other reads
    (``core.db.together``; chat reads them with the roster for every message, issue 19): no cache
    to ask first, and nothing that can be stale. The SQL is compiled once per school and process
    (unscoped: the ids keep it to the school; see ``chat.access._roster_sql``)."""
    return _school_rules_sql(connection.vendor, school_id)


@functools.lru_cache(maxsize=1024)
def _school_rules_sql(vendor: str, school_id: int) -> Statement:
    with scopes_disabled():
        return (
            SchoolWords.objects.filter(school_id=school_id)
            .values_list("words", "warn_named_awards")
            .query.sql_with_params()
        )


def school_rules_from_rows(rows: list[tuple]) -> SchoolRules:
    """The rows of ``school_rules_statement`` (read raw: the words may come as JSON text)."""
    if not rows:
        return SchoolRules()
    words, warn_named_awards = rows[0]
    if isinstance(words, str):
        words = json.loads(words)
    return SchoolRules(tuple(words or ()), bool(warn_named_awards))


def school_words(school_id: int) -> tuple[str, ...]:
    """The school's own forbidden words (``school_rules``)."""
    return school_rules(school_id).words


@dataclass
class RuleCount:
    code: str
    warned: int = 0
    overridden: int = 0


@dataclass
class TermCounts:
    term: Term
    rules: list[RuleCount] = field(default_factory=list)

    @property
    def warned(self) -> int:
        return sum(r.warned for r in self.rules)

    @property
    def overridden(self) -> int:
        return sum(r.overridden for r in self.rules)


def counts_by_term(school) -> list[TermCounts]:
    """For each term of the school (newest first), how often each rule warned and was overridden.
    Two queries whatever the number of terms and days."""
    terms = list(Term.objects.filter(school=school).order_by("-start_date"))
    by_term = {term.pk: {code: RuleCount(code) for code in ALL_CODES} for term in terms}
    for day, code, warned, overridden in GuardrailTally.objects.filter(school=school).values_list(
        "day", "code", "warned", "overridden"
    ):
        for term in terms:
            if term.start_date <= day <= term.end_date and code in by_term[term.pk]:
                by_term[term.pk][code].warned += warned
                by_term[term.pk][code].overridden += overridden
                break
    return [TermCounts(term, list(by_term[term.pk].values())) for term in terms]


def picture_checks(source: str, object_ids, *, sender=None) -> list[PictureCheck]:
    """The pictures of a notice or of chat messages that are not clean (being read, warned,
    unreadable, not read), for the sender's page. One query."""
    rows = PictureCheck.objects.filter(source=source, object_id__in=list(object_ids)).exclude(
        status=PictureCheck.Status.CLEAN
    )
    if sender is not None:
        rows = rows.filter(sender=sender)
    return list(rows.order_by("-created_at")[:20])
