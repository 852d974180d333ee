"""Pages of the community app: volunteers.

Families: offer to help (skills, when), see the activities calling their class or school, take a
place on a slot, withdraw before the cut-off, show their code on the day, read their own archive.
Staff: publish an activity with its slots, see who comes, check helpers in by code, read a class's
volunteers and each one's archive (档案), and export them (.xlsx)."""

import datetime
import re

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.guardrails import GuardrailWarning
from core.xlsx import workbook_bytes, xlsx_response
from schools.access import access_class, access_staff_school
from schools.models import SchoolClass

from . import actions, queries
from .access import (
    access_activity_as_family,
    access_activity_to_manage,
    access_my_guardian,
    access_my_signup,
    access_slot_as_family,
    access_volunteer,
    family_class_ids,
    staff_activity_filter,
)
from .models import VolunteerActivity

_SLOT_LINE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*[-–~至]\s*(\d{1,2}):(\d{2})\s+(.+?)\s+(\d{1,3})\s*(人)?\s*$")


def _qr(text: str) -> str:
    return segno.make(text, error="m").svg_data_uri(scale=4, border=2)


def parse_slot_lines(day: datetime.date, text: str) -> list[actions.SlotSpec]:
    """One slot a line, ``08:00-10:00 检录 3``: the time, the task, how many helpers."""
    slots = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        match = _SLOT_LINE.match(line)
        if match is None:
            raise ValidationError(
                _("Slot line %(n)s: write the time, the task and how many helpers, e.g. 08:00-10:00 检录 3.")
                % {"n": number}
            )
        h1, m1, h2, m2, label, needed = match.groups()[:6]
        try:
            start = timezone.make_aware(datetime.datetime.combine(day, datetime.time(int(h1), int(m1))))
            end = timezone.make_aware(datetime.datetime.combine(day, datetime.time(int(h2), int(m2))))
        except ValueError:
            raise ValidationError(_("Slot line %(n)s: the time is not a time of day.") % {"n": number}) from None
        slots.append(actions.SlotSpec(label=label, starts_at=start, ends_at=end, needed=int(needed)))
    return slots


# --- families --------------------------------------------------------------------------------------


@login_required
@require_GET
def volunteer_home(request):
    """The family's page: their offer to help, the activities calling them, their places and codes."""
    guardian = access_my_guardian(request)
    volunteer = queries.my_volunteer(guardian)
    signups = list(queries.my_signups(volunteer))
    taken = {s.slot_id for s in signups}
    return render(
        request,
        "community/volunteers_home.html",
        {
            "guardian": guardian,
            "volunteer": volunteer,
            "activities": queries.family_activities(guardian, family_class_ids(guardian)),
            "signups": [(s, actions.volunteer_code(s)) for s in signups],
            "taken": taken,
            "now": timezone.now(),
        },
    )


