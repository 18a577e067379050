"""Google's status events (issue 14) end to end: out of office, focus time and working
location through the plugin process against the emulator, which enforces the rules of
https://developers.google.com/calendar/api/guides/event-types."""

from __future__ import annotations

import pytest

from tests.conftest import ALICE
from tests.e2e.test_write_correctness import BOB, fails, requests_of, timed

MORNING = {"start": "2026-03-10T09:00", "end": "2026-03-10T12:00"}


def home_day(day: str, next_day: str) -> dict:
    return {"summary": "Home", "start": {"date": day}, "end": {"date": next_day},
            "eventType": "workingLocation", "transparency": "transparent",
            "visibility": "public",
            "workingLocationProperties": {"type": "homeOffice", "homeOffice": {}}}


def stored(emu, result) -> dict:
    return emu.get_stored_event(ALICE, result.variables["event_id"])


def test_out_of_office_with_auto_decline(plugin, emu, oauth_creds):
    result = plugin.invoke_tool("create_event", {
        "event_type": "out_of_office", **MORNING, "auto_decline": "new",
        "decline_message": "Back on Wednesday"}, oauth_creds)
    event = stored(emu, result)
    assert event["eventType"] == "outOfOffice" and event["summary"] == "Out of office"
    assert event["outOfOfficeProperties"] == {
        "autoDeclineMode": "declineOnlyNewConflictingInvitations",
        "declineMessage": "Back on Wednesday"}
    assert "out of office" in result.text


def test_focus_time_with_chat_status(plugin, emu, oauth_creds):
    result = plugin.invoke_tool("create_event", {
        "event_type": "focus_time", "summary": "Deep work", **MORNING,
        "chat_status": "do_not_disturb", "auto_decline": "all"}, oauth_creds)
    assert stored(emu, result)["focusTimeProperties"] == {
        "autoDeclineMode": "declineAllConflictingInvitations", "chatStatus": "doNotDisturb"}


@pytest.mark.parametrize(("place", "properties", "title"), [
    ("home", {"type": "homeOffice", "homeOffice": {}}, "Home"),
    ("office:Building 2", {"type": "officeLocation",
                           "officeLocation": {"label": "Building 2"}}, "Office (Building 2)"),
    ("Café Central", {"type": "customLocation", "customLocation": {"label": "Café Central"}},
     "Café Central"),
])
def test_working_location_for_a_day(plugin, emu, oauth_creds, place, properties, title):
    result = plugin.invoke_tool("create_event", {
        "event_type": "working_location", "working_location": place, "start": "2026-03-10"},
        oauth_creds)
    event = stored(emu, result)
    assert event["workingLocationProperties"] == properties
    assert (event["transparency"], event["visibility"]) == ("transparent", "public")
    assert event["summary"] == title and event["start"] == {"date": "2026-03-10"}


def test_working_location_for_a_time_range(plugin, emu, oauth_creds):
    result = plugin.invoke_tool("create_event", {
        "event_type": "working_location", "working_location": "office", **MORNING},
        oauth_creds)
    assert stored(emu, result)["workingLocationProperties"] == {
        "type": "officeLocation", "officeLocation": {}}


def test_whole_days_out_of_office_run_midnight_to_midnight(plugin, emu, oauth_creds):
    """Google needs times for out of office (event-types guide); "Dec 21-23" from a model
    becomes 00:00 on the first day to 00:00 after the last, in the user's zone."""
    result = plugin.invoke_tool("create_event", {
        "event_type": "out_of_office", "start": "2026-03-10", "end": "2026-03-12"}, oauth_creds)
    event = stored(emu, result)
    assert event["start"]["dateTime"].startswith("2026-03-10T00:00:00+01:00")
    assert event["end"]["dateTime"].startswith("2026-03-13T00:00:00+01:00")


def test_neutral_values_from_a_model_do_not_block_normal_events(plugin, emu, oauth_creds):
    """A model filling every parameter sends auto_decline=none and chat_status=available for
    a normal meeting: the create works and an update does not tell it to delete the event."""
    neutral = {"auto_decline": "none", "chat_status": "available"}
    result = plugin.invoke_tool("create_event", {"summary": "Call", **MORNING, **neutral},
                                oauth_creds)
    assert result.variables["action"] == "created"
    renamed = plugin.invoke_tool("update_event", {"event_id": result.variables["event_id"],
                                                  "summary": "Call 2", **neutral}, oauth_creds)
    assert renamed.variables["event"]["summary"] == "Call 2"
    message = fails(plugin, oauth_creds, "update_event", {
        "event_id": result.variables["event_id"], "auto_decline": "all"})
    assert "delete" not in message and "leave" in message


@pytest.mark.parametrize(("params", "words"), [
    ({"event_type": "focus_time", **MORNING, "attendees": BOB}, "cannot have guests"),
    ({"event_type": "working_location", "working_location": "home", "start": "2026-03-10",
      "end": "2026-03-11"}, "one day"),
    ({"event_type": "working_location", "start": "2026-03-10"}, "working_location"),
    ({"event_type": "working_location", "working_location": "home", "start": "2026-03-10",
      "show_as": "busy"}, "always free"),
    ({"summary": "Lunch", **MORNING, "auto_decline": "all"}, "only to out_of_office"),
    ({"event_type": "out_of_office", **MORNING, "chat_status": "available"},
     "only to focus_time"),
])
def test_google_rules_are_checked_before_any_request(plugin, emu, oauth_creds, params, words):
    message = fails(plugin, oauth_creds, "create_event", params)
    assert words in message
    assert not requests_of(emu, "POST")


