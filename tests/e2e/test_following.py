"""scope=following (issue 14), end to end through the plugin process against the emulator.

Google Calendar's own "this and following events" ends the series before the occurrence
(RRULE UNTIL, RFC 5545 3.3.10: UTC for timed series, a DATE for all-day ones) and starts a new
series there; the emulator expands both with dateutil in the event's zone (DST-correct).
"""

from __future__ import annotations

from tests.conftest import ALICE
from tests.e2e.test_write_correctness import (
    BOB,
    CAROL,
    FAST_ENV,
    fails,
    live,
    requests_of,
    timed,
)
from tests.emulator import Fault

WEEKLY_TEN = "RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=10"


def weekly_series(emu, rule: str = WEEKLY_TEN, **extra) -> dict:
    """Mondays 09:00 Berlin from 2026-03-02; Berlin moves to summer time on 2026-03-29."""
    return emu.add_event(ALICE, timed("Standup", "2026-03-02T09:00:00+01:00",
                                      "2026-03-02T09:30:00+01:00", recurrence=[rule], **extra))


def occurrences(plugin, creds, series_ids: set[str], summary: str | None = None) -> list[dict]:
    listed = plugin.invoke_tool("list_events", {"time_min": "2026-03-01", "time_max":
                                                "2026-06-30", "max_results": 100}, creds)
    return [e for e in listed.variables["events"]
            if e.get("recurring_event_id") in series_ids
            and (summary is None or e["summary"] == summary)]


def test_change_from_an_occurrence_after_the_dst_switch(plugin, emu, oauth_creds):
    series = weekly_series(emu)
    chosen = f"{series['id']}_20260406T070000Z"  # Mon 6 April 09:00 +02:00
    result = plugin.invoke_tool("update_event", {
        "event_id": chosen, "scope": "following", "summary": "Standup v2",
        "start": "2026-04-06T10:00"}, oauth_creds)
    assert result.text.startswith(
        "Changed 5 occurrences from Mon 2026-04-06 on; the earlier 5 are unchanged.")
    out = result.variables
    assert out["earlier_series_id"] == series["id"]
    follower = emu.get_stored_event(ALICE, out["following_series_id"])
    assert out["occurrences_changed"] == 5 and out["occurrences_unchanged"] == 5
    # Just before the chosen occurrence, in UTC; COUNT dropped (UNTIL and COUNT exclude
    # each other).
    assert emu.get_stored_event(ALICE, series["id"])["recurrence"] == [
        "RRULE:FREQ=WEEKLY;BYDAY=MO;UNTIL=20260406T065959Z"]
    assert follower["recurrence"] == ["RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=5"]
    assert follower["start"] == {"dateTime": "2026-04-06T10:00:00+02:00",
                                 "timeZone": "Europe/Berlin"}
    events = occurrences(plugin, oauth_creds, {series["id"], follower["id"]})
    starts = [(e["summary"], e["start"]) for e in events]
    assert starts[:5] == [("Standup", f"2026-03-{day}T09:00:00+01:00")
                          for day in ("02", "09", "16", "23")] + [
        ("Standup", "2026-03-30T09:00:00+02:00")]
    assert starts[5:] == [("Standup v2", f"2026-{day}T10:00:00+02:00") for day in
                          ("04-06", "04-13", "04-20", "04-27", "05-04")]


def test_a_resend_does_not_split_twice(plugin, emu, oauth_creds):
    series = weekly_series(emu, "RRULE:FREQ=WEEKLY;BYDAY=MO")
    params = {"event_id": f"{series['id']}_20260316T080000Z", "scope": "following",
              "location": "Room 2"}
    first = plugin.invoke_tool("update_event", params, oauth_creds)
    inserts = len(requests_of(emu, "POST"))
    again = plugin.invoke_tool("update_event", params, oauth_creds)
    assert len(requests_of(emu, "POST")) == inserts
    assert again.variables["following_series_id"] == first.variables["following_series_id"]
    assert "not split twice" in again.text
    assert len([e for e in emu.stored_events(ALICE) if e.get("recurrence")]) == 2
    assert first.text.startswith("Changed every occurrence from Mon 2026-03-16 on; the "
                                 "earlier 2 are unchanged.")


def test_a_resend_after_only_the_new_series_was_stored_finishes_the_split(plugin, emu,
                                                                          oauth_creds):
    """The new series goes in first; a lost answer before the original is shortened leaves
    both running: the resend shortens the original and inserts nothing."""
    series = weekly_series(emu)
    params = {"event_id": f"{series['id']}_20260316T080000Z", "scope": "following",
              "summary": "Later standup"}
    plugin.invoke_tool("update_event", params, oauth_creds)
    emu.state.calendars[ALICE].events[series["id"]]["recurrence"] = [WEEKLY_TEN]  # undo
    again = plugin.invoke_tool("update_event", params, oauth_creds)
    assert emu.get_stored_event(ALICE, series["id"])["recurrence"] == [
        "RRULE:FREQ=WEEKLY;BYDAY=MO;UNTIL=20260316T075959Z"]
    assert len(live(emu, ALICE, "Later standup")) == 1
    assert again.variables["occurrences_changed"] == 8


