from django.utils import timezone

from . import actions
from .models import ApiToken


class BearerTokenMiddleware:
    """Apps send ``Authorization: Bearer txk_…`` to /api/. A valid token signs the request in as
    its user (no session, no CSRF: the browser never sends this header by itself)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.auth_token = None
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if request.path.startswith("/api/") and header.startswith("Bearer "):
            key = header.removeprefix("Bearer ").strip()
            token = (
                ApiToken.objects.select_related("user")
                .filter(key_hash=ApiToken.hash_key(key), revoked_at__isnull=True, user__is_active=True)
                .first()
            )
            if token is not None:
                request.user = token.user
                request.auth_token = token
                now = timezone.now()
                if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 300:
                    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
            else:
                request.auth_token_invalid = True
        return self.get_response(request)


class SessionIdleMiddleware:
    """Keep a signed-in browser session alive while it is used: its expiry (set at sign-in by
    role, ``accounts.actions.start_session_clock``) moves on at most every few minutes, so an
    idle session ends and an active one does not cost a write per request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.auth_token is None and request.user.is_authenticated:
            actions.refresh_session_expiry(request)
        return self.get_response(request)
