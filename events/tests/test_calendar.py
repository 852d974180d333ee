"""iCalendar (issue 7): the .ics of one event and the private calendar feed, read back with a real
iCalendar parser (``icalendar``) and checked byte by byte where RFC 5545 is strict: content lines
of at most 75 octets, folded without splitting a UTF-8 character, each ending in CRLF."""

import datetime
import zoneinfo

import icalendar
import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from events.models import Booking, CalendarFeed, ConferenceDay

from .helpers import create_event

pytestmark = pytest.mark.usefixtures("unscoped")

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
UTC = datetime.UTC


def beijing(days: int, hour: int, minute: int = 0) -> datetime.datetime:
    """``days`` from today at ``hour:minute`` Beijing time."""
    day = timezone.localdate() + datetime.timedelta(days=days)
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=SHANGHAI)


def class_event(client, school_class, *, starts, hours=2, **extra):
    return create_event(
        client,
        targets=[{"kind": "class", "class_id": school_class.pk}],
        starts_at=starts.isoformat(),
        ends_at=(starts + datetime.timedelta(hours=hours)).isoformat(),
        **extra,
    )


def physical_lines(data: bytes) -> list[bytes]:
    """The raw lines, each checked: CRLF only, at most 75 octets, whole UTF-8 characters."""
    assert data.endswith(b"\r\n")
    lines = data[: -len(b"\r\n")].split(b"\r\n")
    for line in lines:
        assert b"\r" not in line and b"\n" not in line, line  # no bare CR or LF
        assert len(line) <= 75, (len(line), line)
        line.decode("utf-8")  # raises if folding split a character between two lines
    return lines


def logical_lines(data: bytes) -> list[str]:
    """Unfold (RFC 5545 3.1): a line starting with one space continues the previous one."""
    out: list[bytes] = []
    for line in physical_lines(data):
        if line.startswith(b" "):
            out[-1] += line[1:]
        else:
            out.append(line)
    return [line.decode("utf-8") for line in out]


def parse(data: bytes) -> icalendar.Calendar:
    cal = icalendar.Calendar.from_ical(data)
    for component in cal.walk():
        assert not component.errors, (component.name, component.errors)
    return cal


def only_vevent(cal: icalendar.Calendar) -> icalendar.cal.Component:
    events = cal.walk("VEVENT")
    assert len(events) == 1
    return events[0]


def ics_of(client, event) -> bytes:
    response = client.get(f"/events/{event.pk}/event.ics")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/calendar")
    return response.content


