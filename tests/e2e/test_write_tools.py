"""Write tools end to end: the real plugin process against the emulator, asserting on the
requests Google would have received."""

from __future__ import annotations

import pytest

from tests.emulator import Fault
from tests.plugin_process import PluginInvokeError

ALICE = "alice@example.com"
BOB = "bob@example.com"
CAROL = "carol@example.com"


def writes(emu, method):
    return [r for r in emu.requests if r.method == method and "/events" in r.path]


def inserts(emu):
    return [r for r in writes(emu, "POST") if r.path.endswith("/events")]


def create(plugin, creds, **params):
    return plugin.invoke_tool("create_event", {"summary": "Sync", **params}, creds)


def fails(plugin, creds, tool, params) -> str:
    with pytest.raises(PluginInvokeError) as error:
        plugin.invoke_tool(tool, params, creds)
    return error.value.message


def timed(summary, start, end, zone="Europe/Berlin", **extra):
    return {"summary": summary, "start": {"dateTime": start, "timeZone": zone},
            "end": {"dateTime": end, "timeZone": zone}, **extra}


# ----------------------------------------------------------------------------- create


def test_create_naive_time_in_calendar_zone_with_default_duration(plugin, emu, oauth_creds):
    result = create(plugin, oauth_creds, start="2026-03-10T15:00")
    body = inserts(emu)[-1].body
    assert body["start"] == {"dateTime": "2026-03-10T15:00:00+01:00", "timeZone": "Europe/Berlin"}
    assert body["end"]["dateTime"] == "2026-03-10T16:00:00+01:00"
    assert inserts(emu)[-1].query["sendUpdates"] == ["none"]
    event = result.variables["event"]
    assert event["start"] == "2026-03-10T15:00:00+01:00"
    assert result.variables["event_id"] == body["id"]
    assert result.variables["calendar_id"] == ALICE
    assert result.variables["html_link"].startswith("https://www.google.com/calendar/event")
    assert emu.get_stored_event(ALICE, body["id"])["summary"] == "Sync"


def test_create_naive_time_in_given_zone_and_offset_time(plugin, emu, oauth_creds):
    create(plugin, oauth_creds, start="2026-03-10 09:00", duration_minutes=30,
           time_zone="America/New_York")
    body = inserts(emu)[-1].body
    assert body["start"] == {"dateTime": "2026-03-10T09:00:00-04:00",
                             "timeZone": "America/New_York"}
    assert body["end"]["dateTime"] == "2026-03-10T09:30:00-04:00"
    create(plugin, oauth_creds, start="2026-03-10T15:00:00Z", end="2026-03-10T16:30:00Z")
    body = inserts(emu)[-1].body
    assert body["start"]["dateTime"] == "2026-03-10T16:00:00+01:00"
    assert body["end"]["dateTime"] == "2026-03-10T17:30:00+01:00"


def test_create_across_dst_keeps_real_duration(plugin, emu, oauth_creds):
    result = create(plugin, oauth_creds, start="2026-03-29T01:30", duration_minutes=60)
    body = inserts(emu)[-1].body
    assert body["start"]["dateTime"] == "2026-03-29T01:30:00+01:00"
    assert body["end"]["dateTime"] == "2026-03-29T03:30:00+02:00"
    assert result.variables["event"]["end"] == "2026-03-29T03:30:00+02:00"


def test_create_all_day_end_is_inclusive(plugin, emu, oauth_creds):
    result = create(plugin, oauth_creds, start="2026-04-06", end="2026-04-08")
    body = inserts(emu)[-1].body
    assert body["start"] == {"date": "2026-04-06"}
    assert body["end"] == {"date": "2026-04-09"}
    assert result.variables["event"]["end_inclusive"] == "2026-04-08"
    create(plugin, oauth_creds, start="2026-04-10", all_day=True)
    assert inserts(emu)[-1].body["end"] == {"date": "2026-04-11"}


