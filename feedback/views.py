"""Pages of the suggestion box. Thin: parse, access_*, one action or query, render."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from schools.access import access_admin_school, access_staff_school

from . import actions, queries
from .access import (
    access_my_suggestion,
    access_rectification_to_close,
    access_suggestion_by_receipt,
    access_suggestion_to_handle,
    access_where_to_suggest,
    receipt_hash,
)
from .models import Kind, Suggestion

# The receipts of anonymous suggestions live only in the family's browser (a signed cookie); the
# server keeps their hashes. The session would tie them to the account, so they never go there.
RECEIPT_COOKIE = "feedback_receipts"
RECEIPT_MAX = 20


def receipts_of(request) -> list[str]:
    raw = request.get_signed_cookie(RECEIPT_COOKIE, default="", salt="feedback")
    return [t for t in raw.split(",") if t][:RECEIPT_MAX]


def _parse_place(value: str) -> tuple[int, int | None]:
    school, _sep, klass = (value or "").partition(":")
    if not school.isdigit() or (klass and not klass.isdigit()):
        raise Http404
    return int(school), int(klass) if klass else None


@login_required
@require_http_methods(["GET", "POST"])
def new(request):
    places = queries.places(request.roles)
    if not places:
        raise Http404
    form = {"kind": Kind.CLASS, "text": "", "anonymous": False, "consent": False, "place": ""}
    if request.method == "POST":
        kind, text = request.POST.get("kind", ""), request.POST.get("text", "")
        anonymous, consent = request.POST.get("anonymous") == "on", request.POST.get("consent") == "on"
        place = request.POST.get("place", "")
        form = {"kind": kind, "text": text, "anonymous": anonymous, "consent": consent, "place": place}
        school_id, class_id = _parse_place(place)
        school, school_class = access_where_to_suggest(request, school_id, class_id)
        try:
            done = actions.do_submit_suggestion(
                school,
                school_class,
                acting_user=request.user,
                kind=kind,
                text=text,
                anonymous=anonymous,
                public_consent=consent,
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            response = render(request, "feedback/sent.html", {"suggestion": done.suggestion, "receipt": done.receipt})
            tokens = [done.receipt, *receipts_of(request)][:RECEIPT_MAX]
            response.set_signed_cookie(
                RECEIPT_COOKIE,
                ",".join(tokens),
                salt="feedback",
                max_age=400 * 24 * 3600,
                httponly=True,
                samesite="Lax",
                secure=request.is_secure(),
            )
            return response
    return render(request, "feedback/new.html", {"places": places, "kinds": Kind.choices, "form": form})


@login_required
@require_GET
def mine(request):
    tokens = {receipt_hash(t): t for t in receipts_of(request)}
    suggestions = queries.mine(request.user, list(tokens))
    for s in suggestions:
        s.kept_receipt = tokens.get(s.receipt_hash, "")  # type: ignore[attr-defined]
    return render(request, "feedback/mine.html", {"suggestions": suggestions})


@login_required
@require_GET
def detail(request, suggestion_id: int):
    suggestion = access_my_suggestion(request, suggestion_id)
    return _status_page(request, suggestion)


def _status_page(request, suggestion: Suggestion):
    return render(
        request,
        "feedback/status.html",
        {"suggestion": suggestion, "rectifications": queries.detail_rectifications(suggestion)},
    )


@login_required
@require_POST
def follow(request):
    """Follow a suggestion by its receipt (typed in, or from this browser's list)."""
    suggestion = access_suggestion_by_receipt(request.POST.get("receipt", ""))
    return _status_page(request, suggestion)


@login_required
@require_GET
def inbox(request):
    school = access_staff_school(request)
    return render(
        request,
        "feedback/inbox.html",
        {
            "suggestions": queries.inbox(request.user, request.roles, school),
            "rectifications": queries.my_rectifications(request.user, school),
            "now": timezone.now(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def handle(request, suggestion_id: int):
    suggestion = access_suggestion_to_handle(request, suggestion_id)
    if request.method == "POST":
        step = request.POST.get("step", "")
        text = request.POST.get("text", "")
        try:
            if step == "acknowledge":
                actions.do_acknowledge(suggestion, acting_user=request.user)
            elif step == "reply":
                actions.do_reply(suggestion, acting_user=request.user, reply=text)
            elif step == "decide":
                actions.do_decide(suggestion, acting_user=request.user, decision=text)
            elif step == "rectify":
                owner = request.POST.get("owner", "")
                due = _date(request.POST.get("due_on", ""))
                actions.do_open_rectification(
                    suggestion,
                    acting_user=request.user,
                    what=text,
                    owner_id=int(owner) if owner.isdigit() else 0,
                    due_on=due,
                )
            elif step == "close":
                actions.do_close_suggestion(suggestion, acting_user=request.user)
            elif step == "publish":
                actions.do_publish_answer(suggestion, acting_user=request.user, answer=text)
            else:
                raise ValidationError(_("Unknown step."))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Saved."))
            return redirect("feedback:handle", suggestion_id=suggestion.pk)
    return render(
        request,
        "feedback/handle.html",
        {
            "suggestion": suggestion,
            "rectifications": queries.detail_rectifications(suggestion),
            "staff": queries.staff_choices(suggestion.school),
        },
    )


def _date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as exc:
        raise ValidationError(_("Give the deadline as a date.")) from exc


@login_required
@require_POST
def rectification_close(request, rectification_id: int):
    rect = access_rectification_to_close(request, rectification_id)
    try:
        actions.do_close_rectification(rect, acting_user=request.user, note=request.POST.get("note", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Rectification closed."))
    if rect.suggestion.owner_id == request.user.pk or request.roles.is_admin_of(rect.school_id):
        return redirect("feedback:handle", suggestion_id=rect.suggestion_id)
    return redirect("feedback:inbox")


@login_required
@require_http_methods(["GET", "POST"])
def routes(request):
    school = access_admin_school(request)
    if request.method == "POST":
        owner = request.POST.get("owner", "")
        hours = request.POST.get("ack_hours", "")
        try:
            actions.do_set_route(
                school,
                acting_user=request.user,
                kind=request.POST.get("kind", ""),
                head_teacher=request.POST.get("head_teacher") == "on",
                owner_id=int(owner) if owner.isdigit() else None,
                department=request.POST.get("department", ""),
                ack_hours=int(hours) if hours.isdigit() else 0,
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Saved."))
            return redirect("feedback:routes")
    existing = queries.routes(school)
    rows = [{"kind": k, "label": label, "route": existing.get(k)} for k, label in Kind.choices]
    return render(
        request,
        "feedback/routes.html",
        {"rows": rows, "staff": queries.staff_choices(school), "default_hours": actions.DEFAULT_ACK_HOURS},
    )


def _month(value: str) -> tuple[int, int]:
    try:
        year, month = (int(p) for p in value.split("-"))
        if 2000 <= year <= 2100 and 1 <= month <= 12:
            return year, month
    except ValueError:
        pass
    today = timezone.localdate()
    return today.year, today.month


@login_required
@require_GET
def report(request):
    school = access_admin_school(request)
    year, month = _month(request.GET.get("month", ""))
    figures = queries.monthly_report(school, year, month)
    labels = dict(Kind.choices)
    rows = [(labels.get(k, k), n) for k, n in figures["by_kind"].items()]
    return render(request, "feedback/report.html", {"r": figures, "rows": rows, "month": f"{year}-{month:02d}"})


@login_required
@require_GET
def public(request):
    """ "You said, we did": answers published with the author's consent, for the user's schools."""
    return render(request, "feedback/public.html", {"suggestions": queries.you_said_we_did(request.roles.school_ids)})
