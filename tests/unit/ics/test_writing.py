"""ICS writing: Google-shaped events → .ics bytes → parsed back with icalendar."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest

from gcal.google.serializers import event_from_api
from gcal.ics import writing as ics
from gcal.ics.writing import calendar_bytes, safe_file_name
from gcal.models import EventTime

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
STAMP = datetime(2026, 3, 1, 12, tzinfo=UTC)
CAL = "alice@example.com"


def api_event(event_id, **fields):
    return {"id": event_id, "iCalUID": f"{event_id}@google.com", "status": "confirmed", **fields}


def timed(start, end, zone="Europe/Berlin"):
    return {"start": {"dateTime": start, "timeZone": zone},
            "end": {"dateTime": end, "timeZone": zone}}


MEETING = api_event(
    "meeting1",
    summary="Planning",
    location="Room 4, Berlin",
    description="Agenda:\n1. Budget; 2. Hiring, roles",
    hangoutLink="https://meet.google.com/abc-defg-hij",
    organizer={"email": "bob@example.com", "displayName": "Bob B"},
    attendees=[
        {"email": "alice@example.com", "self": True, "responseStatus": "accepted"},
        {"email": "carol@example.com", "displayName": "Carol", "responseStatus": "tentative",
         "optional": True},
        {"email": "dave@example.com", "responseStatus": "needsAction"},
        {"email": "room@resource.calendar.google.com", "resource": True,
         "responseStatus": "accepted"},
    ],
    sequence=3,
    created="2026-02-01T10:00:00.000Z",
    updated="2026-02-02T11:30:00.000Z",
    transparency="transparent",
    visibility="private",
    **timed("2026-03-10T09:00:00+01:00", "2026-03-10T10:30:00+01:00"),
)
HOLIDAY = api_event("holiday1", summary="Vacation", start={"date": "2026-03-12"},
                    end={"date": "2026-03-14"})
SERIES = api_event(
    "weekly1",
    summary="Standup",
    recurrence=["RRULE:FREQ=WEEKLY;BYDAY=TU;COUNT=6",
                "EXDATE;TZID=America/New_York:20260317T090000"],
    **timed("2026-03-03T09:00:00-05:00", "2026-03-03T09:15:00-05:00", "America/New_York"),
)
MOVED = api_event(
    "weekly1_20260324T130000Z",
    summary="Standup (moved)",
    recurringEventId="weekly1",
    originalStartTime={"dateTime": "2026-03-24T09:00:00-04:00", "timeZone": "America/New_York"},
    iCalUID="weekly1@google.com",
    **timed("2026-03-24T11:00:00-04:00", "2026-03-24T11:15:00-04:00", "America/New_York"),
)


def export(*items, removed=None, name="Alice"):
    events = [event_from_api(item, CAL) for item in items]
    return calendar_bytes(events, zone=BERLIN, name=name, removed=removed, stamp=STAMP)


def parse(data: bytes) -> icalendar.Calendar:
    return icalendar.Calendar.from_ical(data)


def vevents(data: bytes) -> dict:
    found = {}
    for component in parse(data).walk("VEVENT"):
        key = (str(component["UID"]), component.get("RECURRENCE-ID") and
               component.decoded("RECURRENCE-ID"))
        found[key] = component
    return found


def one(data: bytes, uid: str):
    return vevents(data)[(uid, None)]


def test_calendar_properties_and_line_format():
    data = export(MEETING, name="Alice Work")
    calendar = parse(data)
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["X-WR-CALNAME"]) == "Alice Work"
    assert str(calendar["X-WR-TIMEZONE"]) == "Europe/Berlin"
    assert "dify-google-calendar" in str(calendar["PRODID"])
    assert data.endswith(b"\r\n") and b"\n" not in data.replace(b"\r\n", b"")
    lines = data.split(b"\r\n")
    assert all(len(line) <= 75 for line in lines)
    assert any(line.startswith(b" ") for line in lines)  # long lines are folded
    assert not calendar.errors and not any(c.errors for c in calendar.walk())


def test_timed_event_fields():
    event = one(export(MEETING), "meeting1@google.com")
    start = event.decoded("DTSTART")
    assert start == datetime(2026, 3, 10, 9, tzinfo=BERLIN)
    assert start.tzinfo.key == "Europe/Berlin"
    assert event.decoded("DTEND") - start == timedelta(minutes=90)
    assert event["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert str(event["SUMMARY"]) == "Planning"
    assert str(event["LOCATION"]) == "Room 4, Berlin"
    description = str(event["DESCRIPTION"])
    assert description.startswith("Agenda:\n1. Budget; 2. Hiring, roles")
    assert "https://meet.google.com/abc-defg-hij" in description
    assert str(event["URL"]) == "https://meet.google.com/abc-defg-hij"
    conference = event["CONFERENCE"]
    assert str(conference) == "https://meet.google.com/abc-defg-hij"
    assert conference.params["FEATURE"] == "VIDEO"
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["TRANSP"]) == "TRANSPARENT"
    assert str(event["CLASS"]) == "PRIVATE"
    assert event.decoded("SEQUENCE") == 3
    assert event.decoded("CREATED") == datetime(2026, 2, 1, 10, tzinfo=UTC)
    assert event.decoded("LAST-MODIFIED") == datetime(2026, 2, 2, 11, 30, tzinfo=UTC)
    assert event.decoded("DTSTAMP") == STAMP


def test_attendees_and_organizer():
    event = one(export(MEETING), "meeting1@google.com")
    organizer = event["ORGANIZER"]
    assert str(organizer) == "mailto:bob@example.com"
    assert organizer.params["CN"] == "Bob B"
    people = {str(a): a.params for a in event["ATTENDEE"]}
    assert people["mailto:alice@example.com"]["PARTSTAT"] == "ACCEPTED"
    assert people["mailto:alice@example.com"]["ROLE"] == "REQ-PARTICIPANT"
    carol = people["mailto:carol@example.com"]
    assert (carol["CN"], carol["PARTSTAT"], carol["ROLE"]) == (
        "Carol", "TENTATIVE", "OPT-PARTICIPANT")
    assert people["mailto:dave@example.com"]["PARTSTAT"] == "NEEDS-ACTION"
    assert people["mailto:room@resource.calendar.google.com"]["CUTYPE"] == "RESOURCE"


def test_all_day_event_uses_dates_with_exclusive_end():
    data = export(HOLIDAY)
    event = one(data, "holiday1@google.com")
    assert event.decoded("DTSTART") == date(2026, 3, 12)
    assert event.decoded("DTEND") == date(2026, 3, 14)
    assert b"DTSTART;VALUE=DATE:20260312" in data
    assert str(event["TRANSP"]) == "OPAQUE"


def test_timed_event_across_dst_keeps_zone_and_instants():
    overnight = api_event("night1", summary="Night shift",
                          **timed("2026-03-28T22:00:00+01:00", "2026-03-29T08:00:00+02:00"))
    data = export(overnight)
    event = one(data, "night1@google.com")
    start, end = event.decoded("DTSTART"), event.decoded("DTEND")
    # one hour lost to the DST switch (same-zone subtraction in Python is wall-clock)
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=9)
    assert end.utcoffset() == timedelta(hours=2) and start.utcoffset() == timedelta(hours=1)
    assert b"DTEND;TZID=Europe/Berlin:20260329T080000" in data
    zones = {str(tz["TZID"]): tz for tz in parse(data).walk("VTIMEZONE")}
    berlin = zones["Europe/Berlin"]
    assert berlin.walk("STANDARD") and berlin.walk("DAYLIGHT")


def test_event_without_own_zone_uses_export_zone():
    plain = api_event("plain1", summary="Call", start={"dateTime": "2026-03-10T08:00:00Z"},
                      end={"dateTime": "2026-03-10T08:30:00Z"})
    event = one(export(plain), "plain1@google.com")
    assert event["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert event.decoded("DTSTART") == datetime(2026, 3, 10, 8, tzinfo=UTC)


def zone_definitions(data: bytes) -> list[tuple[str, str]]:
    return [(str(tz["TZID"]), str(tz["COMMENT"])) for tz in parse(data).walk("VTIMEZONE")]


def test_each_zone_is_defined_once_in_name_order():
    tokyo = api_event("tokyo1", summary="Tokyo call",
                      **timed("2026-03-11T09:00:00+09:00", "2026-03-11T10:00:00+09:00",
                              "Asia/Tokyo"))
    data = export(tokyo, MEETING, SERIES, MEETING | {"id": "m2", "iCalUID": "m2@google.com"})
    assert [tzid for tzid, _ in zone_definitions(data)] == [
        "America/New_York", "Asia/Tokyo", "Europe/Berlin"]
    assert data.index(b"BEGIN:VTIMEZONE") < data.index(b"BEGIN:VEVENT")


def test_zone_definitions_reach_past_2038_even_after_a_file_that_did_not():
    later = api_event("later1", summary="Far ahead",
                      **timed("2045-06-01T09:00:00+02:00", "2045-06-01T10:00:00+02:00"))
    assert zone_definitions(export(MEETING)) == [
        ("Europe/Berlin", "This timezone only works from 1970-01-01 to 2038-01-01.")]
    assert zone_definitions(export(MEETING, later)) == [
        ("Europe/Berlin", "This timezone only works from 1970-01-01 to 2046-06-02.")]


def test_a_zone_definition_is_generated_once_for_many_files(monkeypatch):
    calls = []
    generate = icalendar.Timezone.from_tzid
    monkeypatch.setattr(icalendar.Timezone, "from_tzid",
                        lambda tzid, **kw: calls.append(tzid) or generate(tzid, **kw))
    ics._timezone.cache_clear()
    first, second = export(MEETING), export(HOLIDAY, MEETING)
    assert calls == ["Europe/Berlin"]
    assert zone_definitions(first) == zone_definitions(second)


def test_recurring_series_with_exdate_and_moved_occurrence():
    removed = {"weekly1": [EventTime(instant=datetime(2026, 3, 31, 9, tzinfo=NEW_YORK),
                                     time_zone="America/New_York")]}
    data = export(SERIES, MOVED, removed=removed)
    found = vevents(data)
    master = found[("weekly1@google.com", None)]
    assert master["DTSTART"].params["TZID"] == "America/New_York"
    rule = master["RRULE"]
    assert rule["FREQ"] == ["WEEKLY"] and rule["BYDAY"] == ["TU"] and rule["COUNT"] == [6]
    exdates = [d.dt for d in master["EXDATE"] for d in d.dts]
    assert exdates == [datetime(2026, 3, 17, 9, tzinfo=NEW_YORK),
                       datetime(2026, 3, 31, 9, tzinfo=NEW_YORK)]
    assert {str(tz["TZID"]) for tz in parse(data).walk("VTIMEZONE")} == {"America/New_York"}
    original = datetime(2026, 3, 24, 9, tzinfo=NEW_YORK)  # after the US DST switch
    moved = found[("weekly1@google.com", original)]
    assert moved["RECURRENCE-ID"].params["TZID"] == "America/New_York"
    assert moved.decoded("DTSTART") == datetime(2026, 3, 24, 11, tzinfo=NEW_YORK)
    assert str(moved["SUMMARY"]) == "Standup (moved)"
    assert "RRULE" not in moved


def test_all_day_series_with_date_exdate():
    yearly = api_event("bday1", summary="Birthday", start={"date": "2026-05-04"},
                       end={"date": "2026-05-05"},
                       recurrence=["RRULE:FREQ=YEARLY", "EXDATE;VALUE=DATE:20270504",
                                   "RDATE;VALUE=DATE:20260601"])
    data = export(yearly)
    event = one(data, "bday1@google.com")
    assert [d.dt for d in event["EXDATE"].dts] == [date(2027, 5, 4)]
    assert [d.dt for d in event["RDATE"].dts] == [date(2026, 6, 1)]
    assert b"EXDATE;VALUE=DATE:20270504" in data


def test_uid_falls_back_to_event_id():
    bare = {"id": "x1", "summary": "No uid", "start": {"date": "2026-03-10"},
            "end": {"date": "2026-03-11"}}
    assert ("x1@google.com", None) in vevents(export(bare))


def test_empty_export_is_a_valid_calendar():
    calendar = parse(export())
    assert not list(calendar.walk("VEVENT"))
    assert str(calendar["VERSION"]) == "2.0"


@pytest.mark.parametrize(
    ("wanted", "expected"),
    [
        (None, "calendar-2026-03-10.ics"),
        ("", "calendar-2026-03-10.ics"),
        ("team march", "team march.ics"),
        ("Team.ICS", "Team.ics"),
        ("../../etc/passwd", "passwd.ics"),
        ("C:\\Users\\me\\cal.ics", "cal.ics"),
        ('a<b>:"c"|?*.ics', "a-b-c.ics"),
        ("...", "calendar-2026-03-10.ics"),
        ("Kalender für März", "Kalender für März.ics"),
        ("x" * 300, "x" * 96 + ".ics"),
    ],
)
def test_safe_file_name(wanted, expected):
    assert safe_file_name(wanted, "calendar-2026-03-10.ics") == expected


def test_a_series_kept_in_utc_is_written_with_its_zone_not_as_utc_times():
    """Readers that honour X-WR-TIMEZONE expand a `...Z` series in that zone: an hour off
    after Berlin's DST change (recurring-ical-events does, through x-wr-timezone). With
    TZID=Etc/GMT every occurrence stays at 08:00 UTC."""
    import recurring_ical_events

    from gcal.google.serializers import event_from_api

    start = {"dateTime": "2026-03-02T08:00:00Z", "timeZone": "UTC"}
    end = {"dateTime": "2026-03-02T09:00:00Z", "timeZone": "UTC"}
    series = event_from_api({"id": "s1", "summary": "Sync", "start": start, "end": end,
                             "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=6"]}, "cal")
    content = calendar_bytes([series], zone=ZoneInfo("Europe/Berlin"), stamp=STAMP)
    assert b"DTSTART;TZID=Etc/GMT:20260302T080000" in content
    assert b"BEGIN:VTIMEZONE\r\nTZID:Etc/GMT" in content
    parsed = icalendar.Calendar.from_ical(content)
    starts = [o["DTSTART"].dt for o in recurring_ical_events.of(parsed).all()]
    assert {(s.utcoffset(), s.hour) for s in starts} == {(timedelta(0), 8)} and len(starts) == 6


def test_a_date_until_of_a_timed_series_is_written_as_the_end_of_that_day_in_its_zone():
    """RFC 5545 3.3.10: with a zoned DTSTART, UNTIL is UTC; Google may hold a date (local:
    the whole day) for a series made elsewhere. Behind UTC the day ends the next UTC day."""
    series = api_event("la1", summary="Walk", recurrence=["RRULE:FREQ=DAILY;UNTIL=20260310"],
                       **timed("2026-03-06T18:00:00-08:00", "2026-03-06T19:00:00-08:00",
                               "America/Los_Angeles"))
    until = one(export(series), "la1@google.com")["RRULE"]["UNTIL"][0]
    assert until == datetime(2026, 3, 11, 6, 59, 59, tzinfo=UTC)  # 23:59:59 PDT
