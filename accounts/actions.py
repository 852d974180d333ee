"""Signing in and out, one-time codes, API tokens. What the schools know of a person (their schools,
a guardian's phone, activation) is asked of ``accounts.directory``: accounts sits below schools.

Actions take ``*, acting_user``, the person signing in, out or changing their own access; the two
a visitor who is not signed in runs (``do_request_sms_code``, ``do_sign_in_with_code``) take none:
they prove a phone first."""

import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import login, logout
from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.actions import record
from audit.models import AuditEntry, SignInMethod
from core import ratelimit
from core.phones import InvalidPhone, is_phone, mask_phone, normalize_phone
from delivery.tasks import send_sms_task

from . import directory
from .models import ApiToken, FailedSignIn, SmsCode, User

Action = AuditEntry.Action
BACKEND = "accounts.backends.PhoneOrUsernameBackend"


class SignInRefused(Exception):
    """Shown to the user as it is: the message says what to do, never whether the account exists."""


def _limits(name: str):
    return settings.TONGXIN_LIMITS[name]


def identity_key(identifier: str) -> str:
    identifier = identifier.strip()
    return normalize_phone(identifier) if is_phone(identifier) else identifier.lower()


def _failure_keys(identifier: str, ip: str) -> tuple[str, str]:
    return FailedSignIn.failure_key("identity", identity_key(identifier)), FailedSignIn.failure_key("ip", ip)


def check_sign_in_allowed(identifier: str, ip: str) -> None:
    """Refuse before checking the password while too many attempts have failed. Counters are
    per identity+address (the tight one), per identity and per address; a stranger hammering a
    parent's number from elsewhere slows that number, but the parent can still use an SMS code.
    The failures are counted in the database (one query): a cache outage or restart cannot open a
    locked account, and sign-in does not depend on the cache at all."""
    ident, address = _failure_keys(identifier, ip)
    (pair_limit, pair_window), (ident_limit, ident_window), (ip_limit, ip_window) = (
        _limits("login_per_identity_ip"),
        _limits("login_per_identity"),
        _limits("login_per_ip"),
    )
    now = timezone.now()

    def since(window: int) -> Q:
        return Q(created_at__gte=now - timedelta(seconds=window))

    counts = FailedSignIn.objects.filter(
        Q(identity_key=ident) | Q(ip_key=address), since(max(pair_window, ident_window, ip_window))
    ).aggregate(
        pair=Count("pk", filter=Q(identity_key=ident, ip_key=address) & since(pair_window)),
        identity=Count("pk", filter=Q(identity_key=ident) & since(ident_window)),
        address=Count("pk", filter=Q(ip_key=address) & since(ip_window)),
    )
    if counts["pair"] >= pair_limit or counts["identity"] >= ident_limit or counts["address"] >= ip_limit:
        raise SignInRefused(_("Too many failed attempts. Wait 15 minutes, or sign in with a code sent by SMS."))


def note_failed_sign_in(identifier: str, ip: str, request=None) -> None:
    ident, address = _failure_keys(identifier, ip)
    now = timezone.now()
    FailedSignIn.objects.create(identity_key=ident, ip_key=address, created_at=now)
    # The longest window is 15 minutes: what is a day old counts for nothing (an indexed delete).
    FailedSignIn.objects.filter(created_at__lt=now - timedelta(days=1)).delete()
    shown = (
        mask_phone(identity_key(identifier)) if is_phone(identity_key(identifier)) else identity_key(identifier)[:64]
    )
    record(Action.SIGN_IN_FAILED, summary=shown, request=request)


def do_sign_in(request, *, acting_user: User, method: SignInMethod) -> None:
    """Sign in ``acting_user``, who has just proven who they are (``method``). ``login`` gives the
    browser a new session key (no fixation)."""
    user = acting_user
    login(request, user, backend=BACKEND)
    # A sign-in that proved the phone just now (a code or a one-time link) may set a new password
    # without the old one: that is how a parent who forgot it gets back in.
    request.session["proved_phone_at_sign_in"] = method != "password"
    # A success from this address clears its failures for this account (the other counters stay).
    ident, address = _failure_keys(user.phone or user.username, ratelimit.client_ip(request))
    FailedSignIn.objects.filter(identity_key=ident, ip_key=address).delete()
    record(Action.SIGN_IN, actor=user, schools=directory.schools_of(user), summary=method, request=request)


