"""Everyday requests as a model in a Dify agent app makes them, end to end (the real plugin
process against the emulator). Each test is one request from one persona and checks what the
model (or a workflow reading output variables) gets back, not only what Google stored."""

from __future__ import annotations

import pytest

from scripts.schema_size import function_schema
from tests.conftest import ALICE
from tests.plugin_process import PluginInvokeError

BOB = "bob@example.com"
CAROL = "carol@example.com"


def timed(summary: str, start: str, end: str, zone: str = "Europe/Berlin", **extra) -> dict:
    return {"summary": summary, "start": {"dateTime": start, "timeZone": zone},
            "end": {"dateTime": end, "timeZone": zone}, **extra}


def described(tool: str) -> str:
    """The tool's description in the function schema Dify sends the model."""
    [schema] = [f for f in function_schema() if f["name"] == tool]
    return schema["description"]


def fails(plugin, creds, tool: str, params: dict) -> str:
    with pytest.raises(PluginInvokeError) as error:
        plugin.invoke_tool(tool, params, creds)
    return error.value.message


@pytest.fixture
def team_calendar(emu) -> str:
    """A Workspace team calendar Bob owns and Alice may edit ("Make changes to events")."""
    emu.add_user(BOB, time_zone="Europe/Berlin")
    emu.add_user(CAROL, time_zone="Europe/Berlin")
    team = emu.add_calendar(BOB, "Team", time_zone="Europe/Berlin")
    emu.share_calendar(team, ALICE, role="writer")
    return team


def test_admin_cancels_a_team_calendar_event_for_everyone(plugin, emu, oauth_creds,
                                                          team_calendar):
    """An event created on a team calendar is organized by that calendar (organizer.self on
    that copy: "Whether the organizer corresponds to the calendar on which this copy of the
    event appears", https://developers.google.com/calendar/api/v3/reference/events), so
    deleting it there cancels it for its guests; the answer must not claim the opposite."""
    event = emu.add_event(team_calendar, timed("Team retro", "2026-03-10T16:00:00+01:00",
                                               "2026-03-10T17:00:00+01:00",
                                               attendees=[{"email": CAROL}]))
    result = plugin.invoke_tool("delete_event", {"event_id": event["id"],
                                                 "calendar_id": "Team"}, oauth_creds)
    carol_copy = emu.get_stored_event(CAROL, event["id"])
    assert carol_copy["status"] == "cancelled"
    assert "still takes place" not in result.text
    assert "Cancellations sent to 1 guest" in result.text


def test_a_model_filling_every_parameter_creates_a_normal_meeting(plugin, emu, oauth_creds):
    """A model that fills every optional parameter with plausible values sends event_type
    default together with properties of the other types; the meeting is created and the
    answer says which of them were ignored, instead of failing the whole request."""
    emu.add_user(BOB, time_zone="Europe/Berlin")
    result = plugin.invoke_tool("create_event", {
        "summary": "Project kickoff", "start": "2026-03-10T13:00", "end": "2026-03-10T14:00",
        "duration_minutes": 60, "all_day": False, "time_zone": "Europe/Berlin",
        "description": "Kickoff", "location": "Room 3", "attendees": BOB,
        "add_google_meet": True, "reminders": "default", "color": "Tomato",
        "visibility": "default", "show_as": "busy", "send_updates": "all",
        "calendar_id": "primary", "idempotency_key": "kickoff-2026-03-10",
        "allow_duplicate": False, "event_type": "default", "auto_decline": "new",
        "decline_message": "Busy", "chat_status": "do_not_disturb",
        "working_location": "office"}, oauth_creds)
    assert result.variables["action"] == "created"
    stored = emu.get_stored_event(ALICE, result.variables["event_id"])
    assert stored.get("eventType", "default") == "default"
    assert stored["attendees"][0]["email"] == BOB
    [note] = [n for n in result.variables["notes"] if n.startswith("Ignored")]
    for name in ("auto_decline", "decline_message", "chat_status", "working_location"):
        assert name in note
    assert note in result.text


