import segno
from django.contrib import messages
from django.contrib.auth import authenticate
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.ratelimit import client_ip

from . import actions, directory, totp
from .forms import (
    CodeRequestForm,
    CodeSignInForm,
    PasswordSignInForm,
    SetPasswordForm,
    TwoFactorCodeForm,
)


def _next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return "/"


@require_http_methods(["GET", "POST"])
def sign_in(request):
    if request.user.is_authenticated and request.method == "GET":
        return redirect("home:home")
    form = PasswordSignInForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        identifier, ip = form.cleaned_data["identifier"], client_ip(request)
        try:
            actions.check_sign_in_allowed(identifier, ip)
            user = authenticate(request, username=identifier, password=form.cleaned_data["password"])
            if user is None:
                actions.note_failed_sign_in(identifier, ip, request)
                raise actions.SignInRefused(_("The mobile number, username or password is not right."))
        except actions.SignInRefused as exc:
            error = str(exc)
        else:
            if not actions.do_sign_in(request, acting_user=user, method="password", next_url=_next_url(request)):
                return redirect("accounts:login_two_factor")
            return redirect(_next_url(request))
    status = 400 if error or form.errors else 200
    return render(
        request,
        "accounts/sign_in.html",
        {"form": form, "error": error, "code_form": CodeRequestForm(), "next": _next_url(request)},
        status=status,
    )


@require_http_methods(["GET", "POST"])
def sign_in_with_code(request):
    """Step 1 (send): ask for a code. Step 2 (verify): type it in. The answer to step 1 is the same
    whether or not the number is registered."""
    step = request.POST.get("step", "send")
    error = ""
    sent = False
    if request.method == "POST" and step == "send":
        form = CodeRequestForm(request.POST)
        if form.is_valid():
            try:
                actions.do_request_sms_code(form.cleaned_data["phone"], ip=client_ip(request))
                sent = True
            except actions.SignInRefused as exc:
                error = str(exc)
        form = CodeSignInForm(initial={"phone": request.POST.get("phone", "")}) if sent else form
    elif request.method == "POST":
        form = CodeSignInForm(request.POST)
        sent = True
        if form.is_valid():
            try:
                user = actions.do_sign_in_with_code(form.cleaned_data["phone"], form.cleaned_data["code"])
            except actions.SignInRefused as exc:
                error = str(exc)
            else:
                if not actions.do_sign_in(request, acting_user=user, method="sms code", next_url=_next_url(request)):
                    return redirect("accounts:login_two_factor")
                if not user.has_usable_password():
                    messages.info(request, _("Signed in. You can set a password so that next time no code is needed."))
                return redirect(_next_url(request))
    else:
        form = CodeRequestForm()
    status = 400 if error or form.errors else 200
    return render(
        request,
        "accounts/sign_in_code.html",
        {"form": form, "sent": sent, "error": error, "next": _next_url(request)},
        status=status,
    )


@require_POST
def sign_out(request):
    actions.do_sign_out(request, acting_user=request.user if request.user.is_authenticated else None)
    return redirect("accounts:login")


@login_required
@require_http_methods(["GET", "POST"])
def set_password(request):
    form = SetPasswordForm(
        request.POST or None,
        user=request.user,
        proved_phone=bool(request.session.get("proved_phone_at_sign_in")),
    )
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_set_password(form.cleaned_data["password"], acting_user=request.user, request=request)
        except ValidationError as exc:
            form.add_error("password", exc)
        else:
            messages.success(request, _("Your password is set."))
            return redirect("home:home")
    return render(request, "accounts/set_password.html", {"form": form}, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
def sign_in_two_factor(request):
    """The second step of signing in for a user with two-factor sign-in on: the password (or SMS
    code) was right, and nobody is signed in until the authenticator's code is too."""
    found = actions.pending_two_factor(request)
    if found is None:
        if request.method == "POST":
            messages.error(request, _("The time to type the code has run out. Please sign in again."))
        return redirect("accounts:login")
    user, pending = found
    form = TwoFactorCodeForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            next_url = actions.do_finish_two_factor_sign_in(
                request, form.cleaned_data["code"], pending=pending, acting_user=user
            )
        except actions.SignInRefused as exc:
            error = str(exc)
        else:
            return redirect(next_url)
    status = 400 if error or form.errors else 200
    return render(request, "accounts/sign_in_two_factor.html", {"form": form, "error": error}, status=status)


SETUP_SECRET_KEY = "two_factor_setup_secret"  # noqa: S105 (a session key's name)


@login_required
@require_http_methods(["GET", "POST"])
def two_factor(request):
    """Turn two-factor sign-in on or off (我的 → 两步验证). Staff only; someone who has it on and is
    no longer staff may still turn it off. Turning on: a secret is made and kept in the session
    (nothing is written until the first code proves the app has it), shown as a QR code and as
    text; the ten recovery codes are shown once, in the answer to the confirming POST."""
    is_on = actions.has_two_factor(request.user)
    if not is_on and not directory.is_staff(request.user):
        raise Http404
    form = TwoFactorCodeForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["code"]
        try:
            if request.POST.get("action") == "off" and is_on:
                actions.do_turn_off_two_factor(code, acting_user=request.user, request=request)
                messages.success(request, _("Two-factor sign-in is off."))
                return redirect("accounts:two_factor")
            if request.POST.get("action") == "on" and not is_on and request.session.get(SETUP_SECRET_KEY):
                codes = actions.do_turn_on_two_factor(
                    request.session[SETUP_SECRET_KEY], code, acting_user=request.user, request=request
                )
                request.session.pop(SETUP_SECRET_KEY, None)
                return render(request, "accounts/two_factor.html", {"is_on": True, "recovery_codes": codes})
        except actions.SignInRefused as exc:
            error = str(exc)
    context: dict = {"is_on": is_on, "form": form, "error": error}
    if is_on:
        context["unused_codes"] = actions.unused_recovery_codes(request.user)
    else:
        secret = request.session.get(SETUP_SECRET_KEY) or totp.new_secret()
        request.session[SETUP_SECRET_KEY] = secret
        uri = totp.provisioning_uri(secret, request.user.username)
        context.update(
            secret=" ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
            qr=segno.make(uri, error="m").svg_data_uri(scale=5, border=2),
        )
    return render(request, "accounts/two_factor.html", context, status=400 if error or form.errors else 200)
