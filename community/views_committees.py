"""Pages of the community app: committees (家委会) of a class, a grade and the school.

The head teacher starts the class's committee for the school year (carrying last year's over, then
editing it); admins do the same for a grade's and the school's. Families of the class see who is on
their committee and write to a member through Tongxin: no phone number is shown."""

import datetime

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from schools.access import access_admin_school, access_class

from . import actions, queries
from .access import (
    access_committee_to_manage,
    access_committee_to_see,
    access_member_to_manage,
    access_member_to_write_to,
    access_message_to_reply,
    access_working_group_member_to_manage,
    access_working_group_to_manage,
    access_working_group_to_see,
    is_committee_family,
    may_manage_committee,
)
from .models import Committee, CommitteeMember, WorkingGroupMember


def _errors(request, exc: ValidationError) -> None:
    for message in exc.messages:
        flash.error(request, message)


def _int(value) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() and len(value) < 10 else None


def _date(value) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat((value or "").strip())
    except ValueError:
        return None


@login_required
@require_http_methods(["GET", "POST"])
def class_committee(request, class_id: int):
    """The head teacher's way in: this year's committee of the class, or starting it."""
    school_class = access_class(request, class_id, manage=True)
    year = queries.current_school_year(school_class.school)
    committee = queries.class_committee(school_class, year)
    if request.method == "POST":
        try:
            committee, left_out = actions.do_start_committee(
                school_class.school,
                level=Committee.Level.CLASS,
                school_class=school_class,
                carry_over=bool(request.POST.get("carry_over")),
                acting_user=request.user,
                request=request,
            )
        except ValidationError as exc:
            _errors(request, exc)
            return redirect("community:committee_class", class_id=school_class.pk)
        if left_out:
            flash.warning(
                request,
                _("Not carried over (no longer a guardian of the class): %(names)s") % {"names": "、".join(left_out)},
            )
        return redirect("community:committee", committee_id=committee.pk)
    if committee is not None:
        return redirect("community:committee", committee_id=committee.pk)
    return render(
        request,
        "community/committees_start.html",
        {
            "school_class": school_class,
            "year": year,
            "previous": queries.previous_class_committee(school_class, year),
        },
    )


@login_required
@require_GET
def committee(request, committee_id: int):
    committee = access_committee_to_see(request, committee_id)
    manage = may_manage_committee(request.roles, committee)
    family = is_committee_family(request.roles, committee)
    members = queries.committee_members(committee)
    return render(
        request,
        "community/committees_detail.html",
        {
            "committee": committee,
            "members": members,
            "history": queries.committee_members(committee, current_only=False) if manage else [],
            "manage": manage,
            "family": family,
            "candidates": queries.committee_candidates(committee) if manage else [],
            "roles": CommitteeMember.Role.choices,
            "messages_list": queries.committee_messages(committee, request.user, manage=manage),
            "my_user_id": request.user.pk,
        },
    )


@login_required
@require_POST
def add_member(request, committee_id: int):
    committee = access_committee_to_manage(request, committee_id)
    guardian_id = _int(request.POST.get("guardian"))
    try:
        if guardian_id is None:
            raise ValidationError(_("Choose a guardian."))
        actions.do_add_committee_member(
            committee,
            guardian_id=guardian_id,
            role=request.POST.get("role", ""),
            title=request.POST.get("title", ""),
            joined_on=_date(request.POST.get("joined_on")),
            acting_user=request.user,
            request=request,
        )
    except ValidationError as exc:
        _errors(request, exc)
    return redirect("community:committee", committee_id=committee.pk)


@login_required
@require_POST
def change_member(request, member_id: int):
    """Change a member's role, or end their time on the committee (``leave``)."""
    member = access_member_to_manage(request, member_id)
    try:
        if request.POST.get("leave"):
            actions.do_end_committee_membership(member, acting_user=request.user, request=request)
        else:
            actions.do_change_committee_role(
                member,
                role=request.POST.get("role", ""),
                title=request.POST.get("title", ""),
                acting_user=request.user,
                request=request,
            )
    except ValidationError as exc:
        _errors(request, exc)
    return redirect("community:committee", committee_id=member.committee_id)


