"""Calendar v3 behaviour of the Google emulator, driven over real HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest
import requests

from tests.emulator import DEFAULT_SCOPES, GoogleEmulator, seed_demo

ALICE = "alice@example.com"
BOB = "bob@example.com"
HOLIDAY = "en.usa#holiday@group.v.calendar.google.com"


@pytest.fixture
def emu(server):
    server.reset()
    server.add_user(ALICE, "Europe/Berlin", name="Alice")
    server.add_user(BOB, "America/New_York")
    return server


class Client:
    def __init__(self, emu: GoogleEmulator, token: str) -> None:
        self.base = emu.base_url + "/calendar/v3"
        self.s = requests.Session()
        self.s.headers["Authorization"] = f"Bearer {token}"

    def req(self, method, path, **kw):
        return self.s.request(method, self.base + path, timeout=10, **kw)

    def get(self, path, **kw):
        return self.req("GET", path, **kw)

    def post(self, path, **kw):
        return self.req("POST", path, **kw)

    def patch(self, path, **kw):
        return self.req("PATCH", path, **kw)

    def put(self, path, **kw):
        return self.req("PUT", path, **kw)

    def delete(self, path, **kw):
        return self.req("DELETE", path, **kw)


@pytest.fixture
def alice(emu):
    return Client(emu, emu.issue_token(ALICE))


@pytest.fixture
def bob(emu):
    return Client(emu, emu.issue_token(BOB))


def enc(cal_id: str) -> str:
    return quote(cal_id, safe="")


def timed(start: str, end: str, **extra):
    return {"start": {"dateTime": start}, "end": {"dateTime": end}, **extra}


def err(r):
    body = r.json()["error"]
    return r.status_code, body["errors"][0]["reason"], body["message"]


# ------------------------------------------------------------------ envelope / routing


def test_not_found_envelope_is_exactly_googles(alice):
    r = alice.get("/calendars/primary/events/doesnotexist1")
    assert r.status_code == 404
    assert r.json() == {
        "error": {
            "code": 404,
            "message": "Not Found",
            "errors": [{"domain": "global", "reason": "notFound", "message": "Not Found"}],
            "status": "NOT_FOUND",
        }
    }


def test_unknown_route_is_404(alice):
    assert alice.get("/calendars/primary/nothing").status_code == 404
    assert alice.get("/nope").status_code == 404


def test_unknown_query_parameter_rejected(alice):
    r = alice.get("/calendars/primary/events", params={"singleEvent": "true"})
    code, reason, msg = err(r)
    assert (code, reason) == (400, "invalidParameter")
    assert "singleEvent" in msg


@pytest.mark.parametrize(
    "params",
    [{"maxResults": "abc"}, {"maxResults": "0"}, {"singleEvents": "yes"},
     {"orderBy": "start"}, {"eventTypes": "meeting"}],
)
def test_parameter_types_and_enums_validated(alice, params):
    code, reason, _ = err(alice.get("/calendars/primary/events", params=params))
    assert (code, reason) == (400, "invalidParameter")


def test_boolean_parameters_accept_python_style(alice):
    r = alice.get("/calendars/primary/events", params={"singleEvents": True})
    assert r.status_code == 200


def test_required_query_parameter(alice):
    code, reason, msg = err(alice.post("/calendars/primary/events/quickAdd"))
    assert (code, reason) == (400, "required")
    assert "text" in msg


def test_body_unknown_property_and_wrong_type_rejected(alice):
    base = timed("2026-03-10T10:00:00Z", "2026-03-10T11:00:00Z")
    code, reason, msg = err(alice.post("/calendars/primary/events", json={**base, "titel": "x"}))
    assert (code, reason) == (400, "invalid") and "titel" in msg
    bad = {**base, "attendees": [{"email": "a@b.c", "optional": "yes"}]}
    code, reason, msg = err(alice.post("/calendars/primary/events", json=bad))
    assert (code, reason) == (400, "invalid") and "attendees[0].optional" in msg
    code, reason, msg = err(alice.post("/calendars/primary/events", json={"summary": "x"}))
    assert (code, reason) == (400, "required")
    assert msg in ("Missing start time.", "Missing end time.")


def test_malformed_json_body_is_parse_error(alice):
    r = alice.post("/calendars/primary/events", data=b"{not json",
                   headers={"Content-Type": "application/json"})
    assert err(r)[:2] == (400, "parseError")


# ------------------------------------------------------------------ auth and scopes


def test_missing_and_unknown_token_401(emu):
    r = requests.get(emu.base_url + "/calendar/v3/users/me/calendarList", timeout=5)
    code, reason, msg = err(r)
    assert (code, reason) == (401, "authError")
    assert msg.startswith("Request had invalid authentication credentials")
    assert r.json()["error"]["status"] == "UNAUTHENTICATED"
    assert "Bearer" in r.headers["WWW-Authenticate"]
    r = requests.get(emu.base_url + "/calendar/v3/users/me/calendarList",
                     headers={"Authorization": "Bearer nope"}, timeout=5)
    assert r.status_code == 401


def test_expired_token_401(emu):
    token = emu.issue_token(ALICE)
    c = Client(emu, token)
    assert c.get("/users/me/calendarList").status_code == 200
    emu.expire_access_token(token)
    assert c.get("/users/me/calendarList").status_code == 401


def test_scope_enforcement_from_discovery(emu):
    only_freebusy = Client(emu, emu.issue_token(
        ALICE, scopes=["https://www.googleapis.com/auth/calendar.freebusy"]))
    r = only_freebusy.get("/calendars/primary/events")
    code, reason, msg = err(r)
    assert (code, reason, msg) == (
        403, "insufficientPermissions", "Request had insufficient authentication scopes.")
    assert r.json()["error"]["status"] == "PERMISSION_DENIED"
    assert only_freebusy.post("/freeBusy", json={
        "timeMin": "2026-03-10T00:00:00Z", "timeMax": "2026-03-11T00:00:00Z",
        "items": [{"id": ALICE}]}).status_code == 200
    default = Client(emu, emu.issue_token(ALICE, scopes=DEFAULT_SCOPES))
    # calendars.get / settings need scopes the plugin deliberately does not ask for.
    assert err(default.get("/calendars/primary"))[:2] == (403, "insufficientPermissions")
    assert err(default.get("/users/me/settings/timezone"))[:2] == (403, "insufficientPermissions")
    assert default.get("/users/me/calendarList/primary").status_code == 200


# ------------------------------------------------------------------ calendarList


def test_calendar_list_roles_hidden_primary(emu, alice):
    work = emu.add_calendar(ALICE, "Work", "Europe/Berlin")
    emu.add_calendar(BOB, "US Holidays", "America/New_York", calendar_id=HOLIDAY)
    emu.share_calendar(HOLIDAY, ALICE, "reader")
    bobcal = emu.add_calendar(BOB, "Bob busy", "UTC")
    emu.share_calendar(bobcal, ALICE, "freeBusyReader", hidden=True)
    items = alice.get("/users/me/calendarList").json()["items"]
    by_id = {i["id"]: i for i in items}
    assert set(by_id) == {ALICE, work, HOLIDAY}
    assert by_id[ALICE]["primary"] is True and by_id[ALICE]["summary"] == ALICE
    assert "primary" not in by_id[work]
    assert by_id[HOLIDAY]["accessRole"] == "reader"
    assert by_id[ALICE]["timeZone"] == "Europe/Berlin"
    assert work.endswith("@group.calendar.google.com")
    hidden = alice.get("/users/me/calendarList", params={"showHidden": "true"}).json()["items"]
    assert any(i["id"] == bobcal and i["hidden"] is True for i in hidden)
    writers = alice.get("/users/me/calendarList", params={"minAccessRole": "writer"}).json()
    assert {i["id"] for i in writers["items"]} == {ALICE, work}
    assert alice.get("/users/me/calendarList/primary").json()["id"] == ALICE
    assert alice.get(f"/users/me/calendarList/{enc(HOLIDAY)}").json()["summary"] == "US Holidays"
    assert alice.get(f"/users/me/calendarList/{enc(BOB)}").status_code == 404


def test_calendar_list_pagination(emu, alice):
    for i in range(5):
        emu.add_calendar(ALICE, f"Cal {i}")
    r1 = alice.get("/users/me/calendarList", params={"maxResults": 4}).json()
    assert len(r1["items"]) == 4 and "nextPageToken" in r1
    r2 = alice.get("/users/me/calendarList",
                   params={"maxResults": 4, "pageToken": r1["nextPageToken"]}).json()
    assert len(r2["items"]) == 2 and "nextPageToken" not in r2 and "nextSyncToken" in r2


# ------------------------------------------------------------------ events.list


def test_id_with_hash_is_decoded_per_segment(emu, alice):
    emu.add_calendar(BOB, "US Holidays", calendar_id=HOLIDAY)
    emu.share_calendar(HOLIDAY, ALICE, "reader")
    emu.add_event(HOLIDAY, {"summary": "Independence Day", "start": {"date": "2026-07-04"},
                            "end": {"date": "2026-07-05"}})
    r = alice.get(f"/calendars/{enc(HOLIDAY)}/events")
    assert r.status_code == 200
    assert [e["summary"] for e in r.json()["items"]] == ["Independence Day"]
    assert "%23" in emu.requests[-1].raw_path and "#" in emu.requests[-1].path


def test_overlap_window_semantics(emu, alice):
    for summary, s, e in [
        ("before", "2026-03-10T08:00:00Z", "2026-03-10T09:00:00Z"),  # ends exactly at timeMin
        ("straddle-start", "2026-03-10T08:30:00Z", "2026-03-10T09:30:00Z"),
        ("inside", "2026-03-10T10:00:00Z", "2026-03-10T11:00:00Z"),
        ("straddle-end", "2026-03-10T11:30:00Z", "2026-03-10T12:30:00Z"),
        ("after", "2026-03-10T12:00:00Z", "2026-03-10T13:00:00Z"),  # starts exactly at timeMax
    ]:
        emu.add_event(ALICE, {"summary": summary, **timed(s, e)})
    r = alice.get("/calendars/primary/events", params={
        "timeMin": "2026-03-10T09:00:00Z", "timeMax": "2026-03-10T12:00:00Z",
        "singleEvents": "true", "orderBy": "startTime"})
    assert [e["summary"] for e in r.json()["items"]] == ["straddle-start", "inside",
                                                         "straddle-end"]


def test_all_day_events_use_calendar_zone(emu, alice):
    emu.add_event(ALICE, {"summary": "day", "start": {"date": "2026-03-10"},
                          "end": {"date": "2026-03-11"}})
    # 2026-03-10 in Berlin is 2026-03-09T23:00Z .. 2026-03-10T23:00Z
    def count(tmin, tmax):
        return len(alice.get("/calendars/primary/events", params={
            "timeMin": tmin, "timeMax": tmax}).json()["items"])
    assert count("2026-03-10T22:30:00Z", "2026-03-10T23:30:00Z") == 1
    assert count("2026-03-10T23:00:00Z", "2026-03-11T01:00:00Z") == 0


def test_time_min_needs_offset_and_range_not_empty(alice):
    code, reason, msg = err(alice.get("/calendars/primary/events",
                                      params={"timeMin": "2026-03-10T09:00:00"}))
    assert (code, reason, msg) == (400, "badRequest", "Bad Request")
    code, reason, msg = err(alice.get("/calendars/primary/events", params={
        "timeMin": "2026-03-10T09:00:00Z", "timeMax": "2026-03-10T09:00:00Z"}))
    assert (code, reason, msg) == (400, "timeRangeEmpty", "The specified time range is empty.")


def test_order_by_start_time_requires_single_events(alice):
    assert err(alice.get("/calendars/primary/events",
                         params={"orderBy": "startTime"}))[:2] == (400, "invalid")


def test_recurrence_expansion_across_dst(emu, alice):
    master = emu.add_event(ALICE, {
        "summary": "Standup",
        "start": {"dateTime": "2026-03-27T09:00:00", "timeZone": "Europe/Berlin"},
        "end": {"dateTime": "2026-03-27T09:15:00", "timeZone": "Europe/Berlin"},
        "recurrence": ["RRULE:FREQ=DAILY;COUNT=5", "EXDATE;TZID=Europe/Berlin:20260328T090000"],
    })
    r = alice.get("/calendars/primary/events", params={
        "timeMin": "2026-03-26T00:00:00Z", "timeMax": "2026-04-05T00:00:00Z",
        "singleEvents": "true", "orderBy": "startTime"}).json()
    items = r["items"]
    assert [i["start"]["dateTime"] for i in items] == [
        "2026-03-27T09:00:00+01:00", "2026-03-29T09:00:00+02:00",
        "2026-03-30T09:00:00+02:00", "2026-03-31T09:00:00+02:00"]
    assert items[1]["id"] == f"{master['id']}_20260329T070000Z"
    assert items[1]["recurringEventId"] == master["id"]
    assert items[1]["originalStartTime"]["dateTime"] == "2026-03-29T09:00:00+02:00"
    assert "recurrence" not in items[1]
    # Without singleEvents the master comes back with its recurrence.
    raw = alice.get("/calendars/primary/events").json()["items"]
    assert [i["id"] for i in raw] == [master["id"]] and raw[0]["recurrence"]
    inst = alice.get(f"/calendars/primary/events/{master['id']}/instances").json()["items"]
    assert len(inst) == 4


def test_all_day_recurring_instance_ids(emu, alice):
    master = emu.add_event(ALICE, {"summary": "Bin day", "start": {"date": "2026-03-02"},
                                   "end": {"date": "2026-03-03"},
                                   "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=3"]})
    items = alice.get("/calendars/primary/events", params={"singleEvents": "true"}).json()["items"]
    assert [i["id"] for i in items] == [f"{master['id']}_{d}"
                                        for d in ("20260302", "20260309", "20260316")]
    assert items[0]["originalStartTime"] == {"date": "2026-03-02"}


def test_recurring_event_without_time_zone_rejected(alice):
    body = timed("2026-03-10T10:00:00+01:00", "2026-03-10T11:00:00+01:00",
                 recurrence=["RRULE:FREQ=DAILY"])
    code, reason, msg = err(alice.post("/calendars/primary/events", json=body))
    assert (code, reason, msg) == (400, "required", "Missing time zone definition for start time.")


def test_query_and_filters(emu, alice):
    emu.add_event(ALICE, {"summary": "Budget review", **timed("2026-03-10T10:00:00Z",
                                                              "2026-03-10T11:00:00Z"),
                          "extendedProperties": {"private": {"k": "v"}}})
    emu.add_event(ALICE, {"summary": "Lunch", "location": "Cafe",
                          "attendees": [{"email": "ann@corp.example", "displayName": "Ann Lee"}],
                          **timed("2026-03-10T12:00:00Z", "2026-03-10T13:00:00Z")})
    def q(**params):
        return [e["summary"] for e in
                alice.get("/calendars/primary/events", params=params).json()["items"]]
    assert q(q="budget") == ["Budget review"]
    assert q(q="ann lee") == ["Lunch"]
    assert q(q="cafe") == ["Lunch"]
    assert q(privateExtendedProperty="k=v") == ["Budget review"]
    assert q(eventTypes="focusTime") == []


def test_events_list_pagination_and_quirks(emu, alice):
    for i in range(7):
        emu.add_event(ALICE, {"summary": f"e{i}", **timed(f"2026-03-1{i}T10:00:00Z",
                                                          f"2026-03-1{i}T11:00:00Z")})

    def collect(max_results):
        seen, token, pages = [], None, 0
        while True:
            params = {"maxResults": max_results, "singleEvents": "true", "orderBy": "startTime"}
            if token:
                params["pageToken"] = token
            body = alice.get("/calendars/primary/events", params=params).json()
            pages += 1
            seen += [e["summary"] for e in body["items"]]
            token = body.get("nextPageToken")
            if not token:
                return seen, pages, body

    seen, pages, last = collect(3)
    assert seen == [f"e{i}" for i in range(7)] and pages == 3 and "nextSyncToken" in last
    emu.page_quirks = True
    first = alice.get("/calendars/primary/events", params={"maxResults": 3}).json()
    assert first["items"] == [] and first["nextPageToken"]
    seen, pages, _ = collect(3)
    assert seen == [f"e{i}" for i in range(7)] and pages > 3
    assert err(alice.get("/calendars/primary/events", params={"pageToken": "garbage"}))[0] == 400


def test_time_zone_parameter_and_calendar_zone(emu, alice):
    emu.add_event(ALICE, timed("2026-03-10T10:00:00Z", "2026-03-10T11:00:00Z", summary="x"))
    body = alice.get("/calendars/primary/events").json()
    assert body["timeZone"] == "Europe/Berlin"
    assert body["items"][0]["start"]["dateTime"] == "2026-03-10T11:00:00+01:00"
    body = alice.get("/calendars/primary/events", params={"timeZone": "UTC"}).json()
    assert body["timeZone"] == "UTC"
    assert body["items"][0]["start"]["dateTime"] == "2026-03-10T10:00:00Z"


# ------------------------------------------------------------------ access roles


def test_access_roles(emu, alice, bob):
    bobcal = emu.add_calendar(BOB, "Bob shared")
    ev = emu.add_event(bobcal, timed("2026-03-10T10:00:00Z", "2026-03-10T11:00:00Z"))
    assert alice.get(f"/calendars/{enc(bobcal)}/events").status_code == 404  # not in list
    emu.share_calendar(bobcal, ALICE, "freeBusyReader")
    assert err(alice.get(f"/calendars/{enc(bobcal)}/events"))[:2] == (403, "requiredAccessLevel")
    emu.share_calendar(bobcal, ALICE, "reader")
    assert alice.get(f"/calendars/{enc(bobcal)}/events").status_code == 200
    code, reason, msg = err(alice.patch(f"/calendars/{enc(bobcal)}/events/{ev['id']}",
                                        json={"summary": "hijack"}))
    assert (code, reason, msg) == (403, "requiredAccessLevel",
                                   "You need to have writer access to this calendar.")
    emu.share_calendar(bobcal, ALICE, "writer")
    assert alice.patch(f"/calendars/{enc(bobcal)}/events/{ev['id']}",
                       json={"summary": "ok"}).status_code == 200


# ------------------------------------------------------------------ events writes


def test_insert_fills_google_fields(emu, alice):
    r = alice.post("/calendars/primary/events", params={"sendUpdates": "all"}, json={
        "summary": "Sync", **timed("2026-03-10T10:00:00+01:00", "2026-03-10T11:00:00+01:00"),
        "attendees": [{"email": ALICE}, {"email": "x@corp.example"}],
        "colorId": "5", "visibility": "private", "transparency": "transparent",
        "reminders": {"useDefault": False, "overrides": [{"method": "popup", "minutes": 5}]},
    })
    assert r.status_code == 200
    ev = r.json()
    for key in ("id", "etag", "iCalUID", "created", "updated", "htmlLink", "creator",
                "organizer"):
        assert ev[key]
    assert ev["status"] == "confirmed" and ev["eventType"] == "default" and ev["sequence"] == 0
    assert ev["kind"] == "calendar#event"
    assert ev["organizer"] == {"email": ALICE, "displayName": "Alice", "self": True}
    me, other = ev["attendees"]
    assert me["self"] is True and me["organizer"] is True
    assert me["responseStatus"] == "accepted"
    assert other["responseStatus"] == "needsAction"
    assert emu.requests[-1].query["sendUpdates"] == ["all"]
    stored = emu.get_stored_event(ALICE, ev["id"])
    assert stored["colorId"] == "5" and "self" not in stored["attendees"][0]


@pytest.mark.parametrize("bad_id", ["abc", "UPPERCASE123", "has_underscore", "wxyz12345"])
def test_client_ids_must_be_base32hex(alice, bad_id):
    body = {"id": bad_id, **timed("2026-03-10T10:00:00Z", "2026-03-10T11:00:00Z")}
    assert err(alice.post("/calendars/primary/events", json=body))[:2] == (400, "invalid")


def test_duplicate_id_409(alice):
    body = {"id": "idempotent0001", **timed("2026-03-10T10:00:00Z", "2026-03-10T11:00:00Z")}
    assert alice.post("/calendars/primary/events", json=body).status_code == 200
    code, reason, msg = err(alice.post("/calendars/primary/events", json=body))
    assert (code, reason, msg) == (409, "duplicate", "The requested identifier already exists.")


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (timed("2026-03-10T11:00:00Z", "2026-03-10T10:00:00Z"), "timeRangeEmpty"),
        ({"start": {"date": "2026-03-10"}, "end": {"date": "2026-03-10"}}, "timeRangeEmpty"),
        ({"start": {"date": "2026-03-10"}, "end": {"dateTime": "2026-03-10T10:00:00Z"}},
         "invalid"),
        (timed("2026-03-10T10:00:00", "2026-03-10T11:00:00"), "required"),
        ({"start": {"dateTime": "2026-03-10T10:00:00", "timeZone": "Mars/Base"},
          "end": {"dateTime": "2026-03-10T11:00:00", "timeZone": "Mars/Base"}}, "invalid"),
        (timed("2026-03-10T10:00:00Z", "2026-03-10T11:00:00Z", colorId="12"), "invalid"),
        (timed("2026-03-10T10:00:00Z", "2026-03-10T11:00:00Z", visibility="secret"), "invalid"),
        (timed("2026-03-10T10:00:00Z", "2026-03-10T11:00:00Z",
               recurrence=["RRULE:FREQ=SOMETIMES"]), "required"),
        (timed("2026-03-10T10:00:00Z", "2026-03-10T11:00:00Z",
               attendees=[{"email": "not-an-email"}]), "invalid"),
    ],
)
def test_event_semantic_validation(alice, body, reason):
    assert err(alice.post("/calendars/primary/events", json=body))[:2] == (400, reason)


def test_invalid_recurrence_rule(alice):
    body = {"start": {"dateTime": "2026-03-10T10:00:00", "timeZone": "Europe/Berlin"},
            "end": {"dateTime": "2026-03-10T11:00:00", "timeZone": "Europe/Berlin"},
            "recurrence": ["RRULE:FREQ=SOMETIMES"]}
    assert err(alice.post("/calendars/primary/events", json=body))[:2] == (400, "invalid")


def test_wall_clock_with_time_zone_accepted(alice):
    r = alice.post("/calendars/primary/events", json={
        "start": {"dateTime": "2026-07-01T09:00:00", "timeZone": "America/New_York"},
        "end": {"dateTime": "2026-07-01T10:00:00", "timeZone": "America/New_York"}})
    assert r.status_code == 200
    assert r.json()["start"] == {"dateTime": "2026-07-01T15:00:00+02:00",
                                 "timeZone": "America/New_York"}


def test_meet_creation_needs_conference_data_version(alice):
    body = {**timed("2026-03-10T10:00:00Z", "2026-03-10T11:00:00Z"),
            "conferenceData": {"createRequest": {
                "requestId": "req-1", "conferenceSolutionKey": {"type": "hangoutsMeet"}}}}
    plain = alice.post("/calendars/primary/events", json=body).json()
    assert "hangoutLink" not in plain and "conferenceData" not in plain
    ev = alice.post("/calendars/primary/events", params={"conferenceDataVersion": 1},
                    json=body).json()
    assert ev["hangoutLink"].startswith("https://meet.google.com/")
    cd = ev["conferenceData"]
    assert cd["createRequest"]["status"]["statusCode"] == "success"
    assert cd["conferenceSolution"]["key"]["type"] == "hangoutsMeet"
    assert {p["entryPointType"] for p in cd["entryPoints"]} >= {"video", "phone"}
    assert cd["entryPoints"][0]["uri"] == ev["hangoutLink"]
    assert err(alice.post("/calendars/primary/events", params={"conferenceDataVersion": 2},
                          json=body))[:2] == (400, "invalidParameter")


def test_patch_if_match_etag_sequence(alice):
    ev = alice.post("/calendars/primary/events", json=timed(
        "2026-03-10T10:00:00Z", "2026-03-10T11:00:00Z", summary="a")).json()
    path = f"/calendars/primary/events/{ev['id']}"
    r = alice.patch(path, json={"summary": "b"}, headers={"If-Match": ev["etag"]})
    assert r.status_code == 200
    new = r.json()
    assert new["summary"] == "b" and new["etag"] != ev["etag"]
    assert new["sequence"] == 1 and new["updated"] >= ev["updated"]
    assert new["start"] == ev["start"]
    code, reason, msg = err(alice.patch(path, json={"summary": "c"},
                                        headers={"If-Match": ev["etag"]}))
    assert (code, reason, msg) == (412, "conditionNotMet", "Precondition Failed")
    # PUT replaces the resource; omitted fields disappear.
    upd = alice.put(path, json=timed("2026-03-10T12:00:00Z", "2026-03-10T13:00:00Z")).json()
    assert "summary" not in upd and upd["sequence"] == 2
    assert err(alice.put(path, json={"summary": "no times"}))[:2] == (400, "required")
    r = alice.get(path, headers={"If-None-Match": upd["etag"]})
    assert r.status_code == 304


def test_patch_null_clears_and_nested_merge(alice):
    ev = alice.post("/calendars/primary/events", json={
        "summary": "a", "location": "Room",
        "start": {"dateTime": "2026-03-10T10:00:00", "timeZone": "Europe/Berlin"},
        "end": {"dateTime": "2026-03-10T11:00:00", "timeZone": "Europe/Berlin"}}).json()
    new = alice.patch(f"/calendars/primary/events/{ev['id']}", json={
        "location": None, "start": {"dateTime": "2026-03-10T09:00:00"}}).json()
    assert "location" not in new
    assert new["start"] == {"dateTime": "2026-03-10T09:00:00+01:00", "timeZone": "Europe/Berlin"}


def test_delete_404_410_and_get_cancelled(emu, alice):
    ev = emu.add_event(ALICE, timed("2026-03-10T10:00:00Z", "2026-03-10T11:00:00Z"))
    path = f"/calendars/primary/events/{ev['id']}"
    assert alice.delete(path).status_code == 204
    code, reason, msg = err(alice.delete(path))
    assert (code, reason, msg) == (410, "deleted", "Resource has been deleted")
    assert alice.get(path).json()["status"] == "cancelled"
    assert alice.delete("/calendars/primary/events/unknown00001").status_code == 404
    assert alice.get("/calendars/primary/events").json()["items"] == []
    shown = alice.get("/calendars/primary/events", params={"showDeleted": "true"}).json()
    assert [e["status"] for e in shown["items"]] == ["cancelled"]
    assert emu.stored_events(ALICE)[0]["status"] == "cancelled"


def test_instance_patch_and_delete_create_exceptions(emu, alice):
    master = emu.add_event(ALICE, {
        "summary": "Weekly",
        "start": {"dateTime": "2026-03-02T10:00:00", "timeZone": "Europe/Berlin"},
        "end": {"dateTime": "2026-03-02T11:00:00", "timeZone": "Europe/Berlin"},
        "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=4"]})
    mid = master["id"]
    inst2 = f"{mid}_20260309T090000Z"
    inst3 = f"{mid}_20260316T090000Z"
    got = alice.get(f"/calendars/primary/events/{inst2}").json()
    assert got["recurringEventId"] == mid
    r = alice.patch(f"/calendars/primary/events/{inst2}", json={"summary": "Moved one"})
    assert r.status_code == 200 and r.json()["id"] == inst2
    assert alice.delete(f"/calendars/primary/events/{inst3}").status_code == 204
    assert alice.delete(f"/calendars/primary/events/{inst3}").status_code == 410
    assert alice.get(f"/calendars/primary/events/{mid}_20260310T090000Z").status_code == 404
    items = alice.get("/calendars/primary/events", params={"singleEvents": "true",
                                                           "orderBy": "startTime"}).json()["items"]
    assert [i["summary"] for i in items] == ["Weekly", "Moved one", "Weekly"]
    # series change keeps the exception
    alice.patch(f"/calendars/primary/events/{mid}", json={"summary": "Renamed"})
    items = alice.get("/calendars/primary/events", params={"singleEvents": "true",
                                                           "orderBy": "startTime"}).json()["items"]
    assert [i["summary"] for i in items] == ["Renamed", "Moved one", "Renamed"]
    assert alice.delete(f"/calendars/primary/events/{mid}").status_code == 204
    assert alice.get("/calendars/primary/events",
                     params={"singleEvents": "true"}).json()["items"] == []


def test_move(emu, alice):
    work = emu.add_calendar(ALICE, "Work")
    ro = emu.add_calendar(BOB, "RO")
    emu.share_calendar(ro, ALICE, "reader")
    ev = emu.add_event(ALICE, timed("2026-03-10T10:00:00Z", "2026-03-10T11:00:00Z"))
    path = f"/calendars/primary/events/{ev['id']}/move"
    assert alice.post(path, params={"destination": "nope@x"}).status_code == 404
    assert err(alice.post(path, params={"destination": ro}))[:2] == (403, "requiredAccessLevel")
    assert err(alice.post(path))[:2] == (400, "required")
    moved = alice.post(path, params={"destination": work}).json()
    assert moved["id"] == ev["id"] and moved["organizer"]["email"] == work
    assert emu.get_stored_event(work, ev["id"]) and not emu.get_stored_event(ALICE, ev["id"])


def test_quick_add(emu, alice):
    emu.now_override = datetime(2026, 3, 9, 8, 0, tzinfo=UTC)
    try:
        ev = alice.post("/calendars/primary/events/quickAdd",
                        params={"text": "Lunch with Ann tomorrow at 12pm"}).json()
        assert ev["summary"] == "Lunch with Ann"
        assert ev["start"]["dateTime"] == "2026-03-10T12:00:00+01:00"
        assert ev["end"]["dateTime"] == "2026-03-10T13:00:00+01:00"
        ev = alice.post("/calendars/primary/events/quickAdd",
                        params={"text": "Meeting on 2026-03-10 15:00-16:00"}).json()
        assert (ev["summary"], ev["start"]["dateTime"], ev["end"]["dateTime"]) == (
            "Meeting", "2026-03-10T15:00:00+01:00", "2026-03-10T16:00:00+01:00")
        ev = alice.post("/calendars/primary/events/quickAdd", params={"text": "Dentist"}).json()
        assert ev["start"] == {"date": "2026-03-09"} and ev["end"] == {"date": "2026-03-10"}
    finally:
        emu.now_override = None


# ------------------------------------------------------------------ attendees / RSVP


def test_attendee_copy_and_rsvp(emu, alice, bob):
    ev = alice.post("/calendars/primary/events", json=timed(
        "2026-03-10T10:00:00Z", "2026-03-10T11:00:00Z", summary="Sync",
        attendees=[{"email": ALICE}, {"email": BOB}, {"email": "x@corp.example"}])).json()
    bob_view = bob.get(f"/calendars/primary/events/{ev['id']}").json()
    assert bob_view["organizer"]["email"] == ALICE and "self" not in bob_view["organizer"]
    attendees = bob_view["attendees"]
    for a in attendees:
        if a["email"] == BOB:
            a["responseStatus"] = "accepted"
    r = bob.patch(f"/calendars/primary/events/{ev['id']}", json={"attendees": attendees})
    assert r.status_code == 200
    org_copy = emu.get_stored_event(ALICE, ev["id"])
    assert {a["email"]: a["responseStatus"] for a in org_copy["attendees"]}[BOB] == "accepted"
    # changing someone else's entry or a shared field is forbidden
    attendees[2]["responseStatus"] = "declined"
    code, reason, _ = err(bob.patch(f"/calendars/primary/events/{ev['id']}",
                                    json={"attendees": attendees}))
    assert (code, reason) == (403, "forbiddenForNonOrganizer")
    assert err(bob.patch(f"/calendars/primary/events/{ev['id']}",
                         json={"summary": "mine"}))[0] == 403
    # organizer changes reach the attendee's copy; personal reminders survive
    assert bob.patch(f"/calendars/primary/events/{ev['id']}", json={
        "reminders": {"useDefault": False, "overrides": [{"method": "popup", "minutes": 1}]}
    }).status_code == 200
    alice.patch(f"/calendars/primary/events/{ev['id']}", json={"summary": "Sync v2"})
    copy = emu.get_stored_event(BOB, ev["id"])
    assert copy["summary"] == "Sync v2" and copy["reminders"]["overrides"][0]["minutes"] == 1


# ------------------------------------------------------------------ freebusy


def test_freebusy(emu, alice):
    emu.add_user("carol@example.com")
    emu.add_user("dave@example.com")
    emu.set_freebusy_private("dave@example.com")
    emu.add_event(ALICE, timed("2026-03-10T09:00:00Z", "2026-03-10T10:00:00Z"))
    emu.add_event(ALICE, timed("2026-03-10T09:30:00Z", "2026-03-10T11:00:00Z"))
    emu.add_event(ALICE, timed("2026-03-10T12:00:00Z", "2026-03-10T13:00:00Z",
                               transparency="transparent"))
    emu.add_event(ALICE, timed("2026-03-10T14:00:00Z", "2026-03-10T15:00:00Z",
                               organizer={"email": "boss@corp.example"},
                               attendees=[{"email": ALICE, "responseStatus": "declined"}]))
    gone = emu.add_event(ALICE, timed("2026-03-10T16:00:00Z", "2026-03-10T17:00:00Z"))
    alice.delete(f"/calendars/primary/events/{gone['id']}")
    emu.add_event(ALICE, {"start": {"dateTime": "2026-03-09T18:00:00", "timeZone": "UTC"},
                          "end": {"dateTime": "2026-03-09T19:00:00", "timeZone": "UTC"},
                          "recurrence": ["RRULE:FREQ=DAILY;COUNT=3"]})
    emu.add_event("carol@example.com", timed("2026-03-10T08:00:00Z", "2026-03-10T08:30:00Z"))
    r = alice.post("/freeBusy", json={
        "timeMin": "2026-03-10T00:00:00Z", "timeMax": "2026-03-11T00:00:00Z",
        "items": [{"id": "primary"}, {"id": "carol@example.com"}, {"id": "dave@example.com"},
                  {"id": "ghost@example.com"}]})
    body = r.json()
    assert body["kind"] == "calendar#freeBusy"
    assert body["calendars"]["primary"]["busy"] == [
        {"start": "2026-03-10T09:00:00Z", "end": "2026-03-10T11:00:00Z"},
        {"start": "2026-03-10T18:00:00Z", "end": "2026-03-10T19:00:00Z"}]
    assert body["calendars"]["carol@example.com"]["busy"] == [
        {"start": "2026-03-10T08:00:00Z", "end": "2026-03-10T08:30:00Z"}]
    for hidden in ("dave@example.com", "ghost@example.com"):
        assert body["calendars"][hidden]["errors"] == [{"domain": "global",
                                                        "reason": "notFound"}]
    tz = alice.post("/freeBusy", json={
        "timeMin": "2026-03-10T00:00:00Z", "timeMax": "2026-03-10T10:00:00Z",
        "timeZone": "Europe/Berlin", "items": [{"id": ALICE}]}).json()
    assert tz["calendars"][ALICE]["busy"][0]["start"] == "2026-03-10T10:00:00+01:00"


def test_freebusy_limits(alice):
    base = {"timeMin": "2026-03-10T00:00:00Z", "timeMax": "2026-03-11T00:00:00Z"}
    many = {**base, "items": [{"id": f"u{i}@x.com"} for i in range(51)]}
    assert err(alice.post("/freeBusy", json=many))[:2] == (400, "tooManyCalendarsRequested")
    long = {**base, "timeMax": "2026-08-01T00:00:00Z", "items": [{"id": ALICE}]}
    assert err(alice.post("/freeBusy", json=long))[:2] == (400, "timeRangeTooLong")
    empty = {**base, "timeMax": base["timeMin"], "items": [{"id": ALICE}]}
    assert err(alice.post("/freeBusy", json=empty))[:2] == (400, "timeRangeEmpty")
    assert err(alice.post("/freeBusy", json={**base, "items": [{"idd": "x"}]}))[:2] == (
        400, "invalid")


# ------------------------------------------------------------------ misc


def test_gzip_and_keep_alive(emu, alice):
    r = alice.get("/users/me/calendarList", headers={"Accept-Encoding": "gzip"})
    assert r.headers["Content-Encoding"] == "gzip" and r.json()["items"]
    r2 = alice.get("/users/me/calendarList", headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in r2.headers
    assert r.raw.version == 11


def test_request_log(emu, alice):
    emu.clear_requests()
    alice.post("/calendars/primary/events", json=timed("2026-03-10T10:00:00Z",
                                                       "2026-03-10T11:00:00Z"))
    (rec,) = emu.requests
    assert rec.method == "POST" and rec.path == "/calendar/v3/calendars/primary/events"
    assert rec.status == 200 and rec.user == ALICE
    assert rec.headers["authorization"].startswith("Bearer ")
    assert rec.headers["Authorization"] == rec.headers["AUTHORIZATION"]
    assert rec.body["start"]["dateTime"] == "2026-03-10T10:00:00Z"


def test_reset_clears_everything(emu, alice):
    emu.add_event(ALICE, timed("2026-03-10T10:00:00Z", "2026-03-10T11:00:00Z"))
    emu.page_quirks = True
    emu.reset()
    assert emu.requests == [] and emu.page_quirks is False
    assert emu.stored_events(ALICE) == []


def test_demo_seed(emu):
    emu.reset()
    info = seed_demo(emu)
    c = Client(emu, info["access_token"])
    cals = c.get("/users/me/calendarList").json()["items"]
    assert any("#" in cal["id"] for cal in cals)
    now = datetime.now(UTC)
    week = c.get("/calendars/primary/events", params={
        "timeMin": (now - timedelta(days=8)).isoformat(),
        "timeMax": (now + timedelta(days=8)).isoformat(),
        "singleEvents": "true", "orderBy": "startTime"}).json()["items"]
    assert any(e.get("hangoutLink") for e in week)
    assert any("date" in e["start"] for e in week)
    assert any(e.get("recurringEventId") for e in week)


def test_demo_ids_are_the_same_after_a_restart(emu):
    def seeded_ids():
        emu.reset()
        info = seed_demo(emu)
        events = sorted((cid, e["id"]) for cid in info["calendars"].values()
                        for e in emu.stored_events(cid))
        return info["calendars"], events

    first = seeded_ids()
    assert len(first[1]) >= 9
    assert seeded_ids() == first