def test_create_all_fields(plugin, emu, oauth_creds):
    result = create(
        plugin, oauth_creds, start="2026-03-10T15:00", end="2026-03-10T15:45",
        description="Agenda", location="Room 1",
        attendees=f"{BOB}; {CAROL}", optional_attendees="dave@example.com\nerin@example.com",
        reminders="popup:10, email:1440", color="Tomato", visibility="private", show_as="free",
        guest_permissions="invite_others",
    )
    request = inserts(emu)[-1]
    body = request.body
    assert request.query["sendUpdates"] == ["all"]
    assert body["attendees"] == [
        {"email": BOB}, {"email": CAROL}, {"email": "dave@example.com", "optional": True},
        {"email": "erin@example.com", "optional": True}]
    assert body["reminders"] == {"useDefault": False, "overrides": [
        {"method": "popup", "minutes": 10}, {"method": "email", "minutes": 1440}]}
    assert (body["colorId"], body["visibility"], body["transparency"]) == (
        "11", "private", "transparent")
    assert (body["guestsCanModify"], body["guestsCanInviteOthers"],
            body["guestsCanSeeOtherGuests"]) == (False, True, False)
    assert (body["description"], body["location"]) == ("Agenda", "Room 1")
    assert "Invitations sent to 4 guests" in result.text


def test_send_updates_explicit_none(plugin, emu, oauth_creds):
    result = create(plugin, oauth_creds, start="2026-03-10T15:00", attendees=BOB,
                    send_updates="none")
    assert inserts(emu)[-1].query["sendUpdates"] == ["none"]
    assert "No emails were sent" in result.text


def test_create_with_meet_returns_link(plugin, emu, oauth_creds):
    result = create(plugin, oauth_creds, start="2026-03-10T15:00", add_google_meet=True)
    request = inserts(emu)[-1]
    assert request.query["conferenceDataVersion"] == ["1"]
    create_request = request.body["conferenceData"]["createRequest"]
    assert create_request["conferenceSolutionKey"] == {"type": "hangoutsMeet"}
    assert create_request["requestId"]
    assert result.variables["event"]["meet_link"].startswith("https://meet.google.com/")
    assert result.variables["event"]["meet_link"] in result.text


def test_create_recurring_gets_zone_and_until_in_utc(plugin, emu, oauth_creds):
    result = create(plugin, oauth_creds, start="2026-03-02T09:00",
                    recurrence="FREQ=WEEKLY;BYDAY=MO;UNTIL=2026-03-30\nEXDATE;TZID=Europe/Berlin:"
                               "20260316T090000")
    body = inserts(emu)[-1].body
    assert body["start"]["timeZone"] == "Europe/Berlin"
    assert body["recurrence"] == ["RRULE:FREQ=WEEKLY;BYDAY=MO;UNTIL=20260330T215959Z",
                                  "EXDATE;TZID=Europe/Berlin:20260316T090000"]
    assert result.variables["event"]["recurrence"] == body["recurrence"]


def test_create_client_id_is_base32hex(plugin, emu, oauth_creds):
    create(plugin, oauth_creds, start="2026-03-10T15:00")
    event_id = inserts(emu)[-1].body["id"]
    assert set(event_id) <= set("abcdefghijklmnopqrstuv0123456789") and len(event_id) >= 5


def test_idempotency_key_returns_existing_event(plugin, emu, oauth_creds):
    first = create(plugin, oauth_creds, start="2026-03-10T15:00", idempotency_key="req-42")
    second = create(plugin, oauth_creds, start="2026-03-10T15:00", idempotency_key="req-42")
    assert first.variables["event_id"] == second.variables["event_id"]
    assert second.variables["action"] == "already_existed"
    assert "not created twice" in second.text
    assert len(inserts(emu)) == 1
    assert len([e for e in emu.stored_events(ALICE) if e["summary"] == "Sync"]) == 1
    other = create(plugin, oauth_creds, start="2026-03-10T15:00", idempotency_key="req-43",
                   allow_duplicate=True)
    assert other.variables["event_id"] != first.variables["event_id"]


def test_retry_after_lost_insert_answer_does_not_duplicate(plugin, emu, oauth_creds):
    emu.inject_fault(Fault(method="POST", path_regex=r"/events$", status=None,
                           after_processing=True, drop_connection=True))
    result = create(plugin, oauth_creds, start="2026-03-10T15:00")
    assert len(inserts(emu)) == 2
    assert inserts(emu)[0].body["id"] == inserts(emu)[1].body["id"]
    assert inserts(emu)[1].status == 409
    assert [e["id"] for e in emu.stored_events(ALICE)] == [result.variables["event_id"]]
    assert result.variables["action"] == "created"


