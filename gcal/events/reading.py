"""Reading events: one or several calendars, merged in start order, with stable paging."""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from gcal.dates.times import day_start, parse_rfc3339, resolve_zone, to_rfc3339
from gcal.errors import GoogleCalendarError, InvalidInputError
from gcal.google.client import CalendarClient
from gcal.google.pagination import MAX_TOKEN_CALENDARS, Cursor, decode_token, encode_token
from gcal.google.serializers import event_from_api
from gcal.google.transport import calendar_path
from gcal.models import Event, Viewer

MAX_RESULTS_CAP = 2500
# The listing's options as letters in the page token: declined, deleted, the event types and
# the user's answers kept (`responses`).
_TYPE_FLAGS = {"default": "n", "outOfOffice": "o", "focusTime": "f", "workingLocation": "w"}
_RESPONSE_FLAGS = {"needsAction": "N", "accepted": "A", "tentative": "T", "declined": "D"}
RESPONSES = {"needs_action": "needsAction", "not_answered": "needsAction",
             "accepted": "accepted", "tentative": "tentative", "declined": "declined"}
_FLAGS = {"d", "x", *_TYPE_FLAGS.values(), *_RESPONSE_FLAGS.values()}
_GOOGLE_PAGE_MAX = 2500
_MAX_PAGES_PER_CALENDAR = 25
_MAX_PARALLEL = 8


@dataclass
class _Page:
    token: str | None
    items: list[dict]
    next_token: str | None


@dataclass
class _CalendarFeed:
    calendar_id: str
    pages: list[_Page] = field(default_factory=list)
    skip: int = 0
    summary: str | None = None

    @property
    def fetched(self) -> int:
        return sum(len(page.items) for page in self.pages)

    def items(self) -> Iterator[tuple[int, dict]]:
        index = 0
        for page in self.pages:
            for item in page.items:
                if index >= self.skip:
                    yield index, item
                index += 1

    def cursor_after(self, consumed: int) -> Cursor | None:
        """Where to resume once `consumed` items (counted from the first page) were used."""
        remaining = consumed
        for page in self.pages:
            if remaining < len(page.items):
                return Cursor(page.token, remaining)
            remaining -= len(page.items)
            if not page.next_token:
                return None
            start_token = page.next_token
        return Cursor(start_token, remaining) if self.pages else None


@dataclass
class EventPage:
    events: list[Event]
    calendar_ids: list[str]
    time_min: datetime
    time_max: datetime
    next_page_token: str | None
    warnings: list[str]
    calendar_names: dict[str, str] = field(default_factory=dict)
    # Declined invitations skipped on this page, each by how many events preceded it.
    _declined_before: list[int] = field(default_factory=list, repr=False)
    # Per event, how far each calendar was consumed; encoded into a token only on truncation.
    _consumed_after: list[dict[str, int]] = field(default_factory=list, repr=False)
    _resume: Callable[[dict[str, int]], str | None] = field(default=lambda _: None, repr=False)

    @property
    def hidden_declined(self) -> int:
        """Declined invitations this page left out (include_declined=false)."""
        return len(self._declined_before)

    def truncate(self, count: int) -> None:
        """Keep the first `count` events; the next token then resumes right after them."""
        if count >= len(self.events):
            return
        self.events = self.events[:count]
        self._declined_before = [n for n in self._declined_before if n < count]
        self.next_page_token = self._resume(self._consumed_after[count - 1]) if count else None


