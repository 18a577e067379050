"""Events on a calendar that overlap a time range: the one place with the overlap rules.

Rules:
* Ranges are half-open, [start, end): an event ending at 10:00 does not clash with one
  starting at 10:00.
* Ignored: the event itself (and instances of it, for a recurring event), cancelled events,
  events shown as free (transparent), invitations the user declined, and working-location
  entries.
* All-day and timed entries never conflict with each other: an all-day entry is usually a
  marker (holiday, birthday, trip), not busy time. Two all-day entries conflict when they
  share a day.
* Only the range given is checked; for a new recurring event that is its first occurrence.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from gcal.client import CalendarClient
from gcal.models import Event, EventTime
from gcal.serializers import event_from_api
from gcal.times import day_start, to_rfc3339
from gcal.transport import calendar_path

MAX_CHECKED = 50
_IGNORED_TYPES = frozenset({"workingLocation"})


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime
    all_day: bool = False


def find_conflicts(
    client: CalendarClient,
    calendar_id: str,
    window: Window,
    zone: ZoneInfo,
    *,
    ignore_id: str | None = None,
) -> list[Event]:
    """Events on ``calendar_id`` overlapping ``window`` (see the module rules)."""
    path = calendar_path("calendars", calendar_id, "events", parameter="calendar_id")
    params = {
        "singleEvents": "true",
        "orderBy": "startTime",
        "timeMin": to_rfc3339(window.start),
        "timeMax": to_rfc3339(window.end),
        "maxResults": MAX_CHECKED,
        "timeZone": zone.key,
    }
    items = (client.transport.get(path, params=params) or {}).get("items", [])
    events = [event_from_api(item, calendar_id) for item in items]
    return overlapping(events, window, zone, ignore_id=ignore_id)


def overlapping(
    events: Iterable[Event], window: Window, zone: ZoneInfo, *, ignore_id: str | None = None
) -> list[Event]:
    return [event for event in events
            if not _ignored(event, window, ignore_id) and _overlaps(event, window, zone)]


def _ignored(event: Event, window: Window, ignore_id: str | None) -> bool:
    return (
        (ignore_id is not None and ignore_id in (event.id, event.recurring_event_id))
        or event.status == "cancelled"
        or event.transparency == "transparent"
        or event.my_response == "declined"
        or event.event_type in _IGNORED_TYPES
        or event.all_day != window.all_day
    )


def _overlaps(event: Event, window: Window, zone: ZoneInfo) -> bool:
    start, end = _instant(event.start, zone), _instant(event.end, zone)
    if start is None or end is None:
        return False
    return start < window.end and window.start < end


def _instant(point: EventTime, zone: ZoneInfo) -> datetime | None:
    if point.instant is not None:
        return point.instant
    if isinstance(point.day, date):
        return day_start(point.day, zone)
    return None
