"""The rule arithmetic of scope=following (gcal.events.series), RFC 5545 3.3.10 / 3.8.5."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from gcal.events.input import Span
from gcal.events.series import earlier_rules, following_rules

BERLIN = ZoneInfo("Europe/Berlin")


def timed(text: str) -> Span:
    start = datetime.fromisoformat(text).astimezone(BERLIN)
    return Span(start, start.replace(minute=30), BERLIN)


def test_timed_series_ends_one_second_before_in_utc_and_drops_count():
    lines = ["RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=10", "EXDATE:20260309T080000Z,20260413T070000Z"]
    split = timed("2026-04-06T09:00:00+02:00")
    assert earlier_rules(lines, split) == ["RRULE:FREQ=WEEKLY;BYDAY=MO;UNTIL=20260406T065959Z",
                                           "EXDATE:20260309T080000Z"]
    series = timed("2026-03-02T09:00:00+01:00")
    assert following_rules(lines, series, split) == ["RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=5",
                                                     "EXDATE:20260413T070000Z"]


def test_count_counts_what_the_rule_generates_even_if_excluded():
    """RFC 5545: EXDATE removes occurrences after COUNT has been applied."""
    lines = ["RRULE:FREQ=DAILY;COUNT=6", "EXDATE:20260302T080000Z"]
    series, split = timed("2026-03-01T09:00:00+01:00"), timed("2026-03-04T09:00:00+01:00")
    assert following_rules(lines, series, split)[0] == "RRULE:FREQ=DAILY;COUNT=3"


def test_all_day_series_ends_the_day_before():
    split = Span(date(2026, 3, 30), date(2026, 3, 31), BERLIN)
    assert earlier_rules(["RRULE:FREQ=DAILY;UNTIL=20260430"], split) == [
        "RRULE:FREQ=DAILY;UNTIL=20260329"]
    series = Span(date(2026, 3, 25), date(2026, 3, 26), BERLIN)
    assert following_rules(["RRULE:FREQ=DAILY;UNTIL=20260430"], series, split) == [
        "RRULE:FREQ=DAILY;UNTIL=20260430"]


def test_a_start_off_the_rule_counts_as_the_first_occurrence():
    """RFC 5545 3.3.10: "The DTSTART property value always counts as the first occurrence";
    a Thursday start of a Monday rule (made outside this plugin) is one of the COUNT."""
    lines = ["RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=4"]
    series = timed("2026-03-05T09:00:00+01:00")  # Thursday
    split = timed("2026-03-16T09:00:00+01:00")  # after Thu 5 and Mon 9 March
    assert following_rules(lines, series, split) == ["RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=2"]
