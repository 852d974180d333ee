"""Pages of the community app: duty rosters (护学岗, 家长轮值) and the class quantification (量化).

Staff: the rosters they manage (``duty_list``), one roster (``duty_roster``: shifts, the proposal,
adjustments, publishing, swaps, check-in codes, attendance, standby), a class's quantification
(``quant_class``), and for admins the comparison of classes and the categories. Families: their
shifts (``duty_mine``: confirm, swap, check in, dates they cannot do). Thin: access, one action or
query, render; every write answers a bad input with its message and writes nothing."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from schools.access import access_admin_school, access_class, access_staff_school
from schools.models import SchoolClass
from schools.queries import current_term, require_current_term

from . import actions, queries
from .access import (
    access_duty_assignment_as_family,
    access_duty_assignment_to_manage,
    access_duty_family_as_member,
    access_duty_roster_to_manage,
    access_duty_swap_to_answer,
    access_quant_category,
)
from .models import DutyAssignment, QuantCategory

WEEKDAYS = sorted(WEEKDAYS_ABBR.items())


def _error(request, error: ValidationError) -> None:
    messages.error(request, " ".join(error.messages))


@login_required
@require_http_methods(["GET", "POST"])
def duty_list(request):
    school = access_staff_school(request)
    roles = request.roles
    is_admin = roles.is_admin_of(school.pk)
    classes = list(SchoolClass.objects.filter(school=school, graduated_at__isnull=True))
    choosable = [c for c in classes if is_admin or c.pk in roles.head_class_ids]
    if request.method == "POST":
        scope_value = request.POST.get("scope", "")
        try:
            klass = None
            if scope_value != "school":
                klass = access_class(request, int(scope_value or 0), manage=True)
            elif not is_admin:
                raise Http404
            roster = actions.do_create_roster(
                school,
                acting_user=request.user,
                term=require_current_term(school),
                title=request.POST.get("title", ""),
                school_class=klass,
            )
        except ValueError:
            raise Http404 from None
        except ValidationError as e:
            _error(request, e)
            return redirect("community:duty_list")
        return redirect("community:duty_roster", roster.pk)
    return render(
        request,
        "community/duty_list.html",
        {
            "rosters": queries.rosters_to_manage(school, roles),
            "choosable": choosable,
            "is_admin": is_admin,
            "school": school,
        },
    )


def _roster_op(request, roster) -> str:
    """One change of the roster page; returns the message to show."""
    op = request.POST.get("op", "")
    data = request.POST
    if op == "add_shifts":
        n = actions.do_add_shifts(
            roster,
            acting_user=request.user,
            first=data.get("first"),
            last=data.get("last") or None,
            weekdays=data.getlist("weekdays") or [0, 1, 2, 3, 4],
            starts_at=data.get("starts_at"),
            ends_at=data.get("ends_at"),
            place=data.get("place", ""),
            families_needed=data.get("families_needed", "1"),
        )
        return _("%(n)d shifts added.") % {"n": n}
    if op == "propose":
        report = actions.do_propose_rotation(roster, acting_user=request.user)
        return _("Rotation proposed: %(placed)d places filled, %(gaps)d shifts with gaps.") % {
            "placed": report["placed"],
            "gaps": len(report["gaps"]),
        }
    if op == "assign":
        actions.do_set_shift_families(
            roster, acting_user=request.user, shift_id=data.get("shift"), family_ids=data.getlist("families")
        )
        return _("Shift changed.")
    if op == "publish":
        actions.do_publish_roster(roster, acting_user=request.user, roles=request.roles, request=request)
        return _("Published: the families have been sent a notice to confirm.")
    if op == "standby":
        actions.do_ask_standby(
            roster,
            acting_user=request.user,
            shift_id=data.get("shift"),
            family_id=data.get("family"),
            roles=request.roles,
        )
        return _("The family has been asked to stand in.")
    if op == "attendance":
        try:
            assignment = access_duty_assignment_to_manage(request, int(data.get("assignment") or 0))
        except ValueError:
            raise Http404 from None
        if assignment.shift.roster_id != roster.pk:
            raise Http404
        actions.do_record_attendance(assignment, acting_user=request.user, status=data.get("status", ""))
        return _("Attendance recorded.")
    raise ValidationError(_("Unknown request."))


@login_required
@require_http_methods(["GET", "POST"])
def duty_roster(request, roster_id: int):
    roster = access_duty_roster_to_manage(request, roster_id)
    if request.method == "POST":
        try:
            messages.success(request, _roster_op(request, roster))
        except ValidationError as e:
            _error(request, e)
        return redirect("community:duty_roster", roster.pk)
    view = queries.roster_view(roster)
    today = timezone.localdate()
    for shift in view.shifts:  # the code the post shows on the day: only on the day
        shift.checkin_code = actions.shift_code(roster, shift) if shift.date == today else ""  # type: ignore[attr-defined]
    return render(
        request,
        "community/duty_roster.html",
        {
            "roster": roster,
            "view": view,
            "today": today,
            "now": timezone.localtime(),
            "weekdays": WEEKDAYS,
            "statuses": [
                (DutyAssignment.Status.DONE, DutyAssignment.Status.DONE.label),
                (DutyAssignment.Status.NO_SHOW, DutyAssignment.Status.NO_SHOW.label),
            ],
        },
    )


def _family_op(request) -> str:
    op = request.POST.get("op", "")
    data = request.POST
    try:
        if op == "checkin":
            assignment = access_duty_assignment_as_family(request, int(data.get("assignment") or 0))
            actions.do_check_in(assignment, acting_user=request.user, code=data.get("code", ""))
            return _("Checked in. Thank you for your shift!")
        if op == "swap":
            assignment = access_duty_assignment_as_family(request, int(data.get("assignment") or 0))
            choice = data.get("with", "")
            kind, _sep, ident = choice.partition(":")
            if kind == "a":  # their shift in return
                actions.do_request_swap(assignment, acting_user=request.user, in_return_id=ident or 0)
            else:
                actions.do_request_swap(assignment, acting_user=request.user, to_family_id=ident or 0)
            return _("Swap asked: the other family will answer.")
        if op in ("accept_swap", "decline_swap"):
            swap = access_duty_swap_to_answer(request, int(data.get("swap") or 0))
            actions.do_answer_swap(swap, acting_user=request.user, accept=op == "accept_swap")
            return _("Swap accepted.") if op == "accept_swap" else _("Swap declined.")
        if op in ("accept_standby", "decline_standby"):
            assignment = access_duty_assignment_as_family(request, int(data.get("assignment") or 0))
            actions.do_answer_standby(assignment, acting_user=request.user, accept=op == "accept_standby")
            return _("Thank you for your answer.")
        if op == "unavailable":
            family = access_duty_family_as_member(request, int(data.get("family") or 0))
            dates = [d for d in data.get("dates", "").replace("，", ",").replace(" ", ",").split(",") if d.strip()]
            actions.do_set_unavailable(family, acting_user=request.user, dates=dates)
            return _("Saved the dates you cannot do.")
    except ValueError:
        raise Http404 from None
    raise ValidationError(_("Unknown request."))


@login_required
@require_http_methods(["GET", "POST"])
def duty_mine(request):
    if request.method == "POST":
        try:
            messages.success(request, _family_op(request))
        except ValidationError as e:
            _error(request, e)
        return redirect("community:duty_mine")
    return render(
        request,
        "community/duty_mine.html",
        {"duties": queries.my_duty(request.user), "today": timezone.localdate(), "now": timezone.localtime()},
    )


@login_required
@require_http_methods(["GET", "POST"])
def quant_class(request, class_id: int):
    klass = access_class(request, class_id)
    term = current_term(klass.school)
    can_add = request.roles.can_manage_class(klass)
    if request.method == "POST":
        if not can_add:
            raise Http404
        try:
            actions.do_add_quant_item(
                klass,
                acting_user=request.user,
                term=require_current_term(klass.school),
                category_id=request.POST.get("category"),
                reason=request.POST.get("reason", ""),
                occurred_on=request.POST.get("occurred_on") or None,
                points=request.POST.get("points") or None,
            )
            messages.success(request, _("Item added."))
        except ValidationError as e:
            _error(request, e)
        return redirect("community:quant_class", klass.pk)
    quant = queries.class_quant(klass, term) if term else None
    return render(
        request,
        "community/quant_class.html",
        {
            "school_class": klass,
            "term": term,
            "quant": quant,
            "can_add": can_add,
            "categories": [c for c, _n, _p in quant.categories if c.is_active] if quant else [],
            "today": timezone.localdate(),
        },
    )


@login_required
@require_GET
def quant_compare(request):
    school = access_admin_school(request)
    term = current_term(school)
    categories, rows = queries.compare_classes(school, term) if term else ([], [])
    return render(request, "community/quant_compare.html", {"term": term, "categories": categories, "rows": rows})


@login_required
@require_http_methods(["GET", "POST"])
def quant_categories(request):
    school = access_admin_school(request)
    if request.method == "POST":
        try:
            category = None
            if request.POST.get("category"):
                category = access_quant_category(request, int(request.POST["category"]))
            actions.do_save_quant_category(
                school,
                acting_user=request.user,
                name=request.POST.get("name", ""),
                points=request.POST.get("points"),
                category=category,
                kind=request.POST.get("kind", QuantCategory.Kind.OTHER),
                active=request.POST.get("active", "1") == "1",
            )
            messages.success(request, _("Category saved."))
        except ValueError:
            raise Http404 from None
        except ValidationError as e:
            _error(request, e)
        return redirect("community:quant_categories")
    return render(request, "community/quant_categories.html", {"categories": queries.quant_categories(school)})
