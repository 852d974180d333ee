def roles(request):
    return {"roles": getattr(request, "roles", None)}
