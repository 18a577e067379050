import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from gcal.dates.intervals import Interval
from gcal.scheduling.people import Person, ZoneSource
from gcal.scheduling.slots import SlotRules, WorkingHours
from gcal.scheduling.team import member, search_team

BERLIN, LA, TOKYO = ZoneInfo("Europe/Berlin"), ZoneInfo("America/Los_Angeles"), ZoneInfo(
    "Asia/Tokyo")
HOURS = WorkingHours(9 * 60, 18 * 60)
RULES = SlotRules(timedelta(minutes=60), BERLIN, HOURS, frozenset(range(5)), 60)
START = datetime(2027, 1, 11, tzinfo=BERLIN)  # a Monday
END = START + timedelta(days=5)


def person(email, zone, hours=HOURS, *, user=False):
    return Person(email, zone, ZoneSource.YOURS if user else ZoneSource.CALL, hours, None, user)


def team(*people, start=START, end=END, days_off=()):
    return [member(p, days_off if i else (), RULES, start, end) for i, p in enumerate(people)]


def test_minutes_outside_count_how_far_before_the_start_or_after_the_end():
    [ann] = team(person("ann@x", LA))
    # 08:00-09:00 LA on Tuesday: an hour early; 18:30-19:30: 90 minutes late.
    tuesday = datetime(2027, 1, 12, tzinfo=LA)
    assert ann.minutes_outside(Interval(tuesday + timedelta(hours=8),
                                        tuesday + timedelta(hours=9))) == (60, "early")
    assert ann.minutes_outside(Interval(tuesday + timedelta(hours=18, minutes=30),
                                        tuesday + timedelta(hours=19, minutes=30))) == (90, "late")
    assert ann.minutes_outside(Interval(tuesday + timedelta(hours=10),
                                        tuesday + timedelta(hours=11))) == (0, "")


def test_a_slot_fits_only_inside_everyones_hours():
    members = team(person("me@x", BERLIN, user=True), person("ken@y", TOKYO))
    found = search_team([], START, END, RULES, members, 3, offer_least_bad=True)
    # Berlin 09:00-18:00 and Tokyo 09:00-18:00 (+8h) overlap 09:00-10:00 Berlin.
    assert found.total == 5 and not found.least_bad
    assert [s.slot.start.astimezone(BERLIN).hour for s in found.slots] == [9, 9, 9]
    assert [(s.start.astimezone(BERLIN).hour, s.end.astimezone(BERLIN).hour)
            for s in found.stretches] == [(9, 10)] * 5
    assert all(s.everyone_in_hours for s in found.slots)


def test_least_bad_rotates_who_is_outside_hours():
    members = team(person("me@x", BERLIN, user=True), person("ann@x", LA),
                   person("ken@y", TOKYO))
    found = search_team([], START, END, RULES, members, 5, offer_least_bad=True)
    assert found.least_bad and found.total == 0 and len(found.slots) == 5
    burden = Counter(f.email for s in found.slots for f in s.outside)
    assert len(burden) >= 2 and max(burden.values()) <= 3
    assert len({s.slot.start.astimezone(BERLIN).date() for s in found.slots}) == 5


def test_busy_time_is_never_offered_even_as_least_bad():
    members = team(person("me@x", BERLIN, user=True), person("ann@x", LA))
    busy = [Interval(START, END)]
    found = search_team(busy, START, END, RULES, members, 5, offer_least_bad=True)
    assert found.slots == [] and found.total == 0


def test_least_bad_over_a_year_stays_fast():
    end = START + timedelta(days=366)
    members = team(person("me@x", BERLIN, user=True), person("ann@x", LA),
                   person("ken@y", TOKYO), end=end)
    began = time.perf_counter()
    found = search_team([], START, end, RULES, members, 100, offer_least_bad=True)
    assert len(found.slots) == 100 and time.perf_counter() - began < 10
    assert found.slots[0].slot.start.tzinfo is not None and found.start.tzinfo is not None
    assert all(s.slot.start >= START.astimezone(UTC) for s in found.slots)
