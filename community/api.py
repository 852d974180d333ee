"""The community app in the JSON API: the same actions, queries and access functions as the pages."""

from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from core.guardrails import GuardrailWarning
from schools.access import access_class, access_staff_school

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

router = Router(tags=["community"])


# ==== Committees and working groups (section: committees) ====

# (end of section: committees)


# ==== Volunteers, activities and recognition (section: volunteers) ====


class VolunteerErrorOut(Schema):
    detail: str


def _err(exc: ValidationError) -> dict[str, str]:
    return {"detail": " ".join(exc.messages)}


class VolunteerIn(Schema):
    skills: str = ""
    availability: str


class VolunteerOut(Schema):
    id: int
    guardian: str
    skills: str
    availability: str
    active: bool


class VolunteerMeOut(Schema):
    volunteer: VolunteerOut | None


def _volunteer_out(v) -> dict:
    return {
        "id": v.pk,
        "guardian": v.guardian.name,
        "skills": v.skills,
        "availability": v.availability,
        "active": v.active,
    }


class SlotOut(Schema):
    id: int
    label: str
    starts_at: datetime
    ends_at: datetime
    needed: int
    taken: int
    mine: bool = False


class ActivityOut(Schema):
    id: int
    kind: str
    title: str
    place: str
    description: str
    class_name: str | None
    withdraw_until: datetime
    cancelled: bool
    slots: list[SlotOut]


class SignupOut(Schema):
    id: int
    activity_id: int
    activity: str
    slot_id: int
    slot: str
    starts_at: datetime
    ends_at: datetime
    code: str
    checked_in_at: datetime | None
    minutes: int


class FamilyActivitiesOut(Schema):
    activities: list[ActivityOut]
    signups: list[SignupOut]


def _activity_out(activity, slots, mine: set[int] | None = None) -> dict:
    return {
        "id": activity.pk,
        "kind": activity.kind,
        "title": activity.title,
        "place": activity.place,
        "description": activity.description,
        "class_name": activity.school_class.name if activity.school_class else None,
        "withdraw_until": activity.withdraw_until,
        "cancelled": activity.cancelled_at is not None,
        "slots": [
            {
                "id": s.pk,
                "label": s.label,
                "starts_at": s.starts_at,
                "ends_at": s.ends_at,
                "needed": s.needed,
                "taken": s.taken,
                "mine": s.pk in (mine or set()),
            }
            for s in slots
        ],
    }


def _signup_out(s) -> dict:
    return {
        "id": s.pk,
        "activity_id": s.slot.activity_id,
        "activity": s.slot.activity.title,
        "slot_id": s.slot_id,
        "slot": s.slot.label,
        "starts_at": s.slot.starts_at,
        "ends_at": s.slot.ends_at,
        "code": actions.volunteer_code(s),
        "checked_in_at": s.checked_in_at,
        "minutes": s.minutes,
    }


@router.get("/community/volunteer/me", response=VolunteerMeOut)
def volunteer_me(request):
    """The signed-in parent's offer to help, or null."""
    volunteer = queries.my_volunteer(access_my_guardian(request))
    return {"volunteer": _volunteer_out(volunteer) if volunteer else None}


@router.post("/community/volunteer/me", response={200: VolunteerOut, 400: VolunteerErrorOut})
def volunteer_join(request, payload: VolunteerIn):
    """Offer to help (or change the offer): skills and when."""
    guardian = access_my_guardian(request)
    try:
        volunteer = actions.do_register_volunteer(
            guardian, acting_user=request.user, skills=payload.skills, availability=payload.availability
        )
    except ValidationError as exc:
        return Status(400, _err(exc))
    return _volunteer_out(volunteer)


@router.get("/community/volunteer/activities", response=FamilyActivitiesOut)
def volunteer_activities(request):
    """The activities calling the family, and its own places with their codes for the day."""
    guardian = access_my_guardian(request)
    volunteer = queries.my_volunteer(guardian)
    signups = list(queries.my_signups(volunteer))
    mine = {s.slot_id for s in signups}
    return {
        "activities": [
            _activity_out(a, a.slots.all(), mine)
            for a in queries.family_activities(guardian, family_class_ids(guardian))
        ],
        "signups": [_signup_out(s) for s in signups],
    }


