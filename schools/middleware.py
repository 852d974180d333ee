"""The request's roles and its tenancy scope. It lives in schools because roles are computed from
schools' memberships, assignments and guardian links (``schools.roles``); core stays generic."""

from django.http import HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django_scopes import scope

from accounts.actions import has_two_factor

from .roles import Roles, compute_roles


class SchoolScopeMiddleware:
    """Compute the user's roles once and run the whole request inside their schools' scope.

    A query on a school-owned model can then only ever see rows of the user's own schools, and a
    query issued where no scope is active (a task, a command, a new code path) raises ScopeError
    rather than reading every school. Who may see which object *within* a school is decided by
    the ``access_*`` functions.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        roles = compute_roles(request.user) if request.user.is_authenticated else Roles()
        request.roles = roles
        if must_set_up_two_factor(request, roles):
            if request.path.startswith("/api/"):
                detail = _("Your school requires two-factor sign-in of admins. Turn it on in 我的 first.")
                return JsonResponse({"detail": detail}, status=403)
            return HttpResponseRedirect(reverse("accounts:two_factor"))
        with scope(school=roles.school_ids):
            return self.get_response(request)


def must_set_up_two_factor(request, roles: Roles) -> bool:
    """An admin of a school that requires two-factor sign-in, without it, is sent to set it up on
    every page but that one, signing out and the language switch (one query, only for such admins)."""
    if not any(m.is_school_admin and m.school.require_two_factor for m in roles.staff.values()):
        return False
    if request.path in (reverse("accounts:two_factor"), reverse("accounts:logout"), reverse("set_language")):
        return False
    return not has_two_factor(request.user)
