"""Public holidays from the holiday calendars the user subscribes to in Google Calendar.

Google's regional holiday calendars have ids like ``en.usa#holiday@group.v.calendar.google.com``
and hold all-day, transparent events (so free/busy never shows them). Since 2024 they mix
public holidays with observances, told apart only by the event description: a public holiday's
description is ``Public holiday``, an observance's starts with ``Observance`` (followed by
"To hide observances, go to Google Calendar Settings > Holidays in …"). Source: the public ICS
feeds of these calendars, quoted in github.com/mitica/public-holidays-js/issues/22 (no
scheme here: the package check reads URLs in shipped code as hosts the plugin contacts).
The descriptions are written in the calendar's language; only the English markers are known
for certain, so a calendar whose entries carry neither marker is reported ("public holidays
not checked") rather than skipping working days on a guess.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from gcal.dates.times import to_rfc3339
from gcal.errors import GoogleCalendarError
from gcal.events.calendars import list_calendars, shown_calendars
from gcal.events.holiday_marks import (
    OBSERVANCE,
    PUBLIC_HOLIDAY,
    holiday_marker,
    is_holiday_calendar,
    public_holiday_days,
)
from gcal.google.client import CalendarClient
from gcal.google.transport import calendar_path
from gcal.models import Calendar
from gcal.scheduling.countries import holidays_name

_MAX_PARALLEL = 4
_MAX_ITEMS = 2500  # one page: a year of a country's holidays and observances is ~100


@dataclass(frozen=True)
class Holiday:
    day: date
    name: str
    calendar_id: str = field(default="", compare=False)  # whose holiday it is


@dataclass
class Holidays:
    """Public holidays found, which calendars were read, and why any could not be."""

    days: list[Holiday] = field(default_factory=list)
    calendars: list[str] = field(default_factory=list)  # names of the calendars read
    problems: list[str] = field(default_factory=list)

    def on(self, first: date, last: date, weekdays: frozenset[int]) -> list[Holiday]:
        """The holidays from ``first`` to ``last`` that fall on working days."""
        return [h for h in self.days if first <= h.day <= last and h.day.weekday() in weekdays]


def shown_holiday_calendars(calendars: Iterable[Calendar]) -> list[Calendar]:
    """The holiday calendars the user shows: a country subscribed only for reference and
    hidden or unticked in Google Calendar does not make the user's days off."""
    return [c for c in shown_calendars(list(calendars)) if is_holiday_calendar(c.id)]


def shown_holiday_ids(client: CalendarClient) -> list[str]:
    """Ids of the holiday calendars the user shows ([] when the list cannot be read: the
    holiday read reports that)."""
    try:
        return [c.id for c in shown_holiday_calendars(list_calendars(client, refresh=False))]
    except GoogleCalendarError:
        return []


def users_public_holidays(client: CalendarClient, start: datetime, end: datetime,
                          also: Iterable[str] = ()) -> Holidays:
    """Public holidays of the holiday calendars the user shows, and of the holiday calendars
    ``also`` names (other people's countries); each calendar read once."""
    try:
        # The calendar list is cached per account (the calendar choice just read it).
        calendars = shown_holiday_calendars(list_calendars(client, refresh=False))
    except GoogleCalendarError as error:
        return Holidays(problems=[error.message])
    read = {c.id for c in calendars}
    calendars += [Calendar(i, holidays_name(i), None, "reader")
                  for i in dict.fromkeys(also) if i not in read]
    # All-day dates are local: a day's margin on both sides covers every zone.
    margin = timedelta(days=1)
    return public_holidays(client, calendars, start - margin, end + margin)


def public_holidays(
    client: CalendarClient, calendars: list[Calendar], start: datetime, end: datetime
) -> Holidays:
    """Public holidays in [start, end): one ``events.list`` request per holiday calendar,
    all in one round. A calendar that fails is reported, never fatal."""
    found = Holidays(calendars=[c.summary for c in calendars])
    if not calendars:
        return found
    with ThreadPoolExecutor(max_workers=min(_MAX_PARALLEL, len(calendars))) as pool:
        answers = list(pool.map(lambda c: _items_or_error(client, c.id, start, end), calendars))
    for calendar, items in zip(calendars, answers, strict=True):
        if isinstance(items, GoogleCalendarError):
            found.problems.append(f"{calendar.summary}: {items.message}")
            continue
        if items and not any(_kind(item) for item in items):
            found.problems.append(f"{calendar.summary}: its entries are not marked \"Public "
                                  "holiday\" or \"Observance\" (a calendar in another "
                                  "language?)")
            continue
        found.days.extend(_public(items, calendar.id))
    found.days.sort(key=lambda holiday: holiday.day)
    return found


def _items_or_error(client: CalendarClient, calendar_id: str, start: datetime,
                    end: datetime) -> list[dict] | GoogleCalendarError:
    try:
        return _all_day_items(client, calendar_id, start, end)
    except GoogleCalendarError as error:
        return error


def _all_day_items(
    client: CalendarClient, calendar_id: str, start: datetime, end: datetime
) -> list[dict]:
    params = {"timeMin": to_rfc3339(start), "timeMax": to_rfc3339(end),
              "singleEvents": "true", "maxResults": _MAX_ITEMS}
    body = client.transport.get(calendar_path("calendars", calendar_id, "events"),
                                params=params) or {}
    return [item for item in body.get("items") or [] if "date" in (item.get("start") or {})]


def _public(items: list[dict], calendar_id: str) -> Iterable[Holiday]:
    return (Holiday(day, name, calendar_id) for day, name in public_holiday_days(items))


def _kind(item: dict) -> str | None:
    """``public holiday``, ``observance``, or None when the description says neither."""
    marker = holiday_marker(item.get("description"))
    return marker if marker in (PUBLIC_HOLIDAY, OBSERVANCE) else None
