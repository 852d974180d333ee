"""iCalendar (RFC 5545) text for events and conference bookings: CRLF lines folded at 75 octets,
TEXT values escaped, times with TZID=Asia/Shanghai and a VTIMEZONE (China has had no daylight
saving since 1991, so one STANDARD component at +0800 is the whole truth)."""

import datetime

from django.conf import settings
from django.utils import timezone

PRODID = "-//Tongxin//Tongxin home-school//ZH"
TZID = "Asia/Shanghai"
VTIMEZONE = [
    "BEGIN:VTIMEZONE",
    f"TZID:{TZID}",
    "BEGIN:STANDARD",
    "DTSTART:19910915T000000",
    "TZOFFSETFROM:+0800",
    "TZOFFSETTO:+0800",
    "TZNAME:CST",
    "END:STANDARD",
    "END:VTIMEZONE",
]


def escape_text(value: str) -> str:
    return (
        (value or "")
        .replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\n")
        .replace("\r", "\n")
        .replace("\n", "\\n")
    )


def fold(line: str) -> str:
    """Split a content line into chunks of at most 75 octets, never inside a UTF-8 character."""
    out: list[str] = []
    current, size = "", 0
    for ch in line:
        n = len(ch.encode("utf-8"))
        limit = 75 if not out else 74  # continuation lines start with a space
        if size + n > limit:
            out.append(current)
            current, size = ch, n
        else:
            current += ch
            size += n
    out.append(current)
    return "\r\n ".join(out)


def _local(dt: datetime.datetime) -> str:
    return timezone.localtime(dt, timezone.get_fixed_timezone(480)).strftime("%Y%m%dT%H%M%S")


def _utc(dt: datetime.datetime) -> str:
    return dt.astimezone(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")


def vevent(
    *,
    uid: str,
    summary: str,
    starts_at,
    ends_at,
    location: str = "",
    description: str = "",
    url: str = "",
    stamp=None,
    cancelled: bool = False,
    sequence: int = 0,
) -> list[str]:
    lines = [
        "BEGIN:VEVENT",
        f"UID:{uid}",
        f"DTSTAMP:{_utc(stamp or timezone.now())}",
        f"DTSTART;TZID={TZID}:{_local(starts_at)}",
        f"DTEND;TZID={TZID}:{_local(ends_at)}",
        f"SUMMARY:{escape_text(summary)}",
        f"SEQUENCE:{sequence}",
        f"STATUS:{'CANCELLED' if cancelled else 'CONFIRMED'}",
    ]
    if location:
        lines.append(f"LOCATION:{escape_text(location)}")
    if description:
        lines.append(f"DESCRIPTION:{escape_text(description)}")
    if url:
        lines.append(f"URL:{url}")
    lines.append("END:VEVENT")
    return lines


def calendar(name: str, events: list[list[str]]) -> bytes:
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text(name)}",
        f"X-WR-TIMEZONE:{TZID}",
        *VTIMEZONE,
    ]
    for event in events:
        lines += event
    lines.append("END:VCALENDAR")
    return ("\r\n".join(fold(line) for line in lines) + "\r\n").encode("utf-8")


def event_uid(kind: str, pk: int) -> str:
    host = settings.SITE_URL.split("//", 1)[-1].split("/", 1)[0] or "tongxin"
    return f"{kind}-{pk}@{host}"
