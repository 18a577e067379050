"""Busy time of calendars and people from Google's ``freebusy.query``.

Google already leaves out events shown as "free" (transparent), cancelled events and
invitations the person declined, so every block it returns really blocks. A calendar
Google cannot answer for (``errors`` such as ``notFound`` when the free/busy is not shared)
is reported as unknown, never taken as free.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from gcal.dates.intervals import Interval, merge
from gcal.dates.times import parse_rfc3339, to_rfc3339
from gcal.errors import GoogleCalendarError, InvalidInputError
from gcal.google.client import CalendarClient
from gcal.google.transport import calendar_path

MAX_ITEMS = 50  # Google's limit of calendars and people per query
CHUNK = timedelta(days=60)  # Google rejects ranges over about 90 days (timeRangeTooLong)
_MAX_PARALLEL = 4
_REASONS = {
    "notFound": "not found, or its free/busy is not shared with you",
    "internalError": "Google could not read its free/busy",
    "groupTooBig": "the group has too many members to expand",
    "tooManyCalendarsRequested": "too many calendars in one request",
}


@dataclass
class FreeBusy:
    busy: dict[str, list[Interval]] = field(default_factory=dict)
    unknown: dict[str, str] = field(default_factory=dict)  # id -> why Google cannot tell

    @property
    def considered(self) -> list[str]:
        return [name for name in self.busy if name not in self.unknown]

    def all_busy(self) -> list[Interval]:
        """Busy time of everyone considered, merged."""
        return merge(block for name in self.considered for block in self.busy[name])

    def absorb(self, other: FreeBusy) -> None:
        for name, blocks in other.busy.items():
            self.busy.setdefault(name, []).extend(blocks)
        for name, reason in other.unknown.items():
            self.unknown.setdefault(name, reason)


def query_free_busy(
    client: CalendarClient,
    ids: Sequence[str],
    start: datetime,
    end: datetime,
    *,
    parameter: str = "attendees",
) -> FreeBusy:
    """Busy blocks per id in [start, end): one request per 60-day chunk, run concurrently.

    Raises when Google can answer for none of ``ids``: free time of nobody means nothing.
    """
    if len(ids) > MAX_ITEMS:
        raise InvalidInputError(
            parameter,
            f"{len(ids)} calendars and people were given; Google checks at most {MAX_ITEMS} "
            "at once",
            "alice@example.com, bob@example.com",
        )
    chunks = split_range(start, end)
    with ThreadPoolExecutor(max_workers=min(_MAX_PARALLEL, len(chunks))) as pool:
        answers = list(pool.map(lambda chunk: _query(client, ids, chunk), chunks))
    result = FreeBusy()
    for answer in answers:
        result.absorb(read_answer(answer, ids))
    for name in result.busy:
        result.busy[name] = merge(result.busy[name])
    if not result.considered:
        raise GoogleCalendarError(
            "Google returned no free/busy information for any of: "
            + "; ".join(f"{name} ({reason})" for name, reason in result.unknown.items())
        )
    return result


def unique_ids(*groups: Sequence[str]) -> list[str]:
    """Calendar ids and emails, first spelling kept, compared without case."""
    kept: dict[str, str] = {}
    for name in (name for group in groups for name in group):
        kept.setdefault(name.casefold(), name)
    return list(kept.values())


def split_range(start: datetime, end: datetime) -> list[Interval]:
    chunks = []
    while start < end:
        chunks.append(Interval(start, min(end, start + CHUNK)))
        start = chunks[-1].end
    return chunks


def _query(client: CalendarClient, ids: Sequence[str], chunk: Interval) -> dict:
    body = {
        "timeMin": to_rfc3339(chunk.start),
        "timeMax": to_rfc3339(chunk.end),
        "timeZone": "UTC",
        "items": [{"id": name} for name in ids],
    }
    # A query changes nothing, so it is safe to resend after a timeout.
    return client.transport.post(calendar_path("freeBusy"), json=body, idempotent=True) or {}


def read_answer(answer: dict, requested: Sequence[str]) -> FreeBusy:
    """One response: busy blocks of those Google answered for, reasons for the others."""
    spelled = {name.casefold(): name for name in requested}
    result = FreeBusy()
    for key, entry in (answer.get("calendars") or {}).items():
        name = spelled.get(key.casefold(), key)
        if entry.get("errors"):
            result.unknown[name] = _reason(entry["errors"])
        else:
            result.busy[name] = [_block(b) for b in entry.get("busy") or []]
    for key, entry in (answer.get("groups") or {}).items():
        name = spelled.get(key.casefold(), key)
        if entry.get("errors"):
            result.unknown[name] = _reason(entry["errors"])
        else:
            result.busy.setdefault(name, [])  # its members' busy time is listed per member
    for name in requested:
        if name not in result.busy and name not in result.unknown:
            result.unknown[name] = "Google returned nothing for it"
    return result


def _reason(errors: list[dict]) -> str:
    reason = str((errors[0] or {}).get("reason") or "unknownError")
    return f"{_REASONS.get(reason, 'Google could not tell')} ({reason})"


def _block(raw: dict) -> Interval:
    return Interval(parse_rfc3339(raw["start"]), parse_rfc3339(raw["end"]))
