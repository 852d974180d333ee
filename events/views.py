import datetime

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.guardrails import GuardrailWarning
from core.uploads import download_response
from notices.audience import audience_choices, target_specs
from schools.access import access_admin_school, access_class, access_staff_school
from schools.models import SchoolClass, StaffMember, Student, StudentGuardian
from schools.queries import current_term

from . import actions, ical, queries
from .access import (
    access_conference,
    access_event_as_invited,
    access_event_to_manage,
    access_event_to_see,
    access_follow_up_to_close,
    access_reflection_to_comment,
    access_resolution_to_close,
    may_manage,
)
from .forms import ChangeForm, ConferenceForm, EventForm, MinutesForm, RsvpForm, staff_choices
from .models import Attendance, Booking, CalendarFeed, Event, Reflection, Rsvp


def _qr(text: str) -> str:
    return segno.make(text, error="m").svg_data_uri(scale=5, border=2)


def _staff_choices(school) -> list[tuple[int, str]]:
    return [
        (m.user_id, m.user.display_name)
        for m in StaffMember.objects.filter(school=school, is_active=True).select_related("user").order_by("user__name")
    ]


def _compose_choices(request, school) -> dict:
    """The new-event form's lists: the audience (``notices.audience``) and the organisers, the
    author first (always an organiser: ``do_create_event``), each teacher with what they teach."""
    return {
        **audience_choices(request, school, groups=True),  # working groups too: their meetings are events
        "staff_choices": staff_choices(queries.staff_to_choose(school), first_user_id=request.user.pk),
        "author_id": request.user.pk,
    }


def _fields(data: dict, kind: str) -> actions.EventFields:
    return actions.EventFields(
        kind=kind,
        title=data["title"],
        starts_at=data["starts_at"],
        ends_at=data["ends_at"],
        description=data.get("description", ""),
        place=data.get("place", ""),
        online_link=data.get("online_link", ""),
        capacity=data.get("capacity"),
        materials=data.get("materials", ""),
        speakers=data.get("speakers", ""),
    )


# --- staff ------------------------------------------------------------------------------------------


