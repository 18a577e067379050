"""Everything find_free_slots reads from Google, in one round of parallel requests: the
free/busy of the user's calendars and of the attendees, the user's public holidays, and the
status events (focus time, out of office) that say why time is busy."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from gcal.google.client import CalendarClient
from gcal.scheduling.freebusy import FreeBusy, query_free_busy, unique_ids
from gcal.scheduling.holidays import Holidays, users_public_holidays
from gcal.scheduling.status import status_notes, status_owners


@dataclass(frozen=True)
class Availability:
    free_busy: FreeBusy
    holidays: Holidays | None  # None: holidays were not asked for
    notes: list[str]


def read_availability(
    client: CalendarClient, calendar_ids: Sequence[str], attendees: Sequence[str],
    start: datetime, end: datetime, zone: ZoneInfo, *, skip_holidays: bool,
    other_holidays: Sequence[str] = (),
) -> Availability:
    """``other_holidays``: holiday calendars of other people's countries, read in the same
    round as the rest."""
    owners = status_owners(client, attendees)
    with ThreadPoolExecutor(max_workers=2) as pool:
        notes = pool.submit(status_notes, client, owners, start, end, zone)
        holidays = (pool.submit(users_public_holidays, client, start, end, other_holidays)
                    if skip_holidays else None)
        free_busy = query_free_busy(client, unique_ids(calendar_ids, attendees), start, end)
        return Availability(free_busy, holidays.result() if holidays else None, notes.result())
