"""A small subset of Google's quickAdd natural-language parser."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august",
          "september", "october", "november", "december"]
_TIME = r"(\d{1,2})(?::(\d{2}))?\s*(am|pm)?"


def _hm(h: str, m: str | None, ampm: str | None) -> tuple[int, int]:
    hour, minute = int(h), int(m or 0)
    if ampm:
        hour %= 12
        if ampm.lower() == "pm":
            hour += 12
    return hour, minute


def _valid_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def parse_quick_add(text: str, tz: tzinfo, now: datetime) -> dict[str, Any]:
    """Return an event body (summary/start/end) for ``text``, times in ``tz``."""
    today = now.astimezone(tz).date()
    rest = text.strip()
    day: date | None = None

    def cut(m: re.Match[str]) -> str:
        return (rest[: m.start()] + " " + rest[m.end():]).strip()

    m = re.search(r"\b(?:on\s+)?(\d{4})-(\d{2})-(\d{2})\b", rest, re.I)
    if m and (day := _valid_date(int(m.group(1)), int(m.group(2)), int(m.group(3)))):
        rest = cut(m)  # an impossible date (0000-01-01, 2026-02-30) stays in the title
    if day is None:
        m = re.search(r"\b(today|tomorrow|tonight)\b", rest, re.I)
        if m:
            day = today + timedelta(days=1 if m.group(1).lower() == "tomorrow" else 0)
            rest = cut(m)
    if day is None:
        m = re.search(r"\b(?:on\s+|next\s+)?(" + "|".join(WEEKDAYS) + r")\b", rest, re.I)
        if m:
            target = WEEKDAYS.index(m.group(1).lower())
            delta = (target - today.weekday()) % 7 or 7
            day = today + timedelta(days=delta)
            rest = cut(m)
    if day is None:
        m = re.search(r"\b(?:on\s+)?(" + "|".join(MONTHS) + r")\s+(\d{1,2})(?:st|nd|rd|th)?\b",
                      rest, re.I)
        month = MONTHS.index(m.group(1).lower()) + 1 if m else 0
        if m and (day := _valid_date(today.year, month, int(m.group(2)))):
            if day < today:
                day = _valid_date(today.year + 1, month, int(m.group(2))) or day
            rest = cut(m)
    start_hm = end_hm = None
    m = re.search(r"\b(?:at\s+|from\s+)?" + _TIME + r"\s*(?:-|–|to|until)\s*" + _TIME + r"\b",
                  rest, re.I)
    if m and (m.group(3) or m.group(6) or m.group(2) or m.group(5)):
        ampm1 = m.group(3) or (m.group(6) if not m.group(3) else None)
        start_hm = _hm(m.group(1), m.group(2), ampm1)
        end_hm = _hm(m.group(4), m.group(5), m.group(6))
        rest = cut(m)
    else:
        m = re.search(r"\b(?:at\s+)?" + r"(\d{1,2})(?::(\d{2}))?\s*(am|pm)\b", rest, re.I) or \
            re.search(r"\b(?:at\s+)(\d{1,2})(?::(\d{2}))?()\b", rest, re.I) or \
            re.search(r"\b(\d{1,2}):(\d{2})()\b", rest, re.I)
        if m:
            start_hm = _hm(m.group(1), m.group(2), m.group(3) or None)
            rest = cut(m)
        elif re.search(r"\bnoon\b", rest, re.I):
            start_hm = (12, 0)
            rest = re.sub(r"\b(?:at\s+)?noon\b", "", rest, flags=re.I).strip()
    summary = re.sub(r"\s+", " ", rest)
    summary = re.sub(r"\s+(?:on|at|from)$", "", summary, flags=re.I).strip() or "(No title)"
    if start_hm is None:
        d = day or today
        return {"summary": summary, "start": {"date": d.isoformat()},
                "end": {"date": (d + timedelta(days=1)).isoformat()}}
    d = day or today
    start = datetime(d.year, d.month, d.day, *start_hm, tzinfo=tz)
    if end_hm is not None:
        end = datetime(d.year, d.month, d.day, *end_hm, tzinfo=tz)
        if end <= start:
            end += timedelta(days=1)
    else:
        end = start + timedelta(hours=1)
    return {
        "summary": summary,
        "start": {"dateTime": start.isoformat()},
        "end": {"dateTime": end.isoformat()},
    }
