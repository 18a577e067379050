"""Recurrence lines (RFC 5545 RRULE / EXDATE / RDATE) checked locally before any write.

Google answers a malformed rule with a bare "Invalid recurrence rule"; checking here names
the line and the part that is wrong.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from functools import lru_cache
from types import FunctionType
from typing import Any

from dateutil import rrule

from gcal.dates.times import localize, resolve_zone
from gcal.errors import InvalidInputError

EXAMPLE = "RRULE:FREQ=WEEKLY;BYDAY=MO,WE;COUNT=10"
FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")  # what Google Calendar supports
_PROPERTY = re.compile(r"(RRULE|EXDATE|RDATE|EXRULE)((?:;[A-Z-]+=[^;:]+)*):(.+)", re.I)
_NEXT_PROPERTY = re.compile(r"[\s,]+(?=(?:RRULE|EXDATE|RDATE|EXRULE)\s*[:;])", re.I)
_DATE_VALUE = re.compile(r"\d{8}(T\d{6}Z?)?")
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_WEEKDAY = r"(MO|TU|WE|TH|FR|SA|SU)"
_BYDAY = re.compile(rf"[+-]?(\d{{1,2}})?{_WEEKDAY}")


def _int_list(low: int, high: int, signed: bool) -> Callable[[str], bool]:
    def check(value: str) -> bool:
        for item in value.split(","):
            if not re.fullmatch(r"[+-]?\d+" if signed else r"\d+", item):
                return False
            number = abs(int(item)) if signed else int(item)
            if not (low <= number <= high) or (signed and int(item) == 0):
                return False
        return True

    return check


def _positive(value: str) -> bool:
    return value.isdigit() and int(value) > 0


def _until(value: str) -> bool:
    return bool(_DATE_VALUE.fullmatch(value))


def _byday(value: str) -> bool:
    return all(_BYDAY.fullmatch(item) for item in value.split(","))


_RULE_PARTS: dict[str, Callable[[str], bool]] = {
    "FREQ": lambda v: v in FREQUENCIES,
    "UNTIL": _until,
    "COUNT": _positive,
    "INTERVAL": _positive,
    "BYSECOND": _int_list(0, 60, False),
    "BYMINUTE": _int_list(0, 59, False),
    "BYHOUR": _int_list(0, 23, False),
    "BYDAY": _byday,
    "BYMONTHDAY": _int_list(1, 31, True),
    "BYYEARDAY": _int_list(1, 366, True),
    "BYWEEKNO": _int_list(1, 53, True),
    "BYMONTH": _int_list(1, 12, False),
    "BYSETPOS": _int_list(1, 366, True),
    "WKST": lambda v: bool(re.fullmatch(_WEEKDAY, v)),
}


def parse_recurrence(value: Any) -> list[str] | None:
    """Normalized lines, or None when nothing was given. A bare ``FREQ=...`` is an RRULE."""
    lines = [line for line in (_clean(item) for item in _items(value)) if line]
    if not lines:
        return None
    checked = [_check_line(line) for line in lines]
    if not any(line.startswith(("RRULE", "RDATE")) for line in checked):
        raise InvalidInputError("recurrence", "needs an RRULE (or RDATE) line; EXDATE alone "
                                "does not repeat anything", EXAMPLE)
    return checked


def _items(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [str(item) for item in value if item is not None]
    text = str(value).strip()
    if text.startswith("["):
        try:
            decoded = json.loads(text)
        except ValueError:
            decoded = None
        if isinstance(decoded, list):
            return [str(item) for item in decoded]
    return [part for chunk in re.split(r"[\r\n]+", text) for part in _NEXT_PROPERTY.split(chunk)]


def _clean(item: str) -> str:
    text = item.strip().strip("\"',").strip()
    if text.upper().startswith("FREQ="):
        text = "RRULE:" + text
    return text


def _check_line(line: str) -> str:
    match = _PROPERTY.fullmatch(line.replace(" ", ""))
    if not match:
        raise _bad(line, "is not an RRULE:, EXDATE: or RDATE: line")
    name = match[1].upper()
    if name == "EXRULE":
        raise _bad(line, "EXRULE is not supported by Google Calendar; use EXDATE")
    if name == "RRULE":
        return "RRULE:" + _check_rule(line, match[3].upper())
    return name + _check_dates(line, match[2], match[3])


def _check_rule(line: str, rule: str) -> str:
    parts: dict[str, str] = {}
    for part in rule.strip(";").split(";"):
        key, sep, value = part.partition("=")
        if not sep or not value:
            raise _bad(line, f"part {part!r} is not KEY=VALUE")
        if key not in _RULE_PARTS:
            raise _bad(line, f"{key} is not an RRULE part (known: {', '.join(_RULE_PARTS)})")
        if key in parts:
            raise _bad(line, f"{key} appears twice")
        if key == "UNTIL":
            value = _compact_date(value)
        if not _RULE_PARTS[key](value):
            raise _bad(line, f"{key}={value} is not valid")
        parts[key] = value
    if "FREQ" not in parts:
        raise _bad(line, f"FREQ is required (one of {', '.join(FREQUENCIES)})")
    if "UNTIL" in parts and "COUNT" in parts:
        raise _bad(line, "UNTIL and COUNT cannot both be given")
    ordered = {"FREQ": parts.pop("FREQ"), **parts}
    return ";".join(f"{key}={value}" for key, value in ordered.items())


def _check_dates(line: str, params: str, values: str) -> str:
    kept = []
    for param in filter(None, params.split(";")):
        key, _, value = param.partition("=")
        key = key.upper()
        if key == "TZID":
            value = resolve_zone(value, parameter="recurrence").key
        elif key == "VALUE" and value.upper() in ("DATE", "DATE-TIME"):
            value = value.upper()
        else:
            raise _bad(line, f"parameter {param!r} is not supported (TZID or VALUE=DATE)")
        kept.append(f"{key}={value}")
    dates = [_compact_date(value) for value in values.split(",") if value]
    bad = [value for value in dates if not _DATE_VALUE.fullmatch(value)]
    if bad or not dates:
        raise _bad(line, "dates must look like 20260317, 20260317T090000 or 20260317T080000Z")
    return "".join(f";{p}" for p in kept) + ":" + ",".join(dates)


def _compact_date(value: str) -> str:
    """Accept ISO dates too: 2026-06-30 → 20260630."""
    return _ISO_DATE.sub(r"\1\2\3", value).replace(":", "").upper()


def _bad(line: str, problem: str) -> InvalidInputError:
    return InvalidInputError("recurrence", f"{line!r}: {problem}", EXAMPLE)


def fit_to_event(lines: list[str], all_day: bool, zone) -> list[str]:
    """Make UNTIL match the event kind (RFC 5545): a date for all-day events, UTC otherwise.

    A date-only UNTIL on a timed series means "through that day" in the event's zone.
    """
    return [_fit_line(line, all_day, zone) if line.startswith("RRULE:") else line
            for line in lines]


def _fit_line(line: str, all_day: bool, zone) -> str:
    def replace(match: re.Match[str]) -> str:
        value = match[1]
        if all_day:
            return "UNTIL=" + value[:8]
        if len(value) == 8:
            day = datetime.strptime(value, "%Y%m%d").date()
            end = localize(datetime.combine(day, time(23, 59, 59)), zone)
            return "UNTIL=" + utc_stamp(end)
        if not value.endswith("Z"):
            naive = datetime.strptime(value, "%Y%m%dT%H%M%S")
            return "UNTIL=" + utc_stamp(localize(naive, zone))
        return match[0]

    return re.sub(r"UNTIL=([0-9TZ]+)", replace, line)


def check_start_on_rule(lines: list[str], span, *, parameter: str = "start") -> None:
    """Google makes a series' start an occurrence even on a day its rule does not give (RFC
    5545 §3.8.5.3 leaves that undefined; googleapis/google-api-nodejs-client#2214), so "every
    other Tuesday" starting on a Thursday gets a stray Thursday. Refused, naming the first day
    the rule gives on or after the start (ignoring INTERVAL: "every other" counts from it)."""
    rules = [line.removeprefix("RRULE:") for line in lines if line.startswith("RRULE:")]
    if not rules or any(line.startswith("RDATE") for line in lines):
        return
    start = wall_start(span)
    firsts = [_first_from(rule, start) for rule in rules]
    if None in firsts or start in firsts:
        return
    first = min(firsts)
    shown = f"{first:%Y-%m-%d}" if span.all_day else f"{first:%Y-%m-%dT%H:%M}"
    day = f"{start:%a %Y-%m-%d}"
    if parameter == "start":
        problem = (f"{day} is not a day the recurrence gives ({rules[0]}), and Google would "
                   "still make it a stray first occurrence; start on the first day of the "
                   "series")
        raise InvalidInputError("start", problem, shown)
    raise InvalidInputError(parameter, f"the series starts {day}, not a day this rule gives, "
                            "and Google would keep a stray occurrence there; pass "
                            f"start={shown} (its first day) with it, or another rule", rules[0])


def _first_from(rule: str, start: datetime) -> datetime | None:
    """The rule's first occurrence on or after ``start`` (dateutil, unlike Google, does not
    count a start off the rule); None when dateutil cannot read the rule. A rule that gives
    no date within the span cap is refused here, before any request."""
    kept = [part for part in rule.split(";")
            if part.split("=", 1)[0] not in ("COUNT", "UNTIL", "INTERVAL")]
    try:
        walk = expand_rule(";".join(kept), start, stop_after=start, limit=1)
    except (ValueError, TypeError):
        return None
    if not walk.moments:
        if not walk.cut:
            return None
        raise InvalidInputError("recurrence", f"{rule!r} {walk.cut}; check that its BYMONTH, "
                                "BYMONTHDAY and BYDAY can hold on the same day", EXAMPLE)
    return walk.moments[0]


# ----------------------------------------------------------------------------- bounded expansion

MAX_OCCURRENCES = 20_000  # cap by count: more than 50 years of a daily series
MAX_YEARS = 100  # cap by span: walking 100 years of days takes about 0.2 s
_FINER_THAN_DAILY = ("HOURLY", "MINUTELY", "SECONDLY")


@dataclass(frozen=True)
class Expansion:
    """Occurrences (naive wall times) of one rule, as far as its walk went.

    ``cut`` says why the walk stopped at a cap before it could judge (None: it judged, by
    reaching the rule's end, ``stop_after`` or the wanted number)."""
    moments: tuple[datetime, ...]
    cut: str | None = None


class _SpanCap(Exception):
    pass


def expand_rule(rule: str, start: datetime, *, stop_before: datetime | None = None,
                stop_after: datetime | None = None, limit: int = MAX_OCCURRENCES,
                years: int = MAX_YEARS, parameter: str = "recurrence") -> Expansion:
    """Every expansion of a rule (from a model, a file or Google) goes through here, bounded
    by count and by span, so one hostile rule cannot freeze the process (under gevent a
    CPU-bound loop stalls every call in it).

    Occurrences of ``rule`` (an RRULE value) with DTSTART ``start``: those before
    ``stop_before``, or up to the first at or after ``stop_after``; at most ``limit``. A rule
    finer than daily is refused (Google Calendar repeats at most daily); ValueError or
    TypeError means dateutil cannot read the rule."""
    rule = rule.removeprefix("RRULE:")
    finer = re.search(r"FREQ=(" + "|".join(_FINER_THAN_DAILY) + ")", rule, re.I)
    if finer:
        raise InvalidInputError(parameter, f"{rule!r} repeats {finer[1].lower()}; Google "
                                "Calendar repeats at most daily", EXAMPLE)
    last_year = start.year + years
    if _yields_nothing(rule, start, last_year):  # one walk per rule, however often asked
        judged = stop_before is not None and stop_before.year <= last_year
        return Expansion((), None if judged else f"gives no date within {years} years")
    moments: list[datetime] = []
    try:
        for moment in _bounded_walk(rrule.rrulestr(rule, dtstart=start), last_year):
            if stop_before is not None and moment >= stop_before:
                return Expansion(tuple(moments))
            moments.append(moment)
            if len(moments) >= limit or (stop_after is not None and moment >= stop_after):
                cut = None if len(moments) < MAX_OCCURRENCES else (
                    f"has more than {MAX_OCCURRENCES:,} occurrences to walk")
                return Expansion(tuple(moments), cut)
    except _SpanCap:
        if stop_before is None or stop_before.year > last_year:
            return Expansion(tuple(moments), f"gives no date within {years} years")
    return Expansion(tuple(moments))


@lru_cache(maxsize=256)
def _yields_nothing(rule: str, start: datetime, last_year: int) -> bool:
    """True when the rule gives no date before the span cap (an ending rule is judged)."""
    try:
        next(iter(_bounded_walk(rrule.rrulestr(rule, dtstart=start), last_year)), None)
    except _SpanCap:
        return True
    return False


def _bounded_walk(rule: rrule.rrule, last_year: int):
    """dateutil's own walk, stopped past ``last_year``. dateutil checks UNTIL only against
    dates a rule yields, so a rule that never yields one (FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30)
    walks every day to the year 9999 (13 s); its walk calls ``_iterinfo.rebuild`` at every
    new month, where this copy of the walk stops it."""

    class Bounded(rrule._iterinfo):  # no __slots__ here: the base sets its own by name
        def rebuild(self, year: int, month: int) -> None:
            if year > last_year:
                raise _SpanCap
            super().rebuild(year, month)

    walk = rrule.rrule._iter
    scope = {**walk.__globals__, "_iterinfo": Bounded}
    return FunctionType(walk.__code__, scope, walk.__name__)(rule)


def series_starts(lines: list[str], start: datetime, *, stop_before: datetime,
                  limit: int) -> list[datetime]:
    """The starts (naive wall times) of a whole series — its RRULEs, RDATEs and EXDATEs
    together — with DTSTART ``start``: those before ``stop_before``, at most ``limit``. Each
    rule's walk ends at the span cap (a rule that gives no date there, beside an RDATE, would
    otherwise walk to the year 9999 before the set yields anything); ValueError or TypeError
    means dateutil cannot read the lines."""
    last_year = start.year + MAX_YEARS
    series = rrule.rrulestr("\n".join(lines), dtstart=start, forceset=True, ignoretz=True)
    for each in (*series._rrule, *series._exrule):  # the set walks each through its _iter
        each._iter = functools.partial(_walk_to_cap, each, last_year)
    starts: list[datetime] = []
    for moment in series:
        if moment >= stop_before or len(starts) == limit:
            break
        starts.append(moment)
    return starts


def _walk_to_cap(rule: rrule.rrule, last_year: int):
    try:
        yield from _bounded_walk(rule, last_year)
    except _SpanCap:
        return


def utc_stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


# ----------------------------------------------------------------------------- moving a series

_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_SAFE_MONTH_DAY = 28  # shifting a day of the month stays valid in every month up to here


def moved_rules(lines: list[str], before, after) -> list[str]:
    """The series' lines after its start moved from span ``before`` to ``after``.

    Google's own series always pin the day (``BYDAY=MO`` for "weekly on Monday"), so a start
    moved to another day must move those parts too, or the series keeps its old days; EXDATE
    and RDATE values move with the start so they still name the same occurrences. Parts that
    cannot be moved exactly (ordinal weekdays, BYSETPOS, BYYEARDAY, ...) are refused.
    """
    shift = wall_start(after) - wall_start(before)
    if not shift:
        return lines
    days = (wall_start(after).date() - wall_start(before).date()).days
    month_moved = wall_start(after).month != wall_start(before).month
    moves = _Moves(shift, after.zone, days, month_moved, shift != timedelta(days=days))
    return [_moved_line(line, moves) if line.startswith("RRULE:")
            else _moved_dates(line, shift, after.zone) for line in lines]


@dataclass(frozen=True)
class _Moves:
    shift: timedelta  # wall-clock shift of the start
    zone: Any
    days: int
    month_moved: bool
    time_moved: bool


def wall_start(span) -> datetime:
    start = span.start
    if isinstance(start, datetime):
        return start.astimezone(span.zone).replace(tzinfo=None)
    return datetime.combine(start, time())


def _moved_dates(line: str, shift: timedelta, zone) -> str:
    head, _, values = line.partition(":")
    return head + ":" + ",".join(_moved_date(value, shift, zone) for value in values.split(","))


def _moved_date(value: str, shift: timedelta, zone) -> str:
    if len(value) == 8:
        return (datetime.strptime(value, "%Y%m%d") + timedelta(days=shift.days)).strftime(
            "%Y%m%d")
    wall = datetime.strptime(value[:15], "%Y%m%dT%H%M%S")
    if not value.endswith("Z"):
        return (wall + shift).strftime("%Y%m%dT%H%M%S")
    local = wall.replace(tzinfo=UTC).astimezone(zone).replace(tzinfo=None) + shift
    return utc_stamp(localize(local, zone))


def _moved_line(line: str, moves: _Moves) -> str:
    parts = dict(part.split("=", 1) for part in line.removeprefix("RRULE:").split(";"))
    pinned = [*(("BYYEARDAY", "BYWEEKNO", "BYSETPOS") if moves.days else ()),
              *(("BYHOUR", "BYMINUTE", "BYSECOND") if moves.time_moved else ()),
              *(("BYMONTH",) if moves.month_moved else ())]
    for key in pinned:
        if key in parts:
            raise _unmovable(line, key)
    if "UNTIL" in parts:  # the last occurrence moves with the others
        parts["UNTIL"] = _moved_date(parts["UNTIL"], moves.shift, moves.zone)
    if "BYDAY" in parts and moves.days:
        parts["BYDAY"] = ",".join(_moved_weekday(line, item, moves.days)
                                  for item in parts["BYDAY"].split(","))
    if "BYMONTHDAY" in parts and moves.days:
        parts["BYMONTHDAY"] = ",".join(_moved_month_day(line, item, moves.days)
                                       for item in parts["BYMONTHDAY"].split(","))
    return "RRULE:" + ";".join(f"{key}={value}" for key, value in parts.items())


def _moved_weekday(line: str, item: str, days: int) -> str:
    if item not in _WEEKDAYS:  # "1MO" (first Monday) has no exact counterpart a day later
        raise _unmovable(line, f"BYDAY={item}")
    return _WEEKDAYS[(_WEEKDAYS.index(item) + days) % 7]


def _moved_month_day(line: str, item: str, days: int) -> str:
    day = int(item) + days
    if not (int(item) > 0 and 0 < day <= _SAFE_MONTH_DAY):
        raise _unmovable(line, f"BYMONTHDAY={item}")
    return str(day)


def _unmovable(line: str, part: str) -> InvalidInputError:
    return InvalidInputError(
        "start", f"the series repeats by {line!r}, whose {part} cannot be moved with its "
        "start exactly; give the new rule in recurrence together with start (scope=series)",
        "RRULE:FREQ=MONTHLY;BYDAY=1TU")
