"""Which calendars a call reads, how names resolve, and what that costs (issues 17 and 12).

Google's calendar list carries `selected` (shown in Google Calendar's UI) and `hidden`, and the
access role of each calendar (https://developers.google.com/calendar/api/v3/reference/calendarList);
the emulator models those fields already, so these tests assert on the plugin's rules.
"""

from __future__ import annotations

import pytest

from tests.plugin_process import PluginInvokeError

ALICE = "alice@example.com"
BOB = "bob@example.com"
DAY = {"time_min": "2027-06-01", "time_max": "2027-06-01"}
HOLIDAYS = "en.german#holiday@group.v.calendar.google.com"


def timed(summary, start, end, **extra):
    return {"summary": summary, "start": {"dateTime": start}, "end": {"dateTime": end}, **extra}


def at(hour, summary, **extra):
    return timed(summary, f"2027-06-01T{hour:02d}:00:00+02:00",
                 f"2027-06-01T{hour:02d}:30:00+02:00", **extra)


@pytest.fixture
def calendars(emu):
    """Alice's primary, a shown Work calendar, an unshown Side calendar, a hidden Archive, a
    colleague's calendar she can only read, and a holiday subscription."""
    emu.add_user(BOB, time_zone="Europe/Berlin")
    work = emu.add_calendar(ALICE, "Work", time_zone="Europe/Berlin")
    side = emu.add_calendar(ALICE, "Side project", time_zone="Europe/Berlin", selected=False)
    archive = emu.add_calendar(ALICE, "Archive", time_zone="Europe/Berlin", hidden=True)
    bobs = emu.add_calendar(BOB, "Bob's team", time_zone="Europe/Berlin")
    emu.share_calendar(bobs, ALICE, "reader")
    emu.add_calendar(BOB, "Holidays in Germany", time_zone="Europe/Berlin",
                     calendar_id=HOLIDAYS)
    emu.share_calendar(HOLIDAYS, ALICE, "reader")
    emu.add_event(ALICE, at(9, "Mine"))
    emu.add_event(work, at(10, "Work thing"))
    emu.add_event(side, at(11, "Side thing"))
    emu.add_event(archive, at(12, "Archived thing"))
    emu.add_event(bobs, at(13, "Bob thing"))
    return {"work": work, "side": side, "archive": archive, "bobs": bobs}


def events_lists(emu):
    return [r for r in emu.requests if r.method == "GET" and r.path.endswith("/events")]


def calendar_list_calls(emu):
    return [r for r in emu.requests if "/calendarList" in r.path]


def titles(result):
    return [e["summary"] for e in result.variables["events"]]


def test_my_calendar_means_the_calendars_shown_in_google_calendar(
        plugin, emu, oauth_creds, calendars):
    """Issue 17, item 4: default reads cover the calendars the user shows (selected, not
    hidden), in one round of parallel requests, named once in a legend."""
    result = plugin.invoke_tool("list_events", DAY, oauth_creds)
    assert titles(result) == ["Mine", "Work thing", "Bob thing"]
    assert "Side thing" not in result.text and "Archived thing" not in result.text
    assert "c2 Work [" in result.text and calendars["work"] in result.text
    assert sorted(r.path.split("/")[4] for r in events_lists(emu)) == sorted(
        [ALICE, calendars["work"], calendars["bobs"], HOLIDAYS])
    explicit = plugin.invoke_tool("list_events", {**DAY, "calendar_ids": "primary"}, oauth_creds)
    assert titles(explicit) == ["Mine"]
    every = plugin.invoke_tool("list_events", {**DAY, "calendar_ids": "all"}, oauth_creds)
    assert titles(every) == ["Mine", "Work thing", "Side thing", "Bob thing"]


def test_warm_named_calendars_cost_one_round(plugin, emu, oauth_creds, calendars):
    """Issue 12, item 8: names resolve from the cached calendar list, so a warm
    `calendar_ids=primary,Work` is one round of parallel events.list requests."""
    params = {**DAY, "calendar_ids": "primary, Work"}
    plugin.invoke_tool("list_events", params, oauth_creds)  # warm-up: fetches the list once
    emu.clear_requests()
    result = plugin.invoke_tool("list_events", params, oauth_creds)
    assert titles(result) == ["Mine", "Work thing"]
    assert calendar_list_calls(emu) == []
    assert len(emu.requests) == 2 and len(events_lists(emu)) == 2


