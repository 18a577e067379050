"""Gathering what an ICS export contains: the events of a window.

Occurrences are listed expanded (`singleEvents`, as list_events does). By default the file holds
exactly those: each occurrence of a series inside the window, keeping the series' UID and its
RECURRENCE-ID so a calendar app still groups them (RFC 5545 §3.8.4.4), and nothing outside the
window ("next week's meetings" is not a stand-up that began a month ago and never ends).

With `keep_series` (backups, moving calendars) each distinct series is written once as its
master event (fetched with one GET per series, concurrently) carrying Google's RRULE/EXDATE/RDATE
lines; only occurrences that differ from what the rule produces are written, as RECURRENCE-ID
overrides, and deleted occurrences in the window become EXDATEs. Changed occurrences outside the
window are not looked up.

Subscribed holiday calendars are left out unless named: a file of "my events" is not the
country's holidays.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from gcal.errors import ApiError, GoogleCalendarError
from gcal.events.holiday_marks import is_holiday_calendar
from gcal.events.reading import MAX_RESULTS_CAP, get_event, list_events
from gcal.events.selection import EventSelection
from gcal.google.client import CalendarClient
from gcal.ics.writing import original_start, uid_of
from gcal.models import Event, EventTime

MAX_EXPORT_EVENTS = 5000
_MAX_PARALLEL = 8
_SERIES_FIELDS = (
    "summary", "description", "location", "status", "transparency", "visibility",
    "meet_link", "organizer", "attendees",
)


@dataclass
class Export:
    events: list[Event]
    removed: dict[str, list[EventTime]]
    occurrences: int
    series: int
    calendar_ids: list[str]
    time_min: datetime
    time_max: datetime
    truncated: bool = False
    warnings: list[str] = field(default_factory=list)
    calendar_names: dict[str, str] = field(default_factory=dict)
    kept_series: bool = False
    from_series: int = 0  # occurrences of recurring series among the events
    types: dict[str, int] = field(default_factory=dict)  # Google event type -> events
    left_out: list[str] = field(default_factory=list)  # holiday calendars not exported

    @property
    def label(self) -> str:
        """Calendar names for X-WR-CALNAME, as Google's event listing reported them."""
        return ", ".join(self.calendar_names.get(cal, cal) for cal in self.calendar_ids)


@dataclass
class _Window:
    events: list[Event] = field(default_factory=list)
    calendar_ids: list[str] = field(default_factory=list)
    time_min: datetime = datetime.min
    time_max: datetime = datetime.max
    truncated: bool = False
    warnings: list[str] = field(default_factory=list)
    calendar_names: dict[str, str] = field(default_factory=dict)


def without_holiday_calendars(selection: EventSelection) -> tuple[EventSelection, list[str]]:
    """The selection without subscribed holiday calendars (unless nothing else is left), and
    the names of those left out. For a selection whose calendars were not named one by one."""
    kept = [cal for cal in selection.calendar_ids if not is_holiday_calendar(cal)]
    if not kept or len(kept) == len(selection.calendar_ids):
        return selection, []
    left_out = [selection.calendar_names.get(cal, cal)
                for cal in selection.calendar_ids if cal not in kept]
    return dataclasses.replace(selection, calendar_ids=kept), left_out


def gather_export(
    client: CalendarClient, selection: EventSelection, *, keep_series: bool = False,
    limit: int = MAX_EXPORT_EVENTS,
) -> Export:
    window = _list_window(client, selection, limit)
    live = [e for e in window.events if _live(e)]
    export = Export(
        events=_unique(live), removed={}, occurrences=len(live), series=0,
        calendar_ids=window.calendar_ids, time_min=window.time_min, time_max=window.time_max,
        truncated=window.truncated, warnings=window.warnings,
        calendar_names=window.calendar_names, kept_series=keep_series,
        from_series=sum(1 for e in live if e.recurring_event_id), types=_types(live),
    )
    if keep_series:
        _as_series(client, selection.zone, window, export)
    return export


