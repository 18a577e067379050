"""import_events_ics end to end: a Dify file parameter whose bytes come from a URL (as Dify's
signed file URLs do), the real plugin process, the emulator's events.import and batch."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events

from tests.dify_files import FileServer
from tests.e2e.test_export_ics import WINDOW, seed
from tests.emulator.faults import Fault
from tests.emulator.importing import SETTINGS, ImportRules
from tests.plugin_process import PluginInvokeError

ALICE = "alice@example.com"
SAMPLES = Path(__file__).parent.parent / "ics_samples"


@pytest.fixture(scope="module")
def files():
    with FileServer() as server:
        yield server


@pytest.fixture(params=SETTINGS, ids=lambda rules: rules.label)
def rules(request, emu):
    """Each way Google may treat what public evidence does not settle
    (docs/google-behaviour.md): the plugin's answer must be the same under all."""
    emu.import_rules = request.param
    return request.param


def run(plugin, files, oauth_creds, content, name="invite.ics", **params):
    return plugin.invoke_tool("import_events_ics",
                              {"file": files.parameter(name, content), **params}, oauth_creds)


def live(emu, calendar=ALICE):
    return [e for e in emu.stored_events(calendar) if e.get("status") != "cancelled"]


def test_outlook_invitation_once_then_unchanged_then_updated(
    plugin, emu, files, oauth_creds, rules
):
    content = (SAMPLES / "outlook_request.ics").read_bytes()
    first = run(plugin, files, oauth_creds, content)
    assert first.text.startswith("Imported 1, updated 0, unchanged 0, skipped 0")
    [stored] = live(emu)
    assert stored["start"] == {"dateTime": "2026-03-16T10:00:00+01:00",
                               "timeZone": "Europe/Berlin"}  # "W. Europe Standard Time"
    assert stored["organizer"]["email"] == "anna.schmidt@contoso.example"
    bob = next(a for a in stored["attendees"] if a["email"] == "bob@contoso.example")
    assert bob["optional"] and bob["responseStatus"] == "accepted"
    assert stored["reminders"] == {"useDefault": False,
                                   "overrides": [{"method": "popup", "minutes": 15}]}
    assert "teams.microsoft.com" in stored["description"]
    [record] = first.variables["imported"]
    assert record["event_id"] == stored["id"] and record["ical_uid"] == stored["iCalUID"]
    assert first.variables["updated"] == first.variables["skipped"] == []
    assert first.variables["method"] == "REQUEST" and first.variables["dry_run"] is False

    again = run(plugin, files, oauth_creds, content)
    assert again.text.startswith("Imported 0, updated 0, unchanged 1")
    assert len(live(emu)) == 1

    newer = content.replace(b"SEQUENCE:0", b"SEQUENCE:1").replace(
        b"Time:20260316T100000", b"Time:20260316T083000")
    updated = run(plugin, files, oauth_creds, newer)
    assert updated.text.startswith("Imported 0, updated 1")
    [stored] = live(emu)
    assert stored["start"]["dateTime"] == "2026-03-16T08:30:00+01:00"


def _term(count: int = 50) -> bytes:
    events = "".join(
        f"BEGIN:VEVENT\r\nUID:bulk-{n}@school.example\r\nDTSTAMP:20260101T000000Z\r\n"
        f"DTSTART;VALUE=DATE:202604{n % 28 + 1:02d}\r\nSUMMARY:Lesson {n}\r\nEND:VEVENT\r\n"
        for n in range(count))
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\n{events}" \
           "END:VCALENDAR\r\n".encode()


def _batches(emu) -> list:
    return [r for r in emu.requests if r.path == "/batch/calendar/v3"]