@login_required
@require_GET
def event_list(request):
    school = access_staff_school(request)
    past = request.GET.get("past") == "1"
    return render(
        request,
        "events/list.html",
        {
            "events": queries.school_events(request, school, past=past),
            "past": past,
            "school": school,
            "head_classes": queries.head_classes(request.roles, school),
            "is_admin": request.roles.is_admin_of(school.pk),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def new(request):
    school = access_staff_school(request)
    form = EventForm(request.POST or None, **_compose_choices(request, school))
    concerns = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            event = actions.do_create_event(
                school,
                acting_user=request.user,
                roles=request.roles,
                fields=_fields(data, data["kind"]),
                targets=target_specs(data),
                organiser_ids=data.get("organisers") or [],
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
            messages.success(request, _("Created. The invitation has gone out with the notices."))
            return redirect("events:manage", event_id=event.pk)
    return render(
        request, "events/new.html", {"form": form, "concerns": concerns}, status=400 if form.errors or concerns else 200
    )


@login_required
@require_http_methods(["GET", "POST"])
def manage(request, event_id: int):
    """The organiser's page: the numbers, changing and cancelling, and the way to every step."""
    event = access_event_to_manage(request, event_id, roll=True)
    may_change = may_manage(request, event)
    if request.method == "POST" and not may_change:
        raise Http404
    initial = {
        name: getattr(event, name)
        for name in ("title", "place", "online_link", "capacity", "description", "materials", "speakers")
    }
    initial["starts_at"] = timezone.localtime(event.starts_at)
    initial["ends_at"] = timezone.localtime(event.ends_at)
    form = ChangeForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_change_event(event, acting_user=request.user, fields=_fields(form.cleaned_data, event.kind))
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Changed. Everyone invited has been told."))
            return redirect("events:manage", event_id=event.pk)
    sheet = queries.attendance_sheet(event)
    return render(
        request,
        "events/manage.html",
        {
            "event": event,
            "form": form,
            "sheet": sheet,
            "reflections": event.reflections.count(),
            "may_change": may_change,
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def cancel(request, event_id: int):
    event = access_event_to_manage(request, event_id)
    try:
        actions.do_cancel_event(event, acting_user=request.user, reason=request.POST.get("reason", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Cancelled. Everyone invited has been told."))
    return redirect("events:manage", event_id=event.pk)


@login_required
@require_http_methods(["GET", "POST"])
def attendance(request, event_id: int):
    """The roll call: every family with its children, reply and sign-in; the rest marked by hand."""
    event = access_event_to_manage(request, event_id, roll=True)
    if request.method == "POST":
        marks = {
            int(key[2:]): value
            for key, value in request.POST.items()
            if key.startswith("r-") and key[2:].isdigit() and value
        }
        try:
            n = actions.do_roll_call(event, acting_user=request.user, marks=marks)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Saved %(n)d families.") % {"n": n})
        return redirect("events:attendance", event_id=event.pk)
    return render(
        request,
        "events/attendance.html",
        {"event": event, "sheet": queries.attendance_sheet(event), "statuses": Attendance.Status.choices},
    )


@login_required
@require_http_methods(["GET", "POST"])
def checkin(request, event_id: int):
    """The teacher's phone at the door: scan or type a family's code."""
    event = access_event_to_manage(request, event_id, roll=True)
    status = 200
    if request.method == "POST":
        try:
            attendance_row = actions.do_check_in_by_code(event, request.POST.get("code", ""), acting_user=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            status = 400
        else:
            guardian = attendance_row.receipt.guardian
            user = attendance_row.receipt.user
            who = guardian.name if guardian else (user.display_name if user else "")
            if attendance_row.status == Attendance.Status.LATE:
                messages.warning(request, _("%(who)s signed in (late).") % {"who": who})
            else:
                messages.success(request, _("%(who)s signed in.") % {"who": who})
            return redirect("events:checkin", event_id=event.pk)
    sheet = queries.attendance_sheet(event)
    return render(request, "events/checkin.html", {"event": event, "sheet": sheet}, status=status)


@login_required
@require_GET
def screen(request, event_id: int):
    """For the screen at the door: a code that changes every 30 seconds; the page reloads itself."""
    event = access_event_to_manage(request, event_id, roll=True)
    code = actions.screen_code(event)
    url = f"{settings.SITE_URL}{reverse('events:here', args=[event.pk, code])}"
    return render(request, "events/screen.html", {"event": event, "qr": _qr(url), "code": code, "url": url})


@login_required
@require_http_methods(["GET", "POST"])
def here(request, event_id: int, code: str):
    """A parent scanned the screen's code: one tap signs their family in."""
    event, receipt = access_event_as_invited(request, event_id)
    if request.method == "POST":
        try:
            actions.do_check_in_by_screen(event, receipt, code, acting_user=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("You are signed in. Welcome!"))
        return redirect("events:invitation", event_id=event.pk)
    return render(request, "events/here.html", {"event": event, "code": code})


def _parse_resolutions(text: str, school) -> list[actions.ResolutionSpec]:
    staff = {
        m.user.display_name: m.user_id
        for m in StaffMember.objects.filter(school=school, is_active=True).select_related("user")
    }
    specs = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.replace("｜", "|").split("|")]
        if len(parts) < 2 or parts[1] not in staff:
            raise ValidationError(
                _("Line %(n)d: give the resolution, then | and its owner's name as on the staff list.") % {"n": number}
            )
        due = None
        if len(parts) > 2 and parts[2]:
            try:
                due = datetime.date.fromisoformat(parts[2].replace("/", "-"))
            except ValueError:
                raise ValidationError(_("Line %(n)d: give the deadline as 2026-12-20.") % {"n": number}) from None
        specs.append(actions.ResolutionSpec(text=parts[0], owner_id=staff[parts[1]], due_on=due))
    return specs


@login_required
@require_http_methods(["GET", "POST"])
def minutes(request, event_id: int):
    event = access_event_to_manage(request, event_id, roll=True)  # head teachers read them
    if request.method == "POST" and not may_manage(request, event):
        raise Http404
    form = MinutesForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_publish_minutes(
                event,
                acting_user=request.user,
                roles=request.roles,
                minutes=form.cleaned_data["minutes"],
                resolutions=_parse_resolutions(form.cleaned_data["resolutions"], event.school),
                guardrail_reason=form.cleaned_data.get("guardrail_reason", ""),
                request=request,
            )
        except GuardrailWarning as exc:
            form.add_error("guardrail_reason", [str(c.reason) for c in exc.concerns])
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The minutes have gone to everyone invited."))
            return redirect("events:manage", event_id=event.pk)
    return render(
        request,
        "events/minutes.html",
        {
            "event": event,
            "form": form,
            "resolutions": event.resolutions.select_related("owner"),
            "follow_ups": event.follow_ups.select_related("student__school_class", "owner"),
            "staff": _staff_choices(event.school),
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_GET
def reflections(request, event_id: int):
    event = access_event_to_manage(request, event_id, roll=True)
    return render(request, "events/reflections.html", {"event": event, "reflections": queries.reflections_of(event)})


@login_required
@require_POST
def comment(request, reflection_id: int):
    reflection = access_reflection_to_comment(request, reflection_id)
    try:
        actions.do_comment_reflection(
            reflection,
            acting_user=request.user,
            comment=request.POST.get("comment", ""),
            excellent=request.POST.get("excellent") == "on",
            shared=request.POST.get("shared") == "on",
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Saved."))
    return redirect("events:reflections", event_id=reflection.event_id)


@login_required
@require_POST
def follow_up_done(request, follow_up_id: int):
    item = access_follow_up_to_close(request, follow_up_id)
    actions.do_finish_follow_up(item, acting_user=request.user)
    return redirect("home:todo")


@login_required
@require_POST
def resolution_done(request, resolution_id: int):
    item = access_resolution_to_close(request, resolution_id)
    actions.do_finish_resolution(item, acting_user=request.user)
    return redirect("home:todo")


@login_required
@require_http_methods(["GET", "POST"])
def rules(request):
    """The school's rule of the parent school (R27): sessions every family attends a term."""
    school = access_admin_school(request)
    current = queries.parent_school_rule(school)
    if request.method == "POST":
        value = request.POST.get("sessions", "")
        try:
            sessions = int(value) if value.isdigit() else -1
            actions.do_set_parent_school_rule(school, sessions, acting_user=request.user, request=request)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Saved."))
            return redirect("events:rules")
    return render(request, "events/rules.html", {"sessions": current})


@login_required
@require_GET
def parent_school(request, class_id: int):
    """R27: which families of the class have come to the parent school this term, against the rule."""
    school_class = access_class(request, class_id, manage=True)
    term = current_term(school_class.school_id)
    return render(
        request,
        "events/parent_school.html",
        {"school_class": school_class, "term": term, "r": queries.parent_school_attendance(school_class, term)},
    )


# --- families (and staff as invitees) ---------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def invitation(request, event_id: int):
    """The invited family's page: reply once for all its children, its sign-in code, the minutes,
    and (after a lecture) its reflection and the class's excellent ones."""
    event, receipt = access_event_as_invited(request, event_id)
    rsvp = Rsvp.objects.filter(event=event, receipt=receipt).first()
    form = RsvpForm(
        request.POST if request.POST.get("op") == "rsvp" else None,
        initial={
            "answer": rsvp.answer if rsvp else "",
            "people": rsvp.people if rsvp else 1,
            "note": rsvp.note if rsvp else "",
        },
    )
    mine = Reflection.objects.filter(event=event, receipt=receipt).first()
    if request.method == "POST":
        op = request.POST.get("op")
        try:
            if op == "rsvp":
                if not form.is_valid():
                    raise ValidationError(_("Say whether you will come."))
                # The one-tap buttons of the feed and the notice post only the answer: the number
                # of people and the note given before are kept.
                actions.do_rsvp(
                    event,
                    receipt,
                    acting_user=request.user,
                    answer=form.cleaned_data["answer"],
                    people=form.cleaned_data["people"] or (rsvp.people if rsvp else 1),
                    note=form.cleaned_data.get("note", "") if "note" in request.POST else (rsvp.note if rsvp else ""),
                )
                messages.success(request, _("Thank you, the teacher has your reply."))
            elif op == "reflection":
                actions.do_submit_reflection(event, receipt, request.POST.get("text", ""), acting_user=request.user)
                messages.success(request, _("Thank you for your reflection."))
            else:
                raise ValidationError(_("Unknown request."))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        back = request.POST.get("next", "")  # the feed or the notice the one-tap answer came from
        if back.startswith("/") and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
            return redirect(back)
        return redirect("events:invitation", event_id=event.pk)
    children = (
        StudentGuardian.objects.filter(
            guardian_id=receipt.guardian_id or 0, student__studentreceipt__notice_id=event.notice_id or 0
        ).select_related("student__school_class")
        if receipt.guardian_id
        else []
    )
    code = actions.family_code(event, receipt.pk)
    return render(
        request,
        "events/invitation.html",
        {
            "event": event,
            "receipt": receipt,
            "rsvp": rsvp,
            "form": form,
            "children": [link.student for link in children],
            "code": code,
            "qr": _qr(f"TX-E{event.pk}-{code}"),
            "attendance": Attendance.objects.filter(event=event, receipt=receipt).first(),
            "reflection": mine,
            "can_reflect": event.kind in actions.REFLECTIVE_KINDS and timezone.now() >= event.starts_at,
            "shared": queries.shared_reflections(event) if event.kind in actions.REFLECTIVE_KINDS else [],
            "started": timezone.now() >= event.starts_at,
        },
    )


def _event_vevent(event: Event) -> list[str]:
    where = event.place or event.online_link
    return ical.vevent(
        uid=ical.event_uid("event", event.pk),
        summary=event.title,
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        location=where,
        description=event.description,
        url=f"{settings.SITE_URL}{reverse('events:invitation', args=[event.pk])}",
        stamp=event.created_at,
        cancelled=event.is_cancelled,
        sequence=event.notice.version if event.notice is not None else 0,
    )


def _booking_vevent(booking: Booking) -> list[str]:
    day = booking.slot.day
    children = "、".join(s.name for s in booking.students.all())
    return ical.vevent(
        uid=ical.event_uid("booking", booking.pk),
        summary=f"{day.title}（{children}）",
        starts_at=booking.slot.starts_at,
        ends_at=booking.slot.ends_at,
        location=day.place,
        url=f"{settings.SITE_URL}{reverse('events:conference', args=[day.pk])}",
        stamp=booking.created_at,
    )


def _ics_response(data: bytes, filename: str) -> HttpResponse:
    return download_response(data, filename, "text/calendar; charset=utf-8")


@login_required
@require_GET
def event_ics(request, event_id: int):
    event = access_event_to_see(request, event_id)
    return _ics_response(ical.calendar(event.title, [_event_vevent(event)]), f"event-{event.pk}.ics")


@login_required
@require_GET
def calendar(request):
    items = queries.calendar_items(request.user)
    feed = actions.calendar_feed(request.user)
    return render(
        request,
        "events/calendar.html",
        {**items, "feed_url": f"{settings.SITE_URL}{reverse('events:feed', args=[feed.token])}", "now": timezone.now()},
    )


@login_required
@require_POST
def calendar_revoke(request):
    actions.do_revoke_calendar_feed(acting_user=request.user)
    messages.success(request, _("A new calendar link is ready; the old one no longer works."))
    return redirect("events:calendar")


@require_GET
def feed(request, token: str):
    """The user's iCalendar feed, for a calendar app that cannot sign in: the secret token is the
    key; a revoked token finds nothing (404)."""
    from django_scopes import scopes_disabled

    entry = CalendarFeed.objects.filter(token=token).select_related("user").first()
    if entry is None or not entry.user.is_active:
        raise Http404
    with scopes_disabled():  # reviewed: the token names one user; calendar_items reads only what reached them
        items = queries.calendar_items(entry.user)
        events = [_event_vevent(e) for e in items["events"]]
        events += [_booking_vevent(b) for b in items["bookings"]]
    return _ics_response(ical.calendar(_("Tongxin calendar"), events), "tongxin.ics")


# --- individual conferences -------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def conference_new(request):
    school = access_staff_school(request)
    roles = request.roles
    classes = SchoolClass.objects.filter(school=school, graduated_at__isnull=True)
    if not roles.is_admin_of(school.pk):
        classes = classes.filter(pk__in=roles.taught_class_ids)
    form = ConferenceForm(
        request.POST or None,
        class_choices=[(c.pk, c.name) for c in classes],
        staff_choices=staff_choices(queries.staff_to_choose(school)),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            conference = actions.do_create_conference_day(
                school,
                acting_user=request.user,
                roles=roles,
                title=data["title"],
                place=data.get("place", ""),
                class_id=data["school_class"],
                day=data["day"],
                start=data["start"],
                end=data["end"],
                slot_minutes=data["slot_minutes"],
                break_minutes=data["break_minutes"],
                teacher_ids=data.get("teachers") or [],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The times are offered to the class's families."))
            return redirect("events:conference", conference_id=conference.pk)
    return render(request, "events/conference_new.html", {"form": form}, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def conference(request, conference_id: int):
    """Teachers: the day's list. Families: choose a time for one or more of their children."""
    day, receipt = access_conference(request, conference_id)
    slots = list(day.slots.select_related("booking__receipt__guardian").prefetch_related("booking__students"))
    if receipt is None:
        return render(request, "events/conference_day.html", {"day": day, "slots": slots})
    if request.method == "POST":
        try:
            if request.POST.get("op") == "cancel":
                actions.do_cancel_booking(day, receipt, acting_user=request.user)
                messages.success(request, _("Your booking is cancelled."))
            else:
                slot = request.POST.get("slot", "")
                actions.do_book(
                    day,
                    receipt,
                    acting_user=request.user,
                    slot_id=int(slot) if slot.isdigit() else 0,
                    student_ids=[int(s) for s in request.POST.getlist("students") if s.isdigit()],
                    note=request.POST.get("note", ""),
                )
                messages.success(request, _("Booked. The teacher expects you then."))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return redirect("events:conference", conference_id=day.pk)
    children = Student.objects.filter(
        Q(guardian_links__guardian_id=receipt.guardian_id or 0), school_class_id=day.school_class_id
    )
    mine = next((s for s in slots if getattr(s, "booking", None) and s.booking.receipt_id == receipt.pk), None)
    return render(
        request,
        "events/conference_family.html",
        {"day": day, "slots": slots, "children": children, "mine": mine, "now": timezone.now()},
    )
