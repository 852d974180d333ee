"""Signing in and out, one-time codes, API tokens. What the schools know of a person (their schools,
a guardian's phone, activation) is asked of ``accounts.directory``: accounts sits below schools.

Actions take ``*, acting_user``, the person signing in, out or changing their own access; the two
a visitor who is not signed in runs (``do_request_sms_code``, ``do_sign_in_with_code``) take none:
they prove a phone first.

Two-factor sign-in (staff, optional; required of a school's admins when the school says so): after
the password or the SMS code, a user with a confirmed authenticator app is only *half* signed in
(``PENDING_KEY`` in the session, no user) until a code from the app or a recovery code is typed
(``do_finish_two_factor_sign_in``). Sessions expire when idle, after a time that depends on the
role (``refresh_session_expiry``)."""

import secrets
import time
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

from . import directory, totp
from .models import ApiToken, FailedSignIn, RecoveryCode, SmsCode, TwoFactorDevice, User

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


# The session of someone who has given their password (or SMS code) and must still type a code
# from their authenticator app: who, how they signed in, since when and where they were going.
PENDING_KEY = "two_factor_pending"
PENDING_SECONDS = 5 * 60


def do_sign_in(request, *, acting_user: User, method: SignInMethod, next_url: str = "/") -> bool:
    """Sign in ``acting_user``, who has just proven who they are (``method``). ``login`` gives the
    browser a new session key (no fixation). Returns False when the user has two-factor sign-in
    on: then nobody is signed in yet; the session only remembers, for five minutes, who is half-way,
    and the caller sends the browser to ``accounts:login_two_factor``."""
    user = acting_user
    if has_two_factor(user):
        if getattr(request, "user", None) is not None and request.user.is_authenticated:
            logout(request)  # whoever was signed in on this browser is not any more
        else:
            request.session.cycle_key()
        request.session[PENDING_KEY] = {"user": user.pk, "method": method, "at": int(time.time()), "next": next_url}
        return False
    _complete_sign_in(request, user, method)
    return True


def _complete_sign_in(request, user: User, method: str) -> None:
    login(request, user, backend=BACKEND)
    # A sign-in that proved the phone just now (a code or a one-time link) may set a new password
    # without the old one: that is how a parent who forgot it gets back in.
    request.session["proved_phone_at_sign_in"] = method != "password"
    # A success from this address clears its failures for this account (the other counters stay).
    ident, address = _failure_keys(user.phone or user.username, ratelimit.client_ip(request))
    FailedSignIn.objects.filter(identity_key=ident, ip_key=address).delete()
    record(Action.SIGN_IN, actor=user, schools=directory.schools_of(user), summary=method, request=request)


def pending_two_factor(request) -> tuple[User, dict] | None:
    """The half-signed-in user of this session and their pending state, or None when there is none
    or its five minutes have passed."""
    pending = request.session.get(PENDING_KEY)
    if not isinstance(pending, dict) or not isinstance(pending.get("user"), int):
        return None
    if time.time() - pending.get("at", 0) > PENDING_SECONDS:
        request.session.pop(PENDING_KEY, None)
        return None
    user = User.objects.filter(pk=pending["user"], is_active=True).first()
    return (user, pending) if user is not None else None


def do_finish_two_factor_sign_in(request, code: str, *, pending: dict, acting_user: User) -> str:
    """Finish the half-done sign-in of ``acting_user`` (who gave their password or SMS code;
    ``pending`` is what ``pending_two_factor`` found) with a code from the authenticator app or a
    recovery code, and return where they were going. Wrong codes count against the same limits as
    wrong passwords (``FailedSignIn``): six digits cannot be tried a million times."""
    user = acting_user
    identifier, ip = user.phone or user.username, ratelimit.client_ip(request)
    check_sign_in_allowed(identifier, ip)
    if not check_second_factor(user, code):
        note_failed_sign_in(identifier, ip, request)
        raise SignInRefused(
            _("The code is not right. Type the code your authenticator app shows now, or a recovery code.")
        )
    request.session.pop(PENDING_KEY, None)
    _complete_sign_in(request, user, pending.get("method", "password"))
    return pending.get("next") or "/"


def has_two_factor(user: User) -> bool:
    return TwoFactorDevice.objects.filter(user=user, confirmed_at__isnull=False).exists()


