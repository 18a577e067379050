"""Emulator extras: real google-api-python-client, batch, fields, sync tokens, seeding."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import requests
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build_from_document
from googleapiclient.errors import HttpError

from tests.emulator.discovery import document
from tests.emulator.importing import ImportRules

ALICE = "alice@example.com"


@pytest.fixture
def emu(server):
    server.reset()
    server.add_user(ALICE, "Europe/Berlin")
    return server


@pytest.fixture
def token(emu):
    return emu.issue_token(ALICE)


@pytest.fixture
def service(emu, token):
    doc = dict(document())
    doc["rootUrl"] = emu.base_url + "/"
    doc["baseUrl"] = emu.base_url + "/calendar/v3/"
    return build_from_document(doc, credentials=Credentials(token))


def get(emu, token, path, **params):
    return requests.get(emu.base_url + "/calendar/v3" + path, params=params, timeout=5,
                        headers={"Authorization": f"Bearer {token}"})


def test_official_client_round_trip(emu, service):
    body = {"summary": "Official", "start": {"dateTime": "2026-03-10T10:00:00Z"},
            "end": {"dateTime": "2026-03-10T11:00:00Z"}}
    ev = service.events().insert(calendarId="primary", body=body, sendUpdates="none").execute()
    patched = service.events().patch(calendarId="primary", eventId=ev["id"],
                                     body={"location": "Room 1"}).execute()
    assert patched["location"] == "Room 1"
    listed = service.events().list(calendarId="primary", singleEvents=True,
                                   orderBy="startTime").execute()
    assert [e["id"] for e in listed["items"]] == [ev["id"]]
    with pytest.raises(HttpError) as exc:
        service.events().get(calendarId="primary", eventId="missing0001").execute()
    assert exc.value.resp.status == 404
    service.events().delete(calendarId="primary", eventId=ev["id"]).execute()
    with pytest.raises(HttpError) as exc:
        service.events().delete(calendarId="primary", eventId=ev["id"]).execute()
    assert exc.value.resp.status == 410


def test_batch_requests(emu, service):
    results = {}

    def cb(rid, resp, exc):
        results[rid] = (resp, exc)

    batch = service.new_batch_http_request(callback=cb)
    batch.add(service.calendarList().get(calendarId="primary"))
    batch.add(service.events().list(calendarId="primary"))
    batch.add(service.events().get(calendarId="primary", eventId="missing0001"))
    batch.execute()
    assert results["1"][0]["id"] == ALICE
    assert results["2"][0]["kind"] == "calendar#events"
    assert results["3"][1].resp.status == 404
    paths = [r.path for r in emu.requests]
    assert "/batch/calendar/v3" in paths
    assert "/calendar/v3/users/me/calendarList/primary" in paths


def test_fields_partial_response(emu, token):
    emu.add_event(ALICE, {"summary": "x", "start": {"dateTime": "2026-03-10T10:00:00Z"},
                          "end": {"dateTime": "2026-03-10T11:00:00Z"}})
    body = get(emu, token, "/calendars/primary/events",
               fields="items(id,start/dateTime),nextPageToken").json()
    assert set(body) == {"items"}
    assert set(body["items"][0]) == {"id", "start"} and set(body["items"][0]["start"]) == {
        "dateTime"}
    r = get(emu, token, "/calendars/primary/events", fields="items(id")
    assert r.status_code == 400


def test_sync_token_and_updated_min(emu, token):
    ev = emu.add_event(ALICE, {"summary": "a", "start": {"dateTime": "2026-03-10T10:00:00Z"},
                               "end": {"dateTime": "2026-03-10T11:00:00Z"}})
    first = get(emu, token, "/calendars/primary/events").json()
    sync = first["nextSyncToken"]
    assert get(emu, token, "/calendars/primary/events", syncToken=sync).json()["items"] == []
    requests.delete(emu.base_url + f"/calendar/v3/calendars/primary/events/{ev['id']}",
                    headers={"Authorization": f"Bearer {token}"}, timeout=5)
    changed = get(emu, token, "/calendars/primary/events", syncToken=sync).json()["items"]
    assert [(e["id"], e["status"]) for e in changed] == [(ev["id"], "cancelled")]
    r = get(emu, token, "/calendars/primary/events", syncToken=sync, q="a")
    assert r.status_code == 400
    assert get(emu, token, "/calendars/primary/events", syncToken="CPjunk").status_code == 400
    emu.sync_tokens_valid_from = "9999"  # every token issued so far has expired
    expired = get(emu, token, "/calendars/primary/events", syncToken=sync)
    assert expired.status_code == 410
    assert expired.json()["error"]["errors"][0]["reason"] == "fullSyncRequired"
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    assert get(emu, token, "/calendars/primary/events", updatedMin=future).json()["items"] == []


def test_open_ended_recurrence_is_bounded(emu, token):
    emu.add_event(ALICE, {"summary": "forever",
                          "start": {"dateTime": "2026-01-05T09:00:00", "timeZone": "UTC"},
                          "end": {"dateTime": "2026-01-05T09:30:00", "timeZone": "UTC"},
                          "recurrence": ["RRULE:FREQ=DAILY"]})
    body = get(emu, token, "/calendars/primary/events", singleEvents="true",
               maxResults=2500).json()
    assert 700 <= len(body["items"]) <= 1200


def test_outside_owner_calendar_and_idempotent_add_user(emu, token):
    hol = "en.german#holiday@group.v.calendar.google.com"
    emu.add_calendar("bob@example.com", "Holidays", calendar_id=hol)  # bob is no emulator user
    emu.share_calendar(hol, ALICE, role="reader")
    ids = [c["id"] for c in get(emu, token, "/users/me/calendarList").json()["items"]]
    assert hol in ids
    emu.add_event(ALICE, {"summary": "keep", "start": {"date": "2026-03-10"},
                          "end": {"date": "2026-03-11"}})
    emu.add_user(ALICE, "Asia/Tokyo")
    assert len(emu.stored_events(ALICE)) == 1
    assert get(emu, token, "/users/me/calendarList/primary").json()["timeZone"] == "Asia/Tokyo"


def test_colors_and_settings_with_full_scope(emu):
    full = emu.issue_token(ALICE, scopes=["https://www.googleapis.com/auth/calendar"])
    assert get(emu, full, "/colors").json()["event"]["11"]["background"]
    assert get(emu, full, "/users/me/settings/timezone").json()["value"] == "Europe/Berlin"
    assert get(emu, full, "/calendars/primary").json()["timeZone"] == "Europe/Berlin"
    r = requests.post(emu.base_url + "/calendar/v3/calendars/primary/clear", timeout=5,
                      headers={"Authorization": f"Bearer {full}"})
    assert r.status_code == 501


def test_holiday_calendar_is_a_reader_subscription_of_transparent_all_day_events(emu, token):
    """Google's regional holiday calendars, as the plugin sees them through the API."""
    cid = emu.subscribe_holidays(ALICE, {"2026-07-03": "Independence Day (observed)"},
                                 {"2026-06-14": "Flag Day"})
    base = f"http://{emu.host}/calendar/v3"
    headers = {"Authorization": f"Bearer {token}"}
    entry = requests.get(f"{base}/users/me/calendarList/{requests.utils.quote(cid, safe='')}",
                         headers=headers, timeout=5).json()
    assert entry["accessRole"] == "reader" and entry["summary"] == "Holidays in United States"
    listed = requests.get(f"{base}/calendars/{requests.utils.quote(cid, safe='')}/events",
                          params={"singleEvents": "true"}, headers=headers, timeout=5)
    items = listed.json()["items"]
    by_name = {i["summary"]: i for i in items}
    assert by_name["Independence Day (observed)"]["description"] == "Public holiday"
    assert by_name["Flag Day"]["description"].startswith("Observance\nTo hide observances")
    assert all(i["transparency"] == "transparent" and "date" in i["start"] for i in items)
    busy = requests.post(f"{base}/freeBusy", headers=headers, timeout=5, json={
        "timeMin": "2026-06-01T00:00:00Z", "timeMax": "2026-08-01T00:00:00Z",
        "items": [{"id": cid}]}).json()
    assert busy["calendars"][cid]["busy"] == []


