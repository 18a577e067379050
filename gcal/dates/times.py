"""Time zones and the time values tools accept.

A time parameter may be RFC 3339 with an offset, a wall-clock time without offset (read
in the given zone), a date, or one of the words now/today/tomorrow/yesterday.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from gcal.errors import InvalidInputError

TIME_EXAMPLE = "2026-03-10T15:00"
ZONE_EXAMPLE = "Europe/Berlin"
_UTC_NAMES = frozenset({"utc", "z", "zulu", "gmt", "etc/utc", "etc/gmt", "universal"})
_UTC_KEYS = frozenset({"UTC", "Etc/UTC", "Etc/UCT", "UCT", "Etc/Zulu", "Zulu", "Universal",
                       "Etc/Universal"})
_DAY_WORDS = {"today": 0, "tomorrow": 1, "yesterday": -1}
_WORD_AND_CLOCK = re.compile(r"(?P<word>today|tomorrow|yesterday)(?:\s+at)?[\sT]+"
                             r"(?P<clock>\d{1,2}:\d{2}(?::\d{2})?)", re.IGNORECASE)
# Every zone can show a moment in these years (9999-12-31 23:00Z is already year 10000 in
# Tokyo), so answers never overflow converting it.
_SHOWABLE_YEARS = range(2, 9999)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATETIME = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})[Tt ]+(?P<clock>\d{1,2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)"
    r"\s*(?P<offset>[Zz]|[+-]\d{2}:?\d{2})?"
)


def resolve_zone(name: str | None, *, parameter: str = "time_zone") -> ZoneInfo | None:
    """The IANA zone called ``name`` (case-insensitive; "UTC"/"Z" too), or None if blank."""
    if name is None or not name.strip():
        return None
    name = name.strip()
    if name.lower() in _UTC_NAMES:
        return ZoneInfo("UTC")
    try:
        return ZoneInfo(_zone_keys().get(name.lower(), name))
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise InvalidInputError(
            parameter, f"{_shown(name)} is not an IANA time zone name", ZONE_EXAMPLE
        ) from None


@lru_cache(maxsize=1)
def _zone_keys() -> dict[str, str]:
    return {key.lower(): key for key in available_timezones()}


@dataclass(frozen=True)
class TimeValue:
    """Either an exact instant (aware) or a whole calendar day."""

    instant: datetime | None = None
    day: date | None = None

    def __post_init__(self) -> None:
        if (self.instant is None) == (self.day is None):
            raise ValueError("TimeValue needs exactly one of instant or day")

    @property
    def is_date(self) -> bool:
        return self.day is not None


def parse_time(
    value: str, *, zone: ZoneInfo, parameter: str, now: datetime | None = None
) -> TimeValue:
    """Parse a tool's time parameter; wall-clock times and words are read in ``zone``."""
    text = value.strip() if isinstance(value, str) else ""
    word = text.lower()
    if word == "now":
        return TimeValue(instant=_current(zone, now))
    if word in _DAY_WORDS:
        return TimeValue(day=_current(zone, now).date() + timedelta(days=_DAY_WORDS[word]))
    if day_and_clock := _WORD_AND_CLOCK.fullmatch(word):  # "tomorrow 08:30", as models write
        day = _current(zone, now).date() + timedelta(days=_DAY_WORDS[day_and_clock["word"]])
        text = f"{day.isoformat()} {day_and_clock['clock']}"
    try:
        if _DATE.fullmatch(text):
            parsed = TimeValue(day=date.fromisoformat(text))
        elif match := _DATETIME.fullmatch(text):
            parsed = TimeValue(instant=_datetime_from(match, zone))
        else:
            raise _unparsable(parameter, value, "is not a recognised date or time")
    except (ValueError, OverflowError):
        raise _unparsable(parameter, value, "is not a valid date or time") from None
    if (parsed.instant or parsed.day).year not in _SHOWABLE_YEARS:
        raise _unparsable(parameter, value, "is outside the years 0002-9998")
    return parsed