def test_create_reports_overlaps_without_blocking(plugin, emu, oauth_creds):
    emu.add_event(ALICE, timed("Dentist", "2026-03-10T15:30:00+01:00",
                               "2026-03-10T16:30:00+01:00"))
    emu.add_event(ALICE, timed("Before", "2026-03-10T14:00:00+01:00",
                               "2026-03-10T15:00:00+01:00"))
    emu.add_event(ALICE, timed("Free time", "2026-03-10T15:00:00+01:00",
                               "2026-03-10T16:00:00+01:00", transparency="transparent"))
    emu.add_event(ALICE, {"summary": "Holiday", "start": {"date": "2026-03-10"},
                          "end": {"date": "2026-03-11"}, "transparency": "transparent"})
    result = create(plugin, oauth_creds, start="2026-03-10T15:00")
    assert [c["summary"] for c in result.variables["conflicts"]] == ["Dentist"]
    assert "Dentist" in result.text and "Overlaps with 1 other event " in result.text
    assert result.variables["action"] == "created"


def test_conflicts_follow_googles_free_busy_rule(plugin, emu, oauth_creds):
    """One rule for what blocks time (issue 11, item 8): what Google's freeBusy counts as busy.
    An all-day event shown as busy blocks its day for timed events too; a transparent one, a
    declined invitation and a cancelled event do not. The emulator's freeBusy already follows
    Google (busy = opaque, not declined, not cancelled); the conflict check now agrees."""
    emu.add_event(ALICE, {"summary": "Offsite", "start": {"date": "2027-03-10"},
                          "end": {"date": "2027-03-11"}})
    emu.add_event(ALICE, {"summary": "Holiday", "start": {"date": "2027-03-10"},
                          "end": {"date": "2027-03-11"}, "transparency": "transparent"})
    emu.add_event(ALICE, timed("Declined", "2027-03-10T15:00:00+01:00",
                               "2027-03-10T16:00:00+01:00",
                               attendees=[{"email": ALICE, "responseStatus": "declined"},
                                          {"email": BOB, "organizer": True}],
                               organizer={"email": BOB}), propagate=False)
    result = create(plugin, oauth_creds, start="2027-03-10T15:00")
    assert [c["summary"] for c in result.variables["conflicts"]] == ["Offsite"]
    free_busy = plugin.invoke_tool("find_free_slots", {
        "duration_minutes": 30, "time_min": "2027-03-10", "time_max": "2027-03-10",
        "working_hours": "00:00-24:00", "working_days": "every day"}, oauth_creds)
    assert free_busy.variables["slots"] == []  # the busy all-day event blocks the whole day


def test_all_day_events_are_created_free_unless_show_as_is_given(plugin, emu, oauth_creds):
    """Google Calendar's UI creates all-day events as free (issue 11, item 8), while the API
    default is busy (discovery document: transparency default "opaque")."""
    create(plugin, oauth_creds, start="2026-03-10", all_day=True)
    assert inserts(emu)[-1].body["transparency"] == "transparent"
    create(plugin, oauth_creds, start="2026-03-11", all_day=True, show_as="busy")
    assert inserts(emu)[-1].body["transparency"] == "opaque"
    create(plugin, oauth_creds, start="2026-03-11T10:00")
    assert "transparency" not in inserts(emu)[-1].body


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"start": "2026-03-10T15:00", "end": "2026-03-10T14:00"}, "end"),
        ({"start": "2026-03-10T15:00", "summary": "  "}, "summary"),
        ({"start": "2026-03-10T15:00", "time_zone": "Mars/Base"}, "time_zone"),
        ({"start": "2026-03-10T15:00", "recurrence": "RRULE:FREQ=HOURLY"}, "recurrence"),
        ({"start": "2026-03-10T15:00", "recurrence": "FREQ=DAILY;COUNT=3;UNTIL=20260401"},
         "recurrence"),
        ({"start": "2026-03-10T15:00", "recurrence": "RRULE:COUNT=3"}, "recurrence"),
        ({"start": "2026-03-10T15:00", "recurrence": "RRULE:FREQ=DAILY;BYFOO=1"}, "recurrence"),
        ({"start": "2026-03-10T15:00", "color": "Purple"}, "color"),
        ({"start": "2026-03-10T15:00", "attendees": "bob@example.com, not-an-email"},
         "attendees"),
        ({"start": "2026-03-10T15:00", "calendar_id": "No Such Calendar"}, "calendar_id"),
        ({"start": "2026-03-10T15:00", "reminders": "sms:10"}, "reminders"),
        ({"start": "2026-03-10T15:00", "guest_permissions": "delete"}, "guest_permissions"),
        ({}, "start"),
    ],
)
def test_bad_input_is_rejected_before_any_write(plugin, emu, oauth_creds, params, parameter):
    message = fails(plugin, oauth_creds, "create_event", {"summary": "X", **params})
    assert f"`{parameter}`" in message and "Example" in message
    assert not inserts(emu)


