from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from core.ratelimit import client_ip

from . import actions

router = Router(tags=["accounts"])


class TokenIn(Schema):
    identifier: str
    password: str
    name: str = ""
    # Required of a user with two-factor sign-in on: the authenticator's current code or a recovery code.
    code: str = ""


class TokenOut(Schema):
    token: str


class ErrorOut(Schema):
    detail: str


@router.post("/auth/token", auth=None, response={201: TokenOut, 400: ErrorOut, 429: ErrorOut})
def create_token(request, payload: TokenIn):
    """Exchange a phone number (or username) and password for a bearer token, shown once.
    Limited like the sign-in page. A user with two-factor sign-in on must also send ``code``:
    without it, or with a wrong one, no token (a wrong code counts like a wrong password)."""
    ip = client_ip(request)
    try:
        actions.check_sign_in_allowed(payload.identifier, ip)
    except actions.SignInRefused as exc:
        return Status(429, {"detail": str(exc)})
    user = authenticate(request, username=payload.identifier, password=payload.password)
    if user is None:
        actions.note_failed_sign_in(payload.identifier, ip, request)
        return Status(400, {"detail": _("The mobile number, username or password is not right.")})
    if actions.has_two_factor(user):
        if not payload.code:
            return Status(400, {"detail": _("Two-factor sign-in is on for this account: send the code as well.")})
        if not actions.check_second_factor(user, payload.code):
            actions.note_failed_sign_in(payload.identifier, ip, request)
            return Status(400, {"detail": _("The code is not right.")})
    return Status(201, {"token": actions.do_create_api_token(acting_user=user, name=payload.name, request=request)})


@router.delete("/auth/token", response={204: None, 400: ErrorOut})
def revoke_token(request):
    """Revoke the token this request was made with."""
    token = getattr(request, "auth_token", None)
    if token is None:
        return Status(400, {"detail": _("This request was not made with a token.")})
    actions.do_revoke_api_token(token, acting_user=token.user, request=request)
    return Status(204, None)
