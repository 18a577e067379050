"""export_events_ics end to end: the real plugin process, the Dify protocol, the emulator."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import icalendar
import pytest

from tests.plugin_process import PluginInvokeError

ALICE = "alice@example.com"
BERLIN = ZoneInfo("Europe/Berlin")
WINDOW = {"time_min": "2026-03-16", "time_max": "2026-04-19"}


def timed(summary, start, end, zone="Europe/Berlin", **extra):
    return {"summary": summary, "start": {"dateTime": start, "timeZone": zone},
            "end": {"dateTime": end, "timeZone": zone}, **extra}


def seed(emu):
    emu.add_event(ALICE, {"summary": "Easter", "start": {"date": "2026-04-03"},
                          "end": {"date": "2026-04-07"}})
    emu.add_event(ALICE, timed(
        "Planning", "2026-03-18T14:00:00", "2026-03-18T15:00:00",
        location="Room 4", description="Budget",
        conferenceData={"createRequest": {"requestId": "meet-1"}},
        attendees=[{"email": ALICE, "responseStatus": "accepted"},
                   {"email": "carol@example.com", "displayName": "Carol", "optional": True}]))
    master = emu.add_event(ALICE, timed(
        "Standup", "2026-03-17T09:00:00", "2026-03-17T09:15:00",
        recurrence=["RRULE:FREQ=WEEKLY;COUNT=5"]))
    moved = {"dateTime": "2026-03-31T09:00:00", "timeZone": "Europe/Berlin"}
    emu.add_event(ALICE, {
        "id": f"{master['id']}_20260331T070000Z", "recurringEventId": master["id"],
        "iCalUID": master["iCalUID"], "originalStartTime": moved, "summary": "Standup (late)",
        "start": {"dateTime": "2026-03-31T11:00:00", "timeZone": "Europe/Berlin"},
        "end": {"dateTime": "2026-03-31T11:15:00", "timeZone": "Europe/Berlin"}})
    return master


def components(blob):
    calendar = icalendar.Calendar.from_ical(blob)
    return calendar, {(str(c["UID"]), c.get("RECURRENCE-ID") and c.decoded("RECURRENCE-ID")): c
                      for c in calendar.walk("VEVENT")}


def test_export_sends_ics_file_summary_and_variables(plugin, emu, oauth_creds):
    master = seed(emu)
    emu.clear_requests()
    result = plugin.invoke_tool("export_events_ics", {**WINDOW, "keep_series": True},
                                oauth_creds)
    [(blob, meta)] = result.blobs
    assert meta == {"mime_type": "text/calendar", "filename": "calendar-2026-03-16.ics"}
    assert result.text.startswith("Exported 7 events (1 recurring series")
    # No calendar named: the calendars the user shows in Google Calendar (here: primary).
    assert "calendar-2026-03-16.ics" in result.text and ALICE in result.text
    assert result.variables["file_name"] == "calendar-2026-03-16.ics"
    assert result.variables["count"] == 7
    assert result.variables["calendars"] == [ALICE]
    assert result.variables["warnings"] == [] and result.variables["truncated"] is False
    calendar, events = components(blob)
    assert str(calendar["X-WR-CALNAME"]) == ALICE
    assert len(events) == 4  # Easter, Planning, the series, its changed occurrence
    series = events[(master["iCalUID"], None)]
    assert series["RRULE"]["COUNT"] == [5]
    assert series["DTSTART"].params["TZID"] == "Europe/Berlin"
    late = events[(master["iCalUID"], datetime(2026, 3, 31, 9, tzinfo=BERLIN))]
    assert late.decoded("DTSTART") == datetime(2026, 3, 31, 11, tzinfo=BERLIN)
    easter = next(e for e in events.values() if str(e["SUMMARY"]) == "Easter")
    assert easter.decoded("DTEND") == date(2026, 4, 7)
    planning = next(e for e in events.values() if str(e["SUMMARY"]) == "Planning")
    carol = next(a for a in planning["ATTENDEE"] if "carol" in str(a))
    assert carol.params["ROLE"] == "OPT-PARTICIPANT"
    meet = str(planning["URL"])
    assert meet.startswith("https://meet.google.com/")
    assert meet in str(planning["DESCRIPTION"]) and str(planning["LOCATION"]) == "Room 4"
    conferences = planning["CONFERENCE"]
    conferences = conferences if isinstance(conferences, list) else [conferences]
    assert meet in {str(c) for c in conferences}
    master_reads = [r for r in emu.requests if r.path.endswith(f"/events/{master['id']}")]
    assert len(master_reads) == 1


def test_file_name_is_sanitised(plugin, emu, oauth_creds):
    result = plugin.invoke_tool(
        "export_events_ics", {**WINDOW, "file_name": "../Team: March"}, oauth_creds)
    [(blob, meta)] = result.blobs
    assert meta["filename"] == "Team- March.ics"
    assert result.variables["count"] == 0
    assert blob.startswith(b"BEGIN:VCALENDAR\r\n")


def test_several_calendars_and_a_failing_one_gives_a_warning(plugin, emu, oauth_creds):
    seed(emu)
    team = emu.add_calendar(ALICE, "Team", time_zone="Europe/Berlin")
    emu.add_event(team, timed("Retro", "2026-03-20T16:00:00", "2026-03-20T17:00:00"))
    result = plugin.invoke_tool(
        "export_events_ics", {**WINDOW, "calendar_ids": "primary, Team, nope@example.com"},
        oauth_creds)
    assert result.variables["count"] == 8
    assert result.variables["calendars"] == ["primary", team]
    assert "nope@example.com" in result.variables["warnings"][0]
    calendar, _ = components(result.blobs[0][0])
    assert str(calendar["X-WR-CALNAME"]) == f"{ALICE}, Team"


def test_bad_window_fails_before_any_request(plugin, emu, oauth_creds):
    emu.clear_requests()
    with pytest.raises(PluginInvokeError) as error:
        plugin.invoke_tool("export_events_ics", {"time_min": "2026-03-10", "time_max":
                                                 "2026-03-01", "time_zone": "UTC"}, oauth_creds)
    assert "time_max" in error.value.message
    assert not [r for r in emu.requests if "/events" in r.path]
