"""The school's event list and a meeting's attendance pages cost a number of queries that does not
grow with the families (a grade of 300 against a grade of 30) or the events."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from events.models import Attendance, Rsvp
from notices.models import Receipt
from schools.models import Guardian, SchoolClass, Student, StudentGuardian

from .helpers import create_event, start_now

pytestmark = pytest.mark.usefixtures("unscoped")


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
        assert response.status_code == 200, url
    return len(ctx.captured_queries)


def _grade(cast, grade: int, families: int) -> None:
    """``families`` families spread over four classes of ``grade``, written in bulk."""
    classes = [SchoolClass.objects.create(school=cast.school, grade=grade, number=n) for n in range(1, 5)]
    students = Student.objects.bulk_create(
        [
            Student(
                school=cast.school,
                name=f"学生{grade}-{i}",
                student_number=f"G{grade}{i:04d}",
                school_class=classes[i % 4],
            )
            for i in range(families)
        ]
    )
    guardians = Guardian.objects.bulk_create(
        [Guardian(school=cast.school, name=f"家长{grade}-{i}", phone=f"136{grade:02d}{i:06d}") for i in range(families)]
    )
    StudentGuardian.objects.bulk_create(
        [
            StudentGuardian(school=cast.school, student=s, guardian=g, relationship="母亲")
            for s, g in zip(students, guardians, strict=True)
        ]
    )


def _meeting(cast, grade: int):
    admin = cast.client(cast.admin_zhang)
    event = start_now(create_event(admin, title=f"{grade}年级家长会", targets=[{"kind": "grade", "grade": grade}]))
    receipts = list(Receipt.objects.filter(notice=event.notice))
    Rsvp.objects.bulk_create([Rsvp(school=cast.school, event=event, receipt=r, answer="yes") for r in receipts[::2]])
    Attendance.objects.bulk_create(
        [
            Attendance(
                school=cast.school,
                event=event,
                receipt=r,
                status="present",
                method="code",
                checked_in_at=timezone.now(),
            )
            for r in receipts[::3]
        ]
    )
    return event, len(receipts)


def test_attendance_pages_of_a_grade_meeting_do_not_grow_with_families(cast):
    admin = cast.client(cast.admin_zhang)
    _grade(cast, 4, 30)
    _grade(cast, 5, 300)
    small, n_small = _meeting(cast, 4)
    large, n_large = _meeting(cast, 5)
    assert (n_small, n_large) == (30, 300)
    for page in ("attendance/", "checkin/", ""):
        assert _queries(admin, f"/events/{small.pk}/{page}") == _queries(admin, f"/events/{large.pk}/{page}"), page
    assert _queries(admin, f"/api/v1/events/{small.pk}/attendance") == _queries(
        admin, f"/api/v1/events/{large.pk}/attendance"
    )
    data = admin.get(f"/api/v1/events/{large.pk}/attendance").json()
    assert data["invited"] == 300 and data["coming"] == 150 and data["came"] == 100
    assert all(len(f["children"]) == 1 for f in data["families"])


def test_event_list_does_not_grow_with_events_or_families(cast):
    admin = cast.client(cast.admin_zhang)
    _grade(cast, 4, 30)
    create_event(admin, title="第一场", targets=[{"kind": "grade", "grade": 4}])
    one = _queries(admin, "/events/")
    one_api = _queries(admin, "/api/v1/events")
    _grade(cast, 5, 120)
    for i in range(6):
        create_event(
            admin,
            title=f"第{i + 2}场",
            targets=[{"kind": "grade", "grade": 5}],
            starts_in=datetime.timedelta(days=3 + i),
        )
    assert _queries(admin, "/events/") == one
    assert _queries(admin, "/api/v1/events") == one_api
    listed = admin.get("/api/v1/events").json()
    assert len(listed) == 7 and {e["invited"] for e in listed} == {30, 120}


def test_calendar_feed_and_parent_school_page_do_not_grow_with_events(cast):
    from events.actions import calendar_feed

    li = cast.client(cast.ms_li)
    feed = f"/calendar/{calendar_feed(cast.alice).token}.ics"
    create_event(li, kind="parent_school", title="讲座一", targets=[{"kind": "class", "class_id": cast.class1.pk}])
    from django.test import Client

    anonymous = Client()
    one_feed = _queries(anonymous, feed)
    one_page = _queries(li, f"/classes/{cast.class1.pk}/parent-school/")
    for i in range(5):
        event = create_event(
            li,
            kind="parent_school",
            title=f"讲座{i + 2}",
            targets=[{"kind": "class", "class_id": cast.class1.pk}],
            starts_in=datetime.timedelta(days=3 + i),
        )
        start_now(event)
    assert anonymous.get(feed).content.count(b"BEGIN:VEVENT") == 6
    assert _queries(anonymous, feed) == one_feed
    assert _queries(li, f"/classes/{cast.class1.pk}/parent-school/") == one_page
