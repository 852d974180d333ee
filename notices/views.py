from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_scopes import scope

from audit.actions import record
from audit.models import AuditEntry
from core.concurrency import EditConflict, carry_version
from core.guardrails import GuardrailWarning
from core.richtext import diff_html, text_to_html
from core.uploads import UploadRefused, accept_upload, file_response
from core.xlsx import workbook_bytes, xlsx_response
from delivery.actions import do_save_delivery_preference
from delivery.models import DeliveryPreference
from guardrails.queries import picture_checks
from schools.access import access_class, access_staff_school

from . import actions, queries
from .access import (
    access_attachment_to_download,
    access_notice_to_manage,
    access_notice_to_read,
    access_receipt_by_link,
    receipts_of_link,
)
from .audience import audience_choices, target_specs
from .forms import EditForm, NoticeForm, PreferenceForm
from .models import Notice, NoticeRevision, Receipt


def _body_html(text: str) -> str:
    return text if "<" in text else text_to_html(text)


@login_required
@require_http_methods(["GET", "POST"])
def compose(request):
    school = access_staff_school(request)
    choices = audience_choices(request, school)
    form = NoticeForm(request.POST or None, request.FILES or None, **choices)
    concerns = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            files = [accept_upload(upload) for upload in data.get("attachments") or []]
            notice = actions.do_create_notice(
                school,
                acting_user=request.user,
                roles=request.roles,
                title=data["title"],
                body_html=_body_html(data["body"]),
                action=data["action"],
                options=form.option_list(),
                allow_comment=data["allow_comment"],
                every_guardian=data["every_guardian"],
                deadline=data["deadline"],
                publish_at=data["publish_at"],
                pinned=data["pinned"],
                expires_at=data["expires_at"],
                targets=target_specs(form.cleaned_data),
                guardrail_reason=data.get("guardrail_reason", ""),
                idempotency_key=data.get("idempotency_key", ""),
                attachments=files,
                request=request,
                urgent=data.get("urgent", False),
                ladder_sms_after=data.get("ladder_sms_after"),
                ladder_call_after=data.get("ladder_call_after"),
                kind=data.get("kind") or Notice.Kind.GENERAL,
                themed=data.get("themed", False),
            )
        except GuardrailWarning as exc:
            concerns = exc.concerns
            form.ask_reason()
        except UploadRefused as exc:
            form.add_error("attachments", str(exc))
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request,
                _("Scheduled.")
                if notice.status == Notice.Status.SCHEDULED
                else _("Published. Receipts are on its page."),
            )
            return redirect("notices:results", notice_id=notice.pk)
    return render(
        request,
        "notices/compose.html",
        {"form": form, "school": school, "concerns": concerns},
        status=400 if form.errors or concerns else 200,
    )


@login_required
def manage_list(request):
    school = access_staff_school(request)
    return render(
        request, "notices/manage_list.html", {"notices": queries.staff_notices(request, school), "school": school}
    )


@login_required
def results(request, notice_id: int):
    notice = access_notice_to_manage(request, notice_id)
    return render(
        request,
        "notices/results.html",
        {
            "notice": notice,
            "r": queries.notice_results(notice),
            # 只看未完成: the students not done yet (the rows come unread first, done last).
            "pending_only": request.GET.get("pending") == "1",
            "can_remind": actions.can_remind(notice),
            "attachments": notice.attachments.all(),
            "picture_checks": picture_checks("notice", [notice.pk]),
        },
    )


