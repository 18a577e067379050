"""Read tools end to end: the real plugin process, the Dify protocol, the Google emulator."""

from __future__ import annotations

import pytest

from tests.plugin_process import PluginInvokeError

ALICE = "alice@example.com"
HOLIDAYS = "en.german#holiday@group.v.calendar.google.com"


def timed(summary, start, end, zone="Europe/Berlin", **extra):
    return {
        "summary": summary,
        "start": {"dateTime": start, "timeZone": zone},
        "end": {"dateTime": end, "timeZone": zone},
        **extra,
    }


def events_requests(emu):
    return [r for r in emu.requests if r.method == "GET" and r.path.endswith("/events")]


def test_current_time_uses_primary_calendar_zone(plugin, emu, oauth_creds):
    result = plugin.invoke_tool("get_current_time", {}, oauth_creds)
    assert result.variables["time_zone"] == "Europe/Berlin"
    assert result.variables["utc_offset"] in ("+01:00", "+02:00")
    assert "Europe/Berlin" in result.text


def test_current_time_in_requested_zone_and_bad_zone(plugin, emu, oauth_creds):
    result = plugin.invoke_tool("get_current_time", {"time_zone": "Asia/Tokyo"}, oauth_creds)
    assert result.variables["utc_offset"] == "+09:00"
    with pytest.raises(PluginInvokeError) as error:
        plugin.invoke_tool("get_current_time", {"time_zone": "Mars/Olympus"}, oauth_creds)
    assert "time_zone" in error.value.message


def test_list_calendars_shows_roles_and_hash_ids(plugin, emu, oauth_creds):
    emu.add_calendar("bob@example.com", "German holidays", calendar_id=HOLIDAYS,
                     time_zone="Europe/Berlin")
    emu.share_calendar(HOLIDAYS, ALICE, role="reader")
    team = emu.add_calendar(ALICE, "Team", time_zone="Europe/Berlin")
    result = plugin.invoke_tool("list_calendars", {}, oauth_creds)
    ids = {c["id"]: c for c in result.variables["calendars"]}
    assert ids[ALICE]["primary"] is True
    assert ids[HOLIDAYS]["access_role"] == "reader"
    assert ids[team]["access_role"] == "owner"
    assert f"id:{HOLIDAYS}" in result.text
    writers = plugin.invoke_tool("list_calendars", {"min_access_role": "writer"}, oauth_creds)
    assert HOLIDAYS not in {c["id"] for c in writers.variables["calendars"]}


def test_calendar_id_with_hash_is_encoded(plugin, emu, oauth_creds):
    emu.add_calendar("bob@example.com", "German holidays", calendar_id=HOLIDAYS,
                     time_zone="Europe/Berlin")
    emu.share_calendar(HOLIDAYS, ALICE, role="reader")
    emu.add_event(HOLIDAYS, {"summary": "Easter Monday", "start": {"date": "2026-04-06"},
                             "end": {"date": "2026-04-07"}})
    result = plugin.invoke_tool(
        "list_events",
        {"calendar_ids": HOLIDAYS, "time_min": "2026-04-01", "time_max": "2026-04-30"},
        oauth_creds,
    )
    assert "Easter Monday" in result.text
    assert "Mon 2026-04-06 +02:00\nall-day Easter Monday [" in result.text
    assert any("%23holiday" in r.raw_path for r in events_requests(emu))


def test_naive_times_use_time_zone_parameter(plugin, emu, oauth_creds):
    plugin.invoke_tool(
        "list_events",
        {"time_min": "2026-03-10 09:00", "time_max": "2026-03-10T17:30",
         "time_zone": "America/New_York"},
        oauth_creds,
    )
    query = events_requests(emu)[-1].query
    assert query["timeMin"] == ["2026-03-10T09:00:00-04:00"]
    assert query["timeMax"] == ["2026-03-10T17:30:00-04:00"]
    assert query["timeZone"] == ["America/New_York"]


def test_day_window_across_dst_change(plugin, emu, oauth_creds):
    emu.add_event(ALICE, timed("Early", "2026-03-29T01:30:00+01:00", "2026-03-29T03:30:00+02:00"))
    emu.add_event(ALICE, timed("Late", "2026-03-29T22:00:00+02:00", "2026-03-29T23:00:00+02:00"))
    emu.add_event(ALICE, timed("Next day", "2026-03-30T00:30:00+02:00",
                               "2026-03-30T01:00:00+02:00"))
    result = plugin.invoke_tool(
        "list_events", {"time_min": "2026-03-29", "time_max": "2026-03-29"}, oauth_creds
    )
    query = events_requests(emu)[-1].query
    assert query["timeMin"] == ["2026-03-29T00:00:00+01:00"]
    assert query["timeMax"] == ["2026-03-30T00:00:00+02:00"]
    assert [e["summary"] for e in result.variables["events"]] == ["Early", "Late"]
    assert "Sun 2026-03-29 +02:00\n01:30+01:00–03:30 Early [" in result.text