def test_an_unknown_name_refetches_the_list_once(plugin, emu, oauth_creds, calendars):
    plugin.invoke_tool("list_events", DAY, oauth_creds)
    late = emu.add_calendar(ALICE, "Just created", time_zone="Europe/Berlin")
    emu.add_event(late, at(15, "Fresh"))
    emu.clear_requests()
    result = plugin.invoke_tool("list_events", {**DAY, "calendar_ids": "Just created"},
                                oauth_creds)
    assert titles(result) == ["Fresh"]
    assert len(calendar_list_calls(emu)) == 1


def test_exact_names_win_and_reads_accept_a_unique_prefix_with_a_note(
        plugin, emu, oauth_creds, calendars):
    """Issue 17, item 5: "Work" is the calendar named Work even though "Work offsite" exists;
    "Fam" finds "Family" for a read, and the answer says so."""
    offsite = emu.add_calendar(ALICE, "Work offsite", time_zone="Europe/Berlin")
    family = emu.add_calendar(ALICE, "Family", time_zone="Europe/Berlin")
    emu.add_event(offsite, at(16, "Offsite thing"))
    emu.add_event(family, at(17, "Family thing"))
    work = plugin.invoke_tool("list_events", {**DAY, "calendar_ids": "work"}, oauth_creds)
    assert titles(work) == ["Work thing"]
    fam = plugin.invoke_tool("list_events", {**DAY, "calendar_ids": "Fam"}, oauth_creds)
    assert titles(fam) == ["Family thing"]
    assert 'Note: calendar "Fam" → "Family"' in fam.text
    with pytest.raises(PluginInvokeError) as ambiguous:
        plugin.invoke_tool("list_events", {**DAY, "calendar_ids": "Wo"}, oauth_creds)
    assert '"Work"' in ambiguous.value.message and '"Work offsite"' in ambiguous.value.message


def test_writes_never_guess_a_calendar_from_a_prefix(plugin, emu, oauth_creds, calendars):
    """Issue 17, item 5: a write fails and lists the candidates instead of using "Family"."""
    emu.add_calendar(ALICE, "Family", time_zone="Europe/Berlin")
    with pytest.raises(PluginInvokeError) as error:
        plugin.invoke_tool("create_event", {"summary": "Dinner", "start": "2027-06-02T19:00",
                                            "calendar_id": "Fam"}, oauth_creds)
    assert "calendar_id" in error.value.message and '"Family"' in error.value.message
    assert not [r for r in emu.requests if r.method == "POST"]
    created = plugin.invoke_tool("create_event", {"summary": "Dinner",
                                                  "start": "2027-06-02T19:00",
                                                  "calendar_id": "family"}, oauth_creds)
    assert created.variables["action"] == "created"


def test_conflicts_are_checked_on_every_calendar_that_makes_me_busy(
        plugin, emu, oauth_creds, calendars):
    """Issue 17, item 3: an overlap on the shown Work calendar is reported for an event
    created on primary; read-only subscriptions and unshown calendars are not the user's
    busy time."""
    result = plugin.invoke_tool("create_event", {"summary": "Call", "start": "2027-06-01T10:00",
                                                 "duration_minutes": 180}, oauth_creds)
    assert [c["summary"] for c in result.variables["conflicts"]] == ["Work thing"]
    assert "Overlaps with 1 other event on your calendars" in result.text
    assert calendars["work"] in result.text  # the conflict's calendar is named on its line


