"""What every page's top bar needs: the user's roles (set by ``schools.middleware``) and the
badge of unread notices. It lives in home, above notices, because it reads notices."""

from django.http import HttpRequest

from notices.queries import unread_count


def top_bar(request: HttpRequest) -> dict[str, object]:
    context: dict[str, object] = {"roles": getattr(request, "roles", None)}
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        context["unread_notices"] = unread_count(user)
    return context
