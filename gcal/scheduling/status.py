"""Why time is busy in find_free_slots: status events behind Google's free/busy blocks.

Google's freeBusy.query already counts out of office and focus time as busy and leaves
working locations out (they are always free, per Google's event-types guide), but it only
says "busy". events.list with eventTypes tells why, where Google lets the user read the calendar.
"""
# https://developers.google.com/calendar/api/guides/event-types

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from gcal.dates.spans import when_text
from gcal.dates.times import to_rfc3339
from gcal.errors import GoogleCalendarError
from gcal.google.client import CalendarClient
from gcal.google.serializers import event_from_api
from gcal.google.transport import calendar_path

# Every person's read in the same round for teams of up to 16 (the session pools 32
# connections); a fifth person used to cost a second round.
_MAX_PARALLEL = 16
_PER_CALENDAR = 20


def status_owners(client: CalendarClient, attendees: Sequence[str]) -> dict[str, bool]:
    """Status events live only on primary calendars: the user's own, and each person's
    (mapped to whether it is the user's)."""
    mine = client.account_email() or "primary"
    people = {email: False for email in attendees if email.casefold() != mine.casefold()}
    return {mine: True, **people}


def status_notes(client: CalendarClient, owners: Mapping[str, bool], start: datetime,
                 end: datetime, zone: ZoneInfo) -> list[str]:
    """The user's focus time (busy, so never offered) and other people's out of office.
    ``owners`` maps each calendar or person to whether it is the user's own."""
    with ThreadPoolExecutor(max_workers=min(_MAX_PARALLEL, len(owners))) as pool:
        found = list(pool.map(lambda name: _status_events(client, name, start, end), owners))
    notes = []
    for name, items in zip(owners, found, strict=True):
        for item in items:
            kind = item.get("eventType")
            if kind == "focusTime" and owners[name]:
                notes.append(f"Your focus time counts as busy: {_when(item, zone)}")
            elif kind == "outOfOffice" and not owners[name]:
                notes.append(f"{name} is out of office: {_when(item, zone)}")
    return list(dict.fromkeys(notes))


def _status_events(client: CalendarClient, calendar_id: str, start: datetime,
                   end: datetime) -> list[dict]:
    params = {"eventTypes": ["outOfOffice", "focusTime"], "singleEvents": "true",
              "orderBy": "startTime", "timeMin": to_rfc3339(start),
              "timeMax": to_rfc3339(end), "maxResults": _PER_CALENDAR}
    try:
        page = client.transport.get(calendar_path("calendars", calendar_id, "events"),
                                    params=params) or {}
    except GoogleCalendarError:
        return []  # Google does not reveal this calendar's events; its free/busy still counts
    return [item for item in page.get("items", []) if item.get("status") != "cancelled"]


def _when(item: Mapping[str, Any], zone: ZoneInfo) -> str:
    return when_text(event_from_api(dict(item), ""), zone)
