"""Tool-level input rules shared by several tools (time windows, event references)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from gcal.dates.times import as_instant, now_in, parse_time
from gcal.errors import InvalidInputError
from gcal.events.calendars import CalendarChoice, resolve_calendar_ids
from gcal.events.event_types import parse_event_types
from gcal.events.reading import RESPONSES
from gcal.google.client import CalendarClient
from gcal.params import choice, to_bool, to_str

DEFAULT_WINDOW_DAYS = 7


def time_window(
    time_min: str | None,
    time_max: str | None,
    zone: ZoneInfo,
    *,
    default_days: int = DEFAULT_WINDOW_DAYS,
    now: datetime | None = None,
) -> tuple[datetime, datetime]:
    """A date as `time_max` means "through that day", so the whole last day is included."""
    current = now or now_in(zone)
    start = (
        as_instant(parse_time(time_min, zone=zone, parameter="time_min", now=current), zone)
        if time_min
        else current
    )
    if time_max:
        parsed = parse_time(time_max, zone=zone, parameter="time_max", now=current)
        end = as_instant(parsed, zone, end=parsed.is_date)
    else:
        end = start + timedelta(days=default_days)
    if end <= start:
        raise InvalidInputError(
            "time_max", f"must be later than time_min ({start.isoformat()})", "tomorrow"
        )
    return start, end


@dataclass(frozen=True)
class EventSelection:
    """Which events a reading tool covers, and how the calendars were chosen."""

    calendar_ids: list[str]
    time_min: datetime
    time_max: datetime
    zone: ZoneInfo
    query: str | None = None
    include_declined: bool = False
    event_types: tuple[str, ...] = ()
    responses: tuple[str, ...] = ()
    calendar_notes: list[str] = field(default_factory=list)
    calendar_names: dict[str, str] = field(default_factory=dict)

    def list_arguments(self) -> dict[str, Any]:
        """The `gcal.events.reading.list_events` keywords this selection stands for."""
        return {"calendar_ids": self.calendar_ids, "time_min": self.time_min,
                "time_max": self.time_max, "zone": self.zone, "query": self.query,
                "include_declined": self.include_declined, "event_types": self.event_types,
                "responses": self.responses}


def event_selection(client: CalendarClient, parameters: Mapping[str, Any]) -> EventSelection:
    """`calendar_ids`, `time_min`, `time_max`, `query`, `time_zone`, `include_declined`,
    `event_types`, `responses`.

    Times without an offset and the words today/tomorrow are read in `time_zone`, else in the
    user's own (primary calendar) zone, whichever calendars are listed: people mean their own
    time, as in Google Calendar's UI.
    """
    zone = client.zone_or_primary(to_str(parameters.get("time_zone"), "time_zone"))
    query = to_str(parameters.get("query"), "query", max_length=500)
    include_declined = to_bool(
        parameters.get("include_declined"), "include_declined", default=False
    )
    calendars: CalendarChoice = resolve_calendar_ids(
        client, to_str(parameters.get("calendar_ids"), "calendar_ids")
    )
    start, end = time_window(
        to_str(parameters.get("time_min"), "time_min"),
        to_str(parameters.get("time_max"), "time_max"),
        zone,
    )
    return EventSelection(calendars.ids, start, end, zone, query, bool(include_declined),
                          parse_event_types(parameters.get("event_types")),
                          parse_responses(parameters.get("responses")), calendars.notes,
                          calendars.names)


def parse_responses(value: Any) -> tuple[str, ...]:
    """A comma list of the user's answers (needs_action, accepted, tentative, declined)."""
    text = to_str(value, "responses")
    names = [part.strip() for part in (text or "").split(",") if part.strip()]
    return tuple(dict.fromkeys(choice(name, "responses", RESPONSES) for name in names))
