"""Free time of a team spread over zones: each person's working hours in their own zone.

Pure computation, no I/O. A slot fits when it lies inside every person's working time
(their hours on their working days, in their zone, minus their public holidays) and outside
everyone's busy time. The free stretches are those times; slots are examples within them.

When no slot fits everyone, the least-bad slots are offered: free of busy time, with the
fewest minutes outside anyone's hours (per person, how far the slot reaches before their
start or after their end), chosen so the burden rotates: each pick counts the minutes a
person already bears in earlier picks, so the same person is not early or late every time.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from functools import reduce
from zoneinfo import ZoneInfo

from gcal.dates.intervals import Interval, clip, intersect, subtract, widen
from gcal.scheduling.countries import zone_holiday_calendar
from gcal.scheduling.holidays import Holiday, Holidays
from gcal.scheduling.people import Person
from gcal.scheduling.slots import SlotRules, all_slots, working_windows

_MARGIN = timedelta(days=2)  # working time looked at beyond the window, for distances
_NO_HOURS = 24 * 60  # minutes outside for someone with no working time near the slot
# A slot on a day not offered yet is worth up to 1.5 times the minutes (+1 h) of the best one.
_NEW_DAY_WORTH, _NEW_DAY_SLACK = 1.5, 60


@dataclass(frozen=True)
class Member:
    """A person and their working time (UTC intervals, sorted; also as POSIX seconds, which
    the least-bad search compares thousands of times)."""

    person: Person
    days_off: frozenset[date]
    windows: list[Interval]
    seconds: list[tuple[float, float]] = field(repr=False)
    starts: list[float] = field(repr=False)

    def minutes_outside(self, slot: Interval) -> tuple[int, str]:
        """How far ``slot`` reaches outside this person's nearest working time, and whether
        it is ``early`` or ``late`` there (0 and "" when it lies inside)."""
        return self.outside_seconds(slot.start.timestamp(), slot.end.timestamp())

    def outside_seconds(self, start: float, end: float) -> tuple[int, str]:
        index = bisect.bisect_right(self.starts, start)
        best = (_NO_HOURS, "")
        for window_start, window_end in self.seconds[max(0, index - 1): index + 1]:
            early = max(0, int(window_start - start) // 60)
            late = max(0, int(end - window_end) // 60)
            if early + late < best[0]:
                best = (early + late, "early" if early >= late and early else
                        "late" if late else "")
        return best


def member(person: Person, days_off: Iterable[date], rules: SlotRules, start: datetime,
           end: datetime) -> Member:
    off = frozenset(days_off)
    windows = working_windows(start - _MARGIN, end + _MARGIN, person.hours, rules.days,
                              person.zone, days_off=off)
    seconds = [(w.start.timestamp(), w.end.timestamp()) for w in windows]
    return Member(person, off, windows, seconds, [s for s, _ in seconds])


@dataclass(frozen=True)
class Fit:
    """One person's view of a slot."""

    email: str
    zone: ZoneInfo
    start: datetime  # local
    end: datetime
    minutes_outside: int = 0
    side: str = ""  # "early" or "late" when outside


@dataclass(frozen=True)
class TeamSlot:
    slot: Interval
    fits: tuple[Fit, ...]

    @property
    def everyone_in_hours(self) -> bool:
        return all(f.minutes_outside == 0 for f in self.fits)

    @property
    def outside(self) -> list[Fit]:
        return [f for f in self.fits if f.minutes_outside]


@dataclass(frozen=True)
class TeamSearch:
    slots: list[TeamSlot]
    total: int  # slots that fit everyone (0 when only least-bad ones are offered)
    stretches: list[Interval]  # free for everyone in everyone's hours, holding a slot
    start: datetime
    end: datetime

    @property
    def more(self) -> int:
        return max(0, self.total - len(self.slots))

    @property
    def least_bad(self) -> bool:
        return self.total == 0 and bool(self.slots)


def search_team(
    busy: Iterable[Interval], start: datetime, end: datetime, rules: SlotRules,
    members: Sequence[Member], limit: int, *, offer_least_bad: bool,
) -> TeamSearch:
    blocked = widen(busy, rules.buffer)
    free = free_together(blocked, start, end, members)
    slots: list[Interval] = []
    total, stretches = 0, []
    for stretch in free:
        inside = list(all_slots([stretch], rules))
        if inside:
            stretches.append(stretch)
        total += len(inside)
        slots.extend(inside[: max(0, limit - len(slots))])
    if slots or not offer_least_bad:
        return TeamSearch([_team_slot(s, members) for s in slots], total, stretches, start,
                          end)
    free_of_busy = subtract([Interval(start, end)], blocked)
    return TeamSearch(least_bad(free_of_busy, rules, members, limit), 0, [], start, end)


def free_together(blocked: Iterable[Interval], start: datetime, end: datetime,
                  members: Sequence[Member]) -> list[Interval]:
    """[start, end) inside every member's working time and outside ``blocked`` (busy time
    widened by the buffer)."""
    together = reduce(intersect, (m.windows for m in members))
    return subtract(clip(together, start, end), blocked)