def offer_and_book(cast, *, days=5):
    """ms_li offers times to 三年级1班 through the page; alice books the first through the API."""
    day = timezone.localdate() + datetime.timedelta(days=days)
    response = cast.client(cast.ms_li).post(
        "/conferences/new/",
        {
            "title": "期中家长个别面谈",
            "school_class": cast.class1.pk,
            "day": day.isoformat(),
            "start": "14:00",
            "end": "15:00",
            "slot_minutes": 15,
            "break_minutes": 5,
            "place": "三年级1班教室",
            "teachers": [cast.mr_wang.pk],
        },
    )
    assert response.status_code == 302, response.content.decode()[-2000:]
    conference = ConferenceDay.objects.get()
    slot = conference.slots.order_by("starts_at").first()
    assert slot is not None
    response = cast.client(cast.alice).post(
        f"/api/v1/conferences/{conference.pk}/book",
        {"slot_id": slot.pk, "student_ids": [cast.alice_child.pk]},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    return conference, Booking.objects.get(slot=slot)


# --- the .ics of one event ---------------------------------------------------------------------------


def test_one_event_ics_is_valid_icalendar_with_its_fields(cast):
    title = "三年级家长会, 期中总结; 请准时"
    place = "三楼多功能厅, 东侧; 凭签到码入场"
    # Long enough to be folded many times; 3-octet characters with ASCII between them, so that a
    # fold at a fixed 75 octets would land inside a character.
    description = (
        "本学期期中考试已经结束。请各位家长准时到场，与老师交流孩子的学习与生活情况。a" * 6
        + "😀🎉" * 20  # four octets each
        + "\n第二行; 带分号, 带逗号"
    )
    starts = beijing(3, 19)
    event = class_event(
        cast.client(cast.ms_li), cast.class1, starts=starts, title=title, place=place, description=description
    )
    data = ics_of(cast.client(cast.alice), event)

    lines = logical_lines(data)
    assert len(physical_lines(data)) > len(lines)  # something was folded
    assert "SUMMARY:三年级家长会\\, 期中总结\\; 请准时" in lines
    assert "LOCATION:三楼多功能厅\\, 东侧\\; 凭签到码入场" in lines
    description_line = next(line for line in lines if line.startswith("DESCRIPTION:"))
    assert len(description_line.encode()) > 75 * 5  # folded over several physical lines
    assert description_line.endswith("\\n第二行\\; 带分号\\, 带逗号")
    assert f"DTSTART;TZID=Asia/Shanghai:{starts:%Y%m%d}T190000" in lines
    assert f"DTEND;TZID=Asia/Shanghai:{starts:%Y%m%d}T210000" in lines

    cal = parse(data)
    assert str(cal["VERSION"]) == "2.0"
    assert str(cal["PRODID"]).strip()
    vevent = only_vevent(cal)
    assert str(vevent["UID"]).strip()
    stamp = vevent.decoded("DTSTAMP")
    assert isinstance(stamp, datetime.datetime) and stamp.utcoffset() == datetime.timedelta(0)
    # The escaped TEXT values come back exactly as written.
    assert str(vevent["SUMMARY"]) == title
    assert str(vevent["LOCATION"]) == place
    assert str(vevent["DESCRIPTION"]) == description

    assert vevent["DTSTART"].params["TZID"] == "Asia/Shanghai"
    assert vevent["DTEND"].params["TZID"] == "Asia/Shanghai"
    start, end = vevent.decoded("DTSTART"), vevent.decoded("DTEND")
    assert start.astimezone(UTC) == datetime.datetime.combine(starts.date(), datetime.time(11, 0), tzinfo=UTC)
    assert start == event.starts_at and end == event.ends_at
    assert end.astimezone(UTC).hour == 13

    timezones = cal.walk("VTIMEZONE")
    assert [str(tz["TZID"]) for tz in timezones] == ["Asia/Shanghai"]
    standard = timezones[0].walk("STANDARD")
    assert len(standard) == 1
    assert standard[0].decoded("TZOFFSETTO") == datetime.timedelta(hours=8)


def test_a_changed_then_cancelled_event_carries_a_higher_sequence_and_cancelled(cast):
    li, alice = cast.client(cast.ms_li), cast.client(cast.alice)
    event = class_event(li, cast.class1, starts=beijing(3, 19))
    first = only_vevent(parse(ics_of(alice, event)))
    assert str(first["STATUS"]) == "CONFIRMED"

    moved = beijing(4, 18, 30)
    response = li.post(
        f"/api/v1/events/{event.pk}/change",
        {
            "title": event.title,
            "starts_at": moved.isoformat(),
            "ends_at": (moved + datetime.timedelta(hours=2)).isoformat(),
            "place": event.place,
        },
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    changed = only_vevent(parse(ics_of(alice, event)))
    assert changed.decoded("SEQUENCE") > first.decoded("SEQUENCE")
    assert changed.decoded("DTSTART").astimezone(UTC) == moved.astimezone(UTC)
    assert str(changed["UID"]) == str(first["UID"])  # the same event, updated in the calendar app

    assert li.post(f"/api/v1/events/{event.pk}/cancel").status_code == 200
    cancelled = only_vevent(parse(ics_of(alice, event)))
    assert str(cancelled["STATUS"]) == "CANCELLED"
    assert cancelled.decoded("SEQUENCE") > changed.decoded("SEQUENCE")
    assert str(cancelled["UID"]) == str(first["UID"])


def test_only_the_invited_and_the_organisers_get_an_event_ics(cast):
    event = class_event(cast.client(cast.ms_li), cast.class1, starts=beijing(3, 19))
    url = f"/events/{event.pk}/event.ics"
    for user in (cast.alice, cast.bob, cast.ms_li, cast.admin_zhang):
        assert cast.client(user).get(url).status_code == 200, user
    for user in (cast.carol, cast.erin, cast.dave):
        response = cast.client(user).get(url)
        assert response.status_code == 404, user
        assert b"BEGIN:VCALENDAR" not in response.content
    response = Client().get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert "next=" in response["Location"]


# --- the calendar feed -------------------------------------------------------------------------------


def test_the_feed_has_my_events_and_my_booking_and_nothing_else(cast):
    li = cast.client(cast.ms_li)
    mine = class_event(li, cast.class1, starts=beijing(3, 19), title="三年级1班家长会")
    class_event(cast.client(cast.admin_zhang), cast.class2, starts=beijing(3, 19), title="三年级2班家长会")
    class_event(cast.client(cast.dave), cast.class_b, starts=beijing(3, 19), title="明德小学家长会")
    conference, booking = offer_and_book(cast)

    alice = cast.client(cast.alice)
    page = alice.get("/calendar/")
    assert page.status_code == 200
    token = CalendarFeed.objects.get(user=cast.alice).token
    url = f"/calendar/{token}.ics"
    assert f"{settings.SITE_URL}{url}" in page.content.decode()

    response = Client().get(url)  # the calendar app does not sign in
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    data = response.content
    physical_lines(data)
    cal = parse(data)
    assert str(cal["VERSION"]) == "2.0"
    assert [str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")] == ["Asia/Shanghai"]
    vevents = cal.walk("VEVENT")
    summaries = sorted(str(v["SUMMARY"]) for v in vevents)
    assert len(vevents) == 2, summaries
    assert "三年级2班家长会" not in data.decode() and "明德小学家长会" not in data.decode()
    by_summary = {str(v["SUMMARY"]): v for v in vevents}
    assert by_summary["三年级1班家长会"].decoded("DTSTART") == mine.starts_at
    (booked,) = [v for s, v in by_summary.items() if s != "三年级1班家长会"]
    assert conference.title in str(booked["SUMMARY"]) and cast.alice_child.name in str(booked["SUMMARY"])
    start = booked.decoded("DTSTART")
    assert start == booking.slot.starts_at
    assert (start.astimezone(SHANGHAI).hour, start.astimezone(SHANGHAI).minute) == (14, 0)
    assert booked["DTSTART"].params["TZID"] == "Asia/Shanghai"
    assert str(booked["LOCATION"]) == "三年级1班教室"
    assert len({str(v["UID"]) for v in vevents}) == 2

    # The JSON API lists the same items.
    items = alice.get("/api/v1/calendar").json()
    assert sorted((i["type"], i["id"]) for i in items) == [("conference", conference.pk), ("event", mine.pk)]
    api_starts = sorted(datetime.datetime.fromisoformat(i["starts_at"]) for i in items)
    assert api_starts == sorted(v.decoded("DTSTART") for v in vevents)
    assert {i["title"] for i in items} == {"三年级1班家长会", conference.title}

    # The teachers holding the conference have it in theirs; carol has none of it.
    assert ("conference", conference.pk) in {
        (i["type"], i["id"]) for i in cast.client(cast.mr_wang).get("/api/v1/calendar").json()
    }
    assert [i["title"] for i in cast.client(cast.carol).get("/api/v1/calendar").json()] == ["三年级2班家长会"]


def test_a_revoked_feed_link_finds_nothing_and_the_new_one_works(cast):
    class_event(cast.client(cast.ms_li), cast.class1, starts=beijing(3, 19))
    alice = cast.client(cast.alice)
    alice.get("/calendar/")
    old = CalendarFeed.objects.get(user=cast.alice).token
    assert Client().get(f"/calendar/{old}.ics").status_code == 200

    response = alice.post("/calendar/revoke/")
    assert response.status_code == 302 and response["Location"] == reverse("events:calendar")
    new = CalendarFeed.objects.get(user=cast.alice).token
    assert new != old
    assert Client().get(f"/calendar/{old}.ics").status_code == 404
    response = Client().get(f"/calendar/{new}.ics")
    assert response.status_code == 200
    assert len(parse(response.content).walk("VEVENT")) == 1
    page = alice.get("/calendar/").content.decode()
    assert new in page and old not in page


def test_a_deactivated_users_feed_is_gone(cast):
    class_event(cast.client(cast.ms_li), cast.class1, starts=beijing(3, 19))
    cast.client(cast.alice).get("/calendar/")
    token = CalendarFeed.objects.get(user=cast.alice).token
    assert Client().get(f"/calendar/{token}.ics").status_code == 200
    User.objects.filter(pk=cast.alice.pk).update(is_active=False)
    assert Client().get(f"/calendar/{token}.ics").status_code == 404


def test_a_made_up_feed_token_and_an_anonymous_calendar_page_find_nothing(cast):
    cast.client(cast.alice).get("/calendar/")
    assert Client().get("/calendar/not-a-token.ics").status_code == 404
    response = Client().get("/calendar/")
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))
    assert Client().post("/calendar/revoke/").status_code == 302
    assert CalendarFeed.objects.count() == 1