def test_invalid_email_is_named(plugin, emu, oauth_creds):
    message = fails(plugin, oauth_creds, "create_event", {
        "summary": "X", "start": "2026-03-10T15:00", "attendees": "bob@example.com bad@@x"})
    assert "bad@@x" in message


def test_read_only_calendar_is_rejected(plugin, emu, oauth_creds):
    holidays = emu.add_calendar(BOB, "Holidays")
    emu.share_calendar(holidays, ALICE, role="reader")
    message = fails(plugin, oauth_creds, "create_event",
                    {"summary": "X", "start": "2026-03-10T15:00", "calendar_id": "Holidays"})
    assert "`calendar_id`" in message and "reader" in message
    assert not inserts(emu)


def test_create_on_a_calendar_in_another_zone_reads_times_in_the_users_zone(
        plugin, emu, oauth_creds):
    """"15:00" on a Tokyo team calendar is 15:00 where the user (Berlin) is (issue 11, item 5):
    people mean their own time, as in Google Calendar's UI. time_zone still wins."""
    team = emu.add_calendar(ALICE, "Team Events", time_zone="Asia/Tokyo")
    result = create(plugin, oauth_creds, start="2026-03-10T15:00", calendar_id="team events")
    assert inserts(emu)[-1].path.endswith(f"/calendars/{team}/events")
    assert inserts(emu)[-1].body["start"] == {"dateTime": "2026-03-10T15:00:00+01:00",
                                              "timeZone": "Europe/Berlin"}
    assert result.variables["calendar_id"] == team
    create(plugin, oauth_creds, start="2026-03-10T15:00", calendar_id=team,
           time_zone="Asia/Tokyo")
    assert inserts(emu)[-1].body["start"]["dateTime"] == "2026-03-10T15:00:00+09:00"


def test_quick_add(plugin, emu, oauth_creds):
    result = plugin.invoke_tool("quick_add_event",
                                {"text": "Lunch with Anna 2026-03-12 at 12:30"}, oauth_creds)
    request = [r for r in emu.requests if r.path.endswith("/events/quickAdd")][-1]
    assert request.query["text"] == ["Lunch with Anna 2026-03-12 at 12:30"]
    assert result.variables["event"]["start"].startswith("2026-03-12T12:30:00+01:00")
    assert result.variables["action"] == "created"


# ----------------------------------------------------------------------------- update


def patches(emu):
    return writes(emu, "PATCH")


def seed(emu, **extra):
    return emu.add_event(ALICE, timed("Review", "2026-03-10T10:00:00+01:00",
                                      "2026-03-10T11:30:00+01:00", **extra))


def test_update_moves_start_and_keeps_duration(plugin, emu, oauth_creds):
    event = seed(emu)
    result = plugin.invoke_tool("update_event", {"event_id": event["id"],
                                                 "start": "2026-03-11T14:00"}, oauth_creds)
    request = patches(emu)[-1]
    assert request.headers["If-Match"] == event["etag"]
    assert set(request.body) == {"start", "end"}
    assert request.body["end"]["dateTime"] == "2026-03-11T15:30:00+01:00"
    assert result.variables["event"]["end"] == "2026-03-11T15:30:00+01:00"
    assert emu.get_stored_event(ALICE, event["id"])["summary"] == "Review"


