"""How Google's regional holiday calendars and their public holidays are recognised.

Google's regional holiday calendars have ids like ``en.usa#holiday@group.v.calendar.google.com``
and mark each entry in its description: a public holiday's first line is ``Public holiday``, an
observance's starts with ``Observance`` (see gcal/scheduling/holidays.py for the sources).
Kept in the events wing so listings, exports and conflict checks can tell them apart too.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, timedelta

HOLIDAY_CALENDAR_SUFFIX = "#holiday@group.v.calendar.google.com"
PUBLIC_HOLIDAY = "public holiday"  # the description's first line, case-folded
OBSERVANCE = "observance"


def is_holiday_calendar(calendar_id: str) -> bool:
    return calendar_id.endswith(HOLIDAY_CALENDAR_SUFFIX)


def holiday_marker(description: str | None) -> str:
    """The description's first line, case-folded: ``public holiday``, ``observance``, …"""
    first_line = (description or "").strip().splitlines()[:1]
    return first_line[0].strip().casefold() if first_line else ""


def is_public_holiday(description: str | None) -> bool:
    return holiday_marker(description) == PUBLIC_HOLIDAY


def public_holiday_days(items: Iterable[dict]) -> Iterator[tuple[date, str]]:
    """Each day a holiday calendar's items (Google's JSON) mark as a public holiday, with its
    name; an entry of several days gives each of them (the end date is exclusive)."""
    for item in items:
        start = (item.get("start") or {}).get("date")
        if not start or item.get("status") == "cancelled" or not is_public_holiday(
                item.get("description")):
            continue
        first = date.fromisoformat(start)
        last = date.fromisoformat((item.get("end") or {}).get("date") or start)
        day = first
        while day < max(last, first + timedelta(days=1)):
            yield day, item.get("summary") or "holiday"
            day += timedelta(days=1)
