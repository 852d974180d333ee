"""Pages of the essay contest (征文评选). Thin: parse, access_*, one action or query, render.

Judge-facing pages (``judging``, ``score``, ``judge_file``) are drawn from the assignment alone:
the entry's number, its title and text with names blanked, the stripped file. Nothing in their
context reads the author."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.uploads import file_response
from schools.access import access_admin_school

from . import actions_contest as actions
from . import queries_contest as queries
from .access_contest import (
    access_certificate,
    access_contest,
    access_contest_to_organise,
    access_entry_to_organise,
    access_judging,
    access_my_entry,
    may_organise,
)
from .contest_certificate import certificate_response
from .contest_files import MAX_ENTRY_BYTES
from .models import Contest, Prize


def _error(request, exc: ValidationError) -> None:
    messages.error(request, " ".join(exc.messages))


def _int(value: str) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() and len(value) < 10 else None


def parse_deadline(value: str) -> datetime.datetime:
    try:
        moment = datetime.datetime.fromisoformat((value or "").strip())
    except ValueError as exc:
        raise ValidationError(_("Give the deadline as a date and time.")) from exc
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


@login_required
@require_GET
def contest_list(request):
    contests = queries.contests_for(request.roles)
    if not contests and not request.roles.is_staff and not request.roles.is_parent:
        raise Http404
    return render(
        request,
        "publishing/contest/list.html",
        {"contests": contests, "may_create": bool(request.roles.admin_school_ids)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def contest_new(request):
    school = access_admin_school(request)
    form = {"title": "", "theme": "", "rules": "", "audience": "both", "deadline": ""}
    if request.method == "POST":
        post = request.POST
        form = {k: post.get(k, "") for k in form}
        names, weights, maxes = post.getlist("criterion"), post.getlist("weight"), post.getlist("max_score")
        criteria = [
            (n, _int(w) or 0, _int(m) or 0) for n, w, m in zip(names, weights, maxes, strict=False) if n.strip()
        ]
        try:
            contest = actions.do_create_contest(
                school,
                acting_user=request.user,
                title=form["title"],
                theme=form["theme"],
                rules=form["rules"],
                audience=form["audience"],
                deadline=parse_deadline(form["deadline"]),
                criteria=criteria,
            )
        except ValidationError as exc:
            _error(request, exc)
        else:
            messages.success(request, _("The contest is open."))
            return redirect("contest:manage", contest_id=contest.pk)
    return render(
        request,
        "publishing/contest/new.html",
        {"form": form, "audiences": Contest.Audience.choices, "rows": range(4)},
    )


@login_required
@require_GET
def contest_detail(request, contest_id: int):
    contest = access_contest(request, contest_id)
    return render(
        request,
        "publishing/contest/detail.html",
        {
            "contest": contest,
            "criteria": queries.criteria(contest),
            "entry": queries.my_entry(contest, request.user),
            "may_submit": actions.may_submit(contest, request.roles),
            "may_organise": may_organise(request, contest),
            "winners": queries.winners(contest) if contest.status == Contest.Status.ANNOUNCED else [],
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def contest_submit(request, contest_id: int):
    contest = access_contest(request, contest_id)
    if not actions.may_submit(contest, request.roles):
        raise Http404
    form = {"title": "", "text": ""}
    if request.method == "POST":
        form = {"title": request.POST.get("title", ""), "text": request.POST.get("text", "")}
        upload = request.FILES.get("file")
        try:
            entry = actions.do_submit_entry(
                contest,
                acting_user=request.user,
                roles=request.roles,
                title=form["title"],
                text=form["text"],
                file_data=upload.read(MAX_ENTRY_BYTES + 1) if upload else None,
                filename=upload.name if upload else "",
            )
        except ValidationError as exc:
            _error(request, exc)
        else:
            messages.success(request, _("Your entry was received."))
            return redirect("contest:entry", contest_entry_id=entry.pk)
    return render(request, "publishing/contest/submit.html", {"contest": contest, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def entry_mine(request, contest_entry_id: int):
    """The author's own entry: what they sent, their prize, their consent to publication."""
    entry = access_my_entry(request, contest_entry_id)
    if request.method == "POST":
        try:
            actions.do_set_consent(entry, acting_user=request.user, consent=request.POST.get("consent") == "on")
        except ValidationError as exc:
            _error(request, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("contest:entry", contest_entry_id=entry.pk)
    return render(request, "publishing/contest/entry.html", {"entry": entry, "contest": entry.contest})


@login_required
@require_GET
def certificate(request, contest_entry_id: int):
    return certificate_response(access_certificate(request, contest_entry_id))


@login_required
@require_GET
def manage(request, contest_id: int):
    contest = access_contest_to_organise(request, contest_id)
    return render(
        request,
        "publishing/contest/manage.html",
        {
            "contest": contest,
            "criteria": queries.criteria(contest),
            "panel": queries.panel(contest),
            "staff": queries.staff_choices(contest),
            "rows": queries.results(contest),
            "prizes": Prize.choices,
        },
    )


@login_required
@require_POST
def judge_add(request, contest_id: int):
    contest = access_contest_to_organise(request, contest_id)
    try:
        actions.do_add_judge(contest, acting_user=request.user, user_id=_int(request.POST.get("user", "")) or 0)
    except ValidationError as exc:
        _error(request, exc)
    else:
        messages.success(request, _("Saved."))
    return redirect("contest:manage", contest_id=contest.pk)


@login_required
@require_POST
def assign(request, contest_id: int):
    contest = access_contest_to_organise(request, contest_id)
    try:
        n = actions.do_assign_judges(contest, acting_user=request.user)
    except ValidationError as exc:
        _error(request, exc)
    else:
        messages.success(request, _("The entries were given to the judges (%(n)d copies).") % {"n": n})
    return redirect("contest:manage", contest_id=contest.pk)


@login_required
@require_POST
def entry_add_judge(request, contest_entry_id: int):
    entry = access_entry_to_organise(request, contest_entry_id)
    try:
        actions.do_add_entry_judge(entry, acting_user=request.user, user_id=_int(request.POST.get("user", "")) or 0)
    except ValidationError as exc:
        _error(request, exc)
    else:
        messages.success(request, _("Saved."))
    return redirect("contest:manage", contest_id=entry.contest_id)


@login_required
@require_POST
def announce(request, contest_id: int):
    contest = access_contest_to_organise(request, contest_id)
    prizes = {}
    for key, value in request.POST.items():
        if key.startswith("prize_") and value:
            entry_id = _int(key.removeprefix("prize_"))
            if entry_id is not None:
                prizes[entry_id] = value
    try:
        actions.do_announce(contest, acting_user=request.user, prizes=prizes)
    except ValidationError as exc:
        _error(request, exc)
    else:
        messages.success(request, _("The results are announced."))
    return redirect("contest:manage", contest_id=contest.pk)


@login_required
@require_POST
def entry_published(request, contest_entry_id: int):
    entry = access_entry_to_organise(request, contest_entry_id)
    try:
        actions.do_mark_published(entry, acting_user=request.user)
    except ValidationError as exc:
        _error(request, exc)
    else:
        messages.success(request, _("Saved."))
    return redirect("contest:manage", contest_id=entry.contest_id)


# --- judging: nothing below reads the author --------------------------------------------------------


@login_required
@require_GET
def judging(request):
    if not request.roles.is_staff:
        raise Http404
    return render(
        request,
        "publishing/contest/judging.html",
        {"assignments": queries.judging_list(request.user, request.roles.school_ids)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def score(request, judging_id: int):
    assignment = access_judging(request, judging_id)
    entry = assignment.entry
    criteria = queries.criteria(entry.contest)
    values = queries.scores_of(assignment)
    comment = assignment.comment
    if request.method == "POST":
        values = {c.pk: _int(request.POST.get(f"c{c.pk}", "")) for c in criteria}  # type: ignore[misc]
        comment = request.POST.get("comment", "")
        try:
            missing = [v for v in values.values() if v is None]
            if missing:
                raise ValidationError(_("Score every criterion with a whole number."))
            actions.do_score(assignment, acting_user=request.user, values=values, comment=comment)  # type: ignore[arg-type]
        except ValidationError as exc:
            _error(request, exc)
        else:
            messages.success(request, _("Your scores are saved."))
            return redirect("contest:judging")
    return render(
        request,
        "publishing/contest/score.html",
        {
            "assignment": assignment,
            "number": entry.number,
            "title": entry.judge_title,
            "text": entry.judge_text,
            "has_file": bool(entry.judge_file),
            "contest": entry.contest,
            "rows": [(c, values.get(c.pk)) for c in criteria],
            "comment": comment,
        },
    )


@login_required
@require_GET
def judge_file(request, judging_id: int):
    assignment = access_judging(request, judging_id)
    entry = assignment.entry
    if not entry.judge_file:
        raise Http404
    name = _("Entry %(n)d") % {"n": entry.number}
    return file_response(entry.judge_file, filename=f"{name}.{entry.file_kind}")