def test_fifty_new_events_cost_two_rounds_and_the_same_file_again_one_without_a_write(
    plugin, emu, files, oauth_creds, rules
):
    plugin.invoke_tool("get_current_time", {}, oauth_creds)  # warms the zone cache
    emu.clear_requests()
    dry = run(plugin, files, oauth_creds, _term(), name="term.ics", dry_run=True)
    emu.clear_requests()
    result = run(plugin, files, oauth_creds, _term(), name="term.ics")
    assert len(result.variables["imported"]) == 50 and len(live(emu)) == 50
    assert len(dry.variables["imported"]) == 50
    assert len(_batches(emu)) == 2 and len(emu.requests) == 102  # lookup, import
    assert sum(r.path.endswith("/events/import") for r in emu.requests) == 50

    emu.clear_requests()
    again = run(plugin, files, oauth_creds, _term(), name="term.ics")
    assert len(again.variables["unchanged"]) == 50 and len(live(emu)) == 50
    assert len(_batches(emu)) == 1 and len(emu.requests) == 51  # the lookup only
    assert not [r for r in emu.requests if r.method in ("PUT", "PATCH", "DELETE")
                or r.path.endswith("/import")]


def test_an_import_whose_answer_was_lost_is_imported_once(
    plugin, emu, files, oauth_creds, rules
):
    emu.inject_fault(Fault(method="POST", path_regex=r"/events/import$", status=500,
                           after_processing=True, times=1))
    result = run(plugin, files, oauth_creds, _term(3), name="term.ics")
    assert len(result.variables["imported"]) == 3, result.text
    assert len(live(emu)) == 3


OWN = (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\n"
       b"UID:mine-1@example.com\r\nDTSTAMP:20260301T000000Z\r\nSEQUENCE:1\r\n"
       b"ORGANIZER:mailto:alice@example.com\r\nDTSTART:20260316T090000Z\r\n"
       b"DTEND:20260316T100000Z\r\nSUMMARY:Dentist\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")


def _sequence(content: bytes, number: int) -> bytes:
    return content.replace(b"SEQUENCE:0", b"SEQUENCE:%d" % number).replace(
        b"SEQUENCE:1\r\n", b"SEQUENCE:%d\r\n" % number)


def test_a_deleted_event_stays_deleted_unless_the_file_is_newer(
    plugin, emu, files, oauth_creds, rules
):
    [first] = run(plugin, files, oauth_creds, OWN).variables["imported"]
    plugin.invoke_tool("delete_event", {"event_id": first["event_id"]}, oauth_creds)
    emu.clear_requests()
    again = run(plugin, files, oauth_creds, OWN)
    [kept] = again.variables["unchanged"]
    assert "left deleted" in kept["reason"] and live(emu) == []
    assert not [r for r in emu.requests if r.method in ("PUT", "DELETE")
                or r.path.endswith("/import")]
    # (deleting raised the stored SEQUENCE: the file's next version must be above it)
    dry = run(plugin, files, oauth_creds, _sequence(OWN, 5), dry_run=True)
    newer = run(plugin, files, oauth_creds, _sequence(OWN, 5).replace(b"Dentist", b"Dentist 2"))
    [restored] = newer.variables["updated"]
    assert len(dry.variables["updated"]) == 1
    assert restored["event_id"] == first["event_id"] and "restored" in restored["reason"]
    [stored] = live(emu)
    assert stored["summary"] == "Dentist 2" and stored["sequence"] == 5


def test_reimport_keeps_the_users_reminders_and_colour_and_a_newer_version_keeps_them_too(
    plugin, emu, files, oauth_creds, rules
):
    content = (SAMPLES / "outlook_request.ics").read_bytes()
    [first] = run(plugin, files, oauth_creds, content).variables["imported"]
    plugin.invoke_tool("update_event", {"event_id": first["event_id"], "color": "5",
                                        "reminders": "popup:42", "show_as": "free"},
                       oauth_creds)
    again = run(plugin, files, oauth_creds, content)
    assert len(again.variables["unchanged"]) == 1, again.text
    newer = run(plugin, files, oauth_creds, _sequence(content, 1).replace(
        b"Time:20260316T100000", b"Time:20260316T083000"))
    assert len(newer.variables["updated"]) == 1, newer.text
    [stored] = live(emu)
    assert stored["start"]["dateTime"] == "2026-03-16T08:30:00+01:00"
    assert stored["colorId"] == "5" and stored["transparency"] == "transparent"
    assert stored["reminders"] == {"useDefault": False,
                                   "overrides": [{"method": "popup", "minutes": 42}]}
    assert stored["organizer"]["email"] == "anna.schmidt@contoso.example"