def test_weekday_change_shifts_byday_of_the_new_series_only(plugin, emu, oauth_creds):
    series = weekly_series(emu)
    result = plugin.invoke_tool("update_event", {
        "event_id": f"{series['id']}_20260316T080000Z", "scope": "following",
        "start": "2026-03-17T09:00"}, oauth_creds)
    follower = emu.get_stored_event(ALICE, result.variables["following_series_id"])
    assert follower["recurrence"] == ["RRULE:FREQ=WEEKLY;BYDAY=TU;COUNT=8"]
    assert emu.get_stored_event(ALICE, series["id"])["recurrence"][0].startswith(
        "RRULE:FREQ=WEEKLY;BYDAY=MO;")


def test_guests_answers_reminders_and_exceptions_carry_over(plugin, emu, oauth_creds):
    series = weekly_series(emu, attendees=[{"email": BOB, "responseStatus": "accepted"},
                                           {"email": CAROL}],
                           reminders={"useDefault": False,
                                      "overrides": [{"method": "popup", "minutes": 3}]})
    sid = series["id"]
    # Occurrence 4 (23 March) cancelled, occurrence 5 (30 March) retitled: both after the
    # split at 16 March; occurrence 2 (9 March) retitled, before it.
    plugin.invoke_tool("delete_event", {"event_id": f"{sid}_20260323T080000Z",
                                        "send_updates": "none"}, oauth_creds)
    for day in ("20260330T070000Z", "20260309T080000Z"):
        plugin.invoke_tool("update_event", {"event_id": f"{sid}_{day}", "summary": "Special",
                                            "send_updates": "none"}, oauth_creds)
    result = plugin.invoke_tool("update_event", {
        "event_id": f"{sid}_20260316T080000Z", "scope": "following", "location": "Room 9",
        "send_updates": "none"}, oauth_creds)
    follower = emu.get_stored_event(ALICE, result.variables["following_series_id"])
    assert {a["email"]: a["responseStatus"] for a in follower["attendees"]} == {
        BOB: "accepted", CAROL: "needsAction"}
    assert follower["reminders"] == series["reminders"]
    assert "EXDATE:20260323T080000Z" in follower["recurrence"]
    events = occurrences(plugin, oauth_creds, {sid, follower["id"]})
    titles = [(e["start"][:10], e["summary"]) for e in events]
    assert ("2026-03-23", "Standup") not in titles
    assert titles.count(("2026-03-30", "Special")) == 1
    assert ("2026-03-09", "Special") in titles  # before the split: untouched
    assert len(events) == 9
    assert result.variables["occurrences_changed"] == 7


def test_all_day_series_ends_with_a_date(plugin, emu, oauth_creds):
    series = emu.add_event(ALICE, {"summary": "Gym", "start": {"date": "2026-03-25"},
                                   "end": {"date": "2026-03-26"},
                                   "recurrence": ["RRULE:FREQ=DAILY;COUNT=10"]})
    result = plugin.invoke_tool("update_event", {
        "event_id": f"{series['id']}_20260330", "scope": "following", "summary": "Run"},
        oauth_creds)
    assert emu.get_stored_event(ALICE, series["id"])["recurrence"] == [
        "RRULE:FREQ=DAILY;UNTIL=20260329"]
    follower = emu.get_stored_event(ALICE, result.variables["following_series_id"])
    assert follower["start"] == {"date": "2026-03-30"}
    assert follower["recurrence"] == ["RRULE:FREQ=DAILY;COUNT=5"]
    assert result.text.startswith("Changed 5 occurrences from Mon 2026-03-30 on; the "
                                  "earlier 5 are unchanged.")


def test_from_the_first_occurrence_changes_the_whole_series(plugin, emu, oauth_creds):
    series = weekly_series(emu)
    result = plugin.invoke_tool("update_event", {
        "event_id": f"{series['id']}_20260302T080000Z", "scope": "following",
        "summary": "All of them"}, oauth_creds)
    assert emu.get_stored_event(ALICE, series["id"])["summary"] == "All of them"
    assert "whole series changed" in result.text
    assert len([e for e in emu.stored_events(ALICE) if e.get("recurrence")]) == 1