def do_sign_out(request, *, acting_user: User | None) -> None:
    """Sign out; ``acting_user`` is None when nobody was signed in (nothing to audit)."""
    user = acting_user
    if user is not None:
        record(Action.SIGN_OUT, actor=user, schools=directory.schools_of(user), request=request)
    logout(request)


def do_request_sms_code(raw_phone: str, *, ip: str, purpose: str = SmsCode.Purpose.LOGIN) -> str:
    """Send a one-time code and return the normalised phone. For signing in, the code goes only
    to a known phone, and the caller shows the same answer whether or not the number is known.
    For joining a class or changing one's number the phone is new by nature; those callers limit
    who may ask. Limits fail closed: if they cannot be checked, no SMS goes out."""
    try:
        phone = normalize_phone(raw_phone)
    except InvalidPhone as exc:
        raise SignInRefused(str(InvalidPhone.message)) from exc
    cooldown, per_day, per_ip = (
        _limits("sms_per_phone_cooldown"),
        _limits("sms_per_phone_day"),
        _limits("sms_per_ip_hour"),
    )
    busy = SignInRefused(_("A code was sent recently. Please wait a minute before asking again."))
    try:
        # Every request counts against its own address: a scanner slows only itself.
        if not ratelimit.hit("sms_ip_hour", ip, *per_ip):
            raise busy
        # The phone's limits count only requests that are answered with a code, so quick repeats
        # (refused) cannot use up a family's quota for the day: a stranger cannot lock a parent out
        # of SMS sign-in. A number we do not know counts the same as a known one, or the limits
        # would tell the two apart.
        if ratelimit.count("sms_phone_day", phone, per_day[1]) >= per_day[0]:
            raise busy
        if not ratelimit.hit("sms_phone_cooldown", phone, *cooldown):  # atomic: two taps, one code
            raise busy
        ratelimit.hit("sms_phone_day", phone, *per_day)
    except ratelimit.RateLimitUnavailable as exc:
        raise SignInRefused(_("Codes cannot be sent right now. Please try again in a few minutes.")) from exc

    if purpose == SmsCode.Purpose.LOGIN:
        # Whether we know the number is decided after the answer has gone, by a task: the request
        # takes the same time for a number we know and one we do not, and says nothing either way
        # (a known number answered 28 ms slower when the code was made here).
        from .tasks import send_sign_in_code

        transaction.on_commit(lambda: send_sign_in_code.delay(phone, ip))
        return phone
    issue_sms_code(phone, purpose=purpose, ip=ip)
    return phone


def issue_sms_code(phone: str, *, purpose: str, ip: str | None = None) -> None:
    """Make a code for ``phone`` (voiding older ones of the purpose), text it after commit and
    audit that a code was sent. The limits were checked by ``do_request_sms_code``."""
    code = f"{secrets.randbelow(10**6):06d}"
    now = timezone.now()
    with transaction.atomic():
        # A new code replaces any older one of the same purpose: only the latest code works.
        SmsCode.objects.filter(phone=phone, purpose=purpose, used_at__isnull=True).update(used_at=now)
        SmsCode.objects.create(
            phone=phone,
            purpose=purpose,
            code_hash=SmsCode.hash_code(phone, code),
            expires_at=now + timedelta(seconds=_limits("sms_code_ttl")),
        )
        texts: dict[str, str] = {
            SmsCode.Purpose.LOGIN: _(
                "[Tongxin] Your sign-in code is %(code)s. It is valid for 10 minutes. Do not share it."
            ),
            SmsCode.Purpose.JOIN: _(
                "[Tongxin] Your code to join your child's class is %(code)s. Valid for 10 minutes. Do not share it."
            ),
            SmsCode.Purpose.PHONE_CHANGE: _(
                "[Tongxin] Your code to change your mobile number to this one is %(code)s. Do not share it."
            ),
        }
        text = texts[purpose] % {"code": code}
        transaction.on_commit(lambda: send_sms_task.delay(phone, text))
    record(Action.SMS_CODE_SENT, summary=f"{mask_phone(phone)} {purpose}", ip=ip)