def _types(events: list[Event]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for event in events:
        counts[event.event_type] += 1
    return dict(counts)


def _as_series(client: CalendarClient, zone: ZoneInfo, window: _Window, export: Export) -> None:
    """Whole series: masters with their rules, changed occurrences and EXDATEs."""
    groups = _by_series(window.events)
    masters = _fetch_masters(client, list(groups), zone, export.warnings)
    components = [e for e in window.events if not e.recurring_event_id and _live(e)]
    for key, occurrences in groups.items():
        master = masters.get(key)
        if master is None:
            components.extend(_standalone(e) for e in occurrences if _live(e))
            continue
        components.append(master)
        components.extend(e for e in occurrences if _is_override(e, master))
        export.removed[master.id] = _removed(occurrences)
    export.events = _unique(components)
    export.series = len(masters)


def _list_window(client: CalendarClient, selection: EventSelection, limit: int) -> _Window:
    window = _Window()
    token = None
    while True:
        page = list_events(
            client, **selection.list_arguments(), max_results=MAX_RESULTS_CAP, page_token=token,
            show_deleted=True,
        )
        if token is None:
            window.calendar_ids, window.time_min, window.time_max = (
                page.calendar_ids, page.time_min, page.time_max,
            )
        window.calendar_names.update(page.calendar_names)
        window.events.extend(page.events)
        window.warnings.extend(w for w in page.warnings if w not in window.warnings)
        token = page.next_page_token
        if not token or len(window.events) > limit:
            break
    if token or len(window.events) > limit:
        window.truncated = True
        window.events = window.events[:limit]
    return window


def _live(event: Event) -> bool:
    return event.status != "cancelled"


def _by_series(events: list[Event]) -> dict[tuple[str, str], list[Event]]:
    groups: dict[tuple[str, str], list[Event]] = defaultdict(list)
    for event in events:
        if event.recurring_event_id:
            groups[(event.calendar_id, event.recurring_event_id)].append(event)
    return groups


def _fetch_masters(
    client: CalendarClient, keys: list[tuple[str, str]], zone: ZoneInfo, warnings: list[str]
) -> dict[tuple[str, str], Event]:
    def fetch(key: tuple[str, str]) -> Event | GoogleCalendarError:
        try:
            return get_event(client, key[0], key[1], zone)
        except ApiError as exc:
            return exc

    if not keys:
        return {}
    with ThreadPoolExecutor(max_workers=min(_MAX_PARALLEL, len(keys))) as pool:
        results = dict(zip(keys, pool.map(fetch, keys), strict=True))
    masters = {}
    for key, result in results.items():
        if isinstance(result, Event) and result.recurrence:
            masters[key] = result
        else:
            reason = result.message if isinstance(result, GoogleCalendarError) else "no rule"
            warnings.append(
                f"series {key[1]} exported as single occurrences (its rule is unavailable: "
                f"{reason})"
            )
    return masters


def _is_override(occurrence: Event, master: Event) -> bool:
    """True when the occurrence is not exactly what the master's rule would produce."""
    if not _live(occurrence):
        return False
    original = original_start(occurrence)
    if original is None or _point(occurrence.start) != _point(original):
        return True
    if _length(occurrence) != _length(master):
        return True
    return any(getattr(occurrence, f) != getattr(master, f) for f in _SERIES_FIELDS)


def _point(moment: EventTime):
    return moment.day if moment.day is not None else moment.instant


def _length(event: Event) -> object:
    start, end = _point(event.start), _point(event.end)
    return end - start if start is not None and end is not None else None


def _removed(occurrences: list[Event]) -> list[EventTime]:
    return [
        start for e in occurrences
        if not _live(e) and (start := original_start(e)) is not None
    ]


def _standalone(occurrence: Event) -> Event:
    """Without its series an occurrence must not reuse the series UID or a RECURRENCE-ID."""
    return dataclasses.replace(
        occurrence, ical_uid=f"{occurrence.id}@google.com", recurring_event_id=None
    )


def _unique(events: list[Event]) -> list[Event]:
    """An event shared by several exported calendars is written once (UID must be unique)."""
    seen: set[tuple[str, object]] = set()
    kept = []
    for event in events:
        original = original_start(event)
        key = (uid_of(event), original and _point(original))
        if key not in seen:
            seen.add(key)
            kept.append(event)
    return kept