# ------------------------------------------------------------------ events.import

IMPORT_UID = "quarterly-7f3a@contoso.example"


def _body(**extra):
    return {"iCalUID": IMPORT_UID, "summary": "Planning",
            "start": {"dateTime": "2026-03-16T10:00:00+01:00", "timeZone": "Europe/Berlin"},
            "end": {"dateTime": "2026-03-16T11:00:00+01:00", "timeZone": "Europe/Berlin"},
            "organizer": {"email": "anna@contoso.example"},
            "attendees": [{"email": ALICE}], **extra}


def _import(service, body):
    return service.events().import_(calendarId="primary", body=body).execute()


def _reason(exc) -> str:
    return json.loads(exc.value.content)["error"]["errors"][0]["reason"]


def test_import_keeps_the_organizer_and_is_keyed_by_ical_uid(emu, service):
    first = _import(service, _body())
    assert first["organizer"]["email"] == "anna@contoso.example"
    assert first["iCalUID"] == IMPORT_UID
    assert len(emu.stored_events(ALICE)) == 1


def test_the_owner_must_organize_or_attend_what_is_imported(emu, service):
    with pytest.raises(HttpError) as exc:
        _import(service, _body(attendees=[{"email": "bob@example.com"}]))
    assert exc.value.resp.status == 400
    assert _reason(exc) == "participantIsNeitherOrganizerNorAttendee"
    own = _body()
    del own["organizer"], own["attendees"]  # organized by the calendar: allowed
    assert _import(service, own)["organizer"]["email"] == ALICE


