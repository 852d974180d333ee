"""``manage.py load_demo`` (``make run``): the demo school's roster (schools.demo) and the notices,
surveys, events and chats built on it (home.demo). It lives in home, the one app above them all."""

from django.conf import settings
from django.core.management.base import BaseCommand
from django_scopes import scopes_disabled

from home.demo import add_demo_activity  # the features built on the roster
from schools.demo import DEMO_CODE, demo_counts, demo_sign_ins, load_demo
from schools.models import School


class Command(BaseCommand):
    help = "Load the demo school 阳光小学 once (running it again keeps the data) and print the demo sign-ins."

    def add_arguments(self, parser):
        parser.add_argument("--students-per-class", type=int, default=40)

    def handle(self, *args, students_per_class: int, **options):
        with scopes_disabled():
            school = School.objects.filter(code=DEMO_CODE).first()
        if school is not None:
            self.stdout.write("Demo school already loaded; keeping its data. 演示数据已存在，保留原数据。")
        else:
            school = load_demo(students_per_class=students_per_class)
            add_demo_activity(school)
            self.stdout.write(self.style.SUCCESS("Demo school 阳光小学 loaded. 演示学校已创建。"))
        self.stdout.write(f"阳光小学: {demo_counts(school)}.")
        # SITE_URL: `make run` sets it from HOST and PORT, so this is the address being served.
        self.stdout.write(f"\nDemo sign-ins 演示账号 ({settings.SITE_URL}/accounts/login/):")
        for role, login, password in demo_sign_ins(school):
            self.stdout.write(f"  {role} · {login} · {password}")
