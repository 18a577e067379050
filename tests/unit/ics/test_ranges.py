"""RECURRENCE-ID;RANGE=THISANDFUTURE imported as a split series (gcal.ics.ranges).

The files are written from RFC 5545 3.2.13 (RANGE) and 3.8.4.4 (RECURRENCE-ID): the override
applies to its occurrence and every later one, a changed DTSTART moves every later occurrence
by the same amount. The oracle below expands what Google would hold (series + exceptions) with
dateutil, independently of the code under test.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from dateutil import rrule

from gcal.dates.times import parse_rfc3339
from gcal.ics.items import ImportItem, excluded_keys, original_start_key
from gcal.ics.ranges import NO_SERIES
from gcal.ics.reading import read_ics
from tests.unit.ics.test_reading import calendar, vevent

BERLIN = ZoneInfo("Europe/Berlin")
UID = "planning@example.com"


def occurrences(items: list[ImportItem]) -> list[tuple[str, str]]:
    """(start, summary) of every occurrence Google would show for these bodies."""
    changed = {item.key: item.body for item in items if item.original_start}
    shown = []
    for item in items:
        if item.original_start:
            continue
        for start in _expand(item.body):
            google = _google(start, item.body["start"])
            body = changed.pop((item.uid, original_start_key(google)), None)
            if body is None:
                shown.append((_shown(start), item.body.get("summary")))
            elif body.get("status") != "cancelled":
                moved = _moment(body["start"])
                shown.append((_shown(moved), body.get("summary")))
    excluded = {(item.uid, key) for item in items if not item.original_start
                for key in excluded_keys(item.body.get("recurrence"))}
    changed = {key: body for key, body in changed.items()  # a cancelled one is also an EXDATE
               if not (key in excluded and body.get("status") == "cancelled")}
    assert changed == {}, f"exceptions of no occurrence: {list(changed)}"
    return sorted(shown)


def _expand(body: dict) -> list:
    start = _moment(body["start"])
    if not isinstance(start, datetime):
        start = datetime(start.year, start.month, start.day)
    rules = rrule.rrulestr("\n".join(body["recurrence"]), dtstart=start, forceset=True)
    return [moment.date() if "date" in body["start"] else moment for moment in rules]


def _moment(google: dict) -> date | datetime:
    if "date" in google:
        return date.fromisoformat(google["date"])
    return parse_rfc3339(google["dateTime"]).astimezone(ZoneInfo(google["timeZone"]))


def _google(start, series_start: dict) -> dict:
    if "date" in series_start:
        return {"date": start.isoformat()}
    return {"dateTime": start.isoformat(), "timeZone": series_start["timeZone"]}


def _shown(moment) -> str:
    return moment.isoformat() if not isinstance(moment, datetime) else moment.strftime(
        "%Y-%m-%d %H:%M %z")


def weekly(*extra: str, rule: str = "RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=6") -> list[str]:
    return vevent(f"UID:{UID}", "DTSTART;TZID=Europe/Berlin:20260302T090000",
                  "DTEND;TZID=Europe/Berlin:20260302T100000", rule, "SUMMARY:Planning", *extra)


def change(when: str, start: str, end: str, summary: str, *extra: str) -> list[str]:
    return vevent(f"UID:{UID}", f"RECURRENCE-ID;RANGE=THISANDFUTURE;TZID=Europe/Berlin:{when}",
                  f"DTSTART;TZID=Europe/Berlin:{start}", f"DTEND;TZID=Europe/Berlin:{end}",
                  f"SUMMARY:{summary}", "SEQUENCE:1", *extra)


def test_count_series_splits_into_earlier_and_following_series():
    parsed = read_ics(calendar(*weekly(), *change(
        "20260316T090000", "20260316T090000", "20260316T100000", "Planning (room 4)",
        "LOCATION:Room 4", "ATTENDEE;PARTSTAT=ACCEPTED:mailto:bob@example.com")), BERLIN)
    assert parsed.skipped == []
    earlier, later = parsed.items
    assert earlier.uid == UID and later.uid == "planning_R20260316T090000@example.com"
    assert earlier.body["recurrence"] == ["RRULE:FREQ=WEEKLY;BYDAY=MO;UNTIL=20260316T075959Z"]
    assert later.body["recurrence"] == ["RRULE:FREQ=WEEKLY;COUNT=4;BYDAY=MO"]
    assert later.body["start"] == {"dateTime": "2026-03-16T09:00:00+01:00",
                                   "timeZone": "Europe/Berlin"}
    assert later.body["location"] == "Room 4" and "originalStartTime" not in later.body
    assert later.body["attendees"][0]["email"] == "bob@example.com"
    assert later.original_start is None and not later.this_and_future
    # the earlier series changed too: its SEQUENCE rises so a re-import updates it
    assert earlier.sequence == 1 and earlier.body["sequence"] == 1
    assert occurrences(parsed.items) == [
        ("2026-03-02 09:00 +0100", "Planning"), ("2026-03-09 09:00 +0100", "Planning"),
        ("2026-03-16 09:00 +0100", "Planning (room 4)"),
        ("2026-03-23 09:00 +0100", "Planning (room 4)"),
        ("2026-03-30 09:00 +0200", "Planning (room 4)"),
        ("2026-04-06 09:00 +0200", "Planning (room 4)")]


def test_until_series_keeps_its_until_and_exdates_go_to_their_side():
    rule = "RRULE:FREQ=DAILY;UNTIL=20260312T080000Z"
    parsed = read_ics(calendar(
        *weekly("EXDATE;TZID=Europe/Berlin:20260303T090000,20260310T090000", rule=rule),
        *change("20260308T090000", "20260308T090000", "20260308T100000", "Daily (new)")),
        BERLIN)
    earlier, later = parsed.items
    assert earlier.body["recurrence"] == ["RRULE:FREQ=DAILY;UNTIL=20260308T075959Z",
                                          "EXDATE:20260303T080000Z"]
    assert later.body["recurrence"] == [rule, "EXDATE:20260310T080000Z"]
    shown = occurrences(parsed.items)
    assert [day for day, _ in shown] == [
        f"2026-03-{d:02d} 09:00 +0100" for d in (2, 4, 5, 6, 7, 8, 9, 11, 12)]
    assert [title for _, title in shown].count("Daily (new)") == 4


def test_a_moved_time_of_day_moves_every_later_occurrence_across_dst():
    """RFC 5545 3.8.4.4: the offset applies to every later one, in wall-clock time (Berlin's
    clocks change on 2026-03-29: 10:30 stays 10:30)."""
    parsed = read_ics(calendar(*weekly(), *change(
        "20260323T090000", "20260323T103000", "20260323T113000", "Planning (later)")), BERLIN)
    later = parsed.items[1]
    assert later.uid == "planning_R20260323T090000@example.com"
    assert later.body["start"]["dateTime"] == "2026-03-23T10:30:00+01:00"
    assert later.body["recurrence"] == ["RRULE:FREQ=WEEKLY;COUNT=3;BYDAY=MO"]
    assert occurrences(parsed.items) == [
        ("2026-03-02 09:00 +0100", "Planning"), ("2026-03-09 09:00 +0100", "Planning"),
        ("2026-03-16 09:00 +0100", "Planning"),
        ("2026-03-23 10:30 +0100", "Planning (later)"),
        ("2026-03-30 10:30 +0200", "Planning (later)"),
        ("2026-04-06 10:30 +0200", "Planning (later)")]


def test_a_split_after_the_dst_change_ends_the_earlier_series_in_summer_time():
    parsed = read_ics(calendar(*weekly(), *change(
        "20260330T090000", "20260330T090000", "20260330T100000", "Planning (summer)")), BERLIN)
    earlier, later = parsed.items
    assert earlier.body["recurrence"] == ["RRULE:FREQ=WEEKLY;BYDAY=MO;UNTIL=20260330T065959Z"]
    assert later.body["start"]["dateTime"] == "2026-03-30T09:00:00+02:00"
    assert later.uid == "planning_R20260330T090000@example.com"  # wall time of the series


def test_single_changes_after_the_split_become_exceptions_of_the_new_series():
    before = vevent(f"UID:{UID}", "RECURRENCE-ID;TZID=Europe/Berlin:20260309T090000",
                    "DTSTART;TZID=Europe/Berlin:20260309T140000",
                    "DTEND;TZID=Europe/Berlin:20260309T150000", "SUMMARY:Planning (moved)")
    after = vevent(f"UID:{UID}", "RECURRENCE-ID;TZID=Europe/Berlin:20260406T090000",
                   "DTSTART;TZID=Europe/Berlin:20260406T120000",
                   "DTEND;TZID=Europe/Berlin:20260406T130000", "SUMMARY:Planning (offsite)")
    cancelled = vevent(f"UID:{UID}", "RECURRENCE-ID;TZID=Europe/Berlin:20260330T090000",
                       "DTSTART;TZID=Europe/Berlin:20260330T090000",
                       "DTEND;TZID=Europe/Berlin:20260330T100000", "STATUS:CANCELLED")
    parsed = read_ics(calendar(*weekly(), *before, *after, *cancelled, *change(
        "20260323T090000", "20260323T103000", "20260323T113000", "Planning (later)")), BERLIN)
    assert parsed.skipped == []
    by_summary = {item.summary: item for item in parsed.items}
    kept = by_summary["Planning (moved)"]
    assert kept.uid == UID and kept.original_start == "20260309T080000Z"
    offsite = by_summary["Planning (offsite)"]
    assert offsite.uid == offsite.body["iCalUID"] == "planning_R20260323T090000@example.com"
    # the new series holds that occurrence at 10:30 (moved with the range), not at 09:00
    assert offsite.body["originalStartTime"] == {"dateTime": "2026-04-06T10:30:00+02:00",
                                                 "timeZone": "Europe/Berlin"}
    assert offsite.original_start == "20260406T083000Z"
    assert offsite.body["start"]["dateTime"] == "2026-04-06T12:00:00+02:00"
    assert occurrences(parsed.items) == [
        ("2026-03-02 09:00 +0100", "Planning"), ("2026-03-09 14:00 +0100", "Planning (moved)"),
        ("2026-03-16 09:00 +0100", "Planning"),
        ("2026-03-23 10:30 +0100", "Planning (later)"),
        ("2026-04-06 12:00 +0200", "Planning (offsite)")]


def test_all_day_series_moved_a_day_earlier_from_one_week_on():
    master = vevent("UID:bins@example.com", "DTSTART;VALUE=DATE:20260306",
                    "DTEND;VALUE=DATE:20260307", "RRULE:FREQ=WEEKLY;BYDAY=FR;COUNT=6",
                    "SUMMARY:Bins out")
    moved = vevent("UID:bins@example.com", "RECURRENCE-ID;RANGE=THISANDFUTURE;VALUE=DATE:20260320",
                   "DTSTART;VALUE=DATE:20260319", "DTEND;VALUE=DATE:20260320",
                   "SUMMARY:Bins out (Thursday)")
    parsed = read_ics(calendar(*master, *moved), BERLIN)
    earlier, later = parsed.items
    assert earlier.body["recurrence"] == ["RRULE:FREQ=WEEKLY;BYDAY=FR;UNTIL=20260319"]
    assert later.uid == "bins_R20260320@example.com"
    assert later.body["start"] == {"date": "2026-03-19"}
    assert later.body["recurrence"] == ["RRULE:FREQ=WEEKLY;COUNT=4;BYDAY=TH"]
    assert occurrences(parsed.items) == [
        ("2026-03-06", "Bins out"), ("2026-03-13", "Bins out"),
        ("2026-03-19", "Bins out (Thursday)"), ("2026-03-26", "Bins out (Thursday)"),
        ("2026-04-02", "Bins out (Thursday)"), ("2026-04-09", "Bins out (Thursday)")]


def test_without_its_series_in_the_file_the_change_is_skipped_with_the_reason():
    parsed = read_ics(calendar(*change("20260316T090000", "20260316T090000",
                                       "20260316T100000", "Planning (room 4)")), BERLIN)
    assert parsed.items == []
    [skipped] = parsed.skipped
    assert skipped.uid == UID and skipped.reason == NO_SERIES
    assert "import the whole series" in skipped.reason


def test_a_change_from_the_first_occurrence_changes_the_whole_series():
    parsed = read_ics(calendar(*weekly(), *change(
        "20260302T090000", "20260302T080000", "20260302T090000", "Planning (early)")), BERLIN)
    [series] = parsed.items
    assert series.uid == UID and series.summary == "Planning (early)"
    assert series.body["recurrence"] == ["RRULE:FREQ=WEEKLY;COUNT=6;BYDAY=MO"]
    assert series.body["start"]["dateTime"] == "2026-03-02T08:00:00+01:00"
    assert {day[11:16] for day, _ in occurrences(parsed.items)} == {"08:00"}


def test_two_ranges_split_the_series_three_ways():
    parsed = read_ics(calendar(
        *weekly(), *change("20260316T090000", "20260316T100000", "20260316T110000", "Ten"),
        *change("20260330T090000", "20260330T110000", "20260330T120000", "Eleven")), BERLIN)
    assert [item.uid for item in parsed.items] == [
        UID, "planning_R20260316T090000@example.com", "planning_R20260330T090000@example.com"]
    middle = parsed.items[1]
    assert middle.body["recurrence"] == ["RRULE:FREQ=WEEKLY;BYDAY=MO;UNTIL=20260330T075959Z"]
    assert [title for _, title in occurrences(parsed.items)] == [
        "Planning", "Planning", "Ten", "Ten", "Eleven", "Eleven"]


def test_reimporting_the_same_file_gives_the_same_bodies():
    content = calendar(*weekly(), *change("20260323T090000", "20260323T103000",
                                          "20260323T113000", "Planning (later)"))
    assert read_ics(content, BERLIN) == read_ics(content, BERLIN)


def test_thisandprior_is_skipped_with_its_reason():
    prior = vevent(f"UID:{UID}", "RECURRENCE-ID;RANGE=THISANDPRIOR;TZID=Europe/Berlin:"
                   "20260316T090000", "DTSTART;TZID=Europe/Berlin:20260316T090000",
                   "SUMMARY:Old style")
    parsed = read_ics(calendar(*weekly(), *prior), BERLIN)
    [skipped] = parsed.skipped
    assert "THISANDPRIOR is deprecated" in skipped.reason
    assert [item.uid for item in parsed.items] == [UID]


def test_a_cancelled_range_ends_the_series_and_drops_later_changes():
    """A CANCELLED THISANDFUTURE override deletes this and every later occurrence."""
    after = vevent(f"UID:{UID}", "RECURRENCE-ID;TZID=Europe/Berlin:20260330T090000",
                   "DTSTART;TZID=Europe/Berlin:20260330T120000",
                   "DTEND;TZID=Europe/Berlin:20260330T130000", "SUMMARY:Planning (offsite)")
    parsed = read_ics(calendar(*weekly(), *after, *change(
        "20260316T090000", "20260316T090000", "20260316T100000", "Planning",
        "STATUS:CANCELLED")), BERLIN)
    [series] = parsed.items
    assert series.body["recurrence"] == ["RRULE:FREQ=WEEKLY;BYDAY=MO;UNTIL=20260316T075959Z"]
    assert series.sequence == 1 and "status" not in series.body
    [dropped] = parsed.skipped
    assert dropped.summary == "Planning (offsite)" and "no longer exists" in dropped.reason
    assert [day for day, _ in occurrences(parsed.items)] == [
        "2026-03-02 09:00 +0100", "2026-03-09 09:00 +0100"]


def test_a_cancelled_range_from_the_first_occurrence_cancels_the_series():
    parsed = read_ics(calendar(*weekly(), *change(
        "20260302T090000", "20260302T090000", "20260302T100000", "Planning",
        "STATUS:CANCELLED")), BERLIN)
    [series] = parsed.items
    assert series.uid == UID and series.body["status"] == "cancelled" and series.sequence == 1


def test_a_range_that_names_no_occurrence_is_skipped():
    """RFC 5545 3.8.4.4: RECURRENCE-ID is the start of an occurrence; 09:30 is none."""
    parsed = read_ics(calendar(*weekly(), *change(
        "20260316T093000", "20260316T100000", "20260316T110000", "Planning (odd)")), BERLIN)
    [series] = parsed.items
    assert series.body["recurrence"] == ["RRULE:FREQ=WEEKLY;COUNT=6;BYDAY=MO"]
    [skipped] = parsed.skipped
    assert "names no occurrence" in skipped.reason


def test_a_range_on_an_rdate_splits_there():
    parsed = read_ics(calendar(
        *weekly("RDATE;TZID=Europe/Berlin:20260319T090000"),
        *change("20260319T090000", "20260319T090000", "20260319T100000", "From Thursday")),
        BERLIN)
    earlier, later = parsed.items
    assert earlier.body["recurrence"] == ["RRULE:FREQ=WEEKLY;BYDAY=MO;UNTIL=20260319T075959Z"]
    assert later.body["start"]["dateTime"] == "2026-03-19T09:00:00+01:00"
    assert later.body["recurrence"][1:] == ["RDATE:20260319T080000Z"]
