"""A family's data rights (PIPL): the consents they gave and withdrawing SMS consent
(``accounts.consent``), the download of everything Tongxin holds about them (``home.privacy``).
The school admin's erasure of a family on a verified request (``home.erasure``) and the school's
retention periods, with a dry run of what the daily purge would delete (``home.retention``).
These pages live in home because the download reads every app and the erasure writes across them."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts import consent
from accounts.models import Consent
from schools.access import access_admin_school, access_guardian_to_erase
from schools.actions import do_set_retention_periods
from schools.queries import retention_periods

from . import erasure, privacy, retention
from .forms import RetentionForm


@login_required
@require_http_methods(["GET", "POST"])
def my_privacy(request):
    """What the guardian agreed to, with the text and its version; agreeing (a guardian who first
    signed in with a code never saw the texts) and withdrawing SMS consent."""
    if not request.roles.is_parent:
        raise Http404
    if request.method == "POST":
        what = request.POST.get("action", "")
        if what == "give":
            kinds = [k for k in ("data", "sms") if request.POST.get(f"consent_{k}")]
            consent.do_give_consents(kinds, acting_user=request.user, request=request)
            messages.success(request, _("Saved."))
        elif what == "withdraw_sms":
            consent.do_withdraw_consent(Consent.Kind.SMS, acting_user=request.user, request=request)
            messages.success(request, _("You will get no more reminders by SMS."))
        return redirect("home:privacy")
    standing = consent.standing_consents(request.user)
    rows = [
        {
            "kind": kind,
            "label": label,
            "consent": standing.get(kind),
            "text": consent.consent_text(
                kind, standing[kind].version if kind in standing else consent.CURRENT_VERSION[kind]
            ),
        }
        for kind, label in Consent.Kind.choices
    ]
    return render(request, "home/privacy.html", {"rows": rows, "needs_data": "data" not in standing})


@login_required
@require_http_methods(["GET", "POST"])
def my_export(request):
    """GET explains what the download holds; POST streams the zip of the signed-in user's own data."""
    if not request.roles.is_parent:
        raise Http404
    if request.method == "GET":
        return render(request, "home/export.html")
    export = privacy.family_export(request.user)
    response = StreamingHttpResponse(privacy.export_zip_chunks(export), content_type="application/zip")
    response["Content-Disposition"] = 'attachment; filename="tongxin-my-data.zip"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def erase_family(request, guardian_id: int):
    """A school admin erases a family: the confirmation asks for the guardian's phone number, typed
    from the verified request, so a wrong row or a slip of the mouse erases nothing."""
    guardian = access_guardian_to_erase(request, guardian_id)
    error = ""
    if request.method == "POST":
        if request.POST.get("phone", "").strip() == guardian.phone:
            erasure.do_erase_family(guardian, acting_user=request.user, request=request)
            messages.success(request, _("The family's personal data was erased."))
            return redirect("schools:setup_classes")
        error = _("The phone number does not match this guardian. Nothing was erased.")
    return render(request, "home/erase_family.html", {"guardian": guardian, "error": error})


@login_required
@require_http_methods(["GET", "POST"])
def retention_settings(request):
    """学校设置 → 数据保留: how long the school keeps each kind of record. "Preview" counts what the
    daily purge would delete with the numbers typed (nothing is saved or deleted); "Save" keeps them."""
    school = access_admin_school(request)
    current = retention_periods(school)
    form = RetentionForm(request.POST or None, initial=current)
    shown = current
    if request.method == "POST" and form.is_valid():
        if request.POST.get("action") == "save":
            do_set_retention_periods(school, form.cleaned_data, acting_user=request.user)
            messages.success(request, _("Retention periods saved. The daily purge follows them from tonight."))
            return redirect("home:retention")
        shown = form.cleaned_data
    rows = [
        {"field": form[kind], "days": shown[kind], "count": count}
        for kind, count in retention.preview(school, shown).items()
    ]
    return render(
        request,
        "home/retention.html",
        {"school": school, "form": form, "rows": rows, "tab": "retention", "previewed": shown != current},
        status=400 if form.errors else 200,
    )
