"""One successful call of every tool through the real plugin process, shared by the host tests.

Each call is made once per test session (module-scoped) against a freshly seeded emulator, so
every Dify reader in readers.py is checked on exactly what the plugin really sent.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import ALICE, ALICE_TIME_ZONE, TEST_CLIENT_ID, TEST_CLIENT_SECRET
from tests.dify_files import FileServer
from tests.plugin_process import ToolResult

BOB = "bob@example.com"
TOOLS = sorted(path.stem for path in (Path(__file__).resolve().parents[2] / "tools").glob("*.yaml"))


def _timed(summary: str, start: datetime, minutes: int = 60, **extra: Any) -> dict[str, Any]:
    end = start + timedelta(minutes=minutes)
    return {"summary": summary,
            "start": {"dateTime": start.isoformat(), "timeZone": ALICE_TIME_ZONE},
            "end": {"dateTime": end.isoformat(), "timeZone": ALICE_TIME_ZONE}, **extra}


def _seed(emu: Any) -> dict[str, Any]:
    emu.reset()
    emu.add_user(ALICE, time_zone=ALICE_TIME_ZONE)
    emu.add_user(BOB, time_zone=ALICE_TIME_ZONE)
    emu.register_client(TEST_CLIENT_ID, TEST_CLIENT_SECRET)
    tomorrow = (datetime.now(ZoneInfo(ALICE_TIME_ZONE)) + timedelta(days=1)).replace(
        hour=9, minute=0, second=0, microsecond=0)
    seeded = {name: emu.add_event(ALICE, _timed(name, tomorrow + timedelta(hours=offset)))
              for offset, name in enumerate(("Standup", "Review", "Retro", "Planning", "1:1"))}
    seeded["party"] = emu.add_event(BOB, _timed("Party", tomorrow + timedelta(hours=9), attendees=[
        {"email": BOB, "responseStatus": "accepted"}, {"email": ALICE}]))
    seeded["team"] = emu.add_calendar(ALICE, "Team", time_zone=ALICE_TIME_ZONE)
    seeded["start"] = (tomorrow + timedelta(days=1)).isoformat(timespec="minutes")
    return seeded


_INVITATION = "\r\n".join([
    "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//host test//EN", "METHOD:REQUEST",
    "BEGIN:VEVENT", "UID:host-invitation@example.com", "DTSTAMP:20260101T000000Z",
    "DTSTART;TZID=W. Europe Standard Time:{start}", "DURATION:PT45M", "SUMMARY:Vendor demo",
    "ORGANIZER;CN=Anna:mailto:anna@example.com", "ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:" + ALICE,
    "END:VEVENT", "END:VCALENDAR", ""])


def _parameters(seeded: dict[str, Any], files: FileServer) -> dict[str, dict[str, Any]]:
    start = datetime.fromisoformat(seeded["start"]).strftime("%Y%m%dT%H%M%S")
    invitation = _INVITATION.format(start=start).encode()
    return {
        "import_events_ics": {"file": files.parameter("invite.ics", invitation)},
        "create_event": {"summary": "Design review", "start": seeded["start"]},
        "delete_event": {"event_id": seeded["Retro"]["id"]},
        "export_events_ics": {},
        "find_free_slots": {"duration_minutes": 30},
        "get_current_time": {},
        "get_event": {"event_id": seeded["Standup"]["id"]},
        "list_calendars": {},
        "list_events": {},
        "move_event": {"event_id": seeded["Planning"]["id"], "destination_calendar_id": "Team"},
        "quick_add_event": {"text": "Lunch with Anna tomorrow at 12:30"},
        "respond_to_event": {"event_id": seeded["party"]["id"], "response": "accepted"},
        "update_event": {"event_id": seeded["Review"]["id"], "summary": "Code review"},
    }


@pytest.fixture(scope="module")
def every_tool(emulator: Any, plugin: Any) -> dict[str, ToolResult]:
    """``{tool name: ToolResult}`` of one successful call per tool (list_events before the
    writes, so it sees the six seeded events)."""
    seeded = _seed(emulator)
    credentials = {"access_token": emulator.issue_token(ALICE),
                   "refresh_token": emulator.issue_refresh_token(ALICE, TEST_CLIENT_ID)}
    with FileServer() as files:
        parameters = _parameters(seeded, files)
        missing = set(TOOLS) - set(parameters)
        assert not missing, f"add a host scenario for {sorted(missing)}"
        order = ["list_events", *sorted(set(TOOLS) - {"list_events"})]
        return {tool: plugin.invoke_tool(tool, parameters[tool], credentials) for tool in order}
