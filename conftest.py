"""The named cast of docs/testing.md, shared by every test.

School A (阳光小学) has 三年级1班 and 三年级2班; ``admin_zhang`` is its admin, ``ms_li`` the head
teacher of 三年级1班, ``mr_wang`` teaches 数学 in 三年级1班; ``alice`` and ``bob`` are parents in
三年级1班, ``carol`` in 三年级2班. School B (明德小学) has its admin ``dave`` and parent ``erin``.
"""

import datetime
import os
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django_scopes import scopes_disabled

os.environ.setdefault("TONGXIN_TESTING", "1")

# ``TONGXIN_TEST_DAYS_AHEAD=150.5`` runs the whole suite with the clock moved that far ahead (it keeps
# ticking). CI runs one pass so, a term and half a day ahead, to prove that no test depends on the day
# or the hour it runs; a test that needs a date freezes the clock itself (the ``time_machine`` fixture).
DAYS_AHEAD = float(os.environ.get("TONGXIN_TEST_DAYS_AHEAD") or 0)


def pytest_configure(config):
    if DAYS_AHEAD:
        import time_machine

        ahead = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=DAYS_AHEAD)
        time_machine.travel(ahead, tick=True).start()


def pytest_collection_modifyitems(config, items):
    """Browser tests last: Playwright's sync API keeps an event loop running in the main thread for
    the rest of the session, and an asyncio test after it (a chat socket test) could not start its
    own ("Runner.run() cannot be called from a running event loop"). Stable sort: the order within
    each group stays as collected."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


def pytest_report_header(config):
    if DAYS_AHEAD:
        return f"clock moved {DAYS_AHEAD:g} days ahead: now is {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC"
    return None


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    # Argon2 is the real hasher (tests/test_settings.py proves it); tests hash faster.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.SMS_BACKEND = "delivery.sms.LocmemSmsBackend"
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.SMS_FILE_PATH = tmp_path / "sms"
    settings.MEDIA_ROOT = tmp_path / "media"  # attachments written by tests never reach var/
    from celery import current_app

    current_app.conf.task_always_eager = True
    from django.core.cache import cache

    cache.clear()
    from delivery.sms import LocmemSmsBackend

    LocmemSmsBackend.outbox.clear()
    yield
    # A chat socket's event loop opened its own connection (core.db); the test's loop is gone.
    from core.db import forget_loop_connections

    forget_loop_connections()


@pytest.fixture(autouse=True)
def _on_commit_runs_after_each_request(monkeypatch):
    """Tests run inside one transaction that never commits, so work a view schedules with
    ``transaction.on_commit`` (SMS, tasks) would never run. Run it at the end of each request,
    as a real commit would; callbacks of rolled-back savepoints are dropped, as in production."""
    from django.test import Client, TestCase

    original = Client.request

    def request_then_commit(self, **request):
        with TestCase.captureOnCommitCallbacks(execute=True):
            return original(self, **request)

    monkeypatch.setattr(Client, "request", request_then_commit)


@dataclass
class Cast:
    school: Any
    term: Any
    class1: Any
    class2: Any
    admin_zhang: Any
    ms_li: Any
    mr_wang: Any
    alice: Any
    bob: Any
    carol: Any
    alice_child: Any
    bob_child: Any
    carol_child: Any
    alice_guardian: Any
    school_b: Any
    class_b: Any
    dave: Any
    erin: Any
    erin_child: Any

    def client(self, user=None) -> Client:
        client = Client()
        if user is not None:
            client.force_login(user)
        return client


PASSWORD = "correct-horse-42"


def zh(message: str) -> str:
    """A message as families and staff read it: the site speaks Chinese. Translate the msgid, then
    fill it in (``zh("%(n)s needed") % {"n": 3}``), as the code does."""
    from django.utils import translation
    from django.utils.translation import gettext

    with translation.override("zh-hans"):
        return gettext(message)


def build_cast() -> Cast:
    from django.utils import timezone

    from accounts.models import User
    from schools.models import (
        Enrollment,
        Guardian,
        School,
        SchoolClass,
        StaffAssignment,
        StaffMember,
        Student,
        StudentGuardian,
        Term,
    )
    from schools.queries import term_dates_containing

    with scopes_disabled():

        def user(username, name, phone):
            return User.objects.create_user(username, PASSWORD, name=name, phone=phone)

        def school_with_term(name, code):
            school = School.objects.create(name=name, code=code)
            # The term around today (or the day a test froze the clock at): no test depends on the date.
            term_name, start, end = term_dates_containing(timezone.localdate())
            term = Term.objects.create(school=school, name=term_name, start_date=start, end_date=end, is_current=True)
            return school, term

        def child(school, term, school_class, name, number, parent_user, parent_phone, relationship="母亲"):
            student = Student.objects.create(school=school, name=name, student_number=number, school_class=school_class)
            Enrollment.objects.create(
                school=school, term=term, student=student, school_class=school_class, class_name=school_class.name
            )
            guardian = Guardian.objects.create(
                school=school,
                name=parent_user.name,
                phone=parent_phone,
                user=parent_user,
                activated_at=timezone.now(),
            )
            StudentGuardian.objects.create(school=school, student=student, guardian=guardian, relationship=relationship)
            return student, guardian

        school, term = school_with_term("阳光小学", "a")
        class1 = SchoolClass.objects.create(school=school, grade=3, number=1)
        class2 = SchoolClass.objects.create(school=school, grade=3, number=2)
        admin_zhang = user("admin_zhang", "张主任", "13900000001")
        ms_li = user("ms_li", "李老师", "13900000002")
        mr_wang = user("mr_wang", "王老师", "13900000003")
        StaffMember.objects.create(school=school, user=admin_zhang, is_school_admin=True)
        li = StaffMember.objects.create(school=school, user=ms_li)
        wang = StaffMember.objects.create(school=school, user=mr_wang)
        StaffAssignment.objects.create(school=school, term=term, staff=li, school_class=class1, role="head")
        StaffAssignment.objects.create(
            school=school, term=term, staff=wang, school_class=class1, role="subject", subject="数学"
        )
        alice = user("13800000001", "刘爱丽", "13800000001")
        bob = user("13800000002", "陈波", "13800000002")
        carol = user("13800000003", "周可", "13800000003")
        alice_child, alice_guardian = child(school, term, class1, "刘小明", "2024001", alice, "13800000001")
        bob_child, _ = child(school, term, class1, "陈小红", "2024002", bob, "13800000002", "父亲")
        carol_child, _ = child(school, term, class2, "周小刚", "2024101", carol, "13800000003")

        school_b, term_b = school_with_term("明德小学", "b")
        class_b = SchoolClass.objects.create(school=school_b, grade=3, number=1)
        dave = user("dave", "戴校长", "13900000009")
        StaffMember.objects.create(school=school_b, user=dave, is_school_admin=True)
        StaffAssignment.objects.create(
            school=school_b, term=term_b, staff=StaffMember.objects.get(user=dave), school_class=class_b, role="head"
        )
        erin = user("13800000009", "吴怡", "13800000009")
        erin_child, _ = child(school_b, term_b, class_b, "吴小雨", "B001", erin, "13800000009")

    return Cast(
        school=school,
        term=term,
        class1=class1,
        class2=class2,
        admin_zhang=admin_zhang,
        ms_li=ms_li,
        mr_wang=mr_wang,
        alice=alice,
        bob=bob,
        carol=carol,
        alice_child=alice_child,
        bob_child=bob_child,
        carol_child=carol_child,
        alice_guardian=alice_guardian,
        school_b=school_b,
        class_b=class_b,
        dave=dave,
        erin=erin,
        erin_child=erin_child,
    )


@pytest.fixture
def cast(db) -> Cast:
    return build_cast()


SCHOOL_DAY = datetime.datetime(2026, 11, 16, 10, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))


@pytest.fixture
def school_day(time_machine):
    """For tests written about given dates: the clock stands at 10:00 on Monday 16 November 2026 in
    Shanghai (the first term of 2026—2027), and ticks on from there. Request it before ``cast``."""
    time_machine.move_to(SCHOOL_DAY, tick=True)
    return SCHOOL_DAY


@pytest.fixture
def unscoped():
    """For test set-up and assertions that read the database directly, across schools."""
    with scopes_disabled():
        yield