def test_status_events_only_on_the_primary_calendar(plugin, emu, oauth_creds):
    team = emu.add_calendar(ALICE, "Team")
    message = fails(plugin, oauth_creds, "create_event", {
        "event_type": "focus_time", **MORNING, "calendar_id": team})
    assert "primary calendar" in message and not requests_of(emu, "POST")


@pytest.fixture
def status_week(emu):
    emu.add_event(ALICE, timed("Review", "2026-03-10T14:00:00+01:00",
                               "2026-03-10T15:00:00+01:00"))
    emu.add_event(ALICE, timed("Away", "2026-03-11T09:00:00+01:00", "2026-03-11T18:00:00+01:00",
                               eventType="outOfOffice",
                               outOfOfficeProperties={"autoDeclineMode": "declineNone"}))
    emu.add_event(ALICE, timed("Focus", "2026-03-10T09:00:00+01:00",
                               "2026-03-10T11:00:00+01:00", eventType="focusTime"))
    emu.add_event(ALICE, home_day("2026-03-12", "2026-03-13"))


WEEK = {"time_min": "2026-03-09", "time_max": "2026-03-15"}


def test_listing_marks_each_status_event(plugin, emu, oauth_creds, status_week):
    text = plugin.invoke_tool("list_events", WEEK, oauth_creds).text
    lines = {line.split(" [")[0].split(" ", 1)[1]: line for line in text.splitlines()
             if " [" in line}
    assert "focus time" in lines["Focus"] and "out of office" in lines["Away"]
    assert "working from home" in lines["Home"]
    assert lines["Review"].endswith("]")  # a default event carries no mark


def test_listing_filters_by_event_type(plugin, emu, oauth_creds, status_week):
    result = plugin.invoke_tool("list_events", {**WEEK, "event_types":
                                                "out_of_office, working_location"},
                                oauth_creds)
    assert sorted(e["summary"] for e in result.variables["events"]) == ["Away", "Home"]
    assert {e["event_type"] for e in result.variables["events"]} == {
        "out_of_office", "working_location"}
    assert requests_of(emu, "GET")[-1].query["eventTypes"] == ["outOfOffice",
                                                                "workingLocation"]


def test_get_event_shows_the_status_properties(plugin, emu, oauth_creds):
    created = plugin.invoke_tool("create_event", {
        "event_type": "out_of_office", **MORNING, "auto_decline": "all",
        "decline_message": "On leave"}, oauth_creds)
    text = plugin.invoke_tool("get_event", {"event_id": created.variables["event_id"]},
                              oauth_creds).text
    assert 'type: out of office | auto-decline: all | decline message: "On leave"' in text


def test_update_changes_properties_but_never_the_type(plugin, emu, oauth_creds):
    created = plugin.invoke_tool("create_event", {
        "event_type": "focus_time", **MORNING, "chat_status": "available"}, oauth_creds)
    event_id = created.variables["event_id"]
    plugin.invoke_tool("update_event", {"event_id": event_id, "chat_status": "do_not_disturb",
                                        "decline_message": "Busy"}, oauth_creds)
    assert emu.get_stored_event(ALICE, event_id)["focusTimeProperties"] == {
        "chatStatus": "doNotDisturb", "declineMessage": "Busy"}
    message = fails(plugin, oauth_creds, "update_event", {"event_id": event_id,
                                                          "working_location": "home"})
    assert "does not allow changing an event's type" in message
    lunch = emu.add_event(ALICE, timed("Lunch", "2026-03-10T12:00:00+01:00",
                                       "2026-03-10T13:00:00+01:00"))
    message = fails(plugin, oauth_creds, "update_event", {"event_id": lunch["id"],
                                                          "auto_decline": "all"})
    # Never "delete it and create another": that would cancel a meeting for its guests.
    assert "applies only to out_of_office and focus_time" in message
    assert "delete" not in message


def test_free_slots_explain_focus_time_and_others_out_of_office(plugin, emu, oauth_creds):
    """Google's free/busy counts out of office and focus time as busy and working locations
    as free (they are transparent); events.list with eventTypes says why, where the user may
    read the calendar (Bob shares his with Alice)."""
    emu.add_event(ALICE, timed("Focus", "2027-03-09T09:00:00+01:00",
                               "2027-03-09T11:00:00+01:00", eventType="focusTime"))
    emu.add_event(ALICE, home_day("2027-03-10", "2027-03-11"))
    emu.add_user(BOB, time_zone="Europe/Berlin")
    emu.share_calendar(BOB, ALICE, "reader")
    emu.add_event(BOB, timed("Holiday", "2027-03-11T08:00:00+01:00",
                             "2027-03-11T18:00:00+01:00", eventType="outOfOffice"))
    result = plugin.invoke_tool("find_free_slots", {
        "duration_minutes": 60, "time_min": "2027-03-09T08:00", "time_max": "2027-03-11T18:00",
        "attendees": BOB, "working_hours": "09:00-17:00", "max_results": 50}, oauth_creds)
    assert "Note: Your focus time counts as busy: Tue 2027-03-09 09:00–11:00 +01:00" in (
        result.text)
    assert "Note: bob@example.com is out of office: Thu 2027-03-11 08:00–18:00 +01:00" in (
        result.text)
    starts = [slot["start"][:16] for slot in result.variables["slots"]]
    assert "2027-03-09T09:00" not in starts and "2027-03-09T11:00" in starts
    assert "2027-03-10T09:00" in starts  # the working location blocks nothing
    assert not any(start.startswith("2027-03-11") for start in starts)