@login_required
@require_POST
def remind(request, notice_id: int):
    notice = access_notice_to_manage(request, notice_id)
    try:
        count = actions.do_remind_notice(notice, acting_user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Reminded %(n)d who have not acted yet.") % {"n": count})
    return redirect("notices:results", notice_id=notice.pk)


@login_required
@require_POST
def recall(request, notice_id: int):
    notice = access_notice_to_manage(request, notice_id)
    actions.do_recall_notice(notice, acting_user=request.user)
    messages.success(request, _("The notice is recalled: families no longer see it."))
    return redirect("notices:results", notice_id=notice.pk)


@login_required
@require_POST
def pin(request, notice_id: int):
    notice = access_notice_to_manage(request, notice_id)
    actions.do_set_pinned(notice, pinned=request.POST.get("pinned") == "1", acting_user=request.user)
    return redirect("notices:results", notice_id=notice.pk)


@login_required
@require_http_methods(["GET", "POST"])
def edit(request, notice_id: int):
    notice = access_notice_to_manage(request, notice_id)
    form = EditForm(
        request.POST or None, initial={"title": notice.title, "body": notice.body_text, "version": notice.version}
    )
    concerns = []
    conflict = None
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_edit_notice(
                notice,
                acting_user=request.user,
                title=form.cleaned_data["title"],
                body_html=_body_html(form.cleaned_data["body"]),
                guardrail_reason=form.cleaned_data.get("guardrail_reason", ""),
                opened_version=form.cleaned_data.get("version"),
            )
        except GuardrailWarning as exc:
            concerns = exc.concerns
            form.ask_reason()
        except EditConflict as exc:
            # Their text stays in the form; the other editor's changes are shown beside it, and the
            # form now carries the current version, so saving again is a decision, not an accident.
            form.add_error(None, exc)
            notice.refresh_from_db()
            opened = NoticeRevision.objects.filter(notice=notice, version=form.cleaned_data.get("version") or 0).first()
            conflict = {"title": notice.title, "diff": diff_html(opened.body_text if opened else "", notice.body_text)}
            carry_version(form, exc.version)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Saved. Families see that the notice was edited and what changed."))
            return redirect("notices:results", notice_id=notice.pk)
    return render(
        request,
        "notices/edit.html",
        {"notice": notice, "form": form, "concerns": concerns, "conflict": conflict},
        status=409 if conflict else 400 if form.errors or concerns else 200,
    )


@login_required
@require_GET
def export(request, notice_id: int):
    notice = access_notice_to_manage(request, notice_id)
    r = queries.notice_results(notice)
    rows = []
    for row in r["rows"]:
        student = row["student"]
        for receipt, relationship in row["guardians"] or [(None, "")]:
            rows.append(
                [
                    student.school_class.name if student.school_class else "",
                    student.name,
                    receipt.guardian.name if receipt else "",
                    relationship,
                    receipt.read_at.strftime("%Y-%m-%d %H:%M") if receipt and receipt.read_at else "",
                    receipt.acted_at.strftime("%Y-%m-%d %H:%M") if receipt and receipt.acted_at else "",
                    receipt.answer if receipt else "",
                    receipt.comment if receipt else "",
                ]
            )
    data = workbook_bytes(
        notice.title[:31] or "notice", ["班级", "学生", "家长", "关系", "已读时间", "回执时间", "回复", "备注"], rows
    )
    record(AuditEntry.Action.EXPORT, actor=request.user, school=notice.school, target=notice, summary="notice results")
    return xlsx_response(data, f"{notice.title[:40]}回执.xlsx")


# --- families (and staff as recipients) ---------------------------------------------------------


@login_required
def feed(request):
    child_id = request.GET.get("child")
    child = int(child_id) if child_id and child_id.isdigit() and int(child_id) in request.roles.child_ids else None
    from schools.queries import children_of

    children = children_of(request.roles) if request.roles.is_parent else []
    notices = queries.family_feed(request.user, children=children, child_id=child)
    return render(request, "notices/feed.html", {"notices": notices, "children": children, "child": child})


def _revision_diff(notice: Notice, seen_version: int) -> str:
    if notice.version <= 1 or seen_version >= notice.version or seen_version == 0:
        return ""
    old = NoticeRevision.objects.filter(notice=notice, version=seen_version).first()
    return diff_html(old.body_text, notice.body_text) if old else ""


@login_required
@require_http_methods(["GET", "POST"])
def read(request, notice_id: int):
    """Opening marks read (the user's own receipt only, one UPDATE). POST confirms or answers."""
    notice, receipt = access_notice_to_read(request, notice_id)
    if request.method == "POST":
        try:
            actions.do_respond(
                notice,
                actions.my_receipts(notice, request.user),
                acting_user=request.user,
                answer=request.POST.get("answer", ""),
                comment=request.POST.get("comment", ""),
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Thank you, the school has your reply."))
        return redirect("notices:read", notice_id=notice.pk)
    diff = _revision_diff(notice, receipt.seen_version)
    actions.do_mark_read(notice, acting_user=request.user)
    receipt.refresh_from_db()
    return render(
        request,
        "notices/read.html",
        {
            "notice": notice,
            "receipt": receipt,
            "diff": diff,
            "attachments": notice.attachments.all(),
            "via_link": False,
            "open_to_answer": notice.is_live and (notice.deadline is None or notice.deadline > timezone.now()),
        },
    )


@require_http_methods(["GET", "POST"])
def by_link(request, token: str):
    """The link in an email or SMS: read and reply without signing in. The visitor has no school
    of their own, so the request runs in the scope of the school the signed link names."""
    receipt = access_receipt_by_link(token)
    with scope(school=[receipt.school_id]):
        return _by_link(request, token, receipt)


def _by_link(request, token: str, receipt: Receipt):
    notice = receipt.notice
    receipts = receipts_of_link(receipt)
    if request.method == "POST" and request.POST.get("op") == "read":
        actions.do_mark_read(notice, acting_user=None, receipts=receipts)  # a read receipt counts as done
        messages.success(request, _("Thank you, the school knows you have read it."))
        return redirect("notices:by_link", token=token)
    if request.method == "POST":
        try:
            actions.do_respond(
                notice,
                receipts,
                acting_user=None,
                answer=request.POST.get("answer", ""),
                comment=request.POST.get("comment", ""),
                via="link",
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Thank you, the school has your reply."))
        return redirect("notices:by_link", token=token)

    # Opening the link reads nothing: link previews in chat apps and mail scanners open links too,
    # and would read notices for families. Reading is the family's own tap (``op=read``, above).
    response = render(
        request,
        "notices/read.html",
        {"notice": notice, "receipt": receipt, "diff": "", "attachments": [], "via_link": True},
    )
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def attachment(request, notice_id: int, attachment_id: int):
    """Re-authorised on every download: the notice's manager or one of its recipients."""
    item = access_attachment_to_download(request, notice_id, attachment_id)
    return file_response(item.file, filename=item.filename, mime=item.mime, inline=item.is_image)


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request):
    pref = DeliveryPreference.objects.filter(user=request.user).first() or DeliveryPreference(user=request.user)
    form = PreferenceForm(
        request.POST or None,
        initial={
            "email": pref.email,
            "email_enabled": pref.email_enabled,
            "sms_enabled": pref.sms_enabled,
            "digest": pref.digest,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if data["email_enabled"] and not data["email"]:
            form.add_error("email", _("Enter the email address to send notices to."))
        else:
            do_save_delivery_preference(
                email=data["email"],
                email_enabled=data["email_enabled"],
                sms_enabled=data["sms_enabled"],
                digest=data.get("digest") or None,
                acting_user=request.user,
            )
            messages.success(request, _("Saved."))
            return redirect("notices:preferences")
    return render(request, "notices/preferences.html", {"form": form}, status=400 if form.errors else 200)


@login_required
@require_GET
def reachability(request, class_id: int):
    """The class's families, hard to reach first, with what to fix (staff of the class, admins)."""
    school_class = access_class(request, class_id)
    rows = queries.class_reachability(school_class)
    return render(
        request,
        "notices/reachability.html",
        {"school_class": school_class, "rows": rows, "hard": sum(1 for row in rows if row["hard"])},
    )
