"""The district admin's pages (教育局 / 集团校): the schools' figures side by side, the district's
notices with their combined figures, composing one for every school, reminding.

A district admin is no one in the schools: these pages show counts (``home.district``,
``notices.district``), and every page of a child, a family, a contact, a chat or an answer keeps
refusing them (their roles, ``schools.roles``, hold no school). Every page starts from
``access_district``: another district's id is a 404."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.guardrails import GuardrailWarning
from core.richtext import text_to_html
from notices import district as district_notices
from notices.access import access_district_notice
from notices.forms import DistrictNoticeForm
from schools.access import access_district
from schools.district import district_schools, districts_of

from .district import district_overview


@login_required
@require_GET
def district_home(request):
    """The way in: the one district the user administers, or the list of them."""
    districts = districts_of(request.user)
    if not districts:
        raise Http404
    if len(districts) == 1:
        return redirect("home:district", district_id=districts[0].pk)
    return render(request, "home/district/choose.html", {"districts": districts})


@login_required
@require_GET
def overview(request, district_id: int):
    district = access_district(request, district_id)
    rows, total = district_overview(district)
    return render(request, "home/district/overview.html", {"district": district, "rows": rows, "total": total})


@login_required
@require_GET
def notice_list(request, district_id: int):
    district = access_district(request, district_id)
    return render(
        request,
        "home/district/notices.html",
        {"district": district, "notices": district_notices.district_notices(district)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def compose(request, district_id: int):
    """One notice, composed once, published in every school of the district."""
    district = access_district(request, district_id)
    form = DistrictNoticeForm(request.POST or None)
    concerns = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        body = data["body"] or ""
        try:
            sent = district_notices.do_send_district_notice(
                district,
                acting_user=request.user,
                title=data["title"],
                body_html=body if "<" in body else text_to_html(body),
                action=data["action"],
                audience=data["audience"],
                deadline=data["deadline"],
                guardrail_reason=data.get("guardrail_reason", ""),
                idempotency_key=data.get("idempotency_key", ""),
                request=request,
            )
        except GuardrailWarning as exc:
            concerns = exc.concerns
            form.ask_reason()
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Published in every school of the district."))
            return redirect("home:district_notice", district_id=district.pk, notice_id=sent.pk)
    return render(
        request,
        "home/district/compose.html",
        {"district": district, "form": form, "concerns": concerns, "schools": district_schools(district)},
        status=400 if form.errors or concerns else 200,
    )


@login_required
@require_GET
def notice(request, district_id: int, notice_id: int):
    """One district notice: each school's figures and the total."""
    district, sent = access_district_notice(request, district_id, notice_id)
    rows, total = district_notices.district_notice_by_school(sent, district_schools(district))
    return render(
        request, "home/district/notice.html", {"district": district, "sent": sent, "rows": rows, "total": total}
    )


@login_required
@require_POST
def remind(request, district_id: int, notice_id: int):
    district, sent = access_district_notice(request, district_id, notice_id)
    try:
        count = district_notices.do_remind_district_notice(sent, acting_user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Reminded %(n)d who have not acted yet.") % {"n": count})
    return redirect("home:district_notice", district_id=district.pk, notice_id=sent.pk)
