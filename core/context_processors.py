def roles(request):
    context = {"roles": getattr(request, "roles", None)}
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        from notices.queries import unread_count

        context["unread_notices"] = unread_count(user)
    return context