def test_an_older_version_after_a_newer_one_changes_nothing(
    plugin, emu, files, oauth_creds, rules
):
    content = (SAMPLES / "outlook_request.ics").read_bytes()
    run(plugin, files, oauth_creds, _sequence(content, 3).replace(b"Q2", b"Q2 (final)"))
    emu.clear_requests()
    for older in (_sequence(content, 3), _sequence(content, 2), content):
        result = run(plugin, files, oauth_creds, older)
        assert len(result.variables["unchanged"]) == 1, result.text
    assert not [r for r in emu.requests if r.method in ("PUT", "DELETE")
                or r.path.endswith("/import")]
    [stored] = live(emu)
    assert stored["summary"] == "Quartalsplanung Q2 (final)" and stored["sequence"] == 3


@pytest.mark.parametrize("sequence", [2, 1])
def test_an_outdated_cancellation_leaves_the_event(
    plugin, emu, files, oauth_creds, rules, sequence
):
    """Issue 28 item 1: a CANCEL with an equal or lower SEQUENCE than the held event is
    outdated (fails if the guard goes or `>` becomes `>=`)."""
    content = _sequence((SAMPLES / "outlook_request.ics").read_bytes(), 2)
    run(plugin, files, oauth_creds, content)
    cancel = _sequence(content.replace(b"METHOD:REQUEST", b"METHOD:CANCEL")
                       .replace(b"SEQUENCE:2", b"SEQUENCE:0"), sequence)
    emu.clear_requests()
    result = run(plugin, files, oauth_creds, cancel)
    [kept] = result.variables["unchanged"]
    assert "newer version than this cancellation" in kept["reason"]
    assert not [r for r in emu.requests if r.method == "DELETE"]
    assert len(live(emu)) == 1


BOOKING = b"""BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//Airline//Booking//EN\r
METHOD:PUBLISH\r
BEGIN:VEVENT\r
UID:PNR-X7Y2Z9-LH123@booking.airline.example\r
DTSTAMP:20260301T000000Z\r
DTSTART:20260410T061500Z\r
DTEND:20260410T080000Z\r
SUMMARY:Flight LH123 Frankfurt - Lisbon\r
LOCATION:Frankfurt Airport (FRA)\r
DESCRIPTION:Booking reference X7Y2Z9\r
ORGANIZER;CN=Airline Bookings:mailto:noreply@booking.airline.example\r
ATTENDEE;CN=A. Example;PARTSTAT=ACCEPTED:mailto:a.example@alias.example\r
END:VEVENT\r
END:VCALENDAR\r
"""


def test_a_booking_the_user_neither_organizes_nor_attends_lands_as_their_own_event(
    plugin, emu, files, oauth_creds, rules
):
    emu.add_user("a.example@alias.example", "Europe/Berlin")
    dry = run(plugin, files, oauth_creds, BOOKING, name="booking.ics", dry_run=True)
    result = run(plugin, files, oauth_creds, BOOKING, name="booking.ics")
    [record] = result.variables["imported"]
    assert len(dry.variables["imported"]) == 1
    assert "your own event" in record["reason"] and "your own event" in result.text
    [stored] = live(emu)
    assert stored["organizer"]["email"] == ALICE and "attendees" not in stored
    assert "Airline Bookings <noreply@booking.airline.example>" in stored["description"]
    assert "a.example@alias.example" in stored["description"]
    assert stored["iCalUID"] == "PNR-X7Y2Z9-LH123@booking.airline.example"
    assert emu.stored_events("a.example@alias.example") == []  # nobody invited
    again = run(plugin, files, oauth_creds, BOOKING, name="booking.ics")
    assert len(again.variables["unchanged"]) == 1 and len(live(emu)) == 1


