"""The class-channel rules for a school's admins: the counts per term and the school's words."""

from django.core.exceptions import ValidationError
from ninja import Router, Schema, Status

from core.ocr import engine_status
from schools.access import access_admin_school

from . import actions, queries

router = Router(tags=["guardrails"])


class RuleCountOut(Schema):
    code: str
    warned: int
    overridden: int


class TermCountsOut(Schema):
    term: str
    start_date: str
    end_date: str
    rules: list[RuleCountOut]


class GuardrailSettingsOut(Schema):
    words: list[str]
    warn_named_awards: bool  # one child's award named in a class channel is warned about too
    ocr_available: bool  # pictures attached to class-wide messages are read (core.ocr)
    terms: list[TermCountsOut]


class WordsIn(Schema):
    words: list[str]
    warn_named_awards: bool | None = None  # unchanged when left out


class ErrorOut(Schema):
    detail: str


def _settings(school) -> dict:
    rules = queries.school_rules(school.pk)
    return {
        "words": list(rules.words),
        "warn_named_awards": rules.warn_named_awards,
        "ocr_available": engine_status().available,
        "terms": [
            {
                "term": t.term.name,
                "start_date": t.term.start_date.isoformat(),
                "end_date": t.term.end_date.isoformat(),
                "rules": [{"code": r.code, "warned": r.warned, "overridden": r.overridden} for r in t.rules],
            }
            for t in queries.counts_by_term(school)
        ],
    }


@router.get("/school/guardrails", response=GuardrailSettingsOut)
def guardrail_settings(request):
    """For the school's admins: the school's own words, whether pictures are read, and per term
    how often each rule warned and was overridden (counts only, no names)."""
    return _settings(access_admin_school(request))


@router.put("/school/guardrails/words", response={200: GuardrailSettingsOut, 400: ErrorOut})
def guardrail_words_set(request, payload: WordsIn):
    """Replace the school's own words (at most 200, each at most 20 characters)."""
    school = access_admin_school(request)
    try:
        actions.do_set_school_words(
            school,
            "\n".join(payload.words),
            acting_user=request.user,
            request=request,
            warn_named_awards=payload.warn_named_awards,
        )
    except ValidationError as exc:
        return Status(400, {"detail": " ".join(exc.messages)})
    return Status(200, _settings(school))