def test_a_held_ical_uid_is_replaced_by_a_newer_import_and_loses_personal_fields(emu, service):
    first = _import(service, _body(colorId="5"))
    newer = _import(service, _body(summary="Moved", sequence=1))
    [stored] = emu.stored_events(ALICE)
    assert newer["id"] == first["id"] == stored["id"] and stored["summary"] == "Moved"
    assert "colorId" not in stored and stored["reminders"] == {"useDefault": True}


@pytest.mark.parametrize(("stale", "summary", "status"), [
    ("replace", "Older", 200), ("keep", "Planning", 200), ("refuse", "Planning", 409)])
@pytest.mark.parametrize("sequence", [0, 1])
def test_an_equal_or_lower_sequence_follows_the_stale_switch(
    emu, service, stale, summary, status, sequence
):
    emu.import_rules = ImportRules(stale=stale)
    _import(service, _body(sequence=1))
    try:
        _import(service, _body(summary="Older", sequence=sequence))
        answered = 200
    except HttpError as exc:
        answered = exc.resp.status
    assert answered == status
    [stored] = emu.stored_events(ALICE)
    assert stored["summary"] == summary


def test_held_refuse_is_the_earlier_model(emu, service):
    emu.import_rules = ImportRules(held="refuse")
    _import(service, _body())
    with pytest.raises(HttpError) as exc:
        _import(service, _body(summary="Moved", sequence=5))
    assert exc.value.resp.status == 409 and _reason(exc) == "duplicate"


@pytest.mark.parametrize(("deleted", "restored"), [("restore", True), ("refuse", False)])
def test_a_deleted_ical_uid_follows_the_deleted_switch(emu, service, deleted, restored):
    emu.import_rules = ImportRules(deleted=deleted)
    first = _import(service, _body())
    service.events().delete(calendarId="primary", eventId=first["id"]).execute()
    try:
        _import(service, _body(summary="Back"))
    except HttpError as exc:
        assert exc.resp.status == 409
    [stored] = emu.stored_events(ALICE)
    assert (stored["status"] == "confirmed") is restored


@pytest.mark.parametrize("rule", ["forbid", "allow"])
def test_an_attendee_changes_shared_fields_of_a_copy_only_when_allowed(emu, service, rule):
    emu.import_rules = ImportRules(attendee_update=rule)
    emu.add_user("anna@contoso.example", "Europe/Berlin")
    first = _import(service, _body())
    personal = service.events().patch(calendarId="primary", eventId=first["id"],
                                      body={"colorId": "3"}).execute()
    assert personal["colorId"] == "3"
    update = service.events().update(calendarId="primary", eventId=first["id"],
                                     body=_body(summary="Moved", sequence=3))
    if rule == "forbid":
        with pytest.raises(HttpError) as exc:
            update.execute()
        assert exc.value.resp.status == 403 and _reason(exc) == "forbiddenForNonOrganizer"
        return
    newer = update.execute()
    assert newer["summary"] == "Moved" and newer["sequence"] == 3
    assert emu.stored_events("anna@contoso.example") == []  # a private copy: no propagation
    with pytest.raises(HttpError) as exc:
        service.events().update(calendarId="primary", eventId=first["id"],
                                body=_body(summary="Older", sequence=2)).execute()
    assert exc.value.resp.status == 400


def test_import_rules_from_the_environment(monkeypatch):
    monkeypatch.setenv("GOOGLE_EMULATOR_IMPORT_RULES", "stale=keep,deleted=refuse")
    assert ImportRules.from_environment() == ImportRules(stale="keep", deleted="refuse")
    with pytest.raises(ValueError):
        ImportRules(stale="sometimes")


def test_import_needs_an_ical_uid(service):
    body = _body()
    del body["iCalUID"]
    with pytest.raises(HttpError) as exc:
        _import(service, body)
    assert exc.value.resp.status == 400


def test_a_private_copy_reaches_no_guest(emu, service):
    emu.add_user("bob@example.com", "Europe/Berlin")
    _import(service, _body(attendees=[{"email": ALICE}, {"email": "bob@example.com"}]))
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
