"""Consent (PIPL, 个人信息保护法): the texts a guardian agrees to, versioned, and the writes that
record giving and withdrawing them.

A guardian gives two consents, separately: to what Tongxin keeps about the family and its children
(``data``; children under 14 are sensitive personal information, so a guardian's explicit consent is
required) and to reminders by SMS (``sms``; optional). Each ``Consent`` row names the version of the
text shown, so a changed text is a new version and the old rows still say what was agreed to.

These writes live here rather than in ``accounts.actions`` because they make one small flow with the
texts; they are actions all the same (one transaction, the audit row, ``*, acting_user``). The
joining flows of ``schools.onboarding`` call ``do_give_consents`` inside their own transaction.
Withdrawing SMS consent stops SMS reminders at once (``delivery.actions.queue_reminders`` excludes
withdrawn users in its query); withdrawing data consent is a request the school carries out by
erasing the family (``home.privacy.do_erase_guardian``), so it is not a button here."""

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from audit.actions import record
from audit.models import AuditEntry

from . import directory
from .models import Consent, User

# Change a text → change its version. Old versions stay here so a consent given to them can be shown.
DATA_VERSION = "2026-1"
SMS_VERSION = "2026-1"

TEXTS: dict[tuple[str, str], Promise] = {
    (Consent.Kind.DATA, "2026-1"): _(
        "Your child's school uses Tongxin to reach you. Tongxin keeps: your name, mobile number and how "
        "you are related to your children; your children's names, classes and student numbers; the "
        "notices you receive and whether you read and answered them; your answers to forms and "
        "invitations; the contact book's records the school shares with you; the messages you write. "
        "Only the school's staff who need it see it, nothing is given to third parties, and it is kept "
        "while your child is at the school and for the school's retention period after. You can download "
        "it at any time from 我的, and ask the school to erase it."
    ),
    (Consent.Kind.SMS, "2026-1"): _(
        "Tongxin may send reminders and sign-in codes to your mobile number by SMS. You can withdraw this "
        "at any time from 我的; sign-in codes you ask for yourself are still sent."
    ),
}
CURRENT_VERSION: dict[str, str] = {Consent.Kind.DATA: DATA_VERSION, Consent.Kind.SMS: SMS_VERSION}


def consent_text(kind: str, version: str) -> Promise | str:
    return TEXTS.get((kind, version), "")


def standing_consents(user: User) -> dict[str, Consent]:
    """The user's consents not withdrawn, by kind (one query)."""
    return {c.kind: c for c in Consent.objects.filter(user=user, withdrawn_at__isnull=True)}


def needs_data_consent(user: User) -> bool:
    return not Consent.objects.filter(user=user, kind=Consent.Kind.DATA, withdrawn_at__isnull=True).exists()


@transaction.atomic
def do_give_consents(kinds: Iterable[str], *, acting_user: User, request=None) -> list[Consent]:
    """Record the consents given now, to the current texts. A consent already standing is kept as
    it is (a double tap, or joining a second class)."""
    wanted = [k for k in dict.fromkeys(kinds) if k in CURRENT_VERSION]
    standing = set(
        Consent.objects.filter(user=acting_user, kind__in=wanted, withdrawn_at__isnull=True).values_list(
            "kind", flat=True
        )
    )
    new = [Consent(user=acting_user, kind=k, version=CURRENT_VERSION[k]) for k in wanted if k not in standing]
    if new:
        Consent.objects.bulk_create(new, ignore_conflicts=True)
        record(
            AuditEntry.Action.CONSENT_CHANGED,
            actor=acting_user,
            schools=directory.schools_of(acting_user),
            summary="given " + ", ".join(f"{c.kind} {c.version}" for c in new),
            request=request,
        )
    return new


@transaction.atomic
def do_withdraw_consent(kind: str, *, acting_user: User, request=None) -> bool:
    """Withdraw a standing consent; returns whether there was one."""
    withdrawn = Consent.objects.filter(user=acting_user, kind=kind, withdrawn_at__isnull=True).update(
        withdrawn_at=timezone.now()
    )
    if withdrawn:
        record(
            AuditEntry.Action.CONSENT_CHANGED,
            actor=acting_user,
            schools=directory.schools_of(acting_user),
            summary=f"withdrawn {kind}",
            request=request,
        )
    return bool(withdrawn)