def check_second_factor(user: User, code: str) -> bool:
    """Whether ``code`` is the user's current authenticator code (not used before) or one of their
    unused recovery codes; either is spent by this check."""
    code = (code or "").strip()[:32]
    if not code:
        return False
    with transaction.atomic():
        device = TwoFactorDevice.objects.select_for_update().filter(user=user, confirmed_at__isnull=False).first()
        if device is None:
            return False
        step = totp.matching_step(device.secret, code, after_step=device.last_step)
        if step is not None:
            TwoFactorDevice.objects.filter(pk=device.pk).update(last_step=step)
            return True
        spent = RecoveryCode.objects.filter(
            user=user, code_hash=RecoveryCode.hash_code(user.pk, code), used_at__isnull=True
        ).update(used_at=timezone.now())
        return spent == 1


RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread


def _new_recovery_code() -> str:
    chars = "".join(secrets.choice(RECOVERY_ALPHABET) for _i in range(10))
    return f"{chars[:5]}-{chars[5:]}"


def do_turn_on_two_factor(secret: str, code: str, *, acting_user: User, request=None) -> list[str]:
    """Keep ``secret`` (made by the set-up page, held in the session until now) as the user's
    authenticator once ``code`` shows their app has it, and return ten recovery codes, shown once:
    only their hashes are kept."""
    user = acting_user
    step = totp.matching_step(secret, code)
    if step is None:
        raise SignInRefused(_("The code is not right. Check that the app shows 同心 Tongxin and type its code now."))
    codes = [_new_recovery_code() for _i in range(10)]
    with transaction.atomic():
        TwoFactorDevice.objects.filter(user=user).delete()
        TwoFactorDevice.objects.create(user=user, secret=secret, confirmed_at=timezone.now(), last_step=step)
        RecoveryCode.objects.filter(user=user).delete()
        RecoveryCode.objects.bulk_create(
            RecoveryCode(user=user, code_hash=RecoveryCode.hash_code(user.pk, c)) for c in codes
        )
        record(Action.TWO_FACTOR_ON, actor=user, schools=directory.schools_of(user), request=request)
    return codes


def do_turn_off_two_factor(code: str, *, acting_user: User, request=None) -> None:
    """Turn two-factor sign-in off; it takes a current code (or a recovery code), so that someone
    who finds a signed-in phone cannot. Wrong codes count like wrong passwords."""
    user = acting_user
    identifier, ip = user.phone or user.username, ratelimit.client_ip(request) if request is not None else ""
    check_sign_in_allowed(identifier, ip)
    if not check_second_factor(user, code):
        note_failed_sign_in(identifier, ip, request)
        raise SignInRefused(
            _("The code is not right. Type the code your authenticator app shows now, or a recovery code.")
        )
    with transaction.atomic():
        TwoFactorDevice.objects.filter(user=user).delete()
        RecoveryCode.objects.filter(user=user).delete()
        record(Action.TWO_FACTOR_OFF, actor=user, schools=directory.schools_of(user), request=request)


def unused_recovery_codes(user: User) -> int:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()


# Idle sessions. Each signed-in session lives ``session_idle_staff`` (staff) or ``session_idle``
# (everyone else: parents stay signed in on their own phone) past its last refresh; a request
# refreshes it only when ``session_refresh`` seconds have passed, so that activity does not cost a
# database write on every request.
IDLE_AGE_KEY = "idle_age"
IDLE_REFRESHED_KEY = "idle_refreshed_at"


def session_idle_age(user: User) -> int:
    return _limits("session_idle_staff") if directory.is_staff(user) else _limits("session_idle")


def start_session_clock(request, user: User) -> None:
    """At every sign-in (``user_logged_in``, connected in ``accounts.apps``): the role's idle age."""
    age = session_idle_age(user)
    request.session[IDLE_AGE_KEY] = age
    request.session[IDLE_REFRESHED_KEY] = int(time.time())
    request.session.set_expiry(age)


def refresh_session_expiry(request) -> None:
    """Move a signed-in session's expiry on when it was last moved long enough ago. A session from
    before idle expiry existed gets its role's age now."""
    refreshed = request.session.get(IDLE_REFRESHED_KEY, 0)
    if time.time() - refreshed < _limits("session_refresh"):
        return
    age = request.session.get(IDLE_AGE_KEY) or session_idle_age(request.user)
    request.session[IDLE_AGE_KEY] = age
    request.session[IDLE_REFRESHED_KEY] = int(time.time())
    request.session.set_expiry(age)


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
        # A real provider sends the approved "code" template (delivery/sms_providers.py).
        transaction.on_commit(lambda: send_sms_task.delay(phone, text, "code", {"code": code}))
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
