"""The essay contest in the JSON API: the same actions, queries and access functions as the pages.
Judge-facing operations (``/contest/judging…``) answer with the entry number, title and text with
names blanked, never the author."""

import base64
import binascii
import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from schools.access import access_admin_school

from . import actions_contest as actions
from . import queries_contest as queries
from .access_contest import (
    access_contest,
    access_contest_to_organise,
    access_entry_to_organise,
    access_judging,
    access_my_entry,
)
from .contest_files import MAX_ENTRY_BYTES
from .models import Contest, Entry

router = Router(tags=["contest"])


class ErrorOut(Schema):
    detail: str


def _error(exc: ValidationError) -> dict:
    return {"detail": " ".join(exc.messages)}


class ContestCriterionIn(Schema):
    name: str
    weight: int
    max_score: int = 10


class ContestCriterionOut(Schema):
    id: int
    name: str
    weight: int
    max_score: int


class ContestIn(Schema):
    title: str
    theme: str
    rules: str = ""
    audience: str  # staff, parents, both
    deadline: datetime.datetime
    criteria: list[ContestCriterionIn]
    judges_per_entry: int = 2
    disagreement_points: int = 20


class ContestOut(Schema):
    id: int
    title: str
    theme: str
    rules: str
    audience: str
    deadline: datetime.datetime
    status: str
    criteria: list[ContestCriterionOut] = []


class ContestWinnerOut(Schema):
    number: int
    title: str
    author: str
    prize: str


class ContestDetailOut(ContestOut):
    my_entry_id: int | None = None
    may_submit: bool = False
    winners: list[ContestWinnerOut] = []


class ContestEntryIn(Schema):
    title: str
    text: str = ""
    file_name: str = ""
    file_base64: str = ""  # a .docx or PDF, base64


class ContestEntryOut(Schema):
    id: int
    contest_id: int
    number: int
    title: str
    text: str
    file_kind: str
    submitted_at: datetime.datetime
    prize: str
    publish_consent: bool
    published: bool


class ContestConsentIn(Schema):
    consent: bool


class ContestJudgeIn(Schema):
    user_id: int


class ContestJudgeOut(Schema):
    user_id: int
    name: str


class ContestAssignedOut(Schema):
    assignments: int


class ContestResultOut(Schema):
    entry_id: int
    number: int
    title: str
    author: str
    judges: list[str]
    results: list[Decimal]
    pending: int
    mean: Decimal | None
    spread: Decimal | None
    disagreement: bool
    tie: bool
    rank: int | None
    prize: str
    publish_consent: bool
    published: bool


class ContestPrizesIn(Schema):
    prizes: dict[int, str]  # entry id → first, second, third, merit


class ContestJudgingItem(Schema):
    id: int
    contest: str
    number: int
    title: str
    scored: bool


class ContestJudgingOut(Schema):
    id: int
    contest: str
    number: int
    title: str
    text: str
    has_file: bool
    criteria: list[ContestCriterionOut]
    scores: dict[int, int]
    comment: str
    result: Decimal | None


class ContestScoreIn(Schema):
    scores: dict[int, int]  # criterion id → score
    comment: str = ""


def _contest_out(contest: Contest) -> dict:
    return {
        "id": contest.pk,
        "title": contest.title,
        "theme": contest.theme,
        "rules": contest.rules,
        "audience": contest.audience,
        "deadline": contest.deadline,
        "status": contest.status,
        "criteria": [
            {"id": c.pk, "name": c.name, "weight": c.weight, "max_score": c.max_score}
            for c in queries.criteria(contest)
        ],
    }


def _entry_out(e: Entry) -> dict:
    return {
        "id": e.pk,
        "contest_id": e.contest_id,
        "number": e.number,
        "title": e.title,
        "text": e.text,
        "file_kind": e.file_kind,
        "submitted_at": e.submitted_at,
        "prize": e.prize,
        "publish_consent": e.publish_consent,
        "published": e.published,
    }