@router.get("/community/volunteer/activities/{activity_id}", response=ActivityOut)
def volunteer_activity(request, activity_id: int):
    activity, guardian = access_activity_as_family(request, activity_id)
    volunteer = queries.my_volunteer(guardian)
    mine = {s.slot_id for s in queries.my_signups(volunteer, upcoming=False)}
    return _activity_out(activity, activity.slots.order_by("starts_at", "id"), mine)


@router.post("/community/volunteer/slots/{slot_id}/signup", response={201: SignupOut, 400: VolunteerErrorOut})
def volunteer_slot_signup(request, slot_id: int):
    """Take a place on a slot: 400 when it is full (two at once for the last place: one wins)."""
    slot, guardian = access_slot_as_family(request, slot_id)
    volunteer = queries.my_volunteer(guardian)
    try:
        if volunteer is None:
            raise ValidationError(_("Sign up as a volunteer first."))
        signup = actions.do_sign_up(slot, volunteer, acting_user=request.user)
    except ValidationError as exc:
        return Status(400, _err(exc))
    return Status(201, _signup_out(signup))


@router.post("/community/volunteer/signups/{signup_id}/withdraw", response={204: None, 400: VolunteerErrorOut})
def volunteer_signup_withdraw(request, signup_id: int):
    signup = access_my_signup(request, signup_id)
    try:
        actions.do_withdraw(signup, acting_user=request.user)
    except ValidationError as exc:
        return Status(400, _err(exc))
    return Status(204, None)


class TrainingOut(Schema):
    date: date
    title: str


class ServedOut(Schema):
    activity: str
    slot: str
    starts_at: datetime
    minutes: int


class ArchiveOut(Schema):
    volunteer: VolunteerOut
    activities_served: int
    hours: float
    served: list[ServedOut]
    trainings: list[TrainingOut]


@router.get("/community/volunteers/{volunteer_id}/archive", response=ArchiveOut)
def volunteer_archive(request, volunteer_id: int):
    """档案: activities served, hours, trainings attended."""
    volunteer = access_volunteer(request, volunteer_id)
    archive = queries.volunteer_archive(volunteer)
    return {
        "volunteer": _volunteer_out(volunteer),
        "activities_served": archive.activity_count,
        "hours": archive.hours,
        "served": [
            {
                "activity": s.slot.activity.title,
                "slot": s.slot.label,
                "starts_at": s.slot.starts_at,
                "minutes": s.minutes,
            }
            for s in archive.served
        ],
        "trainings": [{"date": t.date, "title": t.title} for t in archive.trainings],
    }


class ClassVolunteerOut(Schema):
    volunteer: VolunteerOut
    activities_served: int
    hours: float
    trainings: int


@router.get("/community/classes/{class_id}/volunteers", response=list[ClassVolunteerOut])
def class_volunteers(request, class_id: int):
    school_class = access_class(request, class_id)
    return [
        {
            "volunteer": _volunteer_out(r["volunteer"]),
            "activities_served": r["activities"],
            "hours": r["hours"],
            "trainings": len(r["trainings"]),
        }
        for r in queries.class_volunteer_rows(school_class)
    ]


class SlotIn(Schema):
    label: str
    starts_at: datetime
    ends_at: datetime
    needed: int


class ActivityIn(Schema):
    class_id: int | None = None  # none: the whole school (admins)
    kind: str = "class_outing"
    title: str
    place: str
    description: str = ""
    withdraw_until: datetime
    slots: list[SlotIn]
    guardrail_reason: str = ""


class SheetSignupOut(Schema):
    id: int
    guardian: str
    checked_in_at: datetime | None
    minutes: int


class SheetSlotOut(SlotOut):
    signups: list[SheetSignupOut]


class ActivitySheetOut(Schema):
    activity: ActivityOut
    slots: list[SheetSlotOut]