@login_required
@require_POST
def write_to_member(request, member_id: int):
    member = access_member_to_write_to(request, member_id)
    try:
        actions.do_write_to_committee_member(member, text=request.POST.get("text", ""), acting_user=request.user)
        flash.success(request, _("Your message was sent to %(name)s.") % {"name": member.guardian.name})
    except ValidationError as exc:
        _errors(request, exc)
    return redirect("community:committee", committee_id=member.committee_id)


@login_required
@require_POST
def reply(request, message_id: int):
    message = access_message_to_reply(request, message_id)
    try:
        actions.do_reply_to_committee_message(message, text=request.POST.get("text", ""), acting_user=request.user)
    except ValidationError as exc:
        _errors(request, exc)
    return redirect("community:committee", committee_id=message.committee_id)


@login_required
@require_http_methods(["GET", "POST"])
def school_committees(request):
    """Admins: this year's committees of the school, and starting a grade's or the school's."""
    school = access_admin_school(request)
    if request.method == "POST":
        try:
            committee, _left_out = actions.do_start_committee(
                school,
                level=request.POST.get("level", ""),
                grade=_int(request.POST.get("grade")),
                carry_over=bool(request.POST.get("carry_over")),
                acting_user=request.user,
                request=request,
            )
        except ValidationError as exc:
            _errors(request, exc)
            return redirect("community:committee_school")
        return redirect("community:committee", committee_id=committee.pk)
    year = queries.current_school_year(school)
    return render(
        request,
        "community/committees_school.html",
        {
            "school": school,
            "year": year,
            "committees": queries.school_committees(school, year),
            "grades": range(1, school.grade_count + 1),
        },
    )


@login_required
@require_GET
def my_committees(request):
    """Families: the committees serving their children this school year."""
    if not request.roles.is_parent:
        raise Http404
    return render(request, "community/committees_mine.html", {"committees": queries.family_committees(request.roles)})


# --- working groups -----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def working_groups(request):
    """Admins: the school's working groups, and a new one."""
    school = access_admin_school(request)
    if request.method == "POST":
        try:
            group = actions.do_create_working_group(
                school,
                name=request.POST.get("name", ""),
                purpose=request.POST.get("purpose", ""),
                acting_user=request.user,
                request=request,
            )
        except ValidationError as exc:
            _errors(request, exc)
            return redirect("community:working_groups")
        return redirect("community:working_group", group_id=group.pk)
    return render(
        request, "community/groups_list.html", {"groups": queries.school_working_groups(school), "school": school}
    )


@login_required
@require_GET
def my_working_groups(request):
    """The working groups the user serves on (staff or guardian)."""
    groups = queries.my_working_groups(request.user, request.roles.school_ids)
    return render(request, "community/groups_mine.html", {"groups": groups})


@login_required
@require_GET
def working_group(request, group_id: int):
    group = access_working_group_to_see(request, group_id)
    manage = request.roles.is_admin_of(group.school_id)
    return render(
        request,
        "community/groups_detail.html",
        {
            "group": group,
            "members": queries.working_group_members(group),
            "manage": manage,
            "is_staff": request.roles.is_staff_of(group.school_id),
            "candidates": queries.working_group_candidates(group.school) if manage else {},
            "roles": WorkingGroupMember.Role.choices,
        },
    )


@login_required
@require_POST
def working_group_add(request, group_id: int):
    group = access_working_group_to_manage(request, group_id)
    try:
        actions.do_add_working_group_member(
            group,
            staff_member_id=_int(request.POST.get("staff")),
            guardian_id=_int(request.POST.get("guardian")),
            role=request.POST.get("role", "member"),
            acting_user=request.user,
            request=request,
        )
    except ValidationError as exc:
        _errors(request, exc)
    return redirect("community:working_group", group_id=group.pk)


@login_required
@require_POST
def working_group_member(request, member_id: int):
    member = access_working_group_member_to_manage(request, member_id)
    try:
        actions.do_change_working_group_member(
            member,
            role=request.POST.get("role"),
            leave=bool(request.POST.get("leave")),
            acting_user=request.user,
            request=request,
        )
    except ValidationError as exc:
        _errors(request, exc)
    return redirect("community:working_group", group_id=member.group_id)