def test_delete_following_ends_the_series_and_a_resend_is_success(plugin, emu, oauth_creds):
    series = weekly_series(emu)
    params = {"event_id": f"{series['id']}_20260406T070000Z", "scope": "following"}
    result = plugin.invoke_tool("delete_event", params, oauth_creds)
    assert result.variables["action"] == "deleted"
    assert result.text.startswith("Deleted every occurrence from Mon 2026-04-06 on; the "
                                  "earlier 5 are kept.")
    assert emu.get_stored_event(ALICE, series["id"])["recurrence"] == [
        "RRULE:FREQ=WEEKLY;BYDAY=MO;UNTIL=20260406T065959Z"]
    assert len(occurrences(plugin, oauth_creds, {series["id"]})) == 5
    again = plugin.invoke_tool("delete_event", params, oauth_creds)
    assert again.variables["action"] == "already_deleted"
    assert len([e for e in emu.stored_events(ALICE) if e.get("recurrence")]) == 1


def test_respond_following_answers_each_later_occurrence(plugin, emu, oauth_creds):
    emu.add_user(BOB, time_zone="Europe/Berlin")
    series = emu.add_event(BOB, timed("Bob's sync", "2026-03-02T14:00:00+01:00",
                                      "2026-03-02T15:00:00+01:00",
                                      recurrence=["RRULE:FREQ=WEEKLY;COUNT=6"],
                                      attendees=[{"email": BOB}, {"email": ALICE}]))
    result = plugin.invoke_tool("respond_to_event", {
        "event_id": f"{series['id']}_20260323T130000Z", "scope": "following",
        "response": "declined", "send_updates": "none"}, oauth_creds)
    assert result.text.startswith("Answered 3 occurrences declined from Mon 2026-03-23 on; "
                                  "the earlier 3 keep their answer.")
    listed = plugin.invoke_tool("list_events", {"time_min": "2026-03-01", "time_max":
                                                "2026-04-30", "include_declined": True},
                                oauth_creds)
    answers = [e.get("my_response") for e in listed.variables["events"]]
    assert answers == ["needsAction"] * 3 + ["declined"] * 3


def test_following_on_a_whole_series_id_asks_for_an_occurrence(plugin, emu, oauth_creds):
    series = weekly_series(emu)
    message = fails(plugin, oauth_creds, "update_event", {
        "event_id": series["id"], "scope": "following", "summary": "x"})
    assert "one occurrence" in message


def test_new_time_before_the_dst_switch_keeps_the_wall_clock_after_it(plugin, emu,
                                                                       oauth_creds):
    series = weekly_series(emu)
    result = plugin.invoke_tool("update_event", {
        "event_id": f"{series['id']}_20260323T080000Z", "scope": "following",
        "start": "2026-03-23T10:00"}, oauth_creds)
    follower_id = result.variables["following_series_id"]
    assert emu.get_stored_event(ALICE, series["id"])["recurrence"] == [
        "RRULE:FREQ=WEEKLY;BYDAY=MO;UNTIL=20260323T075959Z"]
    later = [e["start"] for e in occurrences(plugin, oauth_creds, {follower_id})]
    assert later[:3] == ["2026-03-23T10:00:00+01:00", "2026-03-30T10:00:00+02:00",
                         "2026-04-06T10:00:00+02:00"]
    assert len(later) == 7


def test_the_meet_link_carries_over(plugin, emu, oauth_creds):
    created = plugin.invoke_tool("create_event", {
        "summary": "Weekly", "start": "2026-03-02T09:00", "duration_minutes": 30,
        "recurrence": WEEKLY_TEN, "add_google_meet": True}, oauth_creds)
    link = created.variables["event"]["meet_link"]
    result = plugin.invoke_tool("update_event", {
        "event_id": f"{created.variables['event_id']}_20260316T080000Z",
        "scope": "following", "summary": "Weekly v2"}, oauth_creds)
    assert link and result.variables["event"]["meet_link"] == link


def test_lost_answers_during_the_split_never_make_a_second_series(plugin_factory, emu,
                                                                  oauth_creds):
    """Every answer of the insert and of the shortening PATCH is lost (Google applied
    both): the call fails saying it may have been done, and the agent's resend completes
    the split with one new series."""
    fast = plugin_factory(env=FAST_ENV)
    series = weekly_series(emu)
    for method in ("POST", "PATCH"):
        emu.inject_fault(Fault(method=method, status=None, after_processing=True,
                               drop_connection=True, times=None))
    params = {"event_id": f"{series['id']}_20260316T080000Z", "scope": "following",
              "summary": "Moved on"}
    fails(fast, oauth_creds, "update_event", params)
    emu.clear_faults()
    again = fast.invoke_tool("update_event", params, oauth_creds)
    assert len(live(emu, ALICE, "Moved on")) == 1
    assert emu.get_stored_event(ALICE, series["id"])["recurrence"] == [
        "RRULE:FREQ=WEEKLY;BYDAY=MO;UNTIL=20260316T075959Z"]
    assert again.variables["occurrences_changed"] == 8
