"""Events that overlap a time range on the user's calendars: the one place with the rules.

What blocks time is what Google's own free/busy counts as busy, so the conflict check and
find_free_slots never disagree:
* an event is busy unless it is cancelled, shown as free (transparent: all-day markers,
  holidays, working-location entries), or an invitation the user declined;
* all-day events shown as busy block their whole days, timed events their time;
* ranges are half-open, [start, end): an event ending at 10:00 does not clash with one
  starting at 10:00.
The calendars checked are the ones that make the user busy (primary, plus the other shown
calendars they own or can write) and the calendar written to. The event itself (and
instances of it) is ignored. A new recurring event is checked over its first two weeks of
occurrences (at most 10, `first_occurrences`), read in one request per calendar, and the public
holidays (from the holiday calendars the user shows) among those days are named.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from gcal.dates.recurrence import series_starts
from gcal.dates.times import day_start, to_rfc3339
from gcal.errors import GoogleCalendarError
from gcal.events.calendars import busy_calendars, list_calendars, shown_calendars
from gcal.events.holiday_marks import is_holiday_calendar, public_holiday_days
from gcal.google.client import CalendarClient
from gcal.google.serializers import event_from_api
from gcal.google.transport import calendar_path
from gcal.models import Event, EventTime

MAX_CHECKED = 50
SERIES_DAYS = 14  # a new series is checked over its first two weeks …
SERIES_OCCURRENCES = 10  # … or its first 10 occurrences, whichever are fewer
_SERIES_CHECKED = 250  # items read per calendar for those two weeks
_MAX_PARALLEL = 8
_IGNORED_TYPES = frozenset({"workingLocation"})  # always free in Google's free/busy


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
    read: tuple[str, list[dict] | Future] | None = None,
) -> list[Event]:
    """Busy events overlapping ``window`` on the user's busy calendars and ``calendar_id``,
    read in one round of parallel requests (see the module rules). ``read``: one calendar's
    items in ``window`` (``window_items``) that the caller has, or is reading alongside."""
    calendars = _checked_calendars(client, calendar_id)
    known = dict([read]) if read else {}

    def events_of(cal: str) -> list[Event]:
        items = known[cal] if cal in known else window_items(client, cal, window, zone)
        if isinstance(items, Future):
            items = items.result()
        viewer = client.viewer()
        return [event_from_api(item, cal, viewer) for item in items]

    if len(calendars) == 1:
        found = [events_of(calendars[0])]
    else:
        with ThreadPoolExecutor(max_workers=min(_MAX_PARALLEL, len(calendars))) as pool:
            found = list(pool.map(events_of, calendars))
    events = _unique(event for events in found for event in events)
    return sorted(overlapping(events, window, zone, ignore_id=ignore_id),
                  key=lambda e: _instant(e.start, zone) or window.start)


@dataclass
class SeriesCheck:
    """What checking a new series' first occurrences found."""

    occurrences: list[Window]
    conflicts: list[Event] = field(default_factory=list)
    clashing: int = 0  # occurrences that overlap something
    holidays: list[tuple[date, str]] = field(default_factory=list)  # public holidays hit
    away: list[date] = field(default_factory=list)  # days an out-of-office entry covers


def first_occurrences(recurrence: list[str], first: Window, zone: ZoneInfo) -> list[Window]:
    """The occurrences of a series starting with ``first`` within SERIES_DAYS (at most
    SERIES_OCCURRENCES). Expanded on wall-clock time, as Google keeps the local time across
    DST; a rule dateutil cannot read leaves just the first occurrence."""
    wall = first.start.astimezone(zone).replace(tzinfo=None)
    length = first.end - first.start
    horizon = wall + timedelta(days=SERIES_DAYS)
    lines = [_wall_times(line, zone) for line in recurrence]
    try:
        starts = series_starts(lines, wall, stop_before=horizon, limit=SERIES_OCCURRENCES)
    except (ValueError, TypeError):
        return [first]
    windows = [Window(start.replace(tzinfo=zone), start.replace(tzinfo=zone) + length,
                      first.all_day) for start in starts]
    return windows or [first]


