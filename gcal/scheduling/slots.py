"""Free meeting slots: working-hours windows minus busy time, cut into aligned slots.

Pure computation, no I/O. Semantics (also in the tool's description):

* Working hours are local wall-clock times in the search zone, rebuilt for every day with
  zoneinfo, so 09:00 stays 09:00 across a daylight-saving change. Hours whose end is before
  their start (``22:00-02:00``) run overnight and belong to the day they start on.
* Busy blocks are widened by the buffer on both sides; the buffer does not apply to the
  edges of working hours.
* Slots are exactly ``duration`` long (elapsed time) and start on a local wall-clock time
  aligned to the granularity counted from local midnight (:00/:15/:30/:45 for 15).
  Within each free stretch they are laid back to back: the first aligned start, then the
  first aligned start at or after the previous slot's end. So no two slots overlap, each is
  a real alternative, and the count of all of them says how much room there is.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from gcal.dates.intervals import Interval, clip
from gcal.dates.times import localize
from gcal.errors import InvalidInputError

DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
ALL_DAYS = frozenset(range(7))
_MINUTES_PER_DAY = 24 * 60
MAX_WINDOW = timedelta(days=366)
HOURS_EXAMPLE = "09:00-17:30"
DAYS_EXAMPLE = "Mon-Fri"


# --- working hours ---------------------------------------------------------------------


@dataclass(frozen=True)
class WorkingHours:
    """Minutes after local midnight; ``end`` above 1440 means the next day (overnight)."""

    start: int
    end: int

    @property
    def length(self) -> timedelta:
        return timedelta(minutes=self.end - self.start)

    @property
    def overnight(self) -> bool:
        return self.end > _MINUTES_PER_DAY

    def __str__(self) -> str:
        text = f"{_clock(self.start)}-{_clock(self.end % _MINUTES_PER_DAY or self.end)}"
        return text + " (overnight)" if self.overnight else text


ALL_DAY = WorkingHours(0, _MINUTES_PER_DAY)
_ALL_DAY_WORDS = frozenset({"all day", "allday", "any", "anytime", "24h", "24 h", "24/7",
                            "always", "whole day"})
_LONGEST_OVERNIGHT = timedelta(hours=16)
_CLOCK = r"(\d{1,2})(?:[:.h]?(\d{2}))?\s*([ap])?\.?m?\.?"
_HOURS = re.compile(rf"{_CLOCK}\s*(?:-|–|—|to|until|till)\s*{_CLOCK}", re.IGNORECASE)


def parse_working_hours(text: str | None) -> WorkingHours:
    """``09:00-17:30``, ``9-17``, ``9am-5pm``, ``22:00-02:00`` (overnight), ``all day``."""
    if text is None or not text.strip():
        return WorkingHours(9 * 60, 18 * 60)
    cleaned = " ".join(text.strip().lower().split())
    if cleaned in _ALL_DAY_WORDS:
        return ALL_DAY
    match = _HOURS.fullmatch(cleaned)
    if not match:
        raise _bad_hours(text, "is not a range of two clock times")
    start = _minutes(match.group(1, 2, 3), text, allow_24=False)
    end = _minutes(match.group(4, 5, 6), text, allow_24=True)
    if start == end:
        raise _bad_hours(text, "starts and ends at the same time; for the whole day use "
                               "00:00-24:00")
    if end > start:
        return WorkingHours(start, end)
    overnight = WorkingHours(start, end + _MINUTES_PER_DAY)
    if overnight.length > _LONGEST_OVERNIGHT:
        # "9-5" almost always means 09:00-17:00, not a 20-hour night.
        raise _bad_hours(text, f"would run overnight for {overnight.length.seconds // 3600} "
                               "hours; use 24-hour times such as 09:00-17:00, or 22:00-06:00 "
                               "for a night shift")
    return overnight


def _minutes(parts: tuple[str, str | None, str | None], text: str, allow_24: bool) -> int:
    hour, minute = int(parts[0]), int(parts[1] or 0)
    meridiem = parts[2]
    if meridiem:
        if not 1 <= hour <= 12:
            raise _bad_hours(text, f"{hour}{meridiem}m is not a 12-hour clock time")
        hour = hour % 12 + (12 if meridiem == "p" else 0)
    if minute > 59 or hour > 24 or (hour == 24 and (minute or not allow_24)):
        raise _bad_hours(text, "contains an impossible clock time (use 00:00 to 24:00)")
    return hour * 60 + minute


def _bad_hours(text: str, problem: str) -> InvalidInputError:
    return InvalidInputError("working_hours", f"{text!r} {problem}", HOURS_EXAMPLE)


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


# --- working days ----------------------------------------------------------------------

_DAY_WORDS = {
    "mon": 0, "monday": 0, "tue": 1, "tues": 1, "tuesday": 1, "wed": 2, "wednesday": 2,
    "thu": 3, "thur": 3, "thurs": 3, "thursday": 3, "fri": 4, "friday": 4,
    "sat": 5, "saturday": 5, "sun": 6, "sunday": 6,
}
_DAY_SETS = {
    "weekdays": frozenset(range(5)), "workdays": frozenset(range(5)),
    "weekend": frozenset({5, 6}), "weekends": frozenset({5, 6}),
    "all": ALL_DAYS, "every day": ALL_DAYS, "everyday": ALL_DAYS, "daily": ALL_DAYS,
    "all days": ALL_DAYS, "any": ALL_DAYS, "any day": ALL_DAYS,
}
_RANGE_WORDS = re.compile(r"\s*(?:–|—|-|\bto\b|\bthrough\b|\bthru\b)\s*")
_LIST_SEPARATORS = re.compile(r"\s*(?:[,;/&+]|\band\b)\s*|\s+")


def parse_working_days(text: str | None) -> frozenset[int]:
    """Weekday numbers (Monday 0): ``Mon-Fri``, ``Mon,Wed,Fri``, ``Sun-Thu``, ``weekdays``."""
    if text is None or not text.strip():
        return frozenset(range(5))
    cleaned = " ".join(text.strip().lower().split())
    if cleaned in _DAY_SETS:
        return _DAY_SETS[cleaned]
    days: set[int] = set()
    for token in _LIST_SEPARATORS.split(_RANGE_WORDS.sub("-", cleaned)):
        if token:
            days |= _DAY_SETS.get(token) or _day_range(token, text)
    return frozenset(days)


def _day_range(token: str, text: str) -> set[int]:
    first, _, last = token.partition("-")
    if first not in _DAY_WORDS or (last and last not in _DAY_WORDS):
        raise InvalidInputError(
            "working_days",
            f"{text!r} is not a list of weekdays ({token!r} is not a day name); use "
            "Mon-Fri, Mon,Wed,Fri, Sat-Sun, weekdays or every day",
            DAYS_EXAMPLE,
        )
    start = _DAY_WORDS[first]
    span = (_DAY_WORDS[last] - start) % 7 if last else 0  # Sun-Thu wraps around the week
    return {(start + offset) % 7 for offset in range(span + 1)}


def days_label(days: frozenset[int]) -> str:
    if days == ALL_DAYS:
        return "every day"
    ordered = sorted(days)
    if ordered == list(range(ordered[0], ordered[-1] + 1)) and len(ordered) > 2:
        return f"{DAY_NAMES[ordered[0]]}-{DAY_NAMES[ordered[-1]]}"
    return ",".join(DAY_NAMES[d] for d in ordered)


# --- search rules and window -------------------------------------------------------------


@dataclass(frozen=True)
class SlotRules:
    duration: timedelta
    zone: ZoneInfo
    hours: WorkingHours
    days: frozenset[int]
    granularity_minutes: int = 15
    buffer: timedelta = timedelta(0)
    days_off: frozenset[date] = frozenset()  # e.g. public holidays: no working hours at all

    def __post_init__(self) -> None:
        if self.duration <= timedelta(0):
            raise InvalidInputError("duration_minutes", "must be more than 0", "30")
        if not self.days:
            raise InvalidInputError("working_days", "names no day", DAYS_EXAMPLE)
        if self.duration > self.hours.length:
            raise InvalidInputError(
                "duration_minutes",
                f"{_minutes_text(self.duration)} do not fit in the working hours {self.hours}; "
                "shorten the meeting or widen working_hours",
                str(int(self.hours.length.total_seconds() // 60)),
            )


def search_window(start: datetime, end: datetime, now: datetime) -> tuple[datetime, datetime]:
    """The part of [start, end) that is not in the past: slots never start before now."""
    if end <= now:
        raise InvalidInputError(
            "time_max",
            f"the window ends {end.isoformat(timespec='minutes')}, which is in the past; "
            "free slots are searched from now on",
            "tomorrow",
        )
    start = max(start, now)
    if end.astimezone(UTC) - start.astimezone(UTC) > MAX_WINDOW:
        raise InvalidInputError(
            "time_max",
            f"the window is longer than {MAX_WINDOW.days} days; search a shorter range",
            (start + timedelta(days=30)).date().isoformat(),
        )
    return start, end


def check_fits(rules: SlotRules, start: datetime, end: datetime) -> None:
    available = end.astimezone(UTC) - start.astimezone(UTC)
    if rules.duration > available:
        raise InvalidInputError(
            "duration_minutes",
            f"{_minutes_text(rules.duration)} are longer than the search window "
            f"({_minutes_text(available)}); widen time_min/time_max",
            "30",
        )


def _minutes_text(span: timedelta) -> str:
    return f"{int(span.total_seconds() // 60)} minutes"


# --- computation -------------------------------------------------------------------------


def working_windows(
    start: datetime, end: datetime, hours: WorkingHours, days: frozenset[int], zone: ZoneInfo,
    *, days_off: frozenset[date] = frozenset(),
) -> list[Interval]:
    """Working time in [start, end), built day by day from local wall-clock times. Overnight
    hours belong to the day they start on, so a day off drops the night that starts on it."""
    day = start.astimezone(zone).date() - timedelta(days=1)  # yesterday's overnight hours
    last = end.astimezone(zone).date()
    windows = []
    while day <= last:
        if day.weekday() in days and day not in days_off:
            windows.append(Interval(_wall(day, hours.start, zone), _wall(day, hours.end, zone)))
        day += timedelta(days=1)
    return clip(windows, start, end)


def _wall(day: date, minutes: int, zone: ZoneInfo) -> datetime:
    return localize(datetime.combine(day, time()) + timedelta(minutes=minutes), zone)


def all_slots(free: Iterable[Interval], rules: SlotRules, *,
              overlapping: bool = False) -> Iterator[Interval]:
    """Back to back within each stretch, or (``overlapping``) at every aligned start."""
    step = timedelta(minutes=rules.granularity_minutes)
    for stretch in free:
        begin = next_aligned(stretch.start, rules.zone, step)
        while begin + rules.duration <= stretch.end:
            yield Interval(begin, begin + rules.duration)
            begin = next_aligned(begin + (step if overlapping else rules.duration), rules.zone,
                                 step)


def next_aligned(moment: datetime, zone: ZoneInfo, step: timedelta) -> datetime:
    """The first instant at or after ``moment`` (returned in UTC) whose local wall-clock
    time is a whole number of steps after local midnight.

    Computed with the UTC offset in force at ``moment``; when the offset changes before the
    candidate (a DST change), the search restarts at the change, so skipped wall times are
    passed over and repeated ones (the hour after clocks go back) are offered again.
    """
    moment = moment.astimezone(UTC)
    offset = moment.astimezone(zone).utcoffset()
    candidate = _grid_ceil(moment + offset, step) - offset
    if candidate.astimezone(zone).utcoffset() == offset:
        return candidate
    return next_aligned(_offset_change(moment, candidate, zone), zone, step)


def _grid_ceil(wall: datetime, step: timedelta) -> datetime:
    midnight = wall.replace(hour=0, minute=0, second=0, microsecond=0)
    steps = math.ceil((wall - midnight) / step)
    return min(midnight + steps * step, midnight + timedelta(days=1))


def _offset_change(before: datetime, after: datetime, zone: ZoneInfo) -> datetime:
    """The first whole second after ``before`` with another UTC offset (at most ``after``)."""
    offset = before.astimezone(zone).utcoffset()
    low, high = math.floor(before.timestamp()), math.ceil(after.timestamp())
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, zone).utcoffset() == offset:
            low = middle
        else:
            high = middle
    return datetime.fromtimestamp(high, UTC)