def test_an_alias_google_does_not_count_as_the_user_is_imported_as_their_own(
    plugin, emu, files, oauth_creds, rules
):
    """Where Google does not count an address of the file as the calendar's owner (an
    alias), its participantIsNeitherOrganizerNorAttendee turns it into the user's own event."""
    emu.inject_fault(Fault(method="POST", path_regex=r"/events/import$", status=400,
                           reason="participantIsNeitherOrganizerNorAttendee", times=1))
    result = run(plugin, files, oauth_creds, (SAMPLES / "outlook_request.ics").read_bytes())
    [record] = result.variables["imported"]
    assert "your own event" in record["reason"]
    [stored] = live(emu)
    assert stored["organizer"]["email"] == ALICE and "anna.schmidt" in stored["description"]


def test_dry_run_writes_nothing(plugin, emu, files, oauth_creds):
    content = (SAMPLES / "google_export.ics").read_bytes()
    result = run(plugin, files, oauth_creds, content, dry_run=True)
    assert "Dry run: nothing was written." in result.text
    assert len(result.variables["imported"]) == 3 and result.variables["dry_run"] is True
    assert live(emu) == []


def test_series_with_exdate_rdate_and_a_changed_occurrence(plugin, emu, files, oauth_creds):
    emu.clear_requests()
    run(plugin, files, oauth_creds, (SAMPLES / "google_export.ics").read_bytes())
    assert len(_batches(emu)) == 3  # lookup; the series and single events; the occurrence
    listed = plugin.invoke_tool("list_events", {"time_min": "2026-03-01",
                                                "time_max": "2026-03-31",
                                                "query": "Swim"}, oauth_creds)
    lines = [line for line in listed.text.splitlines() if "Swim" in line]
    # Thursdays 5, 12 (moved to 19:00), 26 (19th excluded), plus the RDATE on Saturday 28th
    assert len(lines) == 4, listed.text
    assert any("Swim practice (late)" in line for line in lines)


def test_cancellation_deletes_the_imported_event(plugin, emu, files, oauth_creds):
    content = (SAMPLES / "outlook_request.ics").read_bytes()
    run(plugin, files, oauth_creds, content)
    cancel = content.replace(b"METHOD:REQUEST", b"METHOD:CANCEL").replace(
        b"SEQUENCE:0", b"SEQUENCE:1")
    result = run(plugin, files, oauth_creds, cancel)
    assert result.variables["updated"][0]["change"] == "cancelled"
    assert live(emu) == []


def test_apple_and_zoom_files(plugin, emu, files, oauth_creds):
    run(plugin, files, oauth_creds, (SAMPLES / "apple.ics").read_bytes())
    run(plugin, files, oauth_creds, (SAMPLES / "zoom.ics").read_bytes())
    by_title = {e["summary"]: e for e in live(emu)}
    assert by_title["Vacances de Pâques"]["start"] == {"date": "2026-04-06"}
    assert by_title["Vacances de Pâques"]["transparency"] == "transparent"
    dinner = by_title["Dîner chez Léa"]
    assert dinner["visibility"] == "private" and "example.org/menu" in dinner["description"]
    coffee = by_title["Floating coffee"]  # floating time: read in the user's zone
    assert coffee["start"]["timeZone"] == "Europe/Berlin"
    assert coffee["start"]["dateTime"].startswith("2026-04-03T08:30:00+02:00")
    demo = by_title["Product demo"]
    assert demo["location"].startswith("https://us02web.zoom.us/j/")
    assert demo["start"]["timeZone"] == "Asia/Tokyo"


def test_hostile_files_give_one_clear_error_or_a_skip_reason(plugin, emu, files, oauth_creds):
    with pytest.raises(PluginInvokeError) as exc:
        run(plugin, files, oauth_creds, b"<html>not a calendar</html>")
    assert "not an iCalendar file" in str(exc.value) and "Traceback" not in str(exc.value)
    with pytest.raises(PluginInvokeError) as exc:
        run(plugin, files, oauth_creds, b"BEGIN:VCALENDAR\r\n" + b"X" * 1_000_001)
    assert "at most 1,000,000" in str(exc.value)
    broken = (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:bad@x\r\n"
              b"DTSTART:notatime\r\nSUMMARY:Broken\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\n"
              b"DTSTART:20260310T100000Z\r\nDTEND:20260310T110000Z\r\nSUMMARY:No UID\r\n"
              b"END:VEVENT\r\nEND:VCALENDAR\r\n")
    first = run(plugin, files, oauth_creds, broken)
    [skipped] = first.variables["skipped"]
    assert skipped["summary"] == "Broken" and "DTSTART" in skipped["reason"]
    assert len(first.variables["imported"]) == 1
    second = run(plugin, files, oauth_creds, broken)  # the derived UID is stable
    assert len(second.variables["unchanged"]) == 1 and len(live(emu)) == 1


