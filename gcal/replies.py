"""What each tool answers: one compact text for the model, typed data for workflows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from gcal.events import EventPage
from gcal.formatting import (
    WEEKDAYS,
    calendar_line,
    calendar_record,
    event_detail,
    event_line,
    event_record,
)
from gcal.models import Calendar, Event

# Roughly 2,500 tokens: enough for ~60 events, small enough to leave the model room to think.
TEXT_BUDGET = 10_000


@dataclass
class Reply:
    text: str
    data: dict = field(default_factory=dict)


def _short_time(moment: datetime) -> str:
    return moment.isoformat(timespec="minutes")


def events_reply(page: EventPage, zone: ZoneInfo, *, budget: int = TEXT_BUDGET) -> Reply:
    show_calendar = len(page.calendar_ids) > 1
    lines = [event_line(e, zone, show_calendar=show_calendar) for e in page.events]
    kept = _fit(lines, budget)
    if kept < len(lines):
        page.truncate(kept)
        lines = lines[:kept]
    scope = ", ".join(page.calendar_ids)
    window = f"{_short_time(page.time_min.astimezone(zone))} → {_short_time(page.time_max.astimezone(zone))}"
    if page.events:
        head = f"{len(page.events)} events, {window} ({zone.key}), calendars: {scope}"
    else:
        head = f"No events {window} ({zone.key}), calendars: {scope}"
    text = [head, *lines]
    if page.next_page_token:
        text.append(f"More events exist: call again with page_token={page.next_page_token}")
    text.extend(f"Warning: {w}" for w in page.warnings)
    data = {
        "events": [event_record(e, zone) for e in page.events],
        "count": len(page.events),
        "time_zone": zone.key,
        "time_min": page.time_min.astimezone(zone).isoformat(),
        "time_max": page.time_max.astimezone(zone).isoformat(),
    }
    if page.next_page_token:
        data["next_page_token"] = page.next_page_token
    if page.warnings:
        data["warnings"] = page.warnings
    return Reply("\n".join(text), data)


def _fit(lines: list[str], budget: int) -> int:
    used = 0
    for count, line in enumerate(lines):
        used += len(line) + 1
        if used > budget:
            return max(count, 1)
    return len(lines)


def event_reply(event: Event, zone: ZoneInfo, *, headline: str | None = None) -> Reply:
    text = event_detail(event, zone)
    if headline:
        text = f"{headline}\n{text}"
    return Reply(text, {"event": event_record(event, zone, detailed=True)})


def calendars_reply(calendars: list[Calendar]) -> Reply:
    if not calendars:
        return Reply("No calendars visible to this account.", {"calendars": [], "count": 0})
    lines = [f"{len(calendars)} calendars:"] + [calendar_line(c) for c in calendars]
    return Reply(
        "\n".join(lines),
        {"calendars": [calendar_record(c) for c in calendars], "count": len(calendars)},
    )


def current_time_reply(now: datetime, zone: ZoneInfo, *, source: str) -> Reply:
    offset = now.strftime("%z")
    offset = f"{offset[:3]}:{offset[3:]}"
    weekday = WEEKDAYS[now.weekday()]
    full_weekday = now.strftime("%A")
    text = (
        f"Now: {now.isoformat(timespec='seconds')} ({full_weekday}, {zone.key}, UTC{offset}; "
        f"{source})"
    )
    data = {
        "now": now.isoformat(timespec="seconds"),
        "date": now.date().isoformat(),
        "time": now.strftime("%H:%M:%S"),
        "weekday": full_weekday,
        "weekday_short": weekday,
        "time_zone": zone.key,
        "utc_offset": offset,
        "unix": int(now.timestamp()),
    }
    return Reply(text, data)
