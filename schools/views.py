from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from audit.models import AuditEntry
from audit.queries import school_log
from core.phones import mask_phone

from . import actions, queries
from .access import (
    access_admin_school,
    access_assignment,
    access_class,
    access_class_to_administer,
    access_guardian_to_manage,
    access_school_to_work_in,
    access_staff_member,
    access_student,
    access_term,
)
from .forms import AssignmentForm, ClassForm, PromoteYearForm, StaffForm, StudentForm, TermForm
from .models import SchoolClass, StaffAssignment, StaffMember, Term


def _first_submit(form_key: str) -> bool:
    """True the first time a form with this key is sent (cache.add is atomic in Redis and locmem)."""
    if not form_key:
        return True
    from django.core.cache import cache

    return bool(cache.add(f"form-submitted:{form_key}", 1, timeout=24 * 3600))


def _error_list(exc: ValidationError) -> str:
    return " ".join(exc.messages)


@login_required
@require_http_methods(["GET", "POST"])
def setup_terms(request):
    school = access_admin_school(request)
    form = TermForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_create_term(school, acting_user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Term created."))
            return redirect("schools:setup_terms")
    terms = Term.objects.filter(school=school)
    return render(
        request,
        "schools/setup_terms.html",
        {"school": school, "terms": terms, "form": form, "tab": "terms"},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def make_term_current(request, term_id: int):
    term = access_term(request, term_id)
    try:
        actions.do_set_current_term(term, acting_user=request.user)
    except ValidationError as exc:
        messages.error(request, _error_list(exc))
    else:
        messages.success(request, _("“%(name)s” is now the current term.") % {"name": term.name})
    return redirect("schools:setup_terms")


@login_required
@require_http_methods(["GET", "POST"])
def setup_classes(request):
    school = access_admin_school(request)
    form = ClassForm(request.POST or None, grade_count=school.grade_count)
    if request.method == "POST" and form.is_valid():
        grade, number = form.cleaned_data["name"]
        try:
            school_class = actions.do_create_class(school, grade=grade, number=number, acting_user=request.user)
        except ValidationError as exc:
            form.add_error("name", exc)
        else:
            messages.success(request, _("%(name)s created.") % {"name": school_class.name})
            return redirect("schools:setup_classes")
    classes = list(queries.school_classes(school))
    for c in classes:
        c.head = queries.head_teacher(c)
    return render(
        request,
        "schools/setup_classes.html",
        {"school": school, "classes": classes, "form": form, "tab": "classes"},
        status=400 if form.errors else 200,
    )


def _assignment_form(school, data=None) -> AssignmentForm:
    staff_choices = [
        (m.pk, m.user.display_name)
        for m in StaffMember.objects.filter(school=school, is_active=True).select_related("user")
    ]
    class_choices = [(c.pk, c.name) for c in SchoolClass.objects.filter(school=school, graduated_at__isnull=True)]
    return AssignmentForm(data, staff_choices=staff_choices, class_choices=class_choices)


@login_required
@require_http_methods(["GET", "POST"])
def setup_staff(request):
    school = access_admin_school(request)
    form = StaffForm(request.POST if request.POST.get("form") == "staff" else None)
    assign_form = _assignment_form(school, request.POST if request.POST.get("form") == "assign" else None)
    if request.method == "POST" and request.POST.get("form") == "staff" and form.is_valid():
        try:
            actions.do_add_staff(school, acting_user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("%(name)s added to the staff.") % {"name": form.cleaned_data["name"]})
            return redirect("schools:setup_staff")
    if request.method == "POST" and request.POST.get("form") == "assign" and assign_form.is_valid():
        data = assign_form.cleaned_data
        # The form offers only this school's staff and classes; the access functions say so again.
        member = access_staff_member(request, data["staff"])
        school_class = access_class_to_administer(request, data["school_class"])
        try:
            actions.do_assign_role(
                member, school_class, role=data["role"], subject=data["subject"], acting_user=request.user
            )
        except ValidationError as exc:
            assign_form.add_error(None, exc)
        else:
            messages.success(request, _("Role assigned."))
            return redirect("schools:setup_staff")
    has_errors = bool(form.errors or assign_form.errors)
    return render(
        request,
        "schools/setup_staff.html",
        {
            "school": school,
            "staff": queries.staff_of_school(school),
            "form": form,
            "assign_form": assign_form,
            "tab": "staff",
        },
        status=400 if has_errors else 200,
    )


@login_required
@require_POST
def remove_assignment(request, assignment_id: int):
    assignment = access_assignment(request, assignment_id)
    actions.do_remove_assignment(assignment, acting_user=request.user)
    messages.success(request, _("Role removed."))
    return redirect("schools:setup_staff")


@login_required
@require_POST
def set_staff_admin(request, member_id: int):
    member = access_staff_member(request, member_id)
    try:
        actions.do_set_school_admin(member, is_admin=request.POST.get("is_admin") == "1", acting_user=request.user)
    except ValidationError as exc:
        messages.error(request, _error_list(exc))
    else:
        messages.success(request, _("Role changed."))
    return redirect("schools:setup_staff")


@login_required
@require_POST
def set_staff_care(request, member_id: int):
    """Mark a staff member as care staff, who see every student's care records, or unmark them."""
    member = access_staff_member(request, member_id, active_only=True)
    is_care_staff = request.POST.get("is_care_staff") == "1"
    try:
        actions.do_set_care_staff(member, is_care_staff=is_care_staff, acting_user=request.user)
    except ValidationError as exc:
        messages.error(request, _error_list(exc))
    else:
        messages.success(request, _("Role changed."))
    return redirect("schools:setup_staff")


@login_required
@require_POST
def set_two_factor_required(request):
    """The school setting: its admins must use two-factor sign-in (学校设置 → 教职工)."""
    school = access_admin_school(request)
    required = request.POST.get("required") == "1"
    actions.do_set_two_factor_required(school, required=required, acting_user=request.user)
    if required:
        messages.success(request, _("School admins must now use two-factor sign-in."))
    else:
        messages.success(request, _("Two-factor sign-in is no longer required of school admins."))
    return redirect("schools:setup_staff")


@login_required
@require_POST
def deactivate_staff(request, member_id: int):
    member = access_staff_member(request, member_id, active_only=True)
    try:
        actions.do_deactivate_staff(member, acting_user=request.user)
    except ValidationError as exc:
        messages.error(request, _error_list(exc))
    else:
        messages.success(request, _("%(name)s has left the staff.") % {"name": member.user.display_name})
    return redirect("schools:setup_staff")


@login_required
@require_http_methods(["GET", "POST"])
def promote_year(request):
    school = access_admin_school(request)
    form = PromoteYearForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            term = actions.do_promote_school_year(
                school,
                name=data["name"],
                start_date=data["start_date"],
                end_date=data["end_date"],
                acting_user=request.user,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The school has moved to %(name)s.") % {"name": term.name})
            return redirect("schools:setup_classes")
    return render(
        request,
        "schools/promote_year.html",
        {"school": school, "form": form, "current": queries.current_term(school), "tab": "year"},
        status=400 if form.errors else 200,
    )


@login_required
def audit_log(request):
    school = access_admin_school(request)
    action = request.GET.get("action", "")
    return render(
        request,
        "schools/audit_log.html",
        {
            "school": school,
            "entries": school_log(school, action=action),
            "actions": AuditEntry.Action.choices,
            "action": action,
            "tab": "audit",
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def class_page(request, class_id: int):
    school_class = access_class(request, class_id)
    can_manage = request.roles.can_manage_class(school_class)
    form = StudentForm(request.POST or None) if can_manage else None
    if request.method == "POST":
        if not can_manage:
            raise Http404
        assert form is not None
        if form.is_valid() and not _first_submit(form.cleaned_data.get("form_key", "")):
            messages.info(request, _("This form was already sent; nothing was added twice."))
            return redirect("schools:class", class_id=school_class.pk)
        if form.is_valid():
            data = form.cleaned_data
            try:
                student = actions.do_add_student(
                    school_class,
                    name=data["name"],
                    student_number=data["student_number"],
                    gender=data["gender"],
                    guardians=form.guardians(),
                    acting_user=request.user,
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("%(name)s added.") % {"name": student.name})
                return redirect("schools:class", class_id=school_class.pk)
    students = list(queries.class_roster(school_class))
    is_admin = request.roles.is_admin_of(school_class.school_id)
    colleagues = queries.colleague_guardian_ids(students) if can_manage and not is_admin else set()
    for student in students:
        for link in student.guardian_links.all():
            link.guardian.shown_phone = link.guardian.phone if can_manage else mask_phone(link.guardian.phone)
            # A parent on the staff is managed by the school's admin only (schools.access).
            link.guardian.managed_here = can_manage and link.guardian.pk not in colleagues
    teachers = list(
        StaffAssignment.objects.filter(school_class=school_class, term__is_current=True).select_related("staff__user")
    )
    return render(
        request,
        "schools/class_page.html",
        {
            "school_class": school_class,
            "students": queries.filter_roster(students, q=request.GET.get("q", ""), show=request.GET.get("show", "")),
            "summary": queries.roster_summary(students),
            "q": request.GET.get("q", ""),
            "show": request.GET.get("show", ""),
            "teachers": teachers,
            "can_manage": can_manage,
            "can_erase": is_admin,
            "form": form,
        },
        status=400 if form is not None and form.errors else 200,
    )


@login_required
@require_POST
def reset_guardian_access(request, guardian_id: int):
    guardian = access_guardian_to_manage(request, guardian_id)
    is_admin = request.roles.is_admin_of(guardian.school_id)
    actions.do_reset_guardian_access(
        guardian,
        acting_user=request.user,
        request=request,
        class_ids=None if is_admin else set(request.roles.head_class_ids),
    )
    messages.success(
        request,
        _("%(name)s is signed out everywhere and signs in again with a code sent to %(phone)s.")
        % {"name": guardian.name, "phone": mask_phone(guardian.phone)},
    )
    back = request.POST.get("back", "")
    if back.startswith("/classes/") and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return redirect(back)
    return redirect("home:home")


@login_required
def my_children(request):
    if not request.roles.is_parent:
        raise Http404
    children = queries.children_of(request.roles)
    selected = request.session.get("child_id")
    return render(request, "schools/my_children.html", {"children": children, "selected": selected})


@login_required
@require_POST
def select_child(request, student_id: int):
    student = access_student(request, student_id)
    if student.pk not in request.roles.child_ids:
        raise Http404
    request.session["child_id"] = student.pk
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("schools:children")


@login_required
@require_POST
def switch_school(request):
    """A staff member of several schools chooses the one they work in: the school pages, the
    to-do list, notices and surveys then show that school (``access_staff_school`` and
    ``access_admin_school`` read the choice from the session)."""
    raw = request.POST.get("school", "")
    school = access_school_to_work_in(request, int(raw) if raw.isdigit() else 0)
    request.session["school_id"] = school.pk
    messages.success(request, _("You are now working in %(school)s.") % {"school": school.name})
    return redirect("home:home")
