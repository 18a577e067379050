from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gcal.dates.recurrence import fit_to_event, parse_recurrence
from gcal.errors import InvalidInputError
from gcal.events.input import (
    Span,
    TimeInput,
    parse_color,
    parse_event_fields,
    parse_guest_permissions,
    parse_reminders,
    shifted_series,
    span_of,
)
from gcal.events.writes import revised_attendees

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 3, 9, 12, 0, tzinfo=BERLIN)


def span(**kw) -> Span:
    return TimeInput(**kw).new_span(BERLIN, now=NOW)


def parameter_of(call) -> str:
    with pytest.raises(InvalidInputError) as error:
        call()
    assert error.value.example
    return error.value.parameter


# ----------------------------------------------------------------------------- times


def test_timed_default_duration_and_body():
    body = span(start="2026-03-10T15:00").body()
    assert body == {
        "start": {"dateTime": "2026-03-10T15:00:00+01:00", "timeZone": "Europe/Berlin"},
        "end": {"dateTime": "2026-03-10T16:00:00+01:00", "timeZone": "Europe/Berlin"},
    }


def test_duration_is_real_time_across_dst():
    result = span(start="2026-03-29T01:30", duration_minutes=60)
    assert result.body()["end"]["dateTime"] == "2026-03-29T03:30:00+02:00"
    autumn = span(start="2026-10-25T01:30", duration_minutes=120)
    assert autumn.body()["end"]["dateTime"] == "2026-10-25T02:30:00+01:00"


def test_all_day_end_is_inclusive_and_words_work():
    assert span(start="2026-04-06", end="2026-04-08").body()["end"] == {"date": "2026-04-09"}
    assert span(start="tomorrow").body() == {"start": {"date": "2026-03-10"},
                                             "end": {"date": "2026-03-11"}}
    assert span(start="2026-04-06", duration_minutes=2880).end == date(2026, 4, 8)
    assert span(start="2026-04-06T10:00", all_day=True).start == date(2026, 4, 6)


@pytest.mark.parametrize(("kw", "parameter"), [
    ({"start": "2026-03-10T15:00", "end": "2026-03-10T15:00"}, "end"),
    ({"start": "2026-03-10T15:00", "end": "2026-03-10"}, "end"),
    ({"start": "2026-03-10", "all_day": False}, "start"),
    ({"start": "2026-03-10", "end": "2026-03-09"}, "end"),
    ({"start": "2026-03-10", "duration_minutes": 90}, "duration_minutes"),
    ({"start": "2026-03-10T15:00", "end": "2026-03-10T16:00", "duration_minutes": 30},
     "duration_minutes"),
    ({"start": "next week"}, "start"),
    ({}, "start"),
])
def test_bad_times(kw, parameter):
    assert parameter_of(lambda: span(**kw)) == parameter


def test_revise_keeps_duration_and_switches_kind():
    current = span(start="2026-03-10T10:00", end="2026-03-10T11:30")
    moved = TimeInput(start="2026-03-12T14:00").revise(current, BERLIN)
    assert moved.body()["end"]["dateTime"] == "2026-03-12T15:30:00+01:00"
    longer = TimeInput(end="2026-03-10T12:00").revise(current, BERLIN)
    assert longer.start == current.start
    whole_day = TimeInput(all_day=True).revise(current, BERLIN)
    assert (whole_day.start, whole_day.end) == (date(2026, 3, 10), date(2026, 3, 11))
    trip = span(start="2026-04-06", end="2026-04-08")
    assert TimeInput(start="2026-05-01").revise(trip, BERLIN).end == date(2026, 5, 4)


def test_series_shift_keeps_wall_clock_across_dst():
    master = span(start="2026-03-02T09:00", duration_minutes=15)
    instance = span(start="2026-03-30T09:00", duration_minutes=15)
    moved = span(start="2026-03-30T10:00", duration_minutes=30)
    shifted = shifted_series(master, instance, moved)
    assert shifted.body()["start"]["dateTime"] == "2026-03-02T10:00:00+01:00"
    assert shifted.body()["end"]["dateTime"] == "2026-03-02T10:30:00+01:00"


def test_span_of_google_resource():
    item = {"start": {"dateTime": "2026-03-10T14:00:00Z", "timeZone": "Asia/Tokyo"},
            "end": {"dateTime": "2026-03-10T15:00:00Z"}}
    result = span_of(item, BERLIN)
    assert result.zone.key == "Asia/Tokyo"
    assert result.body()["start"]["dateTime"] == "2026-03-10T23:00:00+09:00"


# ----------------------------------------------------------------------------- recurrence


def test_recurrence_lines_are_normalized():
    assert parse_recurrence("freq=weekly;byday=mo,we;count=10") == [
        "RRULE:FREQ=WEEKLY;BYDAY=MO,WE;COUNT=10"]
    text = "RRULE:FREQ=DAILY;UNTIL=2026-04-01 EXDATE;TZID=europe/berlin:20260317T090000"
    assert parse_recurrence(text) == ["RRULE:FREQ=DAILY;UNTIL=20260401",
                                      "EXDATE;TZID=Europe/Berlin:20260317T090000"]
    assert parse_recurrence(["RRULE:INTERVAL=2;FREQ=MONTHLY", "RDATE:20260401"]) == [
        "RRULE:FREQ=MONTHLY;INTERVAL=2", "RDATE:20260401"]
    assert parse_recurrence("") is None


