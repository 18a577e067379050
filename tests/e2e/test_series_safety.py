"""Series writes that are safe whatever the history (issue 23), end to end through the plugin
process against the emulator: the user as guest or organizer, occurrences moved across the
split, the same request twice, open-ended series, zones behind and ahead of UTC, hostile
rules."""

from __future__ import annotations

import time

import pytest

from tests.conftest import ALICE
from tests.dify_files import FileServer
from tests.e2e.test_following import WEEKLY_TEN, weekly_series
from tests.e2e.test_write_correctness import BOB, CAROL, fails, live, timed
from tests.emulator import Fault

WRITES = ("POST", "PATCH", "PUT", "DELETE")


def writes_by(emu, since: int = 0) -> list:
    return [r for r in emu.requests[since:]
            if r.method in WRITES and "/events" in r.path]


def notifying(emu, since: int = 0) -> list:
    """Writes that e-mail people: sendUpdates all or externalOnly."""
    return [r for r in writes_by(emu, since)
            if (r.query.get("sendUpdates") or ["none"])[0] != "none"]


def series_on(emu, calendar: str) -> list[dict]:
    return [e for e in emu.stored_events(calendar)
            if e.get("recurrence") and e.get("status") != "cancelled"]


def bobs_weekly(emu, rule: str = WEEKLY_TEN) -> dict:
    """Bob's Monday 14:00 Berlin meeting with Alice and Carol as guests."""
    emu.add_user(BOB, time_zone="Europe/Berlin")
    emu.add_user(CAROL, time_zone="Europe/Berlin")
    return emu.add_event(BOB, timed("Bob's sync", "2026-03-02T14:00:00+01:00",
                                    "2026-03-02T15:00:00+01:00", recurrence=[rule],
                                    attendees=[{"email": BOB}, {"email": ALICE},
                                               {"email": CAROL}]))


# ----------------------------------------------------------------------------- 1. guests


def test_a_guests_shared_change_from_an_occurrence_on_is_refused_before_any_write(
        plugin, emu, oauth_creds):
    series = bobs_weekly(emu)
    before = len(emu.requests)
    message = fails(plugin, oauth_creds, "update_event", {
        "event_id": f"{series['id']}_20260316T130000Z", "scope": "following",
        "summary": "My sync"})
    assert BOB in message and "guest" in message and "reminders" in message
    assert writes_by(emu, before) == []
    assert len(series_on(emu, ALICE)) == 1


def test_a_guests_reminders_change_each_later_occurrence_without_a_new_series(
        plugin, emu, oauth_creds):
    series = bobs_weekly(emu)
    before = len(emu.requests)
    reminders = {"useDefault": False, "overrides": [{"method": "popup", "minutes": 5}]}
    result = plugin.invoke_tool("update_event", {
        "event_id": f"{series['id']}_20260316T130000Z", "scope": "following",
        "reminders": "popup:5"}, oauth_creds)
    assert result.text.startswith("Changed your reminders on 8 occurrences from Mon "
                                  "2026-03-16 on; you are a guest")
    assert notifying(emu, before) == [] and len(series_on(emu, ALICE)) == 1
    assert [r for r in writes_by(emu, before) if r.method == "POST" and not r.batch_part] == []
    listed = plugin.invoke_tool("list_events", {"time_min": "2026-03-01", "time_max":
                                                "2026-05-31"}, oauth_creds)
    got = [e["id"] for e in listed.variables["events"]]
    stored = [emu.get_stored_event(ALICE, i) or {} for i in got]
    assert [s.get("reminders") == reminders for s in stored] == [False] * 2 + [True] * 8
    assert emu.get_stored_event(BOB, series["id"])["recurrence"] == [WEEKLY_TEN]


def test_a_guests_delete_from_an_occurrence_on_is_refused_before_any_write(
        plugin, emu, oauth_creds):
    series = bobs_weekly(emu)
    before = len(emu.requests)
    message = fails(plugin, oauth_creds, "delete_event", {
        "event_id": f"{series['id']}_20260316T130000Z", "scope": "following"})
    assert BOB in message and "respond_to_event" in message
    assert writes_by(emu, before) == []


# ----------------------------------------------------------------------------- 2. moved occurrences


EARLIER = ("20260309T080000Z", "2026-03-19")  # 9 March moved past the split (Thu 19 March)
LATER = ("20260330T070000Z", "2026-03-13")  # 30 March moved before the split (Fri 13 March)


