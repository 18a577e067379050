"""How dates and time spans are written for people: `Mon 2026-03-10 15:00–16:00 +01:00`."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from gcal.dates.times import format_offset
from gcal.models import Event, EventTime

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def day_label(d: date) -> str:
    return f"{WEEKDAYS[d.weekday()]} {d.isoformat()}"


def inclusive_end_day(start: EventTime, end: EventTime) -> date | None:
    """Google's all-day end date is exclusive; people (and models) think inclusively."""
    if end.day is None:
        return None
    last = end.day - timedelta(days=1)
    return max(last, start.day) if start.day else last


def when_text(event: Event, zone: ZoneInfo) -> str:
    if event.all_day:
        last = inclusive_end_day(event.start, event.end)
        if last is None or last == event.start.day:
            return f"{day_label(event.start.day)} all-day"
        return f"{day_label(event.start.day)} – {day_label(last)} all-day"
    if event.start.instant is None or event.end.instant is None:
        return "time unknown"
    return span_text(event.start.instant.astimezone(zone), event.end.instant.astimezone(zone))


def span_text(start: datetime, end: datetime) -> str:
    """`Mon 2026-03-10 15:00–16:00 +01:00`; both ends in full when day or offset differ."""
    if start.date() == end.date() and format_offset(start) == format_offset(end):
        return f"{day_label(start.date())} {start:%H:%M}–{end:%H:%M} {format_offset(start)}"
    return (
        f"{day_label(start.date())} {start:%H:%M} {format_offset(start)} – "
        f"{day_label(end.date())} {end:%H:%M} {format_offset(end)}"
    )
