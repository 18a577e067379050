"""The emulator's events.import, driven by Google's own client library (also through batch)."""

from __future__ import annotations

import pytest
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build_from_document
from googleapiclient.errors import HttpError

from tests.emulator.discovery import document

ALICE = "alice@example.com"
UID = "quarterly-7f3a@contoso.example"


@pytest.fixture
def emu(server):
    server.reset()
    server.add_user(ALICE, "Europe/Berlin")
    return server


@pytest.fixture
def service(emu):
    doc = dict(document())
    doc["rootUrl"] = emu.base_url + "/"
    doc["baseUrl"] = emu.base_url + "/calendar/v3/"
    return build_from_document(doc, credentials=Credentials(emu.issue_token(ALICE)))


def _body(**extra):
    return {"iCalUID": UID, "summary": "Planning",
            "start": {"dateTime": "2026-03-16T10:00:00+01:00", "timeZone": "Europe/Berlin"},
            "end": {"dateTime": "2026-03-16T11:00:00+01:00", "timeZone": "Europe/Berlin"},
            "organizer": {"email": "anna@contoso.example"}, **extra}


def _import(service, body):
    return service.events().import_(calendarId="primary", body=body).execute()


def test_import_keeps_the_organizer_and_is_keyed_by_ical_uid(emu, service):
    first = _import(service, _body())
    assert first["organizer"]["email"] == "anna@contoso.example"
    assert first["iCalUID"] == UID
    again = _import(service, _body(summary="Same sequence, other title"))
    assert again["id"] == first["id"] and again["summary"] == "Planning"
    newer = _import(service, _body(summary="Moved", sequence=1))
    assert newer["id"] == first["id"] and newer["summary"] == "Moved"
    assert newer["sequence"] == 1 and newer["created"] == first["created"]
    assert len(emu.stored_events(ALICE)) == 1


def test_import_needs_an_ical_uid(service):
    body = _body()
    del body["iCalUID"]
    with pytest.raises(HttpError) as exc:
        _import(service, body)
    assert exc.value.resp.status == 400


def test_a_private_copy_reaches_no_guest(emu, service):
    emu.add_user("bob@example.com", "Europe/Berlin")
    _import(service, _body(attendees=[{"email": "bob@example.com"}]))
    assert emu.stored_events("bob@example.com") == []


def test_changed_occurrence_becomes_an_exception_of_the_series(emu, service):
    master = _import(service, _body(recurrence=["RRULE:FREQ=WEEKLY;COUNT=3"]))
    moved = _import(service, _body(
        summary="Planning (late)",
        originalStartTime={"dateTime": "2026-03-23T10:00:00+01:00", "timeZone": "Europe/Berlin"},
        start={"dateTime": "2026-03-23T15:00:00+01:00", "timeZone": "Europe/Berlin"},
        end={"dateTime": "2026-03-23T16:00:00+01:00", "timeZone": "Europe/Berlin"}))
    assert moved["recurringEventId"] == master["id"]
    listed = service.events().list(calendarId="primary", singleEvents=True,
                                   orderBy="startTime").execute()["items"]
    assert [e["summary"] for e in listed] == ["Planning", "Planning (late)", "Planning"]


def test_batch_of_imports_through_the_official_client(emu, service):
    answers = {}
    batch = service.new_batch_http_request(
        callback=lambda rid, resp, exc: answers.__setitem__(rid, (resp, exc)))
    for n in range(3):
        batch.add(service.events().import_(calendarId="primary",
                                           body=_body(iCalUID=f"uid-{n}@x.example")),
                  request_id=str(n))
    batch.execute()
    assert sorted(answers) == ["0", "1", "2"]
    assert all(exc is None and resp["iCalUID"] == f"uid-{rid}@x.example"
               for rid, (resp, exc) in answers.items())