def split_after_a_move(plugin, emu, creds, moved: tuple[str, str], tool: str, **change):
    """Weekly series; one occurrence moved; then ``tool`` with scope=following from Monday
    16 March. Returns the series id, the result and (day, title) of every listed event."""
    sid = weekly_series(emu)["id"]
    occurrence, day = moved
    plugin.invoke_tool("update_event", {
        "event_id": f"{sid}_{occurrence}", "start": f"{day}T09:00", "end": f"{day}T09:30",
        "send_updates": "none"}, creds)
    result = plugin.invoke_tool(tool, {"event_id": f"{sid}_20260316T080000Z",
                                       "scope": "following", **change}, creds)
    listed = plugin.invoke_tool("list_events", {"time_min": "2026-03-01", "time_max":
                                                "2026-06-30"}, creds)
    return sid, result, [(e["start"][:10], e["summary"]) for e in listed.variables["events"]]


def test_an_earlier_occurrence_moved_past_the_split_survives_delete_following(
        plugin, emu, oauth_creds):
    sid, _, events = split_after_a_move(plugin, emu, oauth_creds, EARLIER, "delete_event")
    assert emu.get_stored_event(ALICE, f"{sid}_{EARLIER[0]}").get("status") != "cancelled"
    assert events == [("2026-03-02", "Standup"), ("2026-03-19", "Standup")]


def test_an_earlier_occurrence_moved_past_the_split_stays_with_the_earlier_part(
        plugin, emu, oauth_creds):
    sid, result, events = split_after_a_move(plugin, emu, oauth_creds, EARLIER,
                                             "update_event", summary="Later")
    assert emu.get_stored_event(ALICE, sid)["recurrence"] == [
        "RRULE:FREQ=WEEKLY;BYDAY=MO;UNTIL=20260316T075959Z"]
    assert events[:3] == [("2026-03-02", "Standup"), ("2026-03-16", "Later"),
                          ("2026-03-19", "Standup")]
    assert len(events) == 10 and result.variables["occurrences_changed"] == 8


def test_a_later_occurrence_moved_before_the_split_moves_with_the_new_series(
        plugin, emu, oauth_creds):
    _, result, events = split_after_a_move(plugin, emu, oauth_creds, LATER, "update_event",
                                           summary="Later")
    assert ("2026-03-13", "Later") in events and ("2026-03-30", "Later") not in events
    assert ("2026-03-13", "Standup") not in events and len(events) == 10
    assert result.variables["occurrences_changed"] == 8


def test_a_later_occurrence_moved_before_the_split_goes_with_delete_following(
        plugin, emu, oauth_creds):
    _, _, events = split_after_a_move(plugin, emu, oauth_creds, LATER, "delete_event")
    assert events == [("2026-03-02", "Standup"), ("2026-03-09", "Standup")]


# ----------------------------------------------------------------------------- 3. same id again


def test_a_second_change_with_the_same_occurrence_id_changes_the_new_series(
        plugin, emu, oauth_creds):
    series = weekly_series(emu)
    chosen = {"event_id": f"{series['id']}_20260316T080000Z", "scope": "following"}
    first = plugin.invoke_tool("update_event", {**chosen, "summary": "Later"}, oauth_creds)
    second = plugin.invoke_tool("update_event", {**chosen, "location": "Room 3"}, oauth_creds)
    follower = emu.get_stored_event(ALICE, first.variables["following_series_id"])
    assert follower["location"] == "Room 3" and follower["summary"] == "Later"
    assert "applied to that new series" in second.text
    assert len(series_on(emu, ALICE)) == 2
    assert second.variables["occurrences_changed"] == 8


# ----------------------------------------------------------------------------- 4. answering


def bobs_daily(emu, rule: str) -> dict:
    """Bob's daily 14:00 Berlin check-in with Alice as a guest."""
    emu.add_user(BOB, time_zone="Europe/Berlin")
    return emu.add_event(BOB, timed("Daily", "2026-03-02T14:00:00+01:00",
                                    "2026-03-02T14:15:00+01:00", recurrence=[rule],
                                    attendees=[{"email": BOB}, {"email": ALICE}]))


def declining_from_10_march(series: dict) -> dict:
    return {"event_id": f"{series['id']}_20260310T130000Z", "scope": "following",
            "response": "declined"}


def test_answering_an_open_ended_daily_series_notifies_the_organizer_once(
        plugin, emu, oauth_creds):
    params = declining_from_10_march(bobs_daily(emu, "RRULE:FREQ=DAILY"))
    before = len(emu.requests)
    result = plugin.invoke_tool("respond_to_event", params, oauth_creds)
    assert result.text.startswith("Answered 366 occurrences declined from Tue 2026-03-10 on")
    assert "from 2027-03-11 on" in result.text  # the horizon is stated
    assert len(notifying(emu, before)) == 1
    round_trips = [r for r in emu.requests[before:] if not r.batch_part]
    assert len(round_trips) < 30
    again = len(emu.requests)
    plugin.invoke_tool("respond_to_event", params, oauth_creds)  # a resend: nothing new
    assert writes_by(emu, again) == []


