"""Bringing families on board: the head teacher's onboarding page, the public join and
activation pages, and the parent's own family page."""

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts import actions as account_actions
from accounts import consent
from accounts.models import SmsCode
from core import ratelimit
from core.ratelimit import client_ip

from . import onboarding, queries
from .access import access_class, access_join_request, access_my_child
from .forms import AddGuardianForm, ChangePhoneForm, JoinForm, RelationshipForm, consents_given
from .models import JoinLink, JoinRequest, Student


def _qr(url: str) -> str:
    return segno.make(url, error="m").svg_data_uri(scale=5, border=2)


def join_url(link: JoinLink) -> str:
    from django.conf import settings

    return f"{settings.SITE_URL}/join/{link.token}/"


@login_required
def class_onboarding(request, class_id: int):
    school_class = access_class(request, class_id, manage=True)
    statuses = onboarding.onboarding_status(school_class)
    link = JoinLink.objects.filter(school_class=school_class, revoked_at__isnull=True, term__is_current=True).first()
    pending = JoinRequest.objects.filter(school_class=school_class, status=JoinRequest.Status.PENDING).select_related(
        "student"
    )
    students = Student.objects.filter(school_class=school_class, status=Student.Status.ACTIVE).order_by("name")
    counts = {state: sum(1 for s in statuses if s.state == state) for state in ("joined", "invited", "not_reached")}
    return render(
        request,
        "schools/onboarding.html",
        {
            "school_class": school_class,
            "statuses": statuses,
            "counts": counts,
            "link": link,
            "link_url": join_url(link) if link else "",
            "qr": _qr(join_url(link)) if link else "",
            "pending": pending,
            "students": students,
            "changes": onboarding.recent_family_changes(school_class),
        },
    )