def is_known_phone(phone: str) -> bool:
    """A phone that may receive a sign-in code: an active user's, or a guardian's on some roster."""
    return User.objects.filter(phone=phone, is_active=True).exists() or directory.phone_is_known(phone)


def check_sms_code(raw_phone: str, code: str, *, purpose: str) -> str:
    """Consume a valid code and return the phone, or raise SignInRefused. A wrong code counts an
    attempt (committed even though the check fails); five wrong attempts kill the code."""
    wrong = SignInRefused(_("The code is wrong or has expired. Ask for a new code."))
    try:
        phone = normalize_phone(raw_phone)
    except InvalidPhone as exc:
        raise SignInRefused(str(InvalidPhone.message)) from exc
    code = (code or "").strip()
    with transaction.atomic():
        sms = (
            SmsCode.objects.select_for_update()
            .filter(phone=phone, purpose=purpose, used_at__isnull=True)
            .order_by("-created_at")
            .first()
        )
        if sms is None or sms.expires_at <= timezone.now() or sms.attempts >= _limits("sms_code_attempts"):
            raise wrong
        matches = secrets.compare_digest(sms.code_hash, SmsCode.hash_code(phone, code))
        if matches:
            SmsCode.objects.filter(pk=sms.pk).update(used_at=timezone.now())
        else:
            # Leave the block normally so that the counted attempt is committed.
            SmsCode.objects.filter(pk=sms.pk).update(attempts=F("attempts") + 1)
    if not matches:
        raise wrong
    return phone


def do_sign_in_with_code(raw_phone: str, code: str) -> User:
    """Check a sign-in code and return the user, creating a roster guardian's account on first
    sign-in and linking it to every guardian record with this phone (activation, done by the
    schools through ``accounts.directory``)."""
    phone = check_sms_code(raw_phone, code, purpose=SmsCode.Purpose.LOGIN)
    wrong = SignInRefused(_("The code is wrong or has expired. Ask for a new code."))
    user = User.objects.filter(phone=phone).first()
    if user is not None and not user.is_active:
        raise wrong
    if user is None:
        name = directory.guardian_name_for_phone(phone)
        if name is None:
            raise wrong
        return directory.activate(phone, name=name)
    return directory.activate(phone, name=user.name)


def do_create_api_token(*, acting_user: User, name: str = "", request=None) -> str:
    """Create a token for ``acting_user`` and return its key: shown once, then only its hash is kept."""
    user = acting_user
    key = ApiToken.new_key()
    ApiToken.objects.create(user=user, name=name[:64], key_hash=ApiToken.hash_key(key), prefix=key[4:12])
    record(Action.TOKEN_CREATED, actor=user, schools=directory.schools_of(user), summary=name[:64], request=request)
    return key


def do_revoke_api_token(token: ApiToken, *, acting_user: User, request=None) -> None:
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    record(Action.TOKEN_REVOKED, actor=acting_user, schools=directory.schools_of(token.user), request=request)


def end_all_sessions(user: User) -> None:
    """Sign the user out everywhere. Django ties each session to a hash of the password field,
    so replacing it (even with a new unusable one) ends every session on its next request;
    API tokens are revoked here."""
    user.set_unusable_password()
    user.save(update_fields=["password"])
    ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())


def do_set_password(password: str, *, acting_user: User, request=None) -> None:
    """Set the acting user's own password (the form has checked the old one, or a proven phone)."""
    user = acting_user
    from django.contrib.auth import update_session_auth_hash
    from django.contrib.auth.password_validation import validate_password

    validate_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    if request is not None:
        update_session_auth_hash(request, user)