# ----------------------------------------------------------------------------- 5. UNTIL is local


def gym_on(emu, zone: str) -> tuple[str, dict]:
    """An all-day series through 10 March (a date UNTIL) on a calendar in ``zone``."""
    calendar = emu.add_calendar(ALICE, f"Gym {zone}", time_zone=zone)
    return calendar, emu.add_event(calendar, {
        "summary": "Gym", "start": {"date": "2026-03-06"}, "end": {"date": "2026-03-07"},
        "recurrence": ["RRULE:FREQ=DAILY;UNTIL=20260310"]})


def days_on(plugin, creds, calendar: str, summary: str | None = None) -> list[str]:
    listed = plugin.invoke_tool("list_events", {"calendar_ids": calendar, "time_min":
                                                "2026-03-01", "time_max": "2026-03-20"}, creds)
    return [e["start"][:10] for e in listed.variables["events"]
            if summary is None or e["summary"] == summary]


def test_a_date_until_is_local_behind_and_ahead_of_utc(plugin, emu, oauth_creds):
    for zone in ("America/Los_Angeles", "Asia/Tokyo"):
        calendar, series = gym_on(emu, zone)
        result = plugin.invoke_tool("delete_event", {
            "event_id": f"{series['id']}_20260310", "scope": "following",
            "calendar_id": calendar}, oauth_creds)
        assert result.variables["action"] == "deleted", zone
        assert days_on(plugin, oauth_creds, calendar) == [f"2026-03-0{d}" for d in (6, 7, 8, 9)]


def test_changing_the_last_day_of_a_date_until_series_behind_utc_adds_no_second_event(
        plugin, emu, oauth_creds):
    calendar, series = gym_on(emu, "America/Los_Angeles")
    plugin.invoke_tool("update_event", {
        "event_id": f"{series['id']}_20260310", "scope": "following", "summary": "Run",
        "calendar_id": calendar}, oauth_creds)
    days = days_on(plugin, oauth_creds, calendar)
    assert days.count("2026-03-10") == 1
    assert days_on(plugin, oauth_creds, calendar, "Run") == ["2026-03-10"]


# ----------------------------------------------------------------------------- 6. hostile rules


def test_a_rule_that_never_gives_a_date_is_refused_at_once(plugin, emu, oauth_creds):
    before = len(emu.requests)
    began = time.monotonic()
    message = fails(plugin, oauth_creds, "create_event", {
        "summary": "Never", "start": "2026-03-02T09:00", "duration_minutes": 30,
        "recurrence": "RRULE:FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30"})
    assert time.monotonic() - began < 3  # the process round trip included
    assert "gives no date within 100 years" in message
    assert writes_by(emu, before) == []


# ----------------------------------------------------------------------------- also


def test_following_on_a_one_off_event_says_the_scope_did_not_apply(plugin, emu, oauth_creds):
    one = emu.add_event(ALICE, timed("Once", "2026-03-02T09:00:00+01:00",
                                     "2026-03-02T09:30:00+01:00"))
    result = plugin.invoke_tool("update_event", {"event_id": one["id"], "scope": "following",
                                                 "summary": "Still once"}, oauth_creds)
    assert "scope=following did not apply" in result.text
    assert live(emu, ALICE, "Still once")
    result = plugin.invoke_tool("update_event", {"event_id": one["id"], "scope": "series",
                                                 "summary": "Once more"}, oauth_creds)
    assert "scope=series did not apply" in result.text
    for scope in ("following", "series"):
        other = emu.add_event(ALICE, timed(scope, "2026-03-03T09:00:00+01:00",
                                           "2026-03-03T09:30:00+01:00"))
        result = plugin.invoke_tool("delete_event", {"event_id": other["id"], "scope": scope},
                                    oauth_creds)
        assert f"scope={scope} did not apply" in result.text


def test_a_series_longer_than_one_page_is_read_to_its_end(plugin, emu, oauth_creds):
    series = emu.add_event(ALICE, timed("Daily", "2019-01-01T09:00:00+01:00",
                                        "2019-01-01T09:15:00+01:00",
                                        recurrence=["RRULE:FREQ=DAILY;COUNT=3000"]))
    result = plugin.invoke_tool("delete_event", {
        "event_id": f"{series['id']}_20260101T080000Z", "scope": "following"}, oauth_creds)
    # 2019-01-01 .. 2025-12-31 is 2557 days: more than Google's page of 2500.
    assert result.variables["occurrences_unchanged"] == 2557


