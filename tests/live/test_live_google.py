"""Optional checks against the real Google Calendar API.

Skipped unless these are set (see docs/testing.md, "Live tests"):
  GOOGLE_CALENDAR_LIVE_CLIENT_ID, GOOGLE_CALENDAR_LIVE_CLIENT_SECRET,
  GOOGLE_CALENDAR_LIVE_REFRESH_TOKEN
and, to also create and delete one event on the primary calendar, GOOGLE_CALENDAR_LIVE_WRITE=1.
"""

from __future__ import annotations

import os
import uuid

import pytest

from tests.plugin_process import PluginProcess

NAMES = ("CLIENT_ID", "CLIENT_SECRET", "REFRESH_TOKEN")
VALUES = {name: os.environ.get(f"GOOGLE_CALENDAR_LIVE_{name}", "") for name in NAMES}

pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(not all(VALUES.values()), reason="no live Google credentials set"),
]


@pytest.fixture(scope="module")
def live_plugin():
    with PluginProcess(emulator_host=None) as process:
        yield process


@pytest.fixture(scope="module")
def creds():
    return {
        "client_id": VALUES["CLIENT_ID"],
        "client_secret": VALUES["CLIENT_SECRET"],
        "refresh_token": VALUES["REFRESH_TOKEN"],
    }


def call(plugin, tool, params, creds):
    return plugin.invoke_tool(tool, params, creds, credential_type="api-key")


def test_live_validation_and_reads(live_plugin, creds):
    live_plugin.validate_credentials(creds)
    now = call(live_plugin, "get_current_time", {}, creds)
    assert now.variables["time_zone"]
    calendars = call(live_plugin, "list_calendars", {}, creds)
    assert any(c.get("primary") for c in calendars.variables["calendars"])
    events = call(live_plugin, "list_events", {"time_min": "today"}, creds)
    assert "events" in events.variables


WRITES = os.environ.get("GOOGLE_CALENDAR_LIVE_WRITE") == "1"
ACCOUNT = os.environ.get("GOOGLE_CALENDAR_LIVE_ACCOUNT", "me@invalid")  # the user's address


@pytest.mark.skipif(not WRITES, reason="writes not enabled")
def test_live_create_and_delete(live_plugin, creds):
    key = f"live-{uuid.uuid4()}"
    params = {"summary": "Dify plugin live test", "start": "tomorrow", "all_day": True,
              "idempotency_key": key}
    created = call(live_plugin, "create_event", params, creds)
    event_id = created.variables["event"]["id"]
    again = call(live_plugin, "create_event", params, creds)
    assert again.variables["event"]["id"] == event_id
    call(live_plugin, "delete_event", {"event_id": event_id, "send_updates": "none"}, creds)


@pytest.mark.skipif(not WRITES, reason="writes not enabled")
def test_live_import_is_idempotent_updates_and_cancels(live_plugin, creds):
    """Checks what the emulator models of events.import and /batch against real Google."""
    from datetime import date, timedelta

    from tests.dify_files import FileServer

    day = date.today() + timedelta(days=2)
    uid = f"live-{uuid.uuid4()}@dify-plugin.test"

    def ics(sequence: int, title: str, method: str = "PUBLISH") -> bytes:
        return "\r\n".join([
            "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//live//test//EN", f"METHOD:{method}",
            "BEGIN:VEVENT", f"UID:{uid}", "DTSTAMP:20260101T000000Z",
            f"DTSTART;VALUE=DATE:{day:%Y%m%d}", f"SEQUENCE:{sequence}", f"SUMMARY:{title}",
            "END:VEVENT", "END:VCALENDAR", ""]).encode()

    with FileServer() as files:
        def run(content):
            return call(live_plugin, "import_events_ics",
                        {"file": files.parameter(f"{uuid.uuid4()}.ics", content)}, creds)

        assert len(run(ics(0, "Dify live import")).variables["imported"]) == 1
        assert len(run(ics(0, "Dify live import")).variables["unchanged"]) == 1
        assert len(run(ics(1, "Dify live import v2")).variables["updated"]) == 1
        cancelled = run(ics(2, "Dify live import v2", method="CANCEL"))
        assert cancelled.variables["updated"][0]["change"] == "cancelled"


@pytest.mark.skipif(not WRITES, reason="writes not enabled")
def test_live_import_of_someone_elses_invitation_updates_and_restores(live_plugin, creds):
    """The plugin's answers must not depend on what docs/google-behaviour.md lists as not
    settled: a newer version of someone else's invitation is applied, the same file after a
    delete leaves it deleted, a newer one restores it."""
    from datetime import date, timedelta

    from tests.dify_files import FileServer

    day = date.today() + timedelta(days=3)
    uid = f"live-{uuid.uuid4()}@dify-plugin.test"

    def ics(sequence: int, title: str) -> bytes:
        return "\r\n".join([
            "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//live//test//EN", "METHOD:REQUEST",
            "BEGIN:VEVENT", f"UID:{uid}", "DTSTAMP:20260101T000000Z",
            f"DTSTART:{day:%Y%m%d}T090000Z", f"DTEND:{day:%Y%m%d}T100000Z",
            "ORGANIZER;CN=Organizer:mailto:organizer@dify-plugin.test",
            f"ATTENDEE;PARTSTAT=ACCEPTED:mailto:{ACCOUNT}",
            f"SEQUENCE:{sequence}", f"SUMMARY:{title}", "END:VEVENT", "END:VCALENDAR",
            ""]).encode()

    with FileServer() as files:
        def run(content):
            return call(live_plugin, "import_events_ics",
                        {"file": files.parameter(f"{uuid.uuid4()}.ics", content)}, creds)

        [first] = run(ics(0, "Dify live invitation")).variables["imported"]
        updated = run(ics(1, "Dify live invitation v2"))
        assert len(updated.variables["updated"]) == 1, updated.text
        call(live_plugin, "delete_event", {"event_id": first["event_id"],
                                           "send_updates": "none"}, creds)
        left = run(ics(1, "Dify live invitation v2"))
        assert "left deleted" in left.variables["unchanged"][0]["reason"], left.text
        restored = run(ics(9, "Dify live invitation v3"))
        assert len(restored.variables["updated"]) == 1, restored.text
        call(live_plugin, "delete_event", {"event_id": first["event_id"],
                                           "send_updates": "none"}, creds)