def _fetch(
    client: CalendarClient,
    feed: _CalendarFeed,
    start_token: str | None,
    need: int,
    params: dict,
) -> None:
    token = start_token
    path = calendar_path("calendars", feed.calendar_id, "events")
    for _ in range(_MAX_PAGES_PER_CALENDAR):
        # A resumed page starts with `skip` items already shown: ask for those too, so one
        # request still yields `need` new ones.
        missing = need + feed.skip - feed.fetched
        query = dict(params, maxResults=min(_GOOGLE_PAGE_MAX, max(missing, 1)))
        if token:
            query["pageToken"] = token
        body = client.transport.get(path, params=query) or {}
        feed.summary = feed.summary or body.get("summary")
        page = _Page(token, body.get("items", []), body.get("nextPageToken"))
        feed.pages.append(page)
        # Google may return short or even empty pages that still carry a next token.
        if feed.fetched - feed.skip >= need or not page.next_token:
            return
        token = page.next_token


def _sort_key(item: dict, zone: ZoneInfo) -> datetime:
    start = item.get("start") or {}
    if "dateTime" in start:
        return parse_rfc3339(start["dateTime"])
    if "date" in start:
        return day_start(date.fromisoformat(start["date"]), zone)
    return datetime.max.replace(tzinfo=zone)


def list_events(
    client: CalendarClient,
    calendar_ids: list[str],
    *,
    time_min: datetime,
    time_max: datetime,
    zone: ZoneInfo,
    query: str | None = None,
    max_results: int = 25,
    page_token: str | None = None,
    include_declined: bool = False,
    show_deleted: bool = False,
    event_types: tuple[str, ...] = (),
    responses: tuple[str, ...] = (),
) -> EventPage:
    """`responses`: keep only events whose own answer (Google's `responseStatus`) is one of
    these; events without guests are the user's own and count as accepted."""
    if time_max <= time_min:
        raise InvalidInputError("time_max", "must be later than time_min", "tomorrow")
    include_declined = include_declined or "declined" in responses
    flags = (("d" if include_declined else "") + ("x" if show_deleted else "")
             + "".join(sorted(_TYPE_FLAGS[kind] for kind in event_types))
             + "".join(sorted(_RESPONSE_FLAGS[answer] for answer in responses)))
    window = (to_rfc3339(time_min), to_rfc3339(time_max), zone.key, flags, query or "")
    cursors = {cal: Cursor(None, 0) for cal in calendar_ids}
    if page_token:
        # The token's own options win: Google needs the same parameters on every page.
        cursors, window = decode_token(page_token)
    elif len(calendar_ids) > MAX_TOKEN_CALENDARS:
        raise InvalidInputError(
            "calendar_ids",
            f"{len(calendar_ids)} calendars were named; one listing reads at most "
            f"{MAX_TOKEN_CALENDARS}, so name fewer",
            "primary, team@example.com",
        )
    zone_key, flags, query = window[2:]
    if resolve_zone(zone_key, parameter="page_token") is None or set(flags) - _FLAGS:
        raise InvalidInputError("page_token", "is damaged; omit it to start from the first page")
    include_declined, show_deleted = "d" in flags, "x" in flags
    params = {
        "singleEvents": "true",
        "orderBy": "startTime",
        "timeMin": window[0],
        "timeMax": window[1],
        "timeZone": zone_key,
    }
    if query:
        params["q"] = query
    if include_declined is False:
        params["showHiddenInvitations"] = "false"
    types = [kind for kind, flag in _TYPE_FLAGS.items() if flag in flags]
    if types:
        params["eventTypes"] = types
    if show_deleted:
        # Cancelled occurrences of recurring events, e.g. for an export's EXDATE lines.
        params["showDeleted"] = "true"
    feeds = {cal: _CalendarFeed(cal, skip=c.skip) for cal, c in cursors.items()}
    warnings = _fetch_all(client, feeds, cursors, max_results, params)
    kept = {answer for answer, flag in _RESPONSE_FLAGS.items() if flag in flags}
    page = _merge(feeds, zone, max_results, _Keep(include_declined, kept), window,
                  client.viewer())
    page.warnings = warnings
    return page