def test_free_slots_count_only_my_calendars_as_my_busy_time(
        plugin, emu, oauth_creds, calendars):
    """Issue 11 (suspected, confirmed): calendar_ids=all counted reader-only subscriptions
    (a colleague's calendar, holidays) as the user's own busy time. Default and `all` now
    mean the calendars the user owns or can write."""
    params = {"duration_minutes": 30, "time_min": "2027-06-01T09:00",
              "time_max": "2027-06-01T14:00", "working_hours": "09:00-14:00",
              "granularity_minutes": 30}
    for calendar_ids in ("", "all"):
        result = plugin.invoke_tool("find_free_slots", {**params, "calendar_ids": calendar_ids},
                                    oauth_creds)
        assert calendars["bobs"] not in result.variables["considered"]
        assert HOLIDAYS not in result.variables["considered"]
    default = plugin.invoke_tool("find_free_slots", params, oauth_creds)
    starts = [s["start"][11:16] for s in default.variables["slots"]]
    assert "09:00" not in starts and "10:00" not in starts  # primary and Work are busy
    assert "13:00" in starts  # Bob's team event does not block Alice


def test_my_own_answer_is_marked_on_every_line(plugin, emu, oauth_creds):
    """Issue 17, item 2: declined (with include_declined), tentative and unanswered
    invitations say so on the line; accepted ones stay unmarked."""
    emu.add_user(BOB, time_zone="Europe/Berlin")
    for hour, answer in ((9, "declined"), (10, "tentative"), (11, "needsAction"),
                         (12, "accepted")):
        emu.add_event(BOB, at(hour, f"Invite {answer}", attendees=[
            {"email": BOB, "organizer": True, "responseStatus": "accepted"},
            {"email": ALICE, "responseStatus": answer}]))
    default = plugin.invoke_tool("list_events", {**DAY, "calendar_ids": "primary"}, oauth_creds)
    assert "Invite declined" not in default.text
    result = plugin.invoke_tool("list_events", {**DAY, "calendar_ids": "primary",
                                                "include_declined": True}, oauth_creds)
    lines = {line.split(" [")[0].split(" ", 1)[1]: line for line in result.text.splitlines()
             if line.startswith(("09", "10", "11", "12"))}
    assert "you:declined" in lines["Invite declined"]
    assert "you:tentative" in lines["Invite tentative"]
    assert "you:not answered" in lines["Invite needsAction"]
    assert "you:" not in lines["Invite accepted"]


def test_on_a_colleagues_calendar_self_is_the_colleague_not_me(plugin, emu, oauth_creds):
    """Google's `self` flags mark the calendar a copy of an event sits on (events resource:
    organizer.self, attendees[].self), so on Bob's shared calendar `self` is Bob. The emulator
    now renders them that way; the plugin finds the user by email there, so Bob's answers are
    not shown as the user's and Bob's events say who organizes them."""
    emu.add_user(BOB, time_zone="Europe/Berlin")
    emu.share_calendar(BOB, ALICE, role="reader")
    emu.add_event(BOB, at(9, "Bob's dentist"))
    emu.add_event(BOB, at(10, "Bob's party", attendees=[
        {"email": BOB, "organizer": True, "responseStatus": "accepted"},
        {"email": ALICE, "responseStatus": "tentative"}]), propagate=False)
    result = plugin.invoke_tool("list_events", {**DAY, "calendar_ids": BOB}, oauth_creds)
    [dentist, party] = result.variables["events"]
    assert "my_response" not in dentist and dentist["organizer"] == BOB
    assert party["my_response"] == "tentative"
    assert f"by {BOB}" in result.text and "you:tentative" in result.text
    raw = [r for r in emu.requests if r.path == f"/calendar/v3/calendars/{BOB}/events"]
    assert raw, "the listing read Bob's calendar"


def test_a_listing_alias_passed_as_a_calendar_says_to_use_the_legend_id(
    plugin, emu, oauth_creds, calendars
):
    listed = plugin.invoke_tool("list_events", {**DAY, "calendar_ids": "all"}, oauth_creds)
    assert "c2" in listed.text
    with pytest.raises(PluginInvokeError) as error:
        plugin.invoke_tool("list_events", {**DAY, "calendar_ids": "c2"}, oauth_creds)
    message = str(error.value)
    assert "short label" in message and "Calendars:" in message
    assert message.endswith(f"Example: {calendars['work']}")  # c2 is the Work calendar
