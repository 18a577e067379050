"""gcal.ics.importing against the emulator in-process: what a failed write round leaves
reported, and how refusals Google did not act on are read."""

from __future__ import annotations

import pytest

from gcal.errors import BackendError
from gcal.google.client import CalendarClient
from gcal.google.transport import CalendarTransport
from gcal.ics.importing import import_ics
from tests.emulator.faults import Fault

ALICE = "alice@example.com"


def term(*names: str) -> bytes:
    events = "".join(
        f"BEGIN:VEVENT\r\nUID:{name}@school.example\r\nDTSTAMP:20260101T000000Z\r\n"
        f"DTSTART;VALUE=DATE:2026060{n + 1}\r\nSUMMARY:{name}\r\nEND:VEVENT\r\n"
        for n, name in enumerate(names))
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\n{events}" \
           "END:VCALENDAR\r\n".encode()


@pytest.fixture
def client(server, monkeypatch):
    server.reset()
    server.add_user(ALICE, "Europe/Berlin")
    monkeypatch.setenv("GOOGLE_CALENDAR_EMULATOR_HOST", server.host)
    monkeypatch.setenv("GCAL_RETRY_BASE_DELAY", "0.01")
    return CalendarClient(CalendarTransport(server.issue_token(ALICE)), "alice")


def actions(result) -> list[tuple[str, str]]:
    return [(o.action, o.summary) for o in result.outcomes]


def test_a_write_round_that_fails_leaves_the_lookup_reported(client):
    import_ics(client, term("L0"), None)
    batch, sent = client.transport.batch, []

    def second_fails(payload, content_type):
        sent.append(1)
        if len(sent) == 2:
            raise BackendError("Google Calendar had a server error. Try again in a moment.",
                               status=503)
        return batch(payload, content_type)

    client.transport.batch = second_fails
    result = import_ics(client, term("L0", "L1", "L2"), None)
    assert actions(result) == [("unchanged", "L0"), ("skipped", "L1"), ("skipped", "L2")]
    assert "import the file again" in result.outcomes[1].reason


def test_a_whole_batch_refused_unprocessed_still_finds_the_held_events_unchanged(client,
                                                                                 server):
    import_ics(client, term("L0", "L1"), None)
    server.inject_fault(Fault(path_regex=r"^/batch/calendar/v3$", status=503, times=1))
    result = import_ics(client, term("L0", "L1"), None)
    assert actions(result) == [("unchanged", "L0"), ("unchanged", "L1")]


def test_an_import_google_never_confirmed_says_it_may_have_been_written(client, server):
    server.inject_fault(Fault(method="POST", path_regex=r"/events/import$", status=500,
                              after_processing=True, times=None))
    result = import_ics(client, term("L0"), None)
    server.clear_faults()
    [outcome] = result.outcomes
    assert outcome.action == "skipped" and "may have been written" in outcome.reason
    assert len(server.stored_events(ALICE)) == 1
    assert actions(import_ics(client, term("L0"), None)) == [("unchanged", "L0")]


def test_excluded_keys_read_every_form_google_writes_an_exdate_in():
    from gcal.ics.items import excluded_keys

    assert excluded_keys([
        "RRULE:FREQ=WEEKLY", "EXDATE:20260401T173000Z",
        "EXDATE;TZID=Europe/Berlin:20260408T193000,20260415T193000",
        "EXDATE;VALUE=DATE:20260422"]) == {
        "20260401T173000Z", "20260408T173000Z", "20260415T173000Z", "20260422"}


def test_a_booking_becomes_the_users_own_event_with_its_people_in_the_description():
    from gcal.ics.importing import own_event_body

    body = {"iCalUID": "b@x", "description": "Seat 12A",
            "organizer": {"email": "noreply@air.example", "displayName": "Air"},
            "attendees": [{"email": "a@alias.example"}]}
    own = own_event_body(body)
    assert "organizer" not in own and "attendees" not in own and own["iCalUID"] == "b@x"
    assert own["description"] == ("Seat 12A\n\nOrganizer: Air <noreply@air.example>\n"
                                  "Guests: a@alias.example")