def test_update_only_given_fields(plugin, emu, oauth_creds):
    event = seed(emu, description="keep me", location="Room 1")
    plugin.invoke_tool("update_event", {"event_id": event["id"], "summary": "New title",
                                        "description": ""}, oauth_creds)
    assert patches(emu)[-1].body == {"summary": "New title"}
    stored = emu.get_stored_event(ALICE, event["id"])
    assert (stored["summary"], stored["description"]) == ("New title", "keep me")
    plugin.invoke_tool("update_event", {"event_id": event["id"],
                                        "clear_fields": "description, location"}, oauth_creds)
    assert patches(emu)[-1].body == {"description": None, "location": None}
    assert "description" not in emu.get_stored_event(ALICE, event["id"])


def test_update_attendees_keep_rsvps(plugin, emu, oauth_creds):
    emu.add_user(BOB)
    event = seed(emu, attendees=[{"email": BOB, "responseStatus": "accepted"},
                                 {"email": CAROL, "responseStatus": "declined"}])
    plugin.invoke_tool("update_event", {"event_id": event["id"], "add_attendees": "dave@x.org",
                                        "remove_attendees": CAROL}, oauth_creds)
    request = patches(emu)[-1]
    assert request.query["sendUpdates"] == ["all"]
    assert request.body["attendees"] == [{"email": BOB, "responseStatus": "accepted"},
                                         {"email": "dave@x.org"}]
    plugin.invoke_tool("update_event", {"event_id": event["id"],
                                        "attendees": f"erin@x.org, {BOB}"}, oauth_creds)
    assert patches(emu)[-1].body["attendees"] == [
        {"email": "erin@x.org"}, {"email": BOB, "responseStatus": "accepted"}]


def test_update_remove_unknown_guest_is_rejected(plugin, emu, oauth_creds):
    event = seed(emu, attendees=[{"email": BOB}])
    message = fails(plugin, oauth_creds, "update_event",
                    {"event_id": event["id"], "remove_attendees": CAROL})
    assert "`remove_attendees`" in message and not patches(emu)


def test_update_detects_concurrent_change(plugin, emu, oauth_creds):
    event = seed(emu)
    stale_etag = event["etag"]
    # Someone else edits between our read and our write: the etag changes right after the GET.
    original_process = emu._process

    def process(verb, *args, **kwargs):
        answer = original_process(verb, *args, **kwargs)
        if verb == "GET" and event["id"] in args[0]:
            with emu.state.lock:
                emu.state.calendars[ALICE].events[event["id"]]["etag"] = '"changed"'
        return answer

    emu._process = process
    try:
        message = fails(plugin, oauth_creds, "update_event",
                        {"event_id": event["id"], "summary": "Mine"})
    finally:
        emu._process = original_process
    assert patches(emu)[-1].headers["If-Match"] == stale_etag
    assert patches(emu)[-1].status == 412
    assert "changed this event" in message
    assert emu.get_stored_event(ALICE, event["id"])["summary"] == "Review"


def test_update_unknown_event(plugin, emu, oauth_creds):
    message = fails(plugin, oauth_creds, "update_event",
                    {"event_id": "nosuchevent123", "summary": "X"})
    assert "`event_id`" in message and not patches(emu)


def weekly(emu, **extra):
    return emu.add_event(ALICE, timed("Standup", "2026-03-02T09:00:00+01:00",
                                      "2026-03-02T09:15:00+01:00",
                                      recurrence=["RRULE:FREQ=WEEKLY;COUNT=6"], **extra))


def instance_id(plugin, creds, day):
    listed = plugin.invoke_tool("list_events", {"time_min": day, "time_max": day}, creds)
    return next(e["id"] for e in listed.variables["events"] if e["summary"] == "Standup")


