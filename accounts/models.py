"""Who can sign in. A user is global (one parent account covers children in several schools);
what they may see comes from their staff memberships and guardian links in ``schools``."""

import hashlib
import secrets

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, username: str, password: str | None = None, **fields) -> "User":
        user = self.model(username=username, **fields)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(self, username: str, password: str | None = None, **fields) -> "User":
        fields.update(is_staff=True, is_superuser=True)
        return self.create_user(username, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    # Staff choose a username; a parent's username is their phone number. Usernames of staff
    # must not look like a phone number (see accounts.forms), so the two never collide.
    username = models.CharField(_("username"), max_length=64, unique=True)
    phone = models.CharField(_("mobile number"), max_length=11, unique=True, null=True, blank=True)
    name = models.CharField(_("name"), max_length=64, blank=True)
    email = models.EmailField(_("email"), blank=True)
    language = models.CharField(_("language"), max_length=10, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(default=False, help_text="Platform operator (Django admin); not school staff.")
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "username"
    REQUIRED_FIELDS = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.name or self.username

    @property
    def display_name(self) -> str:
        return self.name or self.username


class SmsCode(models.Model):
    """A one-time code sent by SMS. Only its hash is kept; it is bound to one phone and one
    purpose, single use, short-lived and dead after a few wrong tries."""

    class Purpose(models.TextChoices):
        LOGIN = "login", _("sign in")
        JOIN = "join", _("join a class")
        PHONE_CHANGE = "phone", _("change of mobile number")

    phone = models.CharField(max_length=11)
    purpose = models.CharField(max_length=16, choices=Purpose.choices)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["phone", "purpose", "-created_at"])]

    @staticmethod
    def hash_code(phone: str, code: str) -> str:
        return hashlib.sha256(f"{phone}:{code}".encode()).hexdigest()


class FailedSignIn(models.Model):
    """One failed password attempt, counted by the sign-in limits (``accounts.actions``). Kept in
    the database rather than the cache, so that neither a cache outage nor a cache restart opens an
    account that too many wrong passwords have locked. Only keyed hashes of who was tried and from
    where are kept (``failure_key``); rows older than a day are purged as new ones come."""

    identity_key = models.CharField(max_length=32)
    ip_key = models.CharField(max_length=32)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["identity_key", "created_at"]),
            models.Index(fields=["ip_key", "created_at"]),
            models.Index(fields=["created_at"]),
        ]

    @staticmethod
    def failure_key(kind: str, value: str) -> str:
        # Keyed (HMAC with the secret key): a plain hash of a phone number is reversed by trying them all.
        return salted_hmac(f"tongxin.failed-sign-in.{kind}", value).hexdigest()[:32]


class ApiToken(models.Model):
    """A bearer token for apps. The key is shown once; only its SHA-256 is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=64, blank=True)
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=~Q(key_hash=""), name="api_token_has_hash")]

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @staticmethod
    def new_key() -> str:
        return "txk_" + secrets.token_urlsafe(32)


class Consent(models.Model):
    """A person's consent, one row per time it was given: to what Tongxin keeps about the family
    (``data``) or to reminders by SMS (``sms``), with the version of the text they were shown
    (``accounts.consent``) and when. Withdrawing stamps ``withdrawn_at``; giving again adds a row,
    so the history stays. Not school-owned: one account covers a family in several schools."""

    class Kind(models.TextChoices):
        DATA = "data", _("what Tongxin keeps about the family")
        SMS = "sms", _("reminders by SMS")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="consents")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    version = models.CharField(max_length=16)
    given_at = models.DateTimeField(default=timezone.now)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-given_at", "-id"]
        constraints = [
            # At most one standing consent of a kind per person: a double tap gives it once.
            models.UniqueConstraint(
                fields=["user", "kind"], condition=Q(withdrawn_at__isnull=True), name="consent_one_standing"
            ),
        ]


class TwoFactorDevice(models.Model):
    """A staff member's authenticator app (TOTP, ``accounts.totp``). Made unconfirmed when they
    start turning two-factor sign-in on; it counts only once confirmed with a code from the app.
    The secret must be readable to check codes (as in every TOTP server); ``last_step`` is the
    time step of the last code accepted, so no code works twice."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="two_factor_device")
    secret = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    last_step = models.BigIntegerField(default=-1)


class RecoveryCode(models.Model):
    """One of the ten single-use codes shown once when two-factor sign-in is turned on, for a lost
    phone. Only a keyed hash is kept."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="recovery_codes")
    code_hash = models.CharField(max_length=64)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "code_hash"])]

    @staticmethod
    def hash_code(user_id: int, code: str) -> str:
        normalized = "".join(code.split()).replace("-", "").lower()
        return salted_hmac("tongxin.recovery-code", f"{user_id}:{normalized}").hexdigest()
