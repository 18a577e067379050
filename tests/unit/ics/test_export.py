"""gather_export against the Google emulator: series handling, dedupe, paging, bounds."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from gcal.events.selection import EventSelection
from gcal.google import _endpoints
from gcal.google.client import CalendarClient
from gcal.google.transport import CalendarTransport
from gcal.ics.export import gather_export
from gcal.ics.writing import original_start, uid_of
from tests.emulator import Fault

ALICE = "alice@example.com"
BERLIN = ZoneInfo("Europe/Berlin")
START = datetime(2026, 3, 16, tzinfo=BERLIN)
END = datetime(2026, 4, 20, tzinfo=BERLIN)


@pytest.fixture
def client(emu, monkeypatch):
    monkeypatch.setenv(_endpoints.EMULATOR_HOST_ENV, emu.host)
    return CalendarClient(CalendarTransport(emu.issue_token(ALICE)), "test-export")


def timed(summary, start, end, zone="Europe/Berlin", **extra):
    return {"summary": summary, "start": {"dateTime": start, "timeZone": zone},
            "end": {"dateTime": end, "timeZone": zone}, **extra}


def weekly(emu, calendar=ALICE, **extra):
    """Tuesdays 09:00 Berlin from 2026-03-17, five times (across the DST switch on 03-29)."""
    return emu.add_event(calendar, timed(
        "Standup", "2026-03-17T09:00:00", "2026-03-17T09:15:00",
        recurrence=["RRULE:FREQ=WEEKLY;COUNT=5"], **extra))


def occurrence(master, day, **changes):
    """An exception instance of `master` originally at 09:00 Berlin on `day`."""
    utc = datetime.fromisoformat(f"{day}T09:00:00").replace(tzinfo=BERLIN).astimezone(
        ZoneInfo("UTC"))
    original = {"dateTime": f"{day}T09:00:00", "timeZone": "Europe/Berlin"}
    return {
        "id": f"{master['id']}_{utc:%Y%m%dT%H%M%SZ}",
        "recurringEventId": master["id"],
        "originalStartTime": original,
        "iCalUID": master["iCalUID"],
        "summary": "Standup",
        "start": original,
        "end": {"dateTime": f"{day}T09:15:00", "timeZone": "Europe/Berlin"},
        **changes,
    }


def export(client, calendars=("primary",), **kwargs):
    """Whole series (keep_series): what these tests are about; the default is in test_agents…"""
    kwargs.setdefault("keep_series", True)
    return gather_export(client, EventSelection(list(calendars), START, END, BERLIN), **kwargs)


def master_gets(emu, master_id):
    return [r for r in emu.requests if r.method == "GET" and r.path.endswith(f"/{master_id}")]


def test_series_is_one_master_plus_changed_occurrences(emu, client):
    master = weekly(emu)
    emu.add_event(ALICE, occurrence(master, "2026-03-24", summary="Standup (long)",
                                    end={"dateTime": "2026-03-24T10:00:00",
                                         "timeZone": "Europe/Berlin"}))
    emu.add_event(ALICE, occurrence(master, "2026-03-31", status="cancelled"))
    emu.add_event(ALICE, timed("Deleted", "2026-03-18T10:00:00", "2026-03-18T11:00:00",
                               status="cancelled"))
    emu.clear_requests()
    result = export(client)
    by_key = {(uid_of(e), original_start(e) and original_start(e).instant): e
              for e in result.events}
    assert len(result.events) == 2
    assert by_key[(master["iCalUID"], None)].recurrence == ("RRULE:FREQ=WEEKLY;COUNT=5",)
    changed = by_key[(master["iCalUID"], datetime(2026, 3, 24, 9, tzinfo=BERLIN))]
    assert changed.summary == "Standup (long)"
    [removed] = result.removed[master["id"]]
    assert removed.instant == datetime(2026, 3, 31, 9, tzinfo=BERLIN)
    assert (result.occurrences, result.series) == (4, 1)
    assert len(master_gets(emu, master["id"])) == 1


def test_attendee_change_on_one_occurrence_is_an_override(emu, client):
    master = weekly(emu, attendees=[{"email": "bob@example.com"}])
    emu.add_event(ALICE, occurrence(master, "2026-04-07", attendees=[
        {"email": "bob@example.com"}, {"email": "carol@example.com"}]), propagate=False)
    result = export(client)
    assert [e.start.instant for e in result.events if e.recurring_event_id] == [
        datetime(2026, 4, 7, 9, tzinfo=BERLIN)]


def test_series_without_reachable_master_falls_back_to_occurrences(emu, client):
    master = weekly(emu)
    emu.inject_fault(Fault(method="GET", path_regex=f"/events/{master['id']}$", status=404,
                           reason="notFound", times=None))
    result = export(client)
    assert len(result.events) == 5
    assert all(not e.recurring_event_id and e.ical_uid != master["iCalUID"]
               for e in result.events)
    assert len({uid_of(e) for e in result.events}) == 5
    assert "exported as single occurrences" in result.warnings[0]


def test_event_in_two_calendars_is_written_once(emu, client):
    team = emu.add_calendar(ALICE, "Team", time_zone="Europe/Berlin")
    emu.add_event(team, timed("Review", "2026-03-18T14:00:00", "2026-03-18T15:00:00",
                              attendees=[{"email": ALICE}]))
    result = export(client, calendars=("primary", team))
    assert result.occurrences == 2
    assert [e.summary for e in result.events] == ["Review"]


def test_pages_through_everything_and_stops_at_the_limit(emu, client, monkeypatch):
    monkeypatch.setattr("gcal.ics.export.MAX_RESULTS_CAP", 3)
    for day in range(17, 28):
        emu.add_event(ALICE, timed(f"Day {day}", f"2026-03-{day}T08:00:00",
                                   f"2026-03-{day}T08:30:00"))
    full = export(client)
    assert (full.occurrences, full.truncated) == (11, False)
    pages = [r for r in emu.requests if r.method == "GET" and r.path.endswith("/events")]
    assert len(pages) == 4
    limited = export(client, limit=4)
    assert (limited.occurrences, limited.truncated) == (4, True)
    assert [e.summary for e in limited.events] == ["Day 17", "Day 18", "Day 19", "Day 20"]