@login_required
@require_POST
def class_join_link(request, class_id: int):
    school_class = access_class(request, class_id, manage=True)
    try:
        if request.POST.get("action") == "replace":
            onboarding.do_replace_join_link(school_class, acting_user=request.user)
            messages.success(request, _("The old join code no longer works. Show or print the new one."))
        else:
            onboarding.active_join_link(school_class, acting_user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("schools:onboarding", class_id=school_class.pk)


def _not_joined(school_class):
    return [s.guardian for s in onboarding.onboarding_status(school_class) if s.state != "joined"]


@login_required
@require_POST
def class_remind(request, class_id: int):
    school_class = access_class(request, class_id, manage=True)
    sent = onboarding.do_create_activation_links(
        _not_joined(school_class), acting_user=request.user, send_sms=True, school=school_class.school
    )
    messages.success(
        request,
        _("Activation links sent by SMS to %(n)d families. Families reminded in the last 24 hours were skipped.")
        % {"n": len(sent)},
    )
    return redirect("schools:onboarding", class_id=school_class.pk)


@login_required
@require_POST
def class_activation_sheet(request, class_id: int):
    """A printable sheet: one QR code per family that has not joined, each a one-time link."""
    school_class = access_class(request, class_id, manage=True)
    statuses = {s.guardian.pk: s for s in onboarding.onboarding_status(school_class)}
    tokens = onboarding.do_create_activation_links(
        [s.guardian for s in statuses.values() if s.state != "joined"],
        acting_user=request.user,
        send_sms=False,
        school=school_class.school,
    )
    cards = [
        {
            "guardian": guardian,
            "students": statuses[guardian.pk].students,
            "qr": _qr(onboarding.activation_url(token)),
            "url": onboarding.activation_url(token),
        }
        for guardian, token in tokens
    ]
    return render(request, "schools/activation_sheet.html", {"school_class": school_class, "cards": cards})


@login_required
@require_POST
def decide_join_request(request, join_request_id: int):
    join_request = access_join_request(request, join_request_id)
    approve = request.POST.get("decision") == "approve"
    student = None
    if approve:
        student = queries.active_student_of_class(join_request.school_class, request.POST.get("student") or 0)
    try:
        onboarding.do_decide_join_request(join_request, approve=approve, student=student, acting_user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Approved.") if approve else _("Refused."))
    return redirect("schools:onboarding", class_id=join_request.school_class_id)


# --- public pages ---------------------------------------------------------------------------------

JOIN_SESSION_KEY = "join_pending"


@require_http_methods(["GET", "POST"])
def join(request, token: str):
    """A parent scans the class QR code. Step 1: who they are and which child; a code goes to their
    phone. Step 2: the code. Limits per address and per link stop anyone guessing children."""
    link = onboarding.find_join_link(token)
    if link is None:
        return render(request, "schools/join_invalid.html", status=404)
    ip = client_ip(request)
    step = request.POST.get("step", "details")
    error = ""
    form = JoinForm(request.POST if request.method == "POST" and step == "details" else None)
    pending = request.session.get(JOIN_SESSION_KEY)
    if request.method == "POST" and step == "details" and form.is_valid():
        try:
            if not ratelimit.hit("join_ip", f"{ip}|{link.pk}", 10, 3600) or not ratelimit.hit(
                "join_link", str(link.pk), 300, 3600
            ):
                raise account_actions.SignInRefused(_("Too many attempts. Please try again in an hour."))
            phone = account_actions.do_request_sms_code(form.cleaned_data["phone"], ip=ip, purpose=SmsCode.Purpose.JOIN)
        except ratelimit.RateLimitUnavailable:
            error = _("Codes cannot be sent right now. Please try again in a few minutes.")
        except account_actions.SignInRefused as exc:
            error = str(exc)
        else:
            request.session[JOIN_SESSION_KEY] = {**form.cleaned_data, "phone": phone, "token": token}
            pending = request.session[JOIN_SESSION_KEY]
            step = "code"
    elif request.method == "POST" and step == "code":
        if not pending or pending.get("token") != token:
            return redirect("schools:join", token=token)
        try:
            phone = account_actions.check_sms_code(
                pending["phone"], request.POST.get("code", ""), purpose=SmsCode.Purpose.JOIN
            )
        except account_actions.SignInRefused as exc:
            error = str(exc)
        else:
            try:
                outcome, user = onboarding.do_join_class(
                    link,
                    phone=phone,
                    guardian_name=pending["guardian_name"],
                    relationship=pending["relationship"],
                    child_name=pending["child_name"],
                    fact=pending["fact"],
                    consents=consents_given(pending),
                    request=request,
                )
            except account_actions.SignInRefused as exc:
                request.session.pop(JOIN_SESSION_KEY, None)
                return render(
                    request,
                    "schools/join.html",
                    {"link": link, "form": JoinForm(), "step": "details", "error": str(exc), **consent_texts()},
                    status=400,
                )
            request.session.pop(JOIN_SESSION_KEY, None)
            if not account_actions.do_sign_in(request, acting_user=user, method="join link"):
                return redirect("accounts:login_two_factor")  # a staff member's account with two-factor on
            if outcome.linked_student is not None:
                messages.success(
                    request,
                    _("Welcome! You are now linked to %(child)s in %(class)s.")
                    % {"child": outcome.linked_student.name, "class": link.school_class.name},
                )
                return redirect("accounts:set_password" if not user.has_usable_password() else "schools:children")
            messages.info(
                request,
                _("We could not confirm the details automatically. The head teacher will check and link you soon."),
            )
            return redirect("home:home")
    return render(
        request,
        "schools/join.html",
        {
            "link": link,
            "form": form,
            "step": step,
            "error": error,
            "pending": pending,
            **consent_texts(),
        },
        status=400 if error or form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
def activate(request, token: str):
    link = onboarding.find_activation_link(token)
    if link is None:
        return render(request, "schools/activate_invalid.html", status=404)
    # Someone else is signed in on this phone or browser (a shared family phone, a teacher testing
    # the slip): using the link would silently change whose session this is. Ask first.
    signed_in_as_other = request.user.is_authenticated and request.user.phone != link.guardian.phone
    if request.method == "POST" and signed_in_as_other and request.POST.get("switch") != "yes":
        children = onboarding.children_of_guardian(link.guardian)
        context = {"link": link, "children": children, "signed_in_as_other": True, "must_confirm": True}
        context.update(consent_texts())
        return render(request, "schools/activate.html", context, status=409)
    if request.method == "POST" and not request.POST.get("consent_data"):
        children = onboarding.children_of_guardian(link.guardian)
        context = {
            "link": link,
            "children": children,
            "signed_in_as_other": signed_in_as_other,
            "consent_missing": True,
        }
        context.update(consent_texts())
        return render(request, "schools/activate.html", context, status=400)
    if request.method == "POST":
        try:
            user = onboarding.do_use_activation_link(link, consents=consents_given(request.POST), request=request)
        except onboarding.PhoneHasAccount:
            messages.info(request, _("This number already has an account. Sign in with a code sent to it."))
            return redirect("accounts:login_code")
        except account_actions.SignInRefused:
            user = None
        if user is None:
            return render(request, "schools/activate_invalid.html", status=404)
        if not account_actions.do_sign_in(request, acting_user=user, method="activation link"):
            return redirect("accounts:login_two_factor")
        messages.success(request, _("Welcome! Set a password so that you can sign in again easily."))
        return redirect("accounts:set_password")
    children = onboarding.children_of_guardian(link.guardian)
    context = {"link": link, "children": children, "signed_in_as_other": signed_in_as_other}
    context.update(consent_texts())
    return render(request, "schools/activate.html", context)


def consent_texts() -> dict:
    """The current consent texts for the joining pages (``accounts.consent``)."""
    return {
        "data_text": consent.consent_text("data", consent.DATA_VERSION),
        "sms_text": consent.consent_text("sms", consent.SMS_VERSION),
        "consent_version": consent.DATA_VERSION,
    }


# --- the parent's own family page -------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def family(request):
    if not request.roles.is_parent:
        raise Http404
    form_name = request.POST.get("form", "")
    rel_form = RelationshipForm(request.POST if form_name == "relationship" else None)
    add_form = AddGuardianForm(request.POST if form_name == "add_guardian" else None)
    if request.method == "POST":
        raw = request.POST.get("student", "")
        student = access_my_child(request, int(raw) if raw.isdigit() else 0)
        try:
            if form_name == "relationship" and rel_form.is_valid():
                onboarding.do_update_my_relationship(
                    student, rel_form.cleaned_data["relationship"], acting_user=request.user, request=request
                )
                messages.success(request, _("Saved. The head teacher can see the change."))
                return redirect("schools:family")
            if form_name == "add_guardian" and add_form.is_valid():
                onboarding.do_add_second_guardian(
                    student, acting_user=request.user, request=request, **add_form.cleaned_data
                )
                messages.success(request, _("Added. They can now sign in with a code sent to their phone."))
                return redirect("schools:family")
        except ValidationError as exc:
            (rel_form if form_name == "relationship" else add_form).add_error(None, exc)
    children = onboarding.family_of(request.user, request.roles.child_ids)
    return render(
        request,
        "schools/family.html",
        {"children": children, "rel_form": rel_form, "add_form": add_form, "phone_form": ChangePhoneForm()},
        status=400 if rel_form.errors or add_form.errors else 200,
    )


@login_required
@require_POST
def family_phone(request):
    """Change one's own number: step 1 sends a code to the new number, step 2 checks it."""
    if not request.roles.is_parent:
        raise Http404
    form = ChangePhoneForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("schools:family")
    try:
        if form.cleaned_data.get("code"):
            phone = account_actions.check_sms_code(
                form.cleaned_data["phone"], form.cleaned_data["code"], purpose=SmsCode.Purpose.PHONE_CHANGE
            )
            onboarding.do_change_my_phone(phone, acting_user=request.user, request=request)
            messages.success(request, _("Your mobile number is changed. Sign in with the new number from now on."))
        else:
            # A stolen session alone must not move the account to the thief's phone.
            if request.user.has_usable_password() and not request.user.check_password(
                form.cleaned_data.get("current_password", "")
            ):
                raise ValidationError(_("The current password is not right."))
            account_actions.do_request_sms_code(
                form.cleaned_data["phone"], ip=client_ip(request), purpose=SmsCode.Purpose.PHONE_CHANGE
            )
            request.session["phone_change"] = form.cleaned_data["phone"]
            messages.info(request, _("A code was sent to the new number. Enter it below."))
    except (account_actions.SignInRefused, ValidationError) as exc:
        messages.error(request, str(exc) if isinstance(exc, account_actions.SignInRefused) else " ".join(exc.messages))
    return redirect("schools:family")
