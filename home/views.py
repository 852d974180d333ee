from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from accounts.consent import needs_data_consent
from notices.queries import family_feed
from schools import queries
from schools.access import access_admin_school, access_staff_school
from schools.district import districts_of

from .queries import staff_home
from .todo import todo_items
from .weekly import weekly_actions


@login_required
def home(request):
    """One page per role; a person with several roles (a teacher who is also a parent) sees each
    section. Staff (head and subject teachers, admins) start with what happened and what waits
    (``home.queries.staff_home``); a family with what needs their reply."""
    roles = request.roles
    context: dict = {}
    if not roles.school_ids and districts_of(request.user):
        # A district admin (教育局 / 集团校) is no one in the schools: their home is the district's.
        return redirect("home:district_home")
    if roles.is_school_admin:
        school = access_admin_school(request)
        classes = list(queries.school_classes(school))
        for c in classes:
            c.head = queries.head_teacher(c)
        context["admin_school"] = school
        context["admin_classes"] = classes
        context["admin_term"] = queries.current_term(school)
    if roles.is_staff:
        context["staff"] = staff_home(request.user, roles, access_staff_school(request))
    if roles.taught_class_ids:
        classes = list(queries.classes_of_teacher(roles))
        for c in classes:
            c.i_am_head = c.pk in roles.head_class_ids
        context["my_classes"] = classes
    if roles.is_parent:
        children = queries.children_of(roles)
        selected_id = request.session.get("child_id")
        context["children"] = children
        context["current_child"] = next((c for c in children if c.pk == selected_id), None)
        # What needs the family now: notices to confirm or answer, across all children (one query),
        # by the feed's own rule (notices.queries.waits_for_action).
        feed = family_feed(request.user, children=children, limit=20)
        context["to_do_notices"] = [n for n in feed if n.to_do]  # type: ignore[attr-defined]
        # A guardian who first signed in with a code never saw the consent texts: ask (accounts.consent).
        context["needs_consent"] = needs_data_consent(request.user)
    return render(request, "home/home.html", context)


@login_required
def me(request):
    """我的: every destination of the user's roles and the account's settings, one row each. The
    badges come from the top bar's context (home.context_processors.top_bar)."""
    working_school_id = access_staff_school(request).pk if request.roles.is_staff else None
    # A district admin without a school role finds their districts here (one query, only for them:
    # a teacher who is also a district admin opens /district/).
    districts = districts_of(request.user) if not request.roles.school_ids else []
    return render(request, "home/me.html", {"working_school_id": working_school_id, "districts": districts})


@login_required
def todo(request):
    """The staff member's to-do list: everything the contact book and events leave them (home.todo)."""
    school = access_staff_school(request)
    todo_list = todo_items(request.user, request.roles, school)
    return render(request, "home/todo.html", vars(todo_list))


@login_required
def week(request):
    """The family's action list across all children and schools (home.weekly)."""
    items = weekly_actions(request.user, request.roles)
    return render(request, "home/week.html", {"items": items})
