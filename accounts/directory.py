"""What accounts needs to know of the people the schools hold, asked through one named module.

Accounts sits below schools (tests/test_architecture.py): it never imports schools. Yet signing in
needs three answers only the schools have: which schools a user belongs to (to file their sign-in
in each school's audit log), whether a phone belongs to a guardian on some roster (codes go only to
known phones), and, on a guardian's first sign-in with a code, their name and the activation that
links their account to every guardian record with that phone. The project names the module that
answers in ``settings.ACCOUNTS_DIRECTORY`` (``schools.directory``), the way Django names its
authentication backends, and each function below forwards to it.
"""

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils.module_loading import import_string

if TYPE_CHECKING:
    from .models import User


def _answer(name: str) -> Any:
    return import_string(f"{settings.ACCOUNTS_DIRECTORY}.{name}")


def schools_of(user: "User") -> list[Any]:
    """The schools (model instances) the user belongs to, as staff or as a guardian."""
    return _answer("schools_of")(user)


def is_staff(user: "User") -> bool:
    """Whether the user is a current staff member of some school (their sessions expire sooner)."""
    return _answer("is_staff")(user)


def phone_is_known(phone: str) -> bool:
    """Whether a guardian with this (normalised) phone is on some school's roster."""
    return _answer("phone_is_known")(phone)


def guardian_name_for_phone(phone: str) -> str | None:
    """A roster name for a guardian with this phone, or None when no roster has it."""
    return _answer("guardian_name_for_phone")(phone)


def activate(phone: str, *, name: str) -> "User":
    """The account of this phone, created on first use and linked to every guardian record with the
    phone in every school. Raises ``SignInRefused`` for a switched-off account."""
    return _answer("activate")(phone, name=name)
