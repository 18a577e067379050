"""Everyday requests as a model in a Dify agent app makes them, end to end (the real plugin
process against the emulator). Each test is one request from one persona and checks what the
model (or a workflow reading output variables) gets back, not only what Google stored."""

from __future__ import annotations

import pytest

from tests.conftest import ALICE
from tests.plugin_process import PluginInvokeError

BOB = "bob@example.com"
CAROL = "carol@example.com"


def timed(summary: str, start: str, end: str, zone: str = "Europe/Berlin", **extra) -> dict:
    return {"summary": summary, "start": {"dateTime": start, "timeZone": zone},
            "end": {"dateTime": end, "timeZone": zone}, **extra}


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
