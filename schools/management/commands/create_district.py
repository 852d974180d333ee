from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Q
from django_scopes import scopes_disabled

from schools.district import (
    do_add_district_admin,
    do_add_district_school,
    do_create_district,
    do_remove_district_admin,
    do_remove_district_school,
)
from schools.models import District, School


class Command(BaseCommand):
    help = (
        "Create a district (教育局 / 集团校), or add schools and admins to one: 新建学区或集团，加入学校和学区管理员。"
        " Run again with the same --code to add more schools or admins."
    )

    def add_arguments(self, parser):
        parser.add_argument("--code", required=True, help="short code, letters and digits, e.g. haidian")
        parser.add_argument("--name", default="", help="e.g. 海淀区教育局 (needed to create the district)")
        parser.add_argument("--kind", choices=District.Kind.values, default=District.Kind.BUREAU)
        parser.add_argument("--schools", nargs="*", default=[], help="codes of the schools to put in the district")
        parser.add_argument("--remove-schools", nargs="*", default=[], help="codes of schools to take out of it")
        parser.add_argument("--admin-name", default="")
        parser.add_argument("--admin-phone", default="", help="the admin signs in with a code sent to this phone")
        parser.add_argument("--admin-username", default="")
        parser.add_argument("--admin-password", default="", help="needed when no phone is given")
        parser.add_argument(
            "--remove-admins", nargs="*", default=[], help="phones or usernames of admins who no longer administer it"
        )

    def handle(self, *args, code, name, kind, schools, remove_schools, remove_admins, admin_name, **options):
        # reviewed: a district is above any one school; every school is named by its code.
        with scopes_disabled(), transaction.atomic():
            try:
                district = District.objects.filter(code=code).first()
                created = district is None
                if district is None:
                    if not name:
                        raise CommandError("--name is needed to create a district.")
                    district = do_create_district(name, code, kind=kind, acting_user=None)
                for school_code in schools:
                    do_add_district_school(district, self._school(school_code), acting_user=None)
                for school_code in remove_schools:
                    school = self._school(school_code)
                    if school.district_id != district.pk:
                        raise CommandError(f"{school.name} is not in {district.name}.")
                    do_remove_district_school(school, acting_user=None)
                if admin_name or options["admin_phone"] or options["admin_username"]:
                    do_add_district_admin(
                        district,
                        name=admin_name,
                        phone=options["admin_phone"],
                        username=options["admin_username"],
                        password=options["admin_password"],
                        acting_user=None,
                    )
                for identifier in remove_admins:
                    user = self._admin(district, identifier)
                    do_remove_district_admin(district, user, acting_user=None)
            except ValidationError as exc:
                raise CommandError(" ".join(exc.messages)) from None
            count = School.objects.filter(district=district).count()
        verb = "Created" if created else "Updated"
        self.stdout.write(self.style.SUCCESS(f"{verb} {district.name} ({district.code}): {count} schools."))

    def _admin(self, district: District, identifier: str):
        found = district.admins.filter(Q(user__username=identifier) | Q(user__phone=identifier)).first()
        if found is None:
            raise CommandError(f"{identifier} is not an admin of {district.name}.")
        return found.user

    def _school(self, code: str) -> School:
        school = School.objects.filter(code=code).first()
        if school is None:
            raise CommandError(f"No school with code {code!r}.")
        return school
