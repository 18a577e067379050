"""Half-open time intervals [start, end) on aware datetimes: merge, intersect, subtract.

Every function returns intervals in UTC, sorted and non-overlapping. Inputs are converted
to UTC first because Python compares and subtracts two datetimes that share a ``tzinfo``
by wall clock, which is wrong in the repeated hour when daylight saving time ends.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import NamedTuple


class Interval(NamedTuple):
    start: datetime
    end: datetime

    @property
    def duration(self) -> timedelta:
        return self.end.astimezone(UTC) - self.start.astimezone(UTC)

    def utc(self) -> Interval:
        return Interval(self.start.astimezone(UTC), self.end.astimezone(UTC))


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Union: overlapping or touching intervals become one; empty ones disappear."""
    merged: list[Interval] = []
    for start, end in sorted(i.utc() for i in intervals if _non_empty(i)):
        if merged and start <= merged[-1].end:
            if end > merged[-1].end:
                merged[-1] = Interval(merged[-1].start, end)
        else:
            merged.append(Interval(start, end))
    return merged


def intersect(first: Iterable[Interval], second: Iterable[Interval]) -> list[Interval]:
    """Times inside both sets."""
    a, b = merge(first), merge(second)
    result: list[Interval] = []
    i = j = 0
    while i < len(a) and j < len(b):
        start, end = max(a[i].start, b[j].start), min(a[i].end, b[j].end)
        if start < end:
            result.append(Interval(start, end))
        if a[i].end <= b[j].end:
            i += 1
        else:
            j += 1
    return result


def subtract(base: Iterable[Interval], holes: Iterable[Interval]) -> list[Interval]:
    """Times inside ``base`` and outside every hole."""
    result: list[Interval] = []
    cuts = merge(holes)
    first = 0  # holes ending before the current base interval never matter again
    for start, end in merge(base):
        while first < len(cuts) and cuts[first].end <= start:
            first += 1
        for index in range(first, len(cuts)):
            hole = cuts[index]
            if hole.start >= end:
                break
            if hole.start > start:
                result.append(Interval(start, hole.start))
            start = max(start, hole.end)
            if start >= end:
                break
        if start < end:
            result.append(Interval(start, end))
    return result


def clip(intervals: Iterable[Interval], start: datetime, end: datetime) -> list[Interval]:
    """The parts of ``intervals`` between ``start`` and ``end``."""
    return intersect(intervals, [Interval(start, end)])


def widen(intervals: Iterable[Interval], margin: timedelta) -> list[Interval]:
    """Each interval grown by ``margin`` on both sides (a buffer around busy time), merged."""
    return merge(Interval(i.start - margin, i.end + margin) for i in intervals)


def overlapping(intervals: Iterable[Interval], probe: Interval) -> list[Interval]:
    """The intervals that share some time with ``probe`` (touching does not count)."""
    probe = probe.utc()
    return [i for i in (i.utc() for i in intervals) if i.start < probe.end and probe.start < i.end]


def _non_empty(interval: Interval) -> bool:
    return interval.start.astimezone(UTC) < interval.end.astimezone(UTC)