def test_answering_a_series_that_fails_halfway_says_how_far_and_a_resend_finishes(
        plugin, emu, oauth_creds):
    params = declining_from_10_march(bobs_daily(emu, "RRULE:FREQ=DAILY;COUNT=30"))
    emu.inject_fault(Fault(method="PATCH", path_regex="_20260320T130000Z", status=400,
                           reason="invalid", times=None))
    message = fails(plugin, oauth_creds, "respond_to_event", params)
    assert "Answered 21 of 22 occurrences from Tue 2026-03-10 on" in message
    assert "Call again with the same parameters" in message
    emu.clear_faults()
    before = len(emu.requests)
    again = plugin.invoke_tool("respond_to_event", params, oauth_creds)
    assert again.text.startswith("Answered 22 occurrences declined")
    assert len(writes_by(emu, before)) == 1 and notifying(emu, before) == []


SECONDLY_FILE = (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//y//EN\r\nBEGIN:VEVENT\r\n"
                 b"UID:s@x\r\nDTSTART:20260101T000000Z\r\nDTEND:20260101T000001Z\r\n"
                 b"RRULE:FREQ=SECONDLY\r\nSUMMARY:s\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:s@x\r\n"
                 b"RECURRENCE-ID;RANGE=THISANDFUTURE:20660101T000000Z\r\n"
                 b"DTSTART:20660101T000000Z\r\nDTEND:20660101T000001Z\r\nSUMMARY:t\r\n"
                 b"END:VEVENT\r\nEND:VCALENDAR\r\n")


@pytest.mark.parametrize("dry_run", [True, False])
def test_a_327_byte_file_with_a_secondly_rule_is_refused_at_once(plugin, emu, oauth_creds,
                                                                 dry_run):
    """Issue 28 item 8: before, the dry run walked billions of occurrences (hours). Now the
    series is skipped with its reason as it is read, and so is its orphaned override."""
    assert len(SECONDLY_FILE) < 400
    before = len(emu.requests)
    began = time.monotonic()
    with FileServer() as files:
        answer = plugin.invoke_tool("import_events_ics", {
            "file": files.parameter("hostile.ics", SECONDLY_FILE), "dry_run": dry_run},
            oauth_creds)
    assert time.monotonic() - began < 3  # the process round trip included
    assert "at most daily" in answer.text and writes_by(emu, before) == []


def test_a_guests_reminders_change_that_fails_halfway_is_finished_by_a_resend(
        plugin, emu, oauth_creds):
    series = bobs_weekly(emu)
    emu.inject_fault(Fault(method="PATCH", path_regex="_20260330T120000Z", status=400,
                           reason="invalid", times=None))
    params = {"event_id": f"{series['id']}_20260316T130000Z", "scope": "following",
              "reminders": "popup:5"}
    message = fails(plugin, oauth_creds, "update_event", params)
    assert "Changed 7 of 8 occurrences from Mon 2026-03-16 on" in message
    emu.clear_faults()
    before = len(emu.requests)
    plugin.invoke_tool("update_event", params, oauth_creds)
    assert len(writes_by(emu, before)) == 1 and notifying(emu, before) == []
    assert len(series_on(emu, ALICE)) == 1


def test_a_split_that_fails_while_carrying_an_exception_is_finished_by_a_resend(
        plugin, emu, oauth_creds):
    """Insert, end, carry: a failure in the last step leaves the original ended (one series
    per occurrence); the resend inserts nothing and finishes the carry."""
    sid = weekly_series(emu)["id"]
    plugin.invoke_tool("update_event", {"event_id": f"{sid}_20260330T070000Z",
                                        "summary": "Special"}, oauth_creds)
    emu.inject_fault(Fault(method="DELETE", path_regex="_20260330T070000Z", status=400,
                           reason="invalid", times=1))
    params = {"event_id": f"{sid}_20260316T080000Z", "scope": "following", "location": "R2"}
    fails(plugin, oauth_creds, "update_event", params)
    assert emu.get_stored_event(ALICE, sid)["recurrence"] == [
        "RRULE:FREQ=WEEKLY;BYDAY=MO;UNTIL=20260316T075959Z"]
    before = len(emu.requests)
    plugin.invoke_tool("update_event", params, oauth_creds)
    assert [r for r in writes_by(emu, before) if r.method == "POST"] == []
    assert len(series_on(emu, ALICE)) == 2
    listed = plugin.invoke_tool("list_events", {"time_min": "2026-03-01", "time_max":
                                                "2026-06-30"}, oauth_creds)
    assert [e["start"][:10] for e in listed.variables["events"]].count("2026-03-30") == 1
    assert len(listed.variables["events"]) == 10