def test_round_trip_of_an_export_into_another_calendar(plugin, emu, files, oauth_creds):
    seed(emu)
    # Moving a calendar wants whole series (an export's default holds only the window's
    # occurrences, which an import without their series skips: see docs/ics.md).
    exported = plugin.invoke_tool("export_events_ics", {**WINDOW, "keep_series": True},
                                  oauth_creds)
    [(blob, _)] = exported.blobs
    other = emu.add_calendar(ALICE, "Copy", "Europe/Berlin")
    result = run(plugin, files, oauth_creds, blob, name="week.ics", calendar_id="Copy")
    assert result.variables["skipped"] == [], result.text

    def occurrences(calendar_id):
        listed = plugin.invoke_tool("list_events", {**WINDOW, "calendar_ids": calendar_id,
                                                    "max_results": 100}, oauth_creds)
        return sorted((e["summary"], e["start"], e["end"])
                      for e in listed.variables["events"])

    assert occurrences(other) == occurrences("primary")
    assert len(occurrences(other)) == 7


def test_unreachable_file_is_a_clear_error_without_the_signed_url(plugin, files, oauth_creds):
    parameter = files.parameter("gone.ics", b"")
    parameter["url"] = parameter["url"].replace("gone.ics", "missing.ics")
    with pytest.raises(PluginInvokeError) as exc:
        plugin.invoke_tool("import_events_ics", {"file": parameter}, oauth_creds)
    assert "Could not download the file from Dify (HTTP 404)" in str(exc.value)
    assert "sign=" not in str(exc.value)


def _swim_lines(plugin, oauth_creds, query):
    listed = plugin.invoke_tool("list_events", {"time_min": "2026-03-01",
                                                "time_max": "2026-04-30", "query": query,
                                                "time_zone": "America/Los_Angeles",
                                                "max_results": 50}, oauth_creds)
    return listed.variables["events"]


def test_outlook_series_then_an_update_of_one_occurrence(plugin, emu, files, oauth_creds):
    content = (SAMPLES / "outlook_series.ics").read_bytes()
    first = run(plugin, files, oauth_creds, content)
    assert len(first.variables["imported"]) == 2, first.text
    events = _swim_lines(plugin, oauth_creds, "Stand-up")
    starts = [e["start"] for e in events]
    assert "2026-03-18T09:00:00-07:00" not in starts  # EXDATE (Pacific Standard Time)
    assert "2026-03-11T14:00:00-07:00" in starts  # the moved occurrence
    assert len(events) == 17  # Mondays and Wednesdays 2 Mar – 29 Apr, one excluded

    # Outlook then sends only the changed occurrence, with a higher SEQUENCE.
    head, _series, occurrence = content.split(b"BEGIN:VEVENT")
    again = (head + b"BEGIN:VEVENT" + occurrence.replace(b"SEQUENCE:2", b"SEQUENCE:3")
             .replace(b"T140000", b"T150000").replace(b"T141500", b"T151500"))
    result = run(plugin, files, oauth_creds, again)
    assert len(result.variables["updated"]) == 1, result.text
    starts = [e["start"] for e in _swim_lines(plugin, oauth_creds, "Stand-up")]
    assert "2026-03-11T15:00:00-07:00" in starts and "2026-03-11T14:00:00-07:00" not in starts


def test_a_changed_occurrence_of_an_unknown_series_is_skipped(plugin, emu, files, oauth_creds):
    content = (SAMPLES / "outlook_series.ics").read_bytes()
    head, _, occurrence = content.split(b"BEGIN:VEVENT")
    result = run(plugin, files, oauth_creds, head + b"BEGIN:VEVENT" + occurrence)
    [skipped] = result.variables["skipped"]
    assert "import the whole series" in skipped["reason"]
    assert live(emu) == []