def test_update_one_instance_vs_series(plugin, emu, oauth_creds):
    master = weekly(emu)
    occurrence = instance_id(plugin, oauth_creds, "2026-03-16")
    plugin.invoke_tool("update_event", {"event_id": occurrence, "summary": "Special"},
                       oauth_creds)
    assert patches(emu)[-1].path.endswith(occurrence)
    assert emu.get_stored_event(ALICE, master["id"])["summary"] == "Standup"
    # Moving the series across the DST change keeps 10:00 wall-clock time.
    result = plugin.invoke_tool("update_event", {
        "event_id": instance_id(plugin, oauth_creds, "2026-03-30"), "scope": "series",
        "start": "2026-03-30T10:00"}, oauth_creds)
    request = patches(emu)[-1]
    assert request.path.endswith(master["id"])
    assert request.body["start"] == {"dateTime": "2026-03-02T10:00:00+01:00",
                                     "timeZone": "Europe/Berlin", "date": None}
    assert request.body["end"]["dateTime"] == "2026-03-02T10:15:00+01:00"
    assert "every occurrence" in result.text


def test_update_recurrence_needs_series(plugin, emu, oauth_creds):
    weekly(emu)
    occurrence = instance_id(plugin, oauth_creds, "2026-03-16")
    message = fails(plugin, oauth_creds, "update_event",
                    {"event_id": occurrence, "recurrence": "FREQ=DAILY"})
    assert "`recurrence`" in message and not patches(emu)


def test_update_adds_meet(plugin, emu, oauth_creds):
    event = seed(emu)
    result = plugin.invoke_tool("update_event", {"event_id": event["id"],
                                                 "add_google_meet": True}, oauth_creds)
    assert patches(emu)[-1].query["conferenceDataVersion"] == ["1"]
    assert result.variables["event"]["meet_link"].startswith("https://meet.google.com/")


# ----------------------------------------------------------------------------- delete


def deletes(emu):
    return writes(emu, "DELETE")


def test_delete_and_delete_again(plugin, emu, oauth_creds):
    event = seed(emu, attendees=[{"email": BOB}])
    result = plugin.invoke_tool("delete_event", {"event_id": event["id"]}, oauth_creds)
    assert result.variables["action"] == "deleted"
    assert deletes(emu)[-1].query["sendUpdates"] == ["all"]
    assert emu.get_stored_event(ALICE, event["id"])["status"] == "cancelled"
    again = plugin.invoke_tool("delete_event", {"event_id": event["id"]}, oauth_creds)
    assert again.variables["action"] == "already_deleted"
    assert "already deleted" in again.text
    assert len(deletes(emu)) == 1


def test_delete_gone_answer_is_success(plugin, emu, oauth_creds):
    event = seed(emu)
    emu.inject_fault(Fault(method="DELETE", status=410, reason="deleted"))
    result = plugin.invoke_tool("delete_event", {"event_id": event["id"]}, oauth_creds)
    assert result.variables["action"] == "already_deleted"


def test_delete_retry_after_lost_answer(plugin, emu, oauth_creds):
    event = seed(emu)
    emu.inject_fault(Fault(method="DELETE", status=None, after_processing=True,
                           drop_connection=True))
    result = plugin.invoke_tool("delete_event", {"event_id": event["id"]}, oauth_creds)
    assert result.variables["action"] in ("deleted", "already_deleted")
    assert emu.get_stored_event(ALICE, event["id"])["status"] == "cancelled"


def test_delete_unknown_event(plugin, emu, oauth_creds):
    message = fails(plugin, oauth_creds, "delete_event", {"event_id": "nosuchevent123"})
    assert "`event_id`" in message and not deletes(emu)


def test_delete_one_instance_vs_series(plugin, emu, oauth_creds):
    master = weekly(emu)
    occurrence = instance_id(plugin, oauth_creds, "2026-03-16")
    plugin.invoke_tool("delete_event", {"event_id": occurrence}, oauth_creds)
    assert deletes(emu)[-1].path.endswith(occurrence)
    assert emu.get_stored_event(ALICE, master["id"])["status"] == "confirmed"
    plugin.invoke_tool("delete_event", {"event_id": instance_id(plugin, oauth_creds,
                                                                "2026-03-23"),
                                        "scope": "series"}, oauth_creds)
    assert deletes(emu)[-1].path.endswith(master["id"])
    assert deletes(emu)[-1].query["sendUpdates"] == ["none"]
    assert emu.get_stored_event(ALICE, master["id"])["status"] == "cancelled"