def test_pagination_round_trips_without_loss(plugin, emu, oauth_creds):
    emu.page_quirks = True
    for day in range(1, 8):
        emu.add_event(ALICE, timed(f"Standup {day}", f"2026-05-0{day}T09:00:00+02:00",
                                   f"2026-05-0{day}T09:15:00+02:00"))
    params = {"time_min": "2026-05-01", "time_max": "2026-05-31", "max_results": 3}
    seen, pages = [], 0
    while True:
        result = plugin.invoke_tool("list_events", params, oauth_creds)
        seen += [e["summary"] for e in result.variables["events"]]
        pages += 1
        token = result.variables.get("next_page_token")
        if not token:
            break
        assert result.text.endswith(f"More events: page_token={token}\n")
        params = {**params, "page_token": token}
        assert pages < 10
    assert seen == [f"Standup {d}" for d in range(1, 8)]


def test_several_calendars_merge_in_start_order(plugin, emu, oauth_creds):
    team = emu.add_calendar(ALICE, "Team Events", time_zone="Europe/Berlin")
    emu.add_event(ALICE, timed("Mine 1", "2026-06-01T10:00:00+02:00", "2026-06-01T11:00:00+02:00"))
    emu.add_event(team, timed("Team 1", "2026-06-01T09:00:00+02:00", "2026-06-01T09:30:00+02:00"))
    emu.add_event(ALICE, timed("Mine 2", "2026-06-02T10:00:00+02:00", "2026-06-02T11:00:00+02:00"))
    emu.add_event(team, timed("Team 2", "2026-06-01T12:00:00+02:00", "2026-06-01T13:00:00+02:00"))
    params = {"calendar_ids": "primary, Team Events", "time_min": "2026-06-01",
              "time_max": "2026-06-03", "max_results": 2}
    first = plugin.invoke_tool("list_events", params, oauth_creds)
    assert [e["summary"] for e in first.variables["events"]] == ["Team 1", "Mine 1"]
    # Each calendar is named once in a legend; lines carry its short alias.
    assert f"c2 Team Events [{team}]" in first.text
    assert any(line.startswith("09:00–09:30 Team 1 [") and " c2]" in line
               for line in first.text.splitlines())
    second = plugin.invoke_tool(
        "list_events", {**params, "page_token": first.variables["next_page_token"]}, oauth_creds
    )
    assert [e["summary"] for e in second.variables["events"]] == ["Team 2", "Mine 2"]


def test_all_calendars_and_partial_failure(plugin, emu, oauth_creds):
    team = emu.add_calendar(ALICE, "Team", time_zone="Europe/Berlin")
    emu.add_event(team, timed("Team sync", "2026-06-01T09:00:00+02:00",
                              "2026-06-01T09:30:00+02:00"))
    result = plugin.invoke_tool(
        "list_events",
        {"calendar_ids": f"{team}, missing@group.calendar.google.com",
         "time_min": "2026-06-01", "time_max": "2026-06-02"},
        oauth_creds,
    )
    assert "Team sync" in result.text
    assert "missing@group.calendar.google.com" in result.variables["warnings"][0]
    everything = plugin.invoke_tool(
        "list_events", {"calendar_ids": "all", "time_min": "2026-06-01",
                        "time_max": "2026-06-02"}, oauth_creds
    )
    assert "Team sync" in everything.text
    with pytest.raises(PluginInvokeError):
        plugin.invoke_tool(
            "list_events", {"calendar_ids": "missing@group.calendar.google.com"}, oauth_creds
        )


def test_unknown_calendar_name_lists_known_ones(plugin, emu, oauth_creds):
    emu.add_calendar(ALICE, "Family", time_zone="Europe/Berlin")
    with pytest.raises(PluginInvokeError) as error:
        plugin.invoke_tool("list_events", {"calendar_ids": "Work stuff"}, oauth_creds)
    assert "calendar_ids" in error.value.message
    assert "Family" in error.value.message


def test_declined_hidden_unless_requested_and_recurring_expanded(plugin, emu, oauth_creds):
    emu.add_user("bob@example.com", time_zone="Europe/Berlin")
    emu.add_event(ALICE, {
        **timed("Bob's pitch", "2026-06-03T10:00:00+02:00", "2026-06-03T11:00:00+02:00"),
        "organizer": {"email": "bob@example.com"},
        "attendees": [{"email": "bob@example.com", "organizer": True,
                       "responseStatus": "accepted"},
                      {"email": ALICE, "responseStatus": "declined"}],
    })
    emu.add_event(ALICE, {
        **timed("Weekly 1:1", "2026-06-01T15:00:00+02:00", "2026-06-01T15:30:00+02:00"),
        "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=3"],
    })
    window = {"time_min": "2026-06-01", "time_max": "2026-06-30"}
    result = plugin.invoke_tool("list_events", window, oauth_creds)
    summaries = [e["summary"] for e in result.variables["events"]]
    assert summaries == ["Weekly 1:1"] * 3
    assert all(e["recurring"] for e in result.variables["events"])
    with_declined = plugin.invoke_tool("list_events", {**window, "include_declined": True},
                                       oauth_creds)
    assert "you:declined" in with_declined.text
    assert "by bob@example.com" in with_declined.text