def test_type_properties_without_event_type_say_how_to_use_them(plugin, emu, oauth_creds):
    """Without event_type the properties may be what the user meant ("I work from home
    tomorrow"): the error names the event_type that takes them."""
    message = fails(plugin, oauth_creds, "create_event", {
        "summary": "Home", "start": "2026-03-10", "working_location": "home"})
    assert "event_type=working_location" in message
    message = fails(plugin, oauth_creds, "create_event", {
        "summary": "Deep work", "start": "2026-03-10T09:00", "chat_status": "do_not_disturb"})
    assert "event_type=focus_time" in message
    assert not [r for r in emu.requests if r.method == "POST"]


def test_admin_listing_a_team_calendar_is_not_cluttered_with_its_id(plugin, emu, oauth_creds,
                                                                    team_calendar):
    """Events made on a team calendar are organized by the calendar itself; "by <its 60-
    character id>" on every line tells the model nothing the line's calendar does not."""
    event = emu.add_event(team_calendar, timed("Team sync", "2026-03-10T14:00:00+01:00",
                                               "2026-03-10T15:00:00+01:00"))
    emu.add_event(team_calendar, {**timed("Vendor demo", "2026-03-10T16:00:00+01:00",
                                          "2026-03-10T17:00:00+01:00"),
                                  "organizer": {"email": CAROL}})
    listing = plugin.invoke_tool("list_events", {
        "calendar_ids": "all", "time_min": "2026-03-10", "time_max": "2026-03-10"}, oauth_creds)
    lines = [line for line in listing.text.splitlines() if "Team sync" in line
             or "Vendor demo" in line]
    assert lines[0].endswith("c2]") and team_calendar not in lines[0]
    assert lines[1].endswith(f"by {CAROL}")  # someone else organizes: still said
    detail = plugin.invoke_tool("get_event", {"event_id": event["id"], "calendar_id": "Team"},
                                oauth_creds)
    assert f"organizer: {team_calendar}" not in detail.text


def test_what_did_i_accept_this_week(plugin, emu, oauth_creds):
    """Accepted invitations carry no mark (every token of a listing counts): the description
    the model reads must say what an unmarked line means, or it cannot tell."""
    emu.add_user(BOB, time_zone="Europe/Berlin")
    guests = [{"email": BOB, "responseStatus": "accepted"}]
    emu.add_event(BOB, timed("Budget sync", "2026-03-10T13:00:00+01:00",
                             "2026-03-10T14:00:00+01:00",
                             attendees=[*guests, {"email": ALICE, "responseStatus": "accepted"}]))
    emu.add_event(BOB, timed("Hiring panel", "2026-03-11T11:00:00+01:00",
                             "2026-03-11T12:00:00+01:00",
                             attendees=[*guests, {"email": ALICE,
                                                  "responseStatus": "tentative"}]))
    text = plugin.invoke_tool("list_events", {"time_min": "2026-03-09",
                                              "time_max": "2026-03-15"}, oauth_creds).text
    [accepted] = [line for line in text.splitlines() if "Budget sync" in line]
    [tentative] = [line for line in text.splitlines() if "Hiring panel" in line]
    assert "you:" not in accepted and "you:tentative" in tentative
    assert "you:… is your answer unless accepted" in described("list_events")