def _wall_times(line: str, zone: ZoneInfo) -> str:
    """UTC times in a line (UNTIL, as Google requires for timed series; an EXDATE or RDATE
    given in UTC) as the zone's wall-clock times, since the series is expanded on wall time."""
    def local(match: re.Match) -> str:
        utc = datetime.strptime(match.group(1), "%Y%m%dT%H%M%S").replace(tzinfo=ZoneInfo("UTC"))
        return f"{utc.astimezone(zone):%Y%m%dT%H%M%S}"
    return re.sub(r"(\d{8}T\d{6})Z", local, line)


def find_series_conflicts(
    client: CalendarClient, calendar_id: str, occurrences: list[Window], zone: ZoneInfo, *,
    ignore_id: str | None = None,
) -> SeriesCheck:
    """Busy events overlapping any of ``occurrences``, public holidays and out-of-office days
    among them: one read per busy calendar (and shown holiday calendar) over their span."""
    hull = Window(occurrences[0].start, max(w.end for w in occurrences))
    busy = _checked_calendars(client, calendar_id)
    holiday_calendars = [c.id for c in shown_calendars(
        list_calendars(client, show_hidden=True, refresh=False)) if is_holiday_calendar(c.id)]

    def read(cal: str) -> list[dict] | GoogleCalendarError:
        try:
            return window_items(client, cal, hull, zone, limit=_SERIES_CHECKED)
        except GoogleCalendarError as exc:
            if cal in busy:
                raise
            return exc  # public holidays are a courtesy: never fail the check for them

    calendars = [*busy, *(cal for cal in holiday_calendars if cal not in busy)]
    with ThreadPoolExecutor(max_workers=min(_MAX_PARALLEL, len(calendars))) as pool:
        found = dict(zip(calendars, pool.map(read, calendars), strict=True))
    viewer = client.viewer()
    events = _unique(event_from_api(item, cal, viewer) for cal in busy for item in found[cal])
    check = SeriesCheck(occurrences)
    seen: dict[tuple[str, object], Event] = {}
    for window in occurrences:
        hits = overlapping(events, window, zone, ignore_id=ignore_id)
        check.clashing += bool(hits)
        seen.update(((e.ical_uid or e.id, e.start), e) for e in hits)
        if any(e.event_type == "outOfOffice" for e in hits):
            check.away.append(window.start.astimezone(zone).date())
    check.conflicts = sorted(seen.values(), key=lambda e: _instant(e.start, zone) or hull.start)
    days = {w.start.astimezone(zone).date() for w in occurrences}
    for cal in holiday_calendars:
        items = found.get(cal)
        check.holidays.extend(holiday for holiday in public_holiday_days(
            items if isinstance(items, list) else []) if holiday[0] in days)
    check.holidays.sort()
    return check


def _checked_calendars(client: CalendarClient, calendar_id: str) -> list[str]:
    calendars = list_calendars(client, show_hidden=True, refresh=False)
    primary = next((c.id for c in calendars if c.primary), "primary")
    target = primary if calendar_id == "primary" else calendar_id
    return list(dict.fromkeys([target, *(c.id for c in busy_calendars(calendars))]))


def window_items(client: CalendarClient, calendar_id: str, window: Window, zone: ZoneInfo,
                 *, limit: int = MAX_CHECKED) -> list[dict]:
    """Google's items (occurrences expanded) of one calendar that touch ``window``."""
    path = calendar_path("calendars", calendar_id, "events", parameter="calendar_id")
    params = {
        "singleEvents": "true",
        "orderBy": "startTime",
        "timeMin": to_rfc3339(window.start),
        "timeMax": to_rfc3339(window.end),
        "maxResults": limit,
        "timeZone": zone.key,
    }
    return (client.transport.get(path, params=params) or {}).get("items", [])


def _unique(events: Iterable[Event]) -> list[Event]:
    """An invitation sits on several of the user's calendars with the same id: list it once."""
    return list({(e.ical_uid or e.id, e.start): e for e in events}.values())


def overlapping(
    events: Iterable[Event], window: Window, zone: ZoneInfo, *, ignore_id: str | None = None
) -> list[Event]:
    return [event for event in events
            if not _ignored(event, ignore_id) and _overlaps(event, window, zone)]


def _ignored(event: Event, ignore_id: str | None) -> bool:
    return (
        (ignore_id is not None and ignore_id in (event.id, event.recurring_event_id))
        or event.status == "cancelled"
        or event.transparency == "transparent"
        or event.my_response == "declined"
        or event.event_type in _IGNORED_TYPES
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
