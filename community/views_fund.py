"""Pages of the community app: the class fund (班费) ledger.

The keeper (the committee's treasurer, or whom the head teacher named) records money in and out,
with the receipt of each expense; another committee member countersigns; the class's families read
the ledger, the balance and the monthly statement, and ask about an entry. Tongxin keeps the
accounts only: no money passes through it."""

import datetime
import secrets

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.uploads import file_response

from . import actions, queries
from .access import access_entry, access_entry_question_to_answer, access_fund
from .models import LedgerEntry


def _errors(request, exc: ValidationError) -> None:
    for message in exc.messages:
        flash.error(request, message)


@login_required
@require_GET
def fund(request, class_id: int):
    role = access_fund(request, class_id)
    ledger = queries.fund_ledger(role.school_class)
    return render(
        request,
        "community/fund_ledger.html",
        {
            "school_class": role.school_class,
            "role": role,
            "ledger": ledger,
            "kinds": LedgerEntry.Kind.choices,
            "today": timezone.localdate(),
            "guardians": queries.class_guardian_choices(role.school_class) if role.manager else [],
            "my_user_id": request.user.pk,
            "idempotency_key": secrets.token_hex(16),
        },
    )


@login_required
@require_GET
def my_funds(request):
    """Families: the funds of their children's classes (one class: straight to its ledger)."""
    if not request.roles.is_parent:
        raise Http404
    classes = queries.family_fund_classes(request.roles)
    if len(classes) == 1:
        return redirect("community:fund", class_id=classes[0].pk)
    return render(request, "community/fund_mine.html", {"classes": classes})


@login_required
@require_POST
def record_entry(request, class_id: int):
    role = access_fund(request, class_id, need="keeper")
    try:
        upload = request.FILES.get("receipt")
        receipt = actions.accept_receipt(upload) if upload else None
        try:
            occurred_on = datetime.date.fromisoformat(request.POST.get("occurred_on", "").strip())
        except ValueError:
            raise ValidationError(_("Give the date.")) from None
        entry = actions.do_record_entry(
            role.school_class,
            kind=request.POST.get("kind", ""),
            amount=request.POST.get("amount", ""),
            occurred_on=occurred_on,
            purpose=request.POST.get("purpose", ""),
            receipt=receipt,
            acting_user=request.user,
            idempotency_key=request.POST.get("idempotency_key", ""),
            request=request,
        )
    except ValidationError as exc:
        _errors(request, exc)
    else:
        flash.success(
            request,
            _("Entry #%(n)d recorded. It counts once another committee member countersigns it.") % {"n": entry.number},
        )
    return redirect("community:fund", class_id=role.school_class.pk)


@login_required
@require_POST
def countersign(request, entry_id: int):
    entry, _role = access_entry(request, entry_id, need="signer")
    try:
        actions.do_countersign_entry(entry, acting_user=request.user, request=request)
    except ValidationError as exc:
        _errors(request, exc)
    return redirect("community:fund", class_id=entry.school_class_id)


@login_required
@require_POST
def decline(request, entry_id: int):
    entry, _role = access_entry(request, entry_id, need="may_decline")
    try:
        actions.do_decline_entry(
            entry, reason=request.POST.get("reason", ""), acting_user=request.user, request=request
        )
    except ValidationError as exc:
        _errors(request, exc)
    return redirect("community:fund", class_id=entry.school_class_id)


@login_required
@require_POST
def reverse_entry(request, entry_id: int):
    entry, _role = access_entry(request, entry_id, need="keeper")
    try:
        actions.do_reverse_entry(
            entry, reason=request.POST.get("reason", ""), acting_user=request.user, request=request
        )
    except ValidationError as exc:
        _errors(request, exc)
    return redirect("community:fund", class_id=entry.school_class_id)


@login_required
@require_GET
def receipt(request, entry_id: int):
    entry, _role = access_entry(request, entry_id)
    if not entry.receipt:
        raise Http404
    return file_response(entry.receipt, filename=entry.receipt_name, mime=entry.receipt_mime, inline=True)


@login_required
@require_POST
def ask(request, entry_id: int):
    entry, _role = access_entry(request, entry_id, need="family")
    try:
        actions.do_ask_about_entry(entry, text=request.POST.get("text", ""), acting_user=request.user)
    except ValidationError as exc:
        _errors(request, exc)
    return redirect("community:fund", class_id=entry.school_class_id)


@login_required
@require_POST
def answer(request, question_id: int):
    question = access_entry_question_to_answer(request, question_id)
    try:
        actions.do_answer_entry_question(question, text=request.POST.get("text", ""), acting_user=request.user)
    except ValidationError as exc:
        _errors(request, exc)
    return redirect("community:fund", class_id=question.entry.school_class_id)


@login_required
@require_POST
def name_keeper(request, class_id: int):
    """The head teacher names who keeps the accounts (besides the committee's treasurer), or no one."""
    role = access_fund(request, class_id, need="manager")
    value = request.POST.get("guardian", "").strip()
    try:
        actions.do_name_fund_keeper(
            role.school_class,
            guardian_id=int(value) if value.isdigit() and len(value) < 10 else None,
            acting_user=request.user,
            request=request,
        )
    except ValidationError as exc:
        _errors(request, exc)
    return redirect("community:fund", class_id=role.school_class.pk)