def test_without_a_file_the_error_says_how_to_pass_one(plugin, oauth_creds):
    with pytest.raises(PluginInvokeError) as exc:
        plugin.invoke_tool("import_events_ics", {"calendar_id": "primary"}, oauth_creds)
    assert "no file was given" in str(exc.value) and "workflow" in str(exc.value)


def test_an_event_google_refuses_is_reported_and_the_others_imported(
    plugin, emu, files, oauth_creds
):
    emu.inject_fault(Fault(method="POST", path_regex=r"/events/import$", status=400,
                           reason="invalid", message="Invalid attendee email.", times=1))
    result = run(plugin, files, oauth_creds, (SAMPLES / "apple.ics").read_bytes())
    [refused] = result.variables["skipped"]
    assert "Google refused it" in refused["reason"] and "Invalid attendee" in refused["reason"]
    assert len(result.variables["imported"]) == 2 and len(live(emu)) == 2
    assert "skipped 1" in result.text.splitlines()[0]
    again = run(plugin, files, oauth_creds, (SAMPLES / "apple.ics").read_bytes())
    assert len(again.variables["imported"]) == 1 and len(again.variables["unchanged"]) == 2


def test_a_lookup_google_fails_after_the_imports_is_reported_per_event(
    plugin, emu, files, oauth_creds
):
    content = (SAMPLES / "apple.ics").read_bytes()
    run(plugin, files, oauth_creds, content)
    emu.inject_fault(Fault(method="GET", path_regex=r"/events$", status=400, reason="invalid",
                           message="Bad lookup.", times=None))
    again = run(plugin, files, oauth_creds, content)
    emu.clear_faults()
    assert again.variables["imported"] == [] and len(again.variables["skipped"]) == 3
    assert all("import the file again" in s["reason"] for s in again.variables["skipped"])
    with pytest.raises(PluginInvokeError, match="Bad lookup"):
        emu.inject_fault(Fault(method="GET", path_regex=r"/events$", status=400,
                               reason="invalid", message="Bad lookup.", times=None))
        run(plugin, files, oauth_creds, content, dry_run=True)
    emu.clear_faults()


THIS_AND_FUTURE = b"""BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//Example//Planner//EN\r
BEGIN:VEVENT\r
UID:planning@example.com\r
DTSTAMP:20260301T000000Z\r
DTSTART;TZID=Europe/Berlin:20260302T090000\r
DTEND;TZID=Europe/Berlin:20260302T100000\r
RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=6\r
SUMMARY:Planning\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:planning@example.com\r
DTSTAMP:20260301T000000Z\r
RECURRENCE-ID;RANGE=THISANDFUTURE;TZID=Europe/Berlin:20260323T090000\r
DTSTART;TZID=Europe/Berlin:20260323T103000\r
DTEND;TZID=Europe/Berlin:20260323T113000\r
SUMMARY:Planning (later)\r
SEQUENCE:1\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:planning@example.com\r
DTSTAMP:20260301T000000Z\r
RECURRENCE-ID;TZID=Europe/Berlin:20260406T090000\r
DTSTART;TZID=Europe/Berlin:20260406T120000\r
DTEND;TZID=Europe/Berlin:20260406T130000\r
SUMMARY:Planning (offsite)\r
END:VEVENT\r
END:VCALENDAR\r
"""