@router.get("/contests", response=list[ContestOut])
def contest_list(request):
    return [{**_contest_out(c), "criteria": []} for c in queries.contests_for(request.roles)]


@router.post("/contests", response={201: ContestOut, 400: ErrorOut})
def contest_create(request, payload: ContestIn):
    school = access_admin_school(request)
    try:
        contest = actions.do_create_contest(
            school,
            acting_user=request.user,
            title=payload.title,
            theme=payload.theme,
            rules=payload.rules,
            audience=payload.audience,
            deadline=payload.deadline,
            criteria=[(c.name, c.weight, c.max_score) for c in payload.criteria],
            judges_per_entry=payload.judges_per_entry,
            disagreement_points=payload.disagreement_points,
        )
    except ValidationError as exc:
        return Status(400, _error(exc))
    return Status(201, _contest_out(contest))


@router.get("/contests/{contest_id}", response=ContestDetailOut)
def contest_detail(request, contest_id: int):
    contest = access_contest(request, contest_id)
    entry = queries.my_entry(contest, request.user)
    winners = queries.winners(contest) if contest.status == Contest.Status.ANNOUNCED else []
    return {
        **_contest_out(contest),
        "my_entry_id": entry.pk if entry else None,
        "may_submit": actions.may_submit(contest, request.roles),
        "winners": [
            {"number": e.number, "title": e.title, "author": e.author.display_name, "prize": e.prize} for e in winners
        ],
    }


@router.post("/contests/{contest_id}/entries", response={201: ContestEntryOut, 400: ErrorOut})
def contest_entry_submit(request, contest_id: int, payload: ContestEntryIn):
    contest = access_contest(request, contest_id)
    if not actions.may_submit(contest, request.roles):
        raise Http404
    data = None
    if payload.file_base64:
        if len(payload.file_base64) > (MAX_ENTRY_BYTES * 4) // 3 + 8:
            return Status(400, {"detail": _("The file is too large.")})
        try:
            data = base64.b64decode(payload.file_base64, validate=True)
        except (binascii.Error, ValueError):
            return Status(400, {"detail": _("The file is not valid base64.")})
    try:
        entry = actions.do_submit_entry(
            contest,
            acting_user=request.user,
            roles=request.roles,
            title=payload.title,
            text=payload.text,
            file_data=data,
            filename=payload.file_name,
        )
    except ValidationError as exc:
        return Status(400, _error(exc))
    return Status(201, _entry_out(entry))


@router.get("/contest-entries/{contest_entry_id}", response=ContestEntryOut)
def contest_entry_mine(request, contest_entry_id: int):
    return _entry_out(access_my_entry(request, contest_entry_id))


@router.post("/contest-entries/{contest_entry_id}/consent", response={200: ContestEntryOut, 400: ErrorOut})
def contest_entry_consent(request, contest_entry_id: int, payload: ContestConsentIn):
    entry = access_my_entry(request, contest_entry_id)
    try:
        actions.do_set_consent(entry, acting_user=request.user, consent=payload.consent)
    except ValidationError as exc:
        return Status(400, _error(exc))
    return _entry_out(entry)


@router.get("/contests/{contest_id}/judges", response=list[ContestJudgeOut])
def contest_judges(request, contest_id: int):
    contest = access_contest_to_organise(request, contest_id)
    return [{"user_id": j.user_id, "name": j.user.display_name} for j in queries.panel(contest)]


@router.post("/contests/{contest_id}/judges", response={200: list[ContestJudgeOut], 400: ErrorOut})
def contest_judge_add(request, contest_id: int, payload: ContestJudgeIn):
    contest = access_contest_to_organise(request, contest_id)
    try:
        actions.do_add_judge(contest, acting_user=request.user, user_id=payload.user_id)
    except ValidationError as exc:
        return Status(400, _error(exc))
    return [{"user_id": j.user_id, "name": j.user.display_name} for j in queries.panel(contest)]