@pytest.mark.parametrize("text", [
    "RRULE:COUNT=3", "RRULE:FREQ=HOURLY", "FREQ=DAILY;COUNT=2;UNTIL=20260101",
    "FREQ=DAILY;FOO=1", "FREQ=DAILY;COUNT=0", "FREQ=WEEKLY;BYDAY=XX", "FREQ=DAILY;FREQ=DAILY",
    "FREQ=MONTHLY;BYMONTHDAY=32", "EXDATE:20260317T090000Z", "EXRULE:FREQ=DAILY",
    "RRULE:FREQ=DAILY\nEXDATE:yesterday", "hello",
])
def test_bad_recurrence(text):
    assert parameter_of(lambda: parse_recurrence(text)) == "recurrence"


def test_until_fits_the_event_kind():
    lines = ["RRULE:FREQ=DAILY;UNTIL=20260330"]
    assert fit_to_event(lines, False, BERLIN) == ["RRULE:FREQ=DAILY;UNTIL=20260330T215959Z"]
    assert fit_to_event(["RRULE:FREQ=DAILY;UNTIL=20260330T120000Z"], True, BERLIN) == [
        "RRULE:FREQ=DAILY;UNTIL=20260330"]
    assert fit_to_event(["RRULE:FREQ=DAILY;UNTIL=20260330T090000"], False, BERLIN) == [
        "RRULE:FREQ=DAILY;UNTIL=20260330T070000Z"]  # CEST


@given(st.text(max_size=80))
def test_recurrence_parser_never_crashes(text):
    try:
        parse_recurrence(text)
    except InvalidInputError as error:
        assert error.parameter in ("recurrence",)


# ----------------------------------------------------------------------------- small fields


def test_reminders():
    assert parse_reminders("default") == {"useDefault": True, "overrides": []}
    assert parse_reminders("none") == {"useDefault": False, "overrides": []}
    assert parse_reminders("popup:10, email:1d; 2h") == {"useDefault": False, "overrides": [
        {"method": "popup", "minutes": 10}, {"method": "email", "minutes": 1440},
        {"method": "popup", "minutes": 120}]}
    for bad in ("sms:10", "popup:5w", "1,2,3,4,5,6"):
        assert parameter_of(lambda bad=bad: parse_reminders(bad)) == "reminders"


def test_colors():
    assert parse_color("tomato") == "11"
    assert parse_color("7") == "7"
    assert parameter_of(lambda: parse_color("Purple")) == "color"
    assert parameter_of(lambda: parse_color("12")) == "color"


def test_fields_for_create():
    fields = parse_event_fields({
        "summary": " Kickoff ", "start": "2026-03-10T15:00", "attendees": "a@x.org b@x.org",
        "optional_attendees": "c@x.org;a@x.org", "show_as": "free", "visibility": "Private",
        "guest_permissions": "see guests", "send_updates": "external only",
        "add_google_meet": "true",
    })
    assert fields.simple == {"summary": "Kickoff", "transparency": "transparent",
                             "visibility": "private", "guestsCanModify": False,
                             "guestsCanInviteOthers": False, "guestsCanSeeOtherGuests": True}
    assert fields.attendees == ["a@x.org", "b@x.org"]
    assert fields.send_updates == "externalOnly" and fields.add_meet


@pytest.mark.parametrize(("params", "parameter"), [
    ({"summary": ""}, "summary"),
    ({"summary": "x", "attendees": "bob@"}, "attendees"),
    ({"summary": "x", "time_zone": "Nowhere/City"}, "time_zone"),
    ({"summary": "x", "visibility": "secret"}, "visibility"),
    ({"summary": "x", "send_updates": "everyone"}, "send_updates"),
    ({"summary": "x", "guest_permissions": "modify, delete"}, "guest_permissions"),
])
def test_bad_fields(params, parameter):
    assert parameter_of(lambda: parse_event_fields(params)) == parameter


def test_update_fields_and_clearing():
    fields = parse_event_fields({"clear_fields": "description, meet", "scope": "series"},
                                update=True)
    assert fields.cleared == {"description": None, "conferenceData": None}
    assert fields.scope == "series" and fields.simple == {}
    with pytest.raises(InvalidInputError):
        parse_event_fields({"clear_fields": "summary"}, update=True)
    with pytest.raises(InvalidInputError):
        parse_event_fields({"clear_fields": "location", "location": "Room"}, update=True)


def test_attendee_edits_keep_rsvp():
    current = [{"email": "a@x.org", "responseStatus": "accepted", "self": True},
               {"email": "b@x.org", "responseStatus": "declined", "optional": True}]
    fields = parse_event_fields({"optional_attendees": "a@x.org", "add_attendees": "c@x.org"},
                                update=True)
    assert revised_attendees(current, fields) == [
        {"email": "a@x.org", "responseStatus": "accepted", "self": True, "optional": True},
        {"email": "b@x.org", "responseStatus": "declined", "optional": True},
        {"email": "c@x.org"}]
    replace = parse_event_fields({"attendees": "B@x.org"}, update=True)
    assert revised_attendees(current, replace) == [{"email": "b@x.org",
                                                    "responseStatus": "declined"}]
    assert revised_attendees(current, parse_event_fields({}, update=True)) is None


@pytest.mark.parametrize(("value", "flags"), [
    ("", {}),
    ("none", (False, False, False)),
    ("modify", (True, True, True)),  # as in Google Calendar's editor
    ("invite_others, see_guests", (False, True, True)),
    ("guests_can_invite_others", (False, True, False)),
])
def test_guest_permissions(value, flags):
    parsed = parse_guest_permissions(value)
    if not flags:
        assert parsed == {}
        return
    assert (parsed["guestsCanModify"], parsed["guestsCanInviteOthers"],
            parsed["guestsCanSeeOtherGuests"]) == flags


def test_all_day_false_means_not_given():
    """Dify turns a boolean a model left empty into false: only true may force all-day."""
    assert parse_event_fields({"summary": "x", "all_day": False}).times.all_day is None
    assert parse_event_fields({"summary": "x", "all_day": "true"}).times.all_day is True