def test_this_and_future_change_imports_as_a_split_series(plugin, emu, files, oauth_creds):
    """RFC 5545 3.8.4.4 RANGE=THISANDFUTURE: from 23 March every Monday moves to 10:30 with
    the new title (also after Berlin's clocks change on 29 March); earlier ones stay."""
    first = run(plugin, files, oauth_creds, THIS_AND_FUTURE, name="planning.ics")
    assert len(first.variables["imported"]) == 3 and first.variables["skipped"] == [], first.text
    listed = plugin.invoke_tool("list_events", {"time_min": "2026-03-01",
                                                "time_max": "2026-04-30", "query": "Planning",
                                                "time_zone": "Europe/Berlin",
                                                "max_results": 50}, oauth_creds)
    assert [(e["start"], e["summary"]) for e in listed.variables["events"]] == [
        ("2026-03-02T09:00:00+01:00", "Planning"), ("2026-03-09T09:00:00+01:00", "Planning"),
        ("2026-03-16T09:00:00+01:00", "Planning"),
        ("2026-03-23T10:30:00+01:00", "Planning (later)"),
        ("2026-03-30T10:30:00+02:00", "Planning (later)"),
        ("2026-04-06T12:00:00+02:00", "Planning (offsite)")]
    uids = {e["iCalUID"] for e in live(emu)}
    assert uids == {"planning@example.com", "planning_R20260323T090000@example.com"}

    again = run(plugin, files, oauth_creds, THIS_AND_FUTURE, name="planning.ics")
    assert len(again.variables["unchanged"]) == 3 and again.variables["imported"] == []


def test_this_and_future_change_arriving_after_the_series_splits_it(
    plugin, emu, files, oauth_creds
):
    """The usual order: the series was imported, later a file with the change arrives."""
    series_only = THIS_AND_FUTURE.split(b"BEGIN:VEVENT\r\nUID:planning@example.com\r\n"
                                        b"DTSTAMP:20260301T000000Z\r\nRECURRENCE-ID;RANGE")[0]
    run(plugin, files, oauth_creds, series_only + b"END:VCALENDAR\r\n", name="planning.ics")
    assert len(live(emu)) == 1
    result = run(plugin, files, oauth_creds, THIS_AND_FUTURE, name="planning.ics")
    assert len(result.variables["updated"]) == 1, result.text  # the series now ends earlier
    assert len(result.variables["imported"]) == 2, result.text
    listed = plugin.invoke_tool("list_events", {"time_min": "2026-03-01",
                                                "time_max": "2026-04-30", "query": "Planning",
                                                "time_zone": "Europe/Berlin",
                                                "max_results": 50}, oauth_creds)
    assert [e["summary"] for e in listed.variables["events"]] == [
        "Planning", "Planning", "Planning", "Planning (later)", "Planning (later)",
        "Planning (offsite)"]


def test_a_newer_version_google_lets_only_the_organizer_apply_says_so(
    plugin, emu, files, oauth_creds
):
    """If Google both refused a held iCalUID and the update of an invitation's copy."""
    emu.import_rules = ImportRules(held="refuse")
    content = (SAMPLES / "outlook_request.ics").read_bytes()
    run(plugin, files, oauth_creds, content)
    newer = run(plugin, files, oauth_creds, content.replace(b"SEQUENCE:0", b"SEQUENCE:1")
                .replace(b"Time:20260316T100000", b"Time:20260316T083000"))
    [refused] = newer.variables["skipped"]
    assert "only anna.schmidt@contoso.example change this event" in refused["reason"]
    assert "newer version was not applied" in refused["reason"]


# ---------------------------------------------------------------- files people really have

BERLIN = ZoneInfo("Europe/Berlin")
REAL_FILES = {  # sample → UIDs the import must skip (with a reason), not import
    "outlook_allday_series.ics": set(),
    "holidays_calendarlabs.ics": set(),
    "thunderbird_cancelled.ics": set(),
    "floating_series.ics": set(),
    "freebusy_broken.ics": set(),
    "exdate_without_rrule.ics": set(),
    "rdate_period.ics": set(),
    "invalid_rules.ics": {"broken-count@planner.example", "broken-interval@planner.example",
                          "broken-byday@planner.example"},
}
# What the file means where recurring-ical-events reads it otherwise, stated in the file:
# Outlook names an occurrence of an all-day series by a time (its midnight in the writer's
# zone, or that midnight in UTC); the library matches no occurrence, as the import did.
MEANING = {"outlook_allday_series.ics": [
    (b"RECURRENCE-ID;TZID=GMT Standard Time:20260416T000000",
     b"RECURRENCE-ID;VALUE=DATE:20260416"),
    (b"RECURRENCE-ID:20260429T230000Z", b"RECURRENCE-ID;VALUE=DATE:20260430")]}
LISTED = {"time_min": "2026-03-01", "time_max": "2026-06-01", "time_zone": "Europe/Berlin",
          "max_results": 200}