def test_a_guest_asking_to_move_someone_elses_meeting_learns_who_can(plugin, emu, oauth_creds):
    """Google refuses a guest's change of shared properties with 403 forbiddenForNonOrganizer
    ("Shared properties can only be changed by the organizer of the event.", modelled by the
    emulator); the user owns the calendar, so "read access … use a calendar you own" would
    send the model the wrong way. Reminders stay the guest's to change."""
    emu.add_user(BOB, time_zone="Europe/Berlin")
    event = emu.add_event(BOB, timed("Budget sync", "2026-03-10T13:00:00+01:00",
                                     "2026-03-10T14:00:00+01:00",
                                     attendees=[{"email": BOB, "responseStatus": "accepted"},
                                                {"email": ALICE}]))
    message = fails(plugin, oauth_creds, "update_event", {"event_id": event["id"],
                                                          "start": "2026-03-10T15:00"})
    assert "read access" not in message and "calendar you own" not in message
    assert f"organizer ({BOB})" in message and "respond_to_event" in message
    weekly = emu.add_event(BOB, {**timed("Weekly budget", "2026-03-10T13:00:00+01:00",
                                         "2026-03-10T14:00:00+01:00"),
                                 "recurrence": ["RRULE:FREQ=WEEKLY"],
                                 "attendees": [{"email": BOB}, {"email": ALICE}]})
    later = f"{weekly['id']}_20260317T120000Z"
    for tool, extra in (("update_event", {"summary": "Budget"}), ("delete_event", {})):
        message = fails(plugin, oauth_creds, tool, {"event_id": later, "scope": "following",
                                                    **extra})
        assert f"organizer ({BOB})" in message, (tool, message)
    reminded = plugin.invoke_tool("update_event", {"event_id": event["id"],
                                                   "reminders": "popup:10"}, oauth_creds)
    assert reminded.variables["action"] == "updated"


def test_an_event_from_another_calendar_without_its_calendar_says_to_pass_it(
        plugin, emu, oauth_creds, team_calendar):
    """A model that drops the calendar of a line from a several-calendar listing meets
    Google's 404 on the primary calendar: the error must point at calendar_id."""
    event = emu.add_event(team_calendar, timed("Team sync", "2026-03-10T14:00:00+01:00",
                                               "2026-03-10T15:00:00+01:00"))
    for tool, extra in (("get_event", {}), ("update_event", {"location": "Room 5"}),
                        ("delete_event", {})):
        message = fails(plugin, oauth_creds, tool, {"event_id": event["id"], **extra})
        assert "calendar_id" in message and "legend" in message, (tool, message)
    assert emu.get_stored_event(team_calendar, event["id"])["status"] == "confirmed"


def test_every_other_tuesday_starting_on_a_thursday_is_refused_with_the_tuesday(
        plugin, emu, oauth_creds):
    """"A 1:1 every other Tuesday" with a start that is no Tuesday: Google makes the start an
    occurrence anyway (RFC 5545 §3.8.5.3 leaves it undefined; Google's behaviour reported in
    googleapis/google-api-nodejs-client#2214), so the series would get a stray Thursday and
    the answer would name a day the user never asked for. Refused before any write, with the
    first Tuesday on or after the start as the example."""
    emu.add_user(BOB, time_zone="Europe/Berlin")
    message = fails(plugin, oauth_creds, "create_event", {
        "summary": "1:1", "start": "2026-03-12T11:00", "attendees": BOB,
        "recurrence": "RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=TU"})
    assert "`start`" in message and "Thu 2026-03-12" in message
    assert message.endswith("Example: 2026-03-17T11:00")
    assert not [r for r in emu.requests if r.method == "POST"]
    created = plugin.invoke_tool("create_event", {
        "summary": "1:1", "start": "2026-03-17T11:00", "attendees": BOB,
        "recurrence": "RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=TU"}, oauth_creds)
    assert created.variables["action"] == "created"
    daily = plugin.invoke_tool("create_event", {  # no day in the rule: any start fits
        "summary": "Standup", "start": "2026-03-12T09:00", "recurrence": "RRULE:FREQ=DAILY"},
        oauth_creds)
    assert daily.variables["action"] == "created"
    moved = fails(plugin, oauth_creds, "update_event", {
        "event_id": daily.variables["event_id"], "scope": "series",
        "recurrence": "RRULE:FREQ=WEEKLY;BYDAY=MO"})
    assert "`recurrence`" in moved and "start=2026-03-16T09:00" in moved
