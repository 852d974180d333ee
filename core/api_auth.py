from django.http import HttpRequest
from ninja.security.base import AuthBase
from ninja.utils import check_csrf

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class SessionOrToken(AuthBase):
    """The web signs in with its session (and must send the CSRF token on writes); apps send
    ``Authorization: Bearer <key>`` (accounts.middleware resolved it before the view)."""

    openapi_type = "http"
    openapi_scheme = "bearer"

    def __call__(self, request: HttpRequest):
        if getattr(request, "auth_token", None) is not None:
            return request.user
        if getattr(request, "auth_token_invalid", False):
            return None
        if request.user.is_authenticated:
            if request.method not in SAFE_METHODS and check_csrf(request) is not None:
                return None
            return request.user
        return None
