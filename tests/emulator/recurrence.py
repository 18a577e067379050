"""Expansion of RRULE/EXRULE/RDATE/EXDATE recurrences (DST-correct, in the event's zone)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, tzinfo

from dateutil import rrule

from .timeutil import zone

MAX_INSTANCES = 3000


class RecurrenceError(ValueError):
    pass


def _parse_value(value: str, params: dict[str, str], tz: tzinfo, all_day: bool) -> datetime:
    """An RDATE/EXDATE/UNTIL value -> naive local datetime in ``tz``."""
    value = value.strip()
    if re.fullmatch(r"\d{8}", value):
        return datetime.strptime(value, "%Y%m%d")
    m = re.fullmatch(r"(\d{8}T\d{6})(Z?)", value)
    if not m:
        raise RecurrenceError(f"bad date value {value!r}")
    dt = datetime.strptime(m.group(1), "%Y%m%dT%H%M%S")
    if m.group(2):
        dt = dt.replace(tzinfo=UTC)
    elif "TZID" in params:
        try:
            dt = dt.replace(tzinfo=zone(params["TZID"]))
        except ValueError as exc:
            raise RecurrenceError(str(exc)) from exc
    if dt.tzinfo is not None:
        dt = dt.astimezone(tz).replace(tzinfo=None)
    if all_day:
        dt = datetime(dt.year, dt.month, dt.day)
    return dt


def _fix_until(rule: str, tz: tzinfo, all_day: bool) -> str:
    def repl(m: re.Match[str]) -> str:
        local = _parse_value(m.group(1), {}, tz, all_day)
        return "UNTIL=" + local.strftime("%Y%m%dT%H%M%S")

    return re.sub(r"UNTIL=([0-9TZ]+)", repl, rule)


def build_ruleset(lines: list[str], dtstart: datetime, tz: tzinfo, all_day: bool) -> rrule.rruleset:
    rset = rrule.rruleset()
    has_rule = False
    for raw in lines:
        if ":" not in raw:
            raise RecurrenceError(f"bad recurrence line {raw!r}")
        head, value = raw.split(":", 1)
        name, *param_parts = head.split(";")
        params = dict(p.split("=", 1) for p in param_parts if "=" in p)
        name = name.upper()
        try:
            if name in ("RRULE", "EXRULE"):
                rule = rrule.rrulestr(_fix_until(value, tz, all_day), dtstart=dtstart)
                if name == "RRULE":
                    rset.rrule(rule)
                    has_rule = True
                else:
                    rset.exrule(rule)
            elif name in ("RDATE", "EXDATE"):
                for v in value.split(","):
                    dt = _parse_value(v, params, tz, all_day)
                    if not all_day and len(v.strip()) == 8:
                        dt = dt.replace(hour=dtstart.hour, minute=dtstart.minute)
                    if name == "RDATE":
                        rset.rdate(dt)
                        has_rule = True
                    else:
                        rset.exdate(dt)
            else:
                raise RecurrenceError(f"unsupported recurrence property {name}")
        except (ValueError, TypeError) as exc:
            raise RecurrenceError(str(exc)) from exc
    if not has_rule:
        raise RecurrenceError("no RRULE or RDATE")
    return rset


def occurrences(
    lines: list[str],
    start_local: datetime,
    tz_name: str | None,
    all_day: bool,
) -> Iterator[datetime]:
    """Yield occurrence starts as naive local datetimes (all-day: midnight)."""
    tz = zone(tz_name) if tz_name else UTC
    rset = build_ruleset(lines, start_local, tz, all_day)
    for n, occ in enumerate(rset):
        if n >= MAX_INSTANCES:
            return
        yield occ


def validate(lines: list[str], start_local: datetime, tz_name: str | None, all_day: bool) -> None:
    it = occurrences(lines, start_local, tz_name, all_day)
    for _ in zip(range(3), it, strict=False):
        pass


def instance_suffix(start: datetime | date, all_day: bool) -> str:
    if all_day:
        return start.strftime("%Y%m%d")
    assert isinstance(start, datetime)
    return start.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def expand(
    lines: list[str],
    start: datetime | date,
    end: datetime | date,
    tz_name: str | None,
    window_start: datetime | None,
    window_end: datetime | None,
    cal_tz: tzinfo,
) -> list[tuple[datetime | date, datetime | date]]:
    """Occurrences (start, end) overlapping the window.

    Timed events: aware datetimes. All-day: dates (window compared in ``cal_tz``).
    """
    all_day = not isinstance(start, datetime)
    out: list[tuple[datetime | date, datetime | date]] = []
    if all_day:
        duration = end - start  # type: ignore[operator]
        start_local = datetime(start.year, start.month, start.day)
        for occ in occurrences(lines, start_local, None, True):
            d0 = occ.date()
            d1 = d0 + duration
            s_abs = datetime(d0.year, d0.month, d0.day, tzinfo=cal_tz)
            e_abs = datetime(d1.year, d1.month, d1.day, tzinfo=cal_tz)
            if window_end is not None and s_abs >= window_end:
                break
            if window_start is not None and e_abs <= window_start:
                continue
            out.append((d0, d1))
        return out
    assert isinstance(start, datetime) and isinstance(end, datetime)
    tz = zone(tz_name) if tz_name else UTC
    duration = end - start
    start_local = start.astimezone(tz).replace(tzinfo=None)
    for occ in occurrences(lines, start_local, tz_name, False):
        s_abs = _localize(occ, tz)
        e_abs = s_abs + duration
        if window_end is not None and s_abs >= window_end:
            break
        if window_start is not None and e_abs <= window_start:
            continue
        out.append((s_abs, e_abs))
    return out


def _localize(naive: datetime, tz: tzinfo) -> datetime:
    aware = naive.replace(tzinfo=tz)
    # Non-existent local times (spring-forward gap) move forward like Google does.
    roundtrip = aware.astimezone(UTC).astimezone(tz).replace(tzinfo=None)
    if roundtrip != naive:
        aware = (naive + timedelta(hours=1)).replace(tzinfo=tz)
    return aware