class ActivityItemOut(Schema):
    id: int
    kind: str
    title: str
    class_name: str | None
    needed: int
    taken: int
    cancelled: bool


@router.get("/community/volunteer-activities", response=list[ActivityItemOut])
def volunteer_activity_list(request):
    """Staff: the activities they manage (their class's, their own; an admin's whole school)."""
    access_staff_school(request)
    return [
        {
            "id": a.pk,
            "kind": a.kind,
            "title": a.title,
            "class_name": a.school_class.name if a.school_class else None,
            "needed": a.n_needed,
            "taken": a.n_taken,
            "cancelled": a.cancelled_at is not None,
        }
        for a in queries.activities_to_manage(staff_activity_filter(request))
    ]


@router.post("/community/volunteer-activities", response={201: ActivityOut, 400: VolunteerErrorOut})
def volunteer_activity_create(request, payload: ActivityIn):
    """Publish an activity needing helpers, with its slots; the class (or school) is asked by a notice."""
    school = access_staff_school(request)
    try:
        school_class = access_class(request, payload.class_id, manage=True) if payload.class_id else None
        activity = actions.do_create_activity(
            school,
            acting_user=request.user,
            roles=request.roles,
            school_class=school_class,
            fields=actions.ActivityFields(
                kind=payload.kind,
                title=payload.title,
                place=payload.place,
                description=payload.description,
                withdraw_until=payload.withdraw_until,
                slots=[actions.SlotSpec(s.label, s.starts_at, s.ends_at, s.needed) for s in payload.slots],
            ),
            guardrail_reason=payload.guardrail_reason,
            request=request,
        )
    except GuardrailWarning as exc:
        return Status(400, {"detail": " ".join(exc.messages)})
    except ValidationError as exc:
        return Status(400, _err(exc))
    return Status(201, _activity_out(activity, activity.slots.order_by("starts_at", "id")))


@router.get("/community/volunteer-activities/{activity_id}", response=ActivitySheetOut)
def volunteer_activity_sheet(request, activity_id: int):
    """Staff: each slot with who signed up and who checked in."""
    activity = access_activity_to_manage(request, activity_id)
    slots = queries.activity_sheet(activity)
    return {
        "activity": _activity_out(activity, slots),
        "slots": [
            {
                "id": s.pk,
                "label": s.label,
                "starts_at": s.starts_at,
                "ends_at": s.ends_at,
                "needed": s.needed,
                "taken": s.taken,
                "signups": [
                    {
                        "id": x.pk,
                        "guardian": x.volunteer.guardian.name,
                        "checked_in_at": x.checked_in_at,
                        "minutes": x.minutes,
                    }
                    for x in s.signups.all()
                ],
            }
            for s in slots
        ],
    }


class CheckInIn(Schema):
    code: str


@router.post(
    "/community/volunteer-activities/{activity_id}/check-in", response={200: SheetSignupOut, 400: VolunteerErrorOut}
)
def volunteer_activity_checkin(request, activity_id: int, payload: CheckInIn):
    """Check a helper in by their code; the slot's length is recorded as their time."""
    activity = access_activity_to_manage(request, activity_id)
    try:
        signup = actions.do_check_in_volunteer(activity, payload.code, acting_user=request.user)
    except ValidationError as exc:
        return Status(400, _err(exc))
    return {
        "id": signup.pk,
        "guardian": signup.volunteer.guardian.name,
        "checked_in_at": signup.checked_in_at,
        "minutes": signup.minutes,
    }


@router.post("/community/volunteer-activities/{activity_id}/cancel", response={204: None})
def volunteer_activity_cancel(request, activity_id: int):
    activity = access_activity_to_manage(request, activity_id)
    actions.do_cancel_activity(activity, acting_user=request.user)
    return Status(204, None)


# (end of section: volunteers)


# ==== Duty rosters and the class quantification (section: duty) ====

# (end of section: duty)


# ==== The class fund ledger (section: fund) ====

# (end of section: fund)
