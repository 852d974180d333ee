"""The request's roles and its tenancy scope. It lives in schools because roles are computed from
schools' memberships, assignments and guardian links (``schools.roles``); core stays generic."""

from django_scopes import scope

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
        with scope(school=roles.school_ids):
            return self.get_response(request)
