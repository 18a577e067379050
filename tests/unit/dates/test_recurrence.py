"""Moving a series' start moves the rule parts that pin its days (issue 11.3)."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from gcal.dates.recurrence import moved_rules
from gcal.errors import InvalidInputError
from gcal.events.input import Span

BERLIN = ZoneInfo("Europe/Berlin")


def timed(day: int, hour: int) -> Span:
    start = datetime(2026, 3, day, hour, tzinfo=BERLIN)
    return Span(start, start.replace(minute=15), BERLIN)


def all_day(month: int, day: int) -> Span:
    return Span(date(2026, month, day), date(2026, month, day + 1), BERLIN)


def test_weekday_until_and_exceptions_move_with_the_start():
    lines = ["RRULE:FREQ=WEEKLY;BYDAY=MO,FR;UNTIL=20260330T215959Z",
             "EXDATE;TZID=Europe/Berlin:20260316T090000", "RDATE:20260401T080000Z"]
    assert moved_rules(lines, timed(2, 9), timed(3, 10)) == [
        "RRULE:FREQ=WEEKLY;BYDAY=TU,SA;UNTIL=20260331T225959Z",
        "EXDATE;TZID=Europe/Berlin:20260317T100000", "RDATE:20260402T090000Z"]


def test_same_start_changes_nothing_and_time_only_keeps_the_days():
    lines = ["RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=4"]
    assert moved_rules(lines, timed(2, 9), timed(2, 9)) is lines
    assert moved_rules(lines, timed(2, 9), timed(2, 11)) == lines
    assert moved_rules(lines, timed(2, 9), timed(8, 9)) == [
        "RRULE:FREQ=WEEKLY;BYDAY=SU;COUNT=4"]  # wraps around the week


def test_month_days_move_when_they_stay_valid_in_every_month():
    lines = ["RRULE:FREQ=MONTHLY;BYMONTHDAY=2", "EXDATE;VALUE=DATE:20260402"]
    assert moved_rules(lines, all_day(3, 2), all_day(3, 4)) == [
        "RRULE:FREQ=MONTHLY;BYMONTHDAY=4", "EXDATE;VALUE=DATE:20260404"]


@pytest.mark.parametrize(("rule", "moved_to"), [
    ("RRULE:FREQ=MONTHLY;BYDAY=1MO", (3, 9)),
    ("RRULE:FREQ=MONTHLY;BYDAY=MO;BYSETPOS=-1", (3, 9)),
    ("RRULE:FREQ=MONTHLY;BYMONTHDAY=-1", (3, 9)),
    ("RRULE:FREQ=MONTHLY;BYMONTHDAY=27", (5, 9)),
    ("RRULE:FREQ=DAILY;BYHOUR=9", (2, 10)),
])
def test_parts_that_cannot_move_exactly_are_refused(rule, moved_to):
    with pytest.raises(InvalidInputError) as error:
        moved_rules([rule], timed(2, 9), timed(*moved_to))
    assert error.value.parameter == "start" and "recurrence" in error.value.message


def test_by_month_is_refused_only_when_the_month_changes():
    lines = ["RRULE:FREQ=YEARLY;BYMONTH=3"]
    assert moved_rules(lines, all_day(3, 2), all_day(3, 9)) == lines
    with pytest.raises(InvalidInputError):
        moved_rules(lines, all_day(3, 2), all_day(4, 2))
