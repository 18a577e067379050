"""The emulator's rules for Google's status events (out of office, focus time, working
location), from https://developers.google.com/calendar/api/guides/event-types and the
discovery document (Event.eventType, Event*Properties)."""

from __future__ import annotations

import pytest

from tests.unit.emulator.test_emulator import ALICE, Client

EVENTS = "/calendars/primary/events"
TIMED = {"start": {"dateTime": "2026-03-10T09:00:00+01:00"},
         "end": {"dateTime": "2026-03-10T17:00:00+01:00"}}
ONE_DAY = {"start": {"date": "2026-03-10"}, "end": {"date": "2026-03-11"}}
HOME = {"type": "homeOffice", "homeOffice": {}}


@pytest.fixture
def emu(server):
    server.reset()
    server.add_user(ALICE, "Europe/Berlin", name="Alice")
    return server


@pytest.fixture
def alice(emu):
    return Client(emu, emu.issue_token(ALICE))


def refused(response) -> str:
    assert response.status_code == 400, response.text
    return response.json()["error"]["message"]


@pytest.mark.parametrize(("body", "message"), [
    ({"eventType": "outOfOffice", **ONE_DAY}, "cannot be all-day"),
    ({"eventType": "focusTime", **TIMED, "attendees": [{"email": "bob@example.com"}]},
     "Attendees cannot be added"),
    ({"eventType": "default", **TIMED, "outOfOfficeProperties": {}},
     "outOfOfficeProperties requires an event type of outOfOffice"),
    ({"eventType": "focusTime", **TIMED, "focusTimeProperties": {"chatStatus": "busy"}},
     "chatStatus"),
    ({"eventType": "workingLocation", **ONE_DAY, "visibility": "public"}, "working location"),
    ({"eventType": "workingLocation", **ONE_DAY, "workingLocationProperties": HOME,
      "visibility": "public"}, "transparent"),
    ({"eventType": "workingLocation", "start": {"date": "2026-03-10"},
      "end": {"date": "2026-03-12"}, "workingLocationProperties": HOME,
      "visibility": "public", "transparency": "transparent"}, "exactly one day"),
    ({"eventType": "fromGmail", **TIMED}, "cannot be created"),
])
def test_status_event_rules(alice, body, message):
    assert message in refused(alice.post(EVENTS, json={"summary": "x", **body}))


def test_status_events_only_on_the_primary_calendar(emu, alice):
    other = emu.add_calendar(ALICE, "Team")
    response = alice.post(f"/calendars/{other}/events",
                          json={"summary": "Away", "eventType": "outOfOffice", **TIMED})
    assert "primary calendar" in refused(response)


def test_a_valid_working_location_is_stored_and_its_type_cannot_change(alice):
    created = alice.post(EVENTS, json={
        "summary": "Home", "eventType": "workingLocation", **ONE_DAY,
        "workingLocationProperties": HOME, "visibility": "public",
        "transparency": "transparent"})
    assert created.status_code == 200, created.text
    assert created.json()["workingLocationProperties"]["type"] == "homeOffice"
    changed = alice.patch(f"{EVENTS}/{created.json()['id']}", json={"eventType": "default"})
    assert "event type cannot be changed" in refused(changed)