def least_bad(free: Iterable[Interval], rules: SlotRules, members: Sequence[Member],
              limit: int) -> list[TeamSlot]:
    """Up to ``limit`` slots with the fewest minutes outside hours, the burden rotated,
    no two overlapping, spread over the days (of the search zone) where that costs little.

    Candidates are grouped by who is outside hours; within a group the cheapest allowed one
    is the only one worth weighing, so each pick looks at one candidate per group."""
    groups: dict[frozenset[str], list[_Candidate]] = {}
    # Starts on the half hour at least: a quarter hour more or less outside someone's day
    # does not change which slots are least bad, and it halves the work.
    coarse = replace(rules, granularity_minutes=max(rules.granularity_minutes, 30))
    for slot in all_slots(free, coarse, overlapping=True):
        start, end = slot.start.timestamp(), slot.end.timestamp()
        candidate = _Candidate(slot, tuple(m.outside_seconds(start, end)[0] for m in members))
        outside = frozenset(m.person.email for m, n in zip(members, candidate.minutes,
                                                            strict=True) if n)
        groups.setdefault(outside, []).append(candidate)
    for items in groups.values():
        items.sort(key=lambda c: (c.cost, c.slot.start))
    picks = _Picks(rules.zone, [m.person.email for m in members])
    picks.fill(groups, limit)
    return [_team_slot(c.slot, members) for c in picks.chosen]


@dataclass(frozen=True)
class _Candidate:
    slot: Interval
    minutes: tuple[int, ...]  # outside hours, per member

    @property
    def cost(self) -> int:
        return sum(self.minutes)


class _Picks:
    """The least-bad slots chosen so far (by start), who bears how many minutes, days used."""

    def __init__(self, zone: ZoneInfo, emails: Sequence[str]) -> None:
        self.zone = zone
        self.emails = list(emails)  # in the order of _Candidate.minutes
        self.chosen: list[_Candidate] = []
        self.burden = dict.fromkeys(self.emails, 0)
        self.days: set[date] = set()

    def fill(self, groups: dict[frozenset[str], list[_Candidate]], limit: int) -> None:
        """Pick by cost plus the burden already borne; a slot on a day not used yet is
        preferred unless it costs much more than the best one on a used day."""
        anywhere = dict.fromkeys(groups, 0)
        new_day = dict.fromkeys(groups, 0)
        while len(self.chosen) < limit:
            best = self._best(groups, anywhere, one_per_day=False)
            if best is None:
                return
            fresh = self._best(groups, new_day, one_per_day=True)
            if fresh is not None and fresh[0] <= best[0] * _NEW_DAY_WORTH + _NEW_DAY_SLACK:
                best = fresh
            self._take(best[1])

    def _best(self, groups: dict[frozenset[str], list[_Candidate]], next_index: dict,
              *, one_per_day: bool) -> tuple[int, _Candidate] | None:
        best: tuple[int, datetime, _Candidate] | None = None
        for group, items in groups.items():
            index = next_index[group]
            while index < len(items) and not self._allowed(items[index], one_per_day):
                index += 1  # what is not allowed now never will be again
            next_index[group] = index
            if index < len(items):
                candidate = items[index]
                key = (candidate.cost + sum(self.burden[e] for e in group),
                       candidate.slot.start, candidate)
                if best is None or key[:2] < best[:2]:
                    best = key
        return None if best is None else (best[0], best[2])

    def _allowed(self, candidate: _Candidate, one_per_day: bool) -> bool:
        slot = candidate.slot
        if one_per_day and slot.start.astimezone(self.zone).date() in self.days:
            return False
        at = bisect.bisect_left(self.chosen, slot.start, key=lambda c: c.slot.start)
        neighbours = self.chosen[max(0, at - 1): at + 1]
        return not any(slot.start < o.slot.end and o.slot.start < slot.end for o in neighbours)

    def _take(self, candidate: _Candidate) -> None:
        bisect.insort(self.chosen, candidate, key=lambda c: c.slot.start)
        self.days.add(candidate.slot.start.astimezone(self.zone).date())
        for email, minutes in zip(self.emails, candidate.minutes, strict=True):
            self.burden[email] += minutes


def _team_slot(slot: Interval, members: Sequence[Member]) -> TeamSlot:
    fits = []
    for m in members:
        minutes, side = m.minutes_outside(slot)
        zone = m.person.zone
        fits.append(Fit(m.person.email, zone, slot.start.astimezone(zone),
                        slot.end.astimezone(zone), minutes, side))
    return TeamSlot(slot, tuple(fits))


def days_off(people: Sequence[Person], holidays: Holidays | None, rules: SlotRules,
             start: datetime, end: datetime) -> dict[str, list[Holiday]]:
    """Each person's public holidays on their working days in the window (email → days).

    The user keeps the holiday calendars they show, except one that is only another
    person's country (a Berlin user showing Japan's holidays for a colleague in Tokyo)."""
    if holidays is None:
        return {}
    user = people[0]
    theirs = {p.holiday_calendar for p in people[1:] if p.holiday_calendar}
    own = zone_holiday_calendar(user.zone)
    found: dict[str, list[Holiday]] = {}
    for person in people:
        first = start.astimezone(person.zone).date()
        last = (end - timedelta(microseconds=1)).astimezone(person.zone).date()  # end excluded
        days = [h for h in holidays.on(first, last, rules.days)
                if (h.calendar_id == person.holiday_calendar if not person.is_user
                    else h.calendar_id not in theirs or h.calendar_id == own)]
        if days:
            found[person.email] = days
    return found


def members_of(people: Sequence[Person], skipped: dict[str, list[Holiday]], rules: SlotRules,
               start: datetime, end: datetime) -> list[Member]:
    return [member(p, (h.day for h in skipped.get(p.email, ())), rules, start, end)
            for p in people]
