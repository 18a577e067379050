"""Tool-level input rules shared by several tools (time windows, event references)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from gcal.errors import InvalidInputError
from gcal.times import as_instant, now_in, parse_time

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