def _as_listed(value) -> str:
    if isinstance(value, datetime):
        moment = value.replace(tzinfo=BERLIN) if value.tzinfo is None else value
        return moment.astimezone(BERLIN).isoformat()
    return value.isoformat()


def independent_occurrences(sample: str, content: bytes, skipped: set[str]) -> list[tuple]:
    """Every occurrence in the listed window as `recurring-ical-events` expands the file
    (floating times in the user's zone), cancelled ones left out; an all-day event ending
    on its start day lasts that day (RFC 5545 3.6.1's one day)."""
    for written, meant in MEANING.get(sample, []):
        content = content.replace(written, meant)
    calendar = icalendar.Calendar.from_ical(content)
    for vevent in list(calendar.subcomponents):
        if vevent.name == "VEVENT" and str(vevent.get("UID")) in skipped:
            calendar.subcomponents.remove(vevent)
    window = (date(2026, 3, 1), date(2026, 6, 2))
    return sorted(
        (str(e.get("SUMMARY")), _as_listed(e["DTSTART"].dt), _as_listed(_end(e)))
        for e in recurring_ical_events.of(calendar).between(*window)
        if str(e.get("STATUS", "")).upper() != "CANCELLED")


def _end(occurrence):
    start, end = occurrence["DTSTART"].dt, occurrence["DTEND"].dt
    return end + timedelta(days=1) if not isinstance(start, datetime) and end == start else end


def listed_occurrences(plugin, oauth_creds) -> list[tuple]:
    events = plugin.invoke_tool("list_events", LISTED, oauth_creds).variables["events"]
    return sorted((e["summary"], e["start"], e["end"]) for e in events)


@pytest.mark.parametrize("sample", sorted(REAL_FILES))
def test_every_occurrence_of_real_files_matches_an_independent_expansion(
    plugin, emu, files, oauth_creds, rules, sample
):
    content = (SAMPLES / sample).read_bytes()
    dry = run(plugin, files, oauth_creds, content, name=sample, dry_run=True)
    first = run(plugin, files, oauth_creds, content, name=sample)
    skipped = {s["ical_uid"] for s in first.variables["skipped"]}
    assert skipped == REAL_FILES[sample], first.text
    assert all(s["reason"] for s in first.variables["skipped"])
    for action in ("imported", "updated", "unchanged", "skipped"):
        assert len(dry.variables[action]) == len(first.variables[action]), (dry.text, first.text)
    expected = independent_occurrences(sample, content, skipped)
    assert expected and listed_occurrences(plugin, oauth_creds) == expected

    emu.clear_requests()
    again = run(plugin, files, oauth_creds, content, name=sample)
    assert again.variables["imported"] == again.variables["updated"] == [], again.text
    assert not [r for r in emu.requests if r.method in ("PUT", "PATCH", "DELETE")
                or r.path.endswith("/import")]


def test_a_cancelled_occurrence_arriving_after_its_series_cancels_it_once(
    plugin, emu, files, oauth_creds, rules
):
    content = (SAMPLES / "thunderbird_cancelled.ics").read_bytes()
    series_only = content.split(b"BEGIN:VEVENT")
    run(plugin, files, oauth_creds, b"BEGIN:VEVENT".join(series_only[:2]) + b"END:VCALENDAR\r\n")
    assert len(listed_occurrences(plugin, oauth_creds)) == 5
    dry = run(plugin, files, oauth_creds, content, dry_run=True)
    result = run(plugin, files, oauth_creds, content)
    assert [u["change"] for u in result.variables["updated"]] == ["cancelled"], result.text
    assert len(dry.variables["updated"]) == 1 and len(dry.variables["unchanged"]) == 1
    assert listed_occurrences(plugin, oauth_creds) == independent_occurrences(
        "thunderbird_cancelled.ics", content, set())
    emu.clear_requests()
    again = run(plugin, files, oauth_creds, content)
    assert len(again.variables["unchanged"]) == 2, again.text
    assert not [r for r in emu.requests if r.method in ("PUT", "PATCH", "DELETE")
                or r.path.endswith("/import")]
