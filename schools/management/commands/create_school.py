from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django_scopes import scopes_disabled

from core.phones import InvalidPhone, normalize_phone
from schools.actions import do_add_staff
from schools.models import School


class Command(BaseCommand):
    help = "Create a school and its first admin: 新建学校及其第一位管理员。"

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True, help="e.g. 阳光小学")
        parser.add_argument("--code", required=True, help="short code, letters and digits, e.g. yangguang")
        parser.add_argument("--grades", type=int, default=6, help="number of grades (6, or 5 for 五四制)")
        parser.add_argument("--admin-name", required=True)
        parser.add_argument("--admin-phone", default="", help="the admin signs in with a code sent to this phone")
        parser.add_argument("--admin-username", default="")
        parser.add_argument("--admin-password", default="", help="needed when no phone is given")

    def handle(self, *args, name, code, grades, admin_name, admin_phone, admin_username, admin_password, **options):
        if admin_phone:
            try:
                admin_phone = normalize_phone(admin_phone)
            except InvalidPhone:
                raise CommandError(f"Not a valid mobile number: {admin_phone}") from None
        with scopes_disabled(), transaction.atomic():  # reviewed: creating a school is above any one school
            if School.objects.filter(code=code).exists():
                raise CommandError(f"A school with code {code!r} exists already.")
            if not 1 <= grades <= 9:
                raise CommandError("--grades must be between 1 and 9.")
            school = School.objects.create(name=name, code=code, grade_count=grades)
            try:
                do_add_staff(
                    school,
                    name=admin_name,
                    phone=admin_phone,
                    username=admin_username,
                    password=admin_password,
                    is_school_admin=True,
                    title="学校管理员",
                    acting_user=None,
                )
            except ValidationError as exc:
                raise CommandError(" ".join(exc.messages)) from None
        self.stdout.write(
            self.style.SUCCESS(f"Created {name} ({code}). Next: sign in as the admin and create the current term.")
        )