@router.post("/contests/{contest_id}/assign", response={200: ContestAssignedOut, 400: ErrorOut})
def contest_assign(request, contest_id: int):
    contest = access_contest_to_organise(request, contest_id)
    try:
        n = actions.do_assign_judges(contest, acting_user=request.user)
    except ValidationError as exc:
        return Status(400, _error(exc))
    return {"assignments": n}


def _results(contest: Contest) -> list[dict]:
    return [
        {
            "entry_id": r.entry.pk,
            "number": r.entry.number,
            "title": r.entry.title,
            "author": r.entry.author.display_name,
            "judges": r.judges,
            "results": r.results,
            "pending": r.pending,
            "mean": r.mean,
            "spread": r.spread,
            "disagreement": r.disagreement,
            "tie": r.tie,
            "rank": r.rank,
            "prize": r.entry.prize,
            "publish_consent": r.entry.publish_consent,
            "published": r.entry.published,
        }
        for r in queries.results(contest)
    ]


@router.get("/contests/{contest_id}/results", response=list[ContestResultOut])
def contest_results(request, contest_id: int):
    return _results(access_contest_to_organise(request, contest_id))


@router.post("/contest-entries/{contest_entry_id}/judges", response={200: ContestAssignedOut, 400: ErrorOut})
def contest_entry_add_judge(request, contest_entry_id: int, payload: ContestJudgeIn):
    entry = access_entry_to_organise(request, contest_entry_id)
    try:
        actions.do_add_entry_judge(entry, acting_user=request.user, user_id=payload.user_id)
    except ValidationError as exc:
        return Status(400, _error(exc))
    return {"assignments": entry.assignments.count()}


@router.post("/contests/{contest_id}/announce", response={200: list[ContestResultOut], 400: ErrorOut})
def contest_announce(request, contest_id: int, payload: ContestPrizesIn):
    contest = access_contest_to_organise(request, contest_id)
    try:
        actions.do_announce(contest, acting_user=request.user, prizes=payload.prizes)
    except ValidationError as exc:
        return Status(400, _error(exc))
    return _results(contest)


@router.post("/contest-entries/{contest_entry_id}/published", response={200: ContestEntryOut, 400: ErrorOut})
def contest_entry_published(request, contest_entry_id: int):
    entry = access_entry_to_organise(request, contest_entry_id)
    try:
        actions.do_mark_published(entry, acting_user=request.user)
    except ValidationError as exc:
        return Status(400, _error(exc))
    return _entry_out(entry)


# --- judging: nothing below reads the author --------------------------------------------------------


@router.get("/contest-judging", response=list[ContestJudgingItem])
def contest_judging(request):
    if not request.roles.is_staff:
        raise Http404
    return [
        {
            "id": a.pk,
            "contest": a.entry.contest.title,
            "number": a.entry.number,
            "title": a.entry.judge_title,
            "scored": a.scored_at is not None,
        }
        for a in queries.judging_list(request.user, request.roles.school_ids)
    ]


def _judging_out(assignment) -> dict:
    entry = assignment.entry
    return {
        "id": assignment.pk,
        "contest": entry.contest.title,
        "number": entry.number,
        "title": entry.judge_title,
        "text": entry.judge_text,
        "has_file": bool(entry.judge_file),
        "criteria": [
            {"id": c.pk, "name": c.name, "weight": c.weight, "max_score": c.max_score}
            for c in queries.criteria(entry.contest)
        ],
        "scores": queries.scores_of(assignment),
        "comment": assignment.comment,
        "result": assignment.result,
    }


@router.get("/contest-judging/{judging_id}", response=ContestJudgingOut)
def contest_judging_entry(request, judging_id: int):
    return _judging_out(access_judging(request, judging_id))


@router.post("/contest-judging/{judging_id}/scores", response={200: ContestJudgingOut, 400: ErrorOut})
def contest_score(request, judging_id: int, payload: ContestScoreIn):
    assignment = access_judging(request, judging_id)
    try:
        actions.do_score(assignment, acting_user=request.user, values=payload.scores, comment=payload.comment)
    except ValidationError as exc:
        return Status(400, _error(exc))
    return _judging_out(assignment)