@login_required
@require_POST
def volunteer_join(request):
    guardian = access_my_guardian(request)
    try:
        if request.POST.get("op") == "leave":
            volunteer = queries.my_volunteer(guardian)
            if volunteer is not None:
                actions.do_leave_volunteers(volunteer, acting_user=request.user)
            messages.success(request, _("You will not be asked to help any more. Your archive is kept."))
        else:
            actions.do_register_volunteer(
                guardian,
                acting_user=request.user,
                skills=request.POST.get("skills", ""),
                availability=request.POST.get("availability", ""),
            )
            messages.success(request, _("Thank you for offering to help."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("community:volunteer_home")


@login_required
@require_GET
def activity_family(request, activity_id: int):
    activity, guardian = access_activity_as_family(request, activity_id)
    volunteer = queries.my_volunteer(guardian)
    mine = {s.slot_id: s for s in queries.my_signups(volunteer, upcoming=False)}
    slots = [(slot, mine.get(slot.pk)) for slot in activity.slots.order_by("starts_at", "id")]
    return render(
        request,
        "community/volunteers_activity.html",
        {"activity": activity, "slots": slots, "volunteer": volunteer, "now": timezone.now()},
    )


@login_required
@require_POST
def slot_signup(request, slot_id: int):
    slot, guardian = access_slot_as_family(request, slot_id)
    volunteer = queries.my_volunteer(guardian)
    try:
        if volunteer is None:
            raise ValidationError(_("Sign up as a volunteer first."))
        actions.do_sign_up(slot, volunteer, acting_user=request.user)
        messages.success(request, _("You have a place. Your code for the day is on your volunteer page."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("community:activity_family", activity_id=slot.activity_id)


@login_required
@require_POST
def signup_withdraw(request, signup_id: int):
    signup = access_my_signup(request, signup_id)
    try:
        actions.do_withdraw(signup, acting_user=request.user)
        messages.success(request, _("You have withdrawn. Your place is free for another family."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("community:volunteer_home")


@login_required
@require_GET
def signup_code(request, signup_id: int):
    """The helper's code for the day, large, with its QR code."""
    signup = access_my_signup(request, signup_id)
    code = actions.volunteer_code(signup)
    return render(request, "community/volunteers_code.html", {"signup": signup, "code": code, "qr": _qr(code)})


# --- the archive -----------------------------------------------------------------------------------


@login_required
@require_GET
def volunteer_archive(request, volunteer_id: int):
    volunteer = access_volunteer(request, volunteer_id)
    archive = queries.volunteer_archive(volunteer)
    return render(request, "community/volunteers_archive.html", {"archive": archive, "volunteer": volunteer})


@login_required
@require_GET
def class_volunteers(request, class_id: int):
    school_class = access_class(request, class_id)
    rows = queries.class_volunteer_rows(school_class)
    return render(request, "community/volunteers_class.html", {"school_class": school_class, "rows": rows})


@login_required
@require_GET
def class_volunteers_export(request, class_id: int):
    school_class = access_class(request, class_id)
    rows = queries.class_volunteer_rows(school_class)
    header = [_("Volunteer"), _("Skills"), _("When they can help"), _("Activities served"), _("Hours"), _("Trainings")]
    data = workbook_bytes(
        _("Volunteers"),
        header,
        (
            [
                r["volunteer"].guardian.name,
                r["volunteer"].skills,
                r["volunteer"].availability,
                r["activities"],
                r["hours"],
                "; ".join(f"{t.date} {t.title}" for t in r["trainings"]),
            ]
            for r in rows
        ),
    )
    actions.record_volunteer_export(school_class, acting_user=request.user, request=request)
    return xlsx_response(data, f"{school_class.name}志愿者档案.xlsx")


# --- staff: activities -----------------------------------------------------------------------------


def _class_choices(request, school) -> list[SchoolClass]:
    classes = SchoolClass.objects.filter(school=school, graduated_at__isnull=True).order_by("grade", "number")
    if request.roles.is_admin_of(school.pk):
        return list(classes)
    return [c for c in classes if c.pk in request.roles.head_class_ids]


@login_required
@require_GET
def activity_list(request):
    access_staff_school(request)
    activities = queries.activities_to_manage(staff_activity_filter(request))
    return render(request, "community/volunteers_activities.html", {"activities": activities})


@login_required
@require_http_methods(["GET", "POST"])
def activity_new(request):
    school = access_staff_school(request)
    classes = _class_choices(request, school)
    is_admin = request.roles.is_admin_of(school.pk)
    values = request.POST if request.method == "POST" else {"class_id": request.GET.get("class", "")}
    errors: list[str] = []
    concerns = []
    if request.method == "POST":
        try:
            class_id = values.get("class_id", "")
            school_class = next((c for c in classes if str(c.pk) == class_id), None)
            if school_class is None and not (is_admin and class_id == "school"):
                raise ValidationError(_("Choose a class you are the head teacher of."))
            day = parse_date(values.get("day", "") or "")
            if day is None:
                raise ValidationError(_("Give the day of the activity."))
            withdraw_until = parse_datetime(values.get("withdraw_until", "") or "")
            if withdraw_until is None:
                raise ValidationError(_("Give the withdrawal cut-off."))
            if timezone.is_naive(withdraw_until):
                withdraw_until = timezone.make_aware(withdraw_until)
            fields = actions.ActivityFields(
                kind=values.get("kind", ""),
                title=values.get("title", ""),
                place=values.get("place", ""),
                description=values.get("description", ""),
                withdraw_until=withdraw_until,
                slots=parse_slot_lines(day, values.get("slots", "")),
            )
            activity = actions.do_create_activity(
                school,
                acting_user=request.user,
                roles=request.roles,
                school_class=school_class,
                fields=fields,
                guardrail_reason=values.get("guardrail_reason", ""),
                request=request,
            )
        except GuardrailWarning as exc:
            concerns = exc.concerns
        except ValidationError as exc:
            errors = exc.messages
        else:
            messages.success(request, _("Published. The class has been asked for helpers."))
            return redirect("community:activity_manage", activity_id=activity.pk)
    return render(
        request,
        "community/volunteers_new.html",
        {
            "classes": classes,
            "is_admin": is_admin,
            "kinds": VolunteerActivity.Kind.choices,
            "values": values,
            "errors": errors,
            "concerns": concerns,
        },
        status=400 if errors or concerns else 200,
    )


@login_required
@require_GET
def activity_manage(request, activity_id: int):
    activity = access_activity_to_manage(request, activity_id)
    return render(
        request,
        "community/volunteers_manage.html",
        {"activity": activity, "slots": queries.activity_sheet(activity)},
    )


@login_required
@require_POST
def activity_checkin(request, activity_id: int):
    activity = access_activity_to_manage(request, activity_id)
    try:
        signup = actions.do_check_in_volunteer(activity, request.POST.get("code", ""), acting_user=request.user)
        messages.success(
            request,
            _("%(name)s checked in: %(minutes)s minutes recorded.")
            % {"name": signup.volunteer.guardian.name, "minutes": signup.minutes},
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("community:activity_manage", activity_id=activity.pk)


@login_required
@require_POST
def activity_cancel(request, activity_id: int):
    activity = access_activity_to_manage(request, activity_id)
    actions.do_cancel_activity(activity, acting_user=request.user)
    messages.success(request, _("Called off. The families signed up have been told."))
    return redirect("community:activity_manage", activity_id=activity.pk)
