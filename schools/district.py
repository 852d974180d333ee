"""Districts (教育局 / 集团校): creating one, its schools and its admins, and the reads every district
page starts from.

A district sits above its schools: ``District`` and ``DistrictAdmin`` have no school and are read
without a school scope. A district admin holds no role in any school (``schools.roles`` never reads
``DistrictAdmin``), so every page of a child, a family, a contact, a chat or an answer keeps
refusing them with a 404. What they see is computed for them: the schools' aggregates
(``home.district``) and the district's own notices (``notices.district``), each read inside
``district_scope``, the scope of exactly the district's schools.

Districts are made on the server (``manage.py create_district``), like schools: there is no page to
create one. Each write here is audited in every school it concerns.
"""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django_scopes import scope, scopes_disabled

from audit.actions import record
from audit.models import AuditEntry
from core.phones import InvalidPhone, normalize_phone

from .actions import _find_or_create_staff_user
from .models import District, DistrictAdmin, School

Action = AuditEntry.Action


# --- reads ---------------------------------------------------------------------------------------


def district_schools(district: District) -> list[School]:
    """The district's schools, by name (one query)."""
    with scopes_disabled():  # reviewed: the schools of this one district, by its id
        return list(School.objects.filter(district=district).order_by("name", "pk"))


@contextmanager
def district_scope(school_ids: Iterable[int]) -> Iterator[None]:
    """Run the district's reads inside the scope of exactly its schools (the request's own scope is
    the user's school roles, which a district admin has none of)."""
    with scope(school=list(school_ids)):
        yield


def districts_of(user) -> list[District]:
    """The districts the user administers (one query): the way in from the home page and 我的."""
    if user is None or not user.is_authenticated:
        return []
    return list(District.objects.filter(admins__user=user).order_by("name", "pk"))


# --- writes --------------------------------------------------------------------------------------


@transaction.atomic
def do_create_district(name: str, code: str, *, kind: str = District.Kind.BUREAU, acting_user) -> District:
    """A new district without schools or admins yet (``do_add_district_school``, ``do_add_district_admin``)."""
    name, code = name.strip(), code.strip()
    if not name:
        raise ValidationError(_("Give the district a name."))
    if kind not in District.Kind.values:
        raise ValidationError(_("A district is an education bureau or a school group."))
    if not code or District.objects.filter(code=code).exists():
        raise ValidationError(_("A district with this code exists already."))
    district = District(name=name, code=code, kind=kind)
    district.full_clean()
    district.save()
    return district


@transaction.atomic
def do_add_district_school(district: District, school: School, *, acting_user) -> None:
    """Put a school in the district. A school belongs to one district at most: moving it from
    another one is refused (take it out there first). Audited in the school."""
    with scopes_disabled():  # reviewed: one school, named by the server's operator
        locked = School.objects.select_for_update().get(pk=school.pk)
        if locked.district_id == district.pk:
            return
        if locked.district_id is not None:
            raise ValidationError(_("%(school)s belongs to another district already.") % {"school": locked.name})
        School.objects.filter(pk=school.pk).update(district=district)
        record(
            Action.SETTINGS_CHANGED,
            actor=acting_user,
            school=locked,
            target=district,
            summary=f"district: {district.name}"[:255],
        )
    school.district = district


@transaction.atomic
def do_remove_district_school(school: School, *, acting_user) -> None:
    """Take a school out of its district: its admins see it no more. Audited in the school."""
    with scopes_disabled():  # reviewed: one school, named by the server's operator
        if School.objects.filter(pk=school.pk, district__isnull=False).update(district=None):
            record(Action.SETTINGS_CHANGED, actor=acting_user, school=school, target=school, summary="district: none")
    school.district = None


@transaction.atomic
def do_add_district_admin(
    district: District, *, name: str, phone: str = "", username: str = "", password: str = "", acting_user
) -> DistrictAdmin:
    """Make a person (found by phone or username, else created) an admin of the district. They get
    no role in its schools. Audited in each of the district's schools, whose admins can see who
    reads their aggregates."""
    name = name.strip()
    if not name:
        raise ValidationError(_("Enter the district admin's name."))
    if phone:
        try:
            phone = normalize_phone(phone)
        except InvalidPhone as exc:
            raise ValidationError(str(InvalidPhone.message)) from exc
    if not phone and not username:
        raise ValidationError(_("Enter a phone number or a username, so that they can sign in."))
    if not phone and not password:
        raise ValidationError(_("Without a phone number they cannot receive a code: give them a first password."))
    if username and username.isdigit():
        raise ValidationError(_("A username must contain a letter (numbers alone are for phone numbers)."))
    user = _find_or_create_staff_user(name=name, phone=phone, username=username.strip(), password=password)
    admin, created = DistrictAdmin.objects.get_or_create(district=district, user=user)
    if created:
        record(
            Action.ROLE_CHANGED,
            actor=acting_user,
            schools=district_schools(district),
            target=admin,
            summary=f"district admin of {district.name}: {user.display_name}"[:255],
        )
    return admin


@transaction.atomic
def do_remove_district_admin(district: District, user, *, acting_user) -> None:
    """The person no longer administers the district (their account stays). Audited in each of its
    schools."""
    if DistrictAdmin.objects.filter(district=district, user=user).delete()[0]:
        record(
            Action.ROLE_CHANGED,
            actor=acting_user,
            schools=district_schools(district),
            target=district,
            summary=f"district admin of {district.name} removed: {user.display_name}"[:255],
        )