def test_get_event_in_full_and_not_found(plugin, emu, oauth_creds):
    stored = emu.add_event(ALICE, {
        **timed("Design review", "2026-06-04T14:00:00+02:00", "2026-06-04T15:00:00+02:00"),
        "description": "Bring the mock-ups",
        "location": "Room 4",
        "attendees": [{"email": ALICE, "responseStatus": "accepted"},
                      {"email": "carol@example.com", "optional": True}],
        "colorId": "2",
        "reminders": {"useDefault": False, "overrides": [{"method": "popup", "minutes": 10}]},
    })
    result = plugin.invoke_tool("get_event", {"event_id": stored["id"]}, oauth_creds)
    assert "Bring the mock-ups" in result.text
    assert "carol@example.com (optional, needsAction)" in result.text
    assert "color: Sage" in result.text
    assert "reminders: popup:10" in result.text
    event = result.variables["event"]
    assert event["start"] == "2026-06-04T14:00:00+02:00"
    assert event["calendar_id"] == "primary"
    with pytest.raises(PluginInvokeError) as error:
        plugin.invoke_tool("get_event", {"event_id": "doesnotexist1"}, oauth_creds)
    assert "not found" in error.value.message.lower()


def test_all_day_event_end_is_shown_inclusively(plugin, emu, oauth_creds):
    emu.add_event(ALICE, {"summary": "Conference", "start": {"date": "2026-07-06"},
                          "end": {"date": "2026-07-09"}})
    result = plugin.invoke_tool(
        "list_events", {"time_min": "2026-07-01", "time_max": "2026-07-31"}, oauth_creds
    )
    assert "all-day to Wed 2026-07-08 Conference [" in result.text
    event = result.variables["events"][0]
    assert event["end"] == "2026-07-09" and event["end_inclusive"] == "2026-07-08"


def test_agent_view_is_compact_text_only(plugin, emu, oauth_creds):
    for day in range(1, 6):
        emu.add_event(ALICE, timed(f"Focus {day}", f"2026-08-0{day}T09:00:00+02:00",
                                   f"2026-08-0{day}T11:00:00+02:00"))
    result = plugin.invoke_tool(
        "list_events", {"time_min": "2026-08-01", "time_max": "2026-08-10"}, oauth_creds
    )
    assert result.agent_view.strip() == result.text.strip()
    lines = result.text.splitlines()
    assert len(lines) == 11  # summary, then a heading and an event per day
    assert lines[1:3] == ["Sat 2026-08-01 +02:00", lines[2]]
    assert lines[2].startswith("09:00–11:00 Focus 1 [")


def test_page_token_keeps_the_search_text(plugin, emu, oauth_creds):
    for day in range(1, 6):
        emu.add_event(ALICE, timed(f"Dentist {day}", f"2026-09-0{day}T09:00:00+02:00",
                                   f"2026-09-0{day}T09:30:00+02:00"))
        emu.add_event(ALICE, timed(f"Gym {day}", f"2026-09-0{day}T18:00:00+02:00",
                                   f"2026-09-0{day}T19:00:00+02:00"))
    window = {"time_min": "2026-09-01", "time_max": "2026-09-30", "max_results": 2}
    first = plugin.invoke_tool("list_events", {**window, "query": "dentist"}, oauth_creds)
    token = first.variables["next_page_token"]
    # A model often drops the other parameters when it pages: the token keeps them.
    second = plugin.invoke_tool("list_events", {"page_token": token}, oauth_creds)
    assert [e["summary"] for e in second.variables["events"]] == ["Dentist 3", "Dentist 4",
                                                                 "Dentist 5"]
    assert events_requests(emu)[-1].query["q"] == ["dentist"]
    with pytest.raises(PluginInvokeError) as error:
        plugin.invoke_tool("list_events", {"page_token": token[:-3] + "~~~"}, oauth_creds)
    assert "page_token" in error.value.message


def test_naive_times_use_the_users_zone_whichever_calendar_is_listed(plugin, emu, oauth_creds):
    """People mean their own time (issue 11, item 5): 09:00 on a New York calendar is 09:00
    where the user (Berlin) is, as in Google Calendar's UI. The emulator already behaves like
    Google here; the rule is the plugin's."""
    nyc = emu.add_calendar(ALICE, "New York office", time_zone="America/New_York")
    plugin.invoke_tool("list_events", {"calendar_ids": nyc, "time_min": "2026-03-10 09:00",
                                       "time_max": "2026-03-10 17:00"}, oauth_creds)
    query = events_requests(emu)[-1].query
    assert query["timeMin"] == ["2026-03-10T09:00:00+01:00"]
    assert query["timeZone"] == ["Europe/Berlin"]
    plugin.invoke_tool("list_events", {"calendar_ids": nyc, "time_min": "2026-03-10 09:00",
                                       "time_zone": "America/New_York"}, oauth_creds)
    assert events_requests(emu)[-1].query["timeMin"] == ["2026-03-10T09:00:00-04:00"]