def _fetch_all(client, feeds, cursors, max_results, params) -> list[str]:
    def run(cal: str) -> GoogleCalendarError | None:
        try:
            _fetch(client, feeds[cal], cursors[cal].google_token, max_results, params)
        except GoogleCalendarError as exc:
            if len(feeds) == 1:
                raise
            return exc
        return None

    if len(feeds) == 1:
        results = {cal: run(cal) for cal in feeds}
    else:
        with ThreadPoolExecutor(max_workers=min(_MAX_PARALLEL, len(feeds))) as pool:
            results = dict(zip(feeds, pool.map(run, feeds), strict=True))
    failures = {cal: exc for cal, exc in results.items() if exc is not None}
    if failures and len(failures) == len(feeds):
        raise next(iter(failures.values()))
    for cal in failures:
        del feeds[cal]
    return [f"calendar {cal} skipped: {exc.message}" for cal, exc in failures.items()]


@dataclass(frozen=True)
class _Keep:
    """Which of the fetched events the page shows."""

    declined: bool
    responses: set[str]

    def skips(self, event: Event) -> str | None:
        """Why `event` is left out ("declined" or "response"), or None to show it."""
        answer = event.my_response or "accepted"
        if self.responses and answer not in self.responses:
            return "response"
        if not self.declined and answer == "declined":
            return "declined"
        return None


def _merge(feeds, zone, max_results, keep: _Keep, window, viewer: Viewer) -> EventPage:
    streams = [_stream(feed, order, zone) for order, feed in enumerate(feeds.values())]
    consumed = {cal: feed.skip for cal, feed in feeds.items()}
    events: list[Event] = []
    consumed_after: list[dict[str, int]] = []
    declined_before: list[int] = []
    exhausted = True
    for _key, _order, index, cal, item in heapq.merge(*streams, key=lambda row: row[:3]):
        if len(events) >= max_results or item is None:
            # Limit reached, or one calendar's fetched items ran out while it has more pages:
            # anything later could sort after that calendar's unseen events.
            exhausted = False
            break
        consumed[cal] = index + 1
        event = event_from_api(item, cal, viewer)
        skipped = keep.skips(event)
        if skipped == "declined":
            declined_before.append(len(events))
        if skipped:
            continue
        events.append(event)
        consumed_after.append(dict(consumed))

    def resume(after: dict[str, int]) -> str | None:
        return _token(feeds, after, window)

    return EventPage(
        events=events,
        calendar_ids=list(feeds),
        time_min=datetime.fromisoformat(window[0]),
        time_max=datetime.fromisoformat(window[1]),
        next_page_token=resume(consumed) if not exhausted or _more(feeds) else None,
        warnings=[],
        calendar_names={cal: feed.summary for cal, feed in feeds.items() if feed.summary},
        _declined_before=declined_before,
        _consumed_after=consumed_after,
        _resume=resume,
    )


def _stream(feed: _CalendarFeed, order: int, zone: ZoneInfo) -> Iterator[tuple]:
    key = None
    index = feed.skip - 1
    for index, item in feed.items():
        key = _sort_key(item, zone)
        yield key, order, index, feed.calendar_id, item
    if feed.pages and feed.pages[-1].next_token:
        end_key = key or datetime.min.replace(tzinfo=zone)
        yield end_key, order, index + 1, feed.calendar_id, None


def _more(feeds: dict[str, _CalendarFeed]) -> bool:
    return any(feed.pages and feed.pages[-1].next_token for feed in feeds.values())


def _token(feeds, consumed, window) -> str | None:
    cursors = {}
    for cal, feed in feeds.items():
        cursor = feed.cursor_after(consumed[cal])
        if cursor is not None:
            cursors[cal] = cursor
    return encode_token(cursors, window) if cursors else None


def get_event(client: CalendarClient, calendar_id: str, event_id: str, zone: ZoneInfo) -> Event:
    path = calendar_path("calendars", calendar_id, "events", event_id)
    item = client.transport.get(path, params={"timeZone": zone.key}) or {}
    return event_from_api(item, calendar_id, client.viewer())
