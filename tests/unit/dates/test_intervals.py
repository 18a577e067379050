from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from gcal.dates.intervals import Interval, clip, intersect, merge, overlapping, subtract, widen

BASE = datetime(2026, 3, 2, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")


def at(minute: int) -> datetime:
    return BASE + timedelta(minutes=minute)


def iv(start: int, end: int) -> Interval:
    return Interval(at(start), at(end))


def test_merge_joins_overlapping_and_touching_and_drops_empty():
    assert merge([iv(50, 60), iv(0, 10), iv(10, 20), iv(15, 30), iv(40, 40)]) == [
        iv(0, 30), iv(50, 60)]


def test_merge_of_nothing_is_nothing():
    assert merge([]) == []


def test_intersect_keeps_common_time_only():
    assert intersect([iv(0, 30), iv(40, 60)], [iv(20, 50)]) == [iv(20, 30), iv(40, 50)]
    assert intersect([iv(0, 10)], [iv(10, 20)]) == []


def test_subtract_cuts_holes():
    assert subtract([iv(0, 100)], [iv(10, 20), iv(15, 30), iv(90, 120)]) == [
        iv(0, 10), iv(30, 90)]
    assert subtract([iv(0, 10), iv(20, 30)], [iv(-5, 40)]) == []
    assert subtract([iv(0, 10)], []) == [iv(0, 10)]


def test_clip_and_widen():
    assert clip([iv(0, 30), iv(50, 70)], at(10), at(60)) == [iv(10, 30), iv(50, 60)]
    assert widen([iv(10, 20), iv(30, 40)], timedelta(minutes=5)) == [iv(5, 45)]


def test_overlapping_ignores_touching_intervals():
    blocks = [iv(0, 10), iv(10, 20), iv(25, 30)]
    assert overlapping(blocks, iv(10, 26)) == [iv(10, 20), iv(25, 30)]


def test_results_are_utc_and_ordered_in_absolute_time_in_the_repeated_hour():
    # 02:30 (first, +02:00) is earlier than 02:15 (second, +01:00) on 2026-10-25 in Berlin,
    # although Python compares two Berlin datetimes by their wall clock.
    first = datetime(2026, 10, 25, 2, 30, tzinfo=BERLIN)
    second = datetime(2026, 10, 25, 2, 15, fold=1, tzinfo=BERLIN)
    assert merge([Interval(first, second)]) == [
        Interval(datetime(2026, 10, 25, 0, 30, tzinfo=UTC), datetime(2026, 10, 25, 1, 15,
                                                                     tzinfo=UTC))]
    assert Interval(first, second).duration == timedelta(minutes=45)


def test_mixed_zones_compare_by_instant():
    tokyo = datetime(2026, 3, 2, 18, 0, tzinfo=ZoneInfo("Asia/Tokyo"))  # 09:00 UTC
    assert subtract([iv(8 * 60, 10 * 60)], [Interval(tokyo, tokyo + timedelta(hours=2))]) == [
        iv(8 * 60, 9 * 60)]


# --- properties against sets of minutes --------------------------------------------------

spans = st.lists(
    st.tuples(st.integers(0, 300), st.integers(0, 60)).map(lambda p: iv(p[0], p[0] + p[1])),
    max_size=8,
)


def minutes(intervals) -> set[int]:
    covered = set()
    for start, end in intervals:
        covered |= set(range(int((start - BASE) / timedelta(minutes=1)),
                             int((end - BASE) / timedelta(minutes=1))))
    return covered


def is_canonical(intervals) -> bool:
    return all(i.start < i.end for i in intervals) and all(
        a.end < b.start for a, b in pairwise(intervals))


@given(spans)
def test_merge_is_the_union(a):
    result = merge(a)
    assert is_canonical(result)
    assert minutes(result) == minutes(a)


@given(spans, spans)
def test_intersect_is_the_set_intersection(a, b):
    result = intersect(a, b)
    assert all(i.start < i.end for i in result)
    assert minutes(result) == minutes(a) & minutes(b)


@given(spans, spans)
def test_subtract_is_the_set_difference(a, b):
    result = subtract(a, b)
    assert all(i.start < i.end for i in result)
    assert minutes(result) == minutes(a) - minutes(b)
