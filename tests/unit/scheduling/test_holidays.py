from datetime import date

from gcal.dates.times import parse_rfc3339
from gcal.events.holiday_marks import is_holiday_calendar, is_public_holiday
from gcal.models import Calendar
from gcal.scheduling.holidays import (
    Holiday,
    public_holidays,
    shown_holiday_calendars,
)
from tests.unit.fakes import ListingClient

US = "en.usa#holiday@group.v.calendar.google.com"
# Descriptions as Google's holiday calendars write them (their public ICS feeds, quoted in
# https://github.com/mitica/public-holidays-js/issues/22).
OBSERVANCE = ("Observance\nTo hide observances, go to Google Calendar Settings > Holidays in "
              "United States")


def test_public_holidays_and_observances_are_told_apart_by_the_description():
    assert is_public_holiday("Public holiday")
    assert is_public_holiday("  public holiday\n")
    assert not is_public_holiday(OBSERVANCE)
    assert not is_public_holiday(None) and not is_public_holiday("")
    assert not is_public_holiday("Public holidays in spring are fun")


def test_only_shown_holiday_calendars_count():
    calendars = [
        Calendar(US, "Holidays in United States", None, "reader", selected=True),
        Calendar("en.indian#holiday@group.v.calendar.google.com", "Holidays in India", None,
                 "reader", selected=False),
        Calendar("team@group.calendar.google.com", "Team", None, "writer", selected=True),
    ]
    assert [c.id for c in shown_holiday_calendars(calendars)] == [US]
    assert is_holiday_calendar(US) and not is_holiday_calendar("primary")


def test_public_holidays_reads_one_page_and_keeps_multi_day_holidays():
    items = [
        {"summary": "Independence Day", "description": "Public holiday",
         "start": {"date": "2026-07-03"}, "end": {"date": "2026-07-04"}},
        {"summary": "Flag Day", "description": OBSERVANCE,
         "start": {"date": "2026-06-14"}, "end": {"date": "2026-06-15"}},
        {"summary": "Golden week", "description": "Public holiday",
         "start": {"date": "2026-07-06"}, "end": {"date": "2026-07-08"}},
        {"summary": "Timed", "description": "Public holiday",
         "start": {"dateTime": "2026-07-09T10:00:00Z"},
         "end": {"dateTime": "2026-07-09T11:00:00Z"}},
    ]
    client = ListingClient(items)
    calendar = Calendar(US, "Holidays in United States", None, "reader", selected=True)
    found = public_holidays(client, [calendar], parse_rfc3339("2026-06-01T00:00:00Z"),
                            parse_rfc3339("2026-08-01T00:00:00Z"))
    assert found.days == [Holiday(date(2026, 7, 3), "Independence Day"),
                          Holiday(date(2026, 7, 6), "Golden week"),
                          Holiday(date(2026, 7, 7), "Golden week")]
    assert found.calendars == ["Holidays in United States"] and found.problems == []
    [(path, params)] = client.transport.calls
    assert path == "/calendars/en.usa%23holiday%40group.v.calendar.google.com/events"
    assert params["singleEvents"] == "true"


def test_a_calendar_whose_entries_carry_no_known_marker_is_reported_not_guessed():
    items = [{"summary": "Tag der Deutschen Einheit", "description": "Gesetzlicher Feiertag",
              "start": {"date": "2026-10-03"}, "end": {"date": "2026-10-04"}}]
    calendar = Calendar("de.german#holiday@group.v.calendar.google.com", "Feiertage", None,
                        "reader", selected=True)
    found = public_holidays(ListingClient(items), [calendar], parse_rfc3339("2026-10-01T00:00:00Z"),
                            parse_rfc3339("2026-10-10T00:00:00Z"))
    assert found.days == []
    assert found.problems and "Feiertage" in found.problems[0]
