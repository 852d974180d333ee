"""The answers accounts asks of the schools (``accounts.directory``; wired in
``settings.ACCOUNTS_DIRECTORY``): a user's schools, whether a phone is a guardian's, a guardian's
name and activation. Reads are unscoped on purpose: they are filtered by the user or the phone
being signed in, across every school."""

from django_scopes import scopes_disabled

from accounts.models import User

from .actions import user_for_phone
from .models import DistrictAdmin, Guardian, School, StaffMember
from .roles import compute_roles

__all__ = ["activate", "guardian_name_for_phone", "is_staff", "phone_is_known", "schools_of"]


def schools_of(user: User) -> list[School]:
    # Reviewed unscoped read: the schools a user belongs to, to file their sign-in in each.
    with scopes_disabled():
        return list(School.objects.filter(pk__in=compute_roles(user).school_ids))


def is_staff(user: User) -> bool:
    """Staff of a school, or a district's admin (who signs in like staff: the shorter idle session,
    two-factor sign-in offered)."""
    with scopes_disabled():  # reviewed: the user's own memberships, in any school
        return (
            StaffMember.objects.filter(user=user, is_active=True).exists()
            or DistrictAdmin.objects.filter(user=user).exists()
        )


def phone_is_known(phone: str) -> bool:
    with scopes_disabled():  # reviewed: existence check by the phone being signed in
        return Guardian.objects.filter(phone=phone).exists()


def guardian_name_for_phone(phone: str) -> str | None:
    with scopes_disabled():  # reviewed: the guardian's name, by the phone just proven
        first = Guardian.objects.filter(phone=phone).first()
    return first.name if first is not None else None


# Activation is a write: it lives with the other writes, in schools.actions.
activate = user_for_phone
