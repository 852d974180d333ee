"""What every page's top bar needs: the user's roles (set by ``schools.middleware``) and the
notices badge: how many notices still want something of the user, unread or not yet answered
(``notices.queries.wanting_count``: a survey opened but not answered still counts). It lives in
home, above notices, because it reads notices."""

from django.http import HttpRequest

from notices.queries import wanting_count


def top_bar(request: HttpRequest) -> dict[str, object]:
    context: dict[str, object] = {"roles": getattr(request, "roles", None)}
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        context["unread_notices"] = wanting_count(user)  # the name base.html reads
    return context