# ----------------------------------------------------------------------------- move


def test_move_to_named_calendar(plugin, emu, oauth_creds):
    team = emu.add_calendar(ALICE, "Team Events", time_zone="Europe/Berlin")
    event = seed(emu)
    result = plugin.invoke_tool("move_event", {"event_id": event["id"],
                                               "destination_calendar_id": "Team Events"},
                                oauth_creds)
    request = [r for r in emu.requests if r.path.endswith("/move")][-1]
    assert request.query["destination"] == [team]
    assert request.query["sendUpdates"] == ["all"]  # nobody to email: same as none
    assert result.variables["calendar_id"] == team
    assert emu.get_stored_event(team, event["id"]) is not None


def test_move_to_read_only_calendar_is_rejected(plugin, emu, oauth_creds):
    shared = emu.add_calendar(BOB, "Bob's")
    emu.share_calendar(shared, ALICE, role="reader")
    event = seed(emu)
    message = fails(plugin, oauth_creds, "move_event", {"event_id": event["id"],
                                                         "destination_calendar_id": shared})
    assert "`destination_calendar_id`" in message
    assert not [r for r in emu.requests if r.path.endswith("/move")]


# ----------------------------------------------------------------------------- respond


def invitation(emu):
    emu.add_user(BOB, time_zone="Europe/Berlin")
    return emu.add_event(BOB, timed("Bob's party", "2026-03-12T18:00:00+01:00",
                                    "2026-03-12T21:00:00+01:00", attendees=[
                                        {"email": BOB, "responseStatus": "accepted"},
                                        {"email": ALICE},
                                        {"email": CAROL, "responseStatus": "tentative",
                                         "comment": "maybe"}]))


def test_respond_changes_only_my_entry(plugin, emu, oauth_creds):
    event = invitation(emu)
    mine = emu.get_stored_event(ALICE, event["id"])
    result = plugin.invoke_tool("respond_to_event", {"event_id": event["id"],
                                                     "response": "accepted",
                                                     "comment": "See you"}, oauth_creds)
    request = patches(emu)[-1]
    assert request.headers["If-Match"] == mine["etag"]
    assert request.query["sendUpdates"] == ["all"]  # the organizer learns the answer at once
    # Only the user's own entry is sent; attendeesOmitted=true keeps everyone else's.
    assert request.body == {"attendees": [{"email": ALICE, "responseStatus": "accepted",
                                           "comment": "See you", "self": True}],
                            "attendeesOmitted": True}
    assert result.variables["event"]["my_response"] == "accepted"
    organizer_copy = emu.get_stored_event(BOB, event["id"])
    assert {a["email"]: a["responseStatus"] for a in organizer_copy["attendees"]}[ALICE] == (
        "accepted")


def test_respond_when_not_invited(plugin, emu, oauth_creds):
    event = seed(emu)
    message = fails(plugin, oauth_creds, "respond_to_event",
                    {"event_id": event["id"], "response": "declined"})
    assert "you organize this event" in message and not patches(emu)


def test_update_switches_between_all_day_and_timed(plugin, emu, oauth_creds):
    stored = emu.add_event(ALICE, {"summary": "Offsite", "start": {"date": "2026-06-10"},
                                   "end": {"date": "2026-06-11"}})
    timed = plugin.invoke_tool("update_event", {"event_id": stored["id"],
                                                "start": "2026-06-10T10:00",
                                                "end": "2026-06-10T12:00"},
                               oauth_creds)
    assert timed.variables["event"]["start"] == "2026-06-10T10:00:00+02:00"
    patch = [r for r in emu.requests if r.method == "PATCH"][-1].body
    assert patch["start"]["date"] is None
    back = plugin.invoke_tool("update_event", {"event_id": stored["id"], "all_day": True,
                                               "start": "2026-06-12"}, oauth_creds)
    assert back.variables["event"]["start"] == "2026-06-12"
    assert back.variables["event"]["all_day"] is True