def _datetime_from(match: re.Match[str], zone: ZoneInfo) -> datetime:
    hour, _, rest = match["clock"].partition(":")
    naive = datetime.fromisoformat(f"{match['date']}T{int(hour):02d}:{rest}")
    offset = match["offset"]
    if offset is None:
        return localize(naive, zone)
    if offset in ("Z", "z"):
        return naive.replace(tzinfo=UTC)
    sign = -1 if offset[0] == "-" else 1
    digits = offset[1:].replace(":", "")
    if int(digits[2:]) >= 60:
        raise ValueError("offset minutes out of range")
    delta = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    # timezone() rejects offsets of 24h or more with ValueError, reported as invalid.
    aware = naive.replace(tzinfo=timezone(sign * delta))
    aware.astimezone(UTC)  # raises OverflowError at the edges of the representable range
    return aware


def localize(naive: datetime, zone: tzinfo) -> datetime:
    """Attach ``zone`` to a wall-clock time.

    Ambiguous times (DST ends) take the first occurrence; times skipped by DST starting
    move forward by the size of the gap (02:30 becomes 03:30).
    """
    aware = naive.replace(tzinfo=zone, fold=0)
    # A round trip through UTC normalises a nonexistent wall time to the real one.
    return aware.astimezone(UTC).astimezone(zone)


def to_rfc3339(dt: datetime) -> str:
    """``2026-03-10T15:00:00+01:00``; ``Z`` only for the UTC zone. Sub-seconds dropped."""
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError("to_rfc3339 needs an aware datetime")
    offset = dt.utcoffset()
    if _is_utc_zone(dt.tzinfo) or offset.seconds % 60 or offset.microseconds:
        # RFC 3339 offsets have no seconds (historic LMT zones have them): use UTC instead.
        return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return dt.strftime("%Y-%m-%dT%H:%M:%S") + format_offset(dt)


def parse_rfc3339(text: str) -> datetime:
    """An RFC 3339 time as Google writes it (``Z`` or an offset, optional fractions)."""
    return datetime.fromisoformat(text)


def format_offset(dt: datetime) -> str:
    """The UTC offset of an aware datetime as ``+01:00`` (seconds truncated)."""
    offset = dt.utcoffset()
    if offset is None:
        raise ValueError("format_offset needs an aware datetime")
    sign = "-" if offset < timedelta(0) else "+"
    minutes = int(abs(offset).total_seconds()) // 60
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def day_start(d: date, zone: tzinfo) -> datetime:
    """First instant of day ``d`` in ``zone`` (01:00 where DST skips midnight)."""
    return localize(datetime.combine(d, time(0)), zone)


def next_day_start(d: date, zone: tzinfo) -> datetime:
    """First instant of the day after ``d``: the end of a 23-, 24- or 25-hour day."""
    return day_start(d + timedelta(days=1), zone)


def as_instant(tv: TimeValue, zone: tzinfo, *, end: bool = False) -> datetime:
    """The instant of ``tv``; a date means its start, or with ``end`` the next day's start."""
    if tv.instant is not None:
        return tv.instant
    assert tv.day is not None
    return next_day_start(tv.day, zone) if end else day_start(tv.day, zone)


def now_in(zone: tzinfo) -> datetime:
    """The current time in ``zone``, to the second."""
    return datetime.now(zone).replace(microsecond=0)


def _current(zone: ZoneInfo, now: datetime | None) -> datetime:
    if now is None:
        return now_in(zone)
    if now.tzinfo is None:
        return now.replace(tzinfo=zone)
    return now.astimezone(zone)


def _is_utc_zone(tz: tzinfo | None) -> bool:
    return tz is UTC or getattr(tz, "key", None) in _UTC_KEYS


def _unparsable(parameter: str, value: object, problem: str) -> InvalidInputError:
    return InvalidInputError(
        parameter,
        f"{_shown(value)} {problem}; use RFC 3339 (2026-03-10T15:00:00+01:00), a local "
        "time (2026-03-10T15:00, tomorrow 15:00), a date (2026-03-10) or now/today/tomorrow",
        TIME_EXAMPLE,
    )


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "...'"
