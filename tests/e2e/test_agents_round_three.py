"""Issue 25: the last everyday misses an agent meets, end to end through the plugin process."""

from __future__ import annotations

import pytest

from tests.plugin_process import PluginInvokeError

ALICE = "alice@example.com"
BOB = "bob@example.com"
CAROL = "carol@example.com"
SATURDAY = {"time_min": "2027-06-05", "time_max": "2027-06-05"}


def timed(summary, start, end, **extra):
    return {"summary": summary, "start": {"dateTime": start, "timeZone": "Europe/Berlin"},
            "end": {"dateTime": end, "timeZone": "Europe/Berlin"}, **extra}


def invitation(summary, hour, my_answer, **guests):
    """Bob's event on 2027-06-05 with Alice (answering `my_answer`) and other guests."""
    attendees = [{"email": BOB, "organizer": True, "responseStatus": "accepted"},
                 {"email": ALICE, "responseStatus": my_answer}]
    attendees += [{"email": email, "responseStatus": answer} for email, answer in guests.items()]
    return timed(summary, f"2027-06-05T{hour:02d}:00:00+02:00",
                 f"2027-06-05T{hour:02d}:30:00+02:00", attendees=attendees,
                 organizer={"email": BOB})


@pytest.fixture
def invitations(emu):
    emu.add_user(BOB, time_zone="Europe/Berlin")
    for hour, answer in ((9, "needsAction"), (10, "accepted"), (11, "tentative"),
                         (12, "declined"), (13, "needsAction")):
        emu.add_event(BOB, invitation(f"Invite {hour}", hour, answer))
    emu.add_event(ALICE, timed("My own block", "2027-06-05T15:00:00+02:00",
                               "2027-06-05T16:00:00+02:00"))


def titles(result):
    return [e["summary"] for e in result.variables["events"]]


def test_responses_lists_only_what_still_needs_an_answer(plugin, emu, oauth_creds, invitations):
    """Item 3: "what haven't I answered?" is one call, not a week to read."""
    result = plugin.invoke_tool("list_events", {**SATURDAY, "calendar_ids": "primary",
                                                "responses": "needs_action"}, oauth_creds)
    assert titles(result) == ["Invite 9", "Invite 13"]
    assert result.text.count("you:not answered") == 2


def test_responses_takes_a_comma_list_and_declined_needs_no_other_switch(
    plugin, emu, oauth_creds, invitations
):
    result = plugin.invoke_tool("list_events", {**SATURDAY, "calendar_ids": "primary",
                                                "responses": "tentative, declined"}, oauth_creds)
    assert titles(result) == ["Invite 11", "Invite 12"]
    own = plugin.invoke_tool("list_events", {**SATURDAY, "calendar_ids": "primary",
                                             "responses": "accepted"}, oauth_creds)
    assert titles(own) == ["Invite 10", "My own block"]  # an event without guests is yours
    with pytest.raises(PluginInvokeError) as error:
        plugin.invoke_tool("list_events", {**SATURDAY, "responses": "maybe"}, oauth_creds)
    assert "`responses`" in error.value.message


def test_responses_survive_paging(plugin, emu, oauth_creds, invitations):
    first = plugin.invoke_tool("list_events", {**SATURDAY, "calendar_ids": "primary",
                                               "responses": "needs_action", "max_results": 1},
                               oauth_creds)
    assert titles(first) == ["Invite 9"]
    token = first.variables["next_page_token"]
    second = plugin.invoke_tool("list_events", {"page_token": token}, oauth_creds)
    assert titles(second) == ["Invite 13"]


def test_a_query_matching_a_guest_shows_that_guests_answer(plugin, emu, oauth_creds):
    """Item 3: "did Carol decline the review?" is answered by the listing line itself."""
    emu.add_user(BOB, time_zone="Europe/Berlin")
    emu.add_event(BOB, invitation("Design review", 10, "accepted", **{CAROL: "declined"}))
    result = plugin.invoke_tool("list_events", {**SATURDAY, "calendar_ids": "primary",
                                                "query": "carol"}, oauth_creds)
    [line] = [line for line in result.text.splitlines() if "Design review" in line]
    assert f"with {CAROL}: declined" in line
    plain = plugin.invoke_tool("list_events", {**SATURDAY, "calendar_ids": "primary"},
                               oauth_creds)
    assert "with " not in plain.text


def test_header_says_how_many_declined_events_were_hidden(plugin, emu, oauth_creds, invitations):
    """Item 4: hidden declined invitations are counted in the header, not silently dropped."""
    result = plugin.invoke_tool("list_events", {**SATURDAY, "calendar_ids": "primary"},
                                oauth_creds)
    header = result.text.splitlines()[0]
    assert header.startswith("5 events in primary")
    assert "· 1 declined hidden (include_declined=true shows them)" in header
    shown = plugin.invoke_tool("list_events", {**SATURDAY, "calendar_ids": "primary",
                                               "include_declined": True}, oauth_creds)
    assert "declined hidden" not in shown.text and "Invite 12" in shown.text


def test_event_from_the_day_before_is_marked_as_continuing(plugin, emu, oauth_creds):
    """Item 4: Friday's party in Saturday's listing is not "an event on Saturday"."""
    emu.add_event(ALICE, timed("Party", "2027-06-04T22:00:00+02:00", "2027-06-05T02:00:00+02:00"))
    emu.add_event(ALICE, timed("Brunch", "2027-06-05T11:00:00+02:00",
                               "2027-06-05T12:00:00+02:00"))
    result = plugin.invoke_tool("list_events", {**SATURDAY, "calendar_ids": "primary"},
                                oauth_creds)
    lines = result.text.splitlines()
    assert lines[1] == "Sat 2027-06-05 +02:00"  # no Friday heading
    assert "Party" in lines[2] and lines[2].endswith("continuing from Fri 2027-06-04")
    assert "continuing" not in lines[3]


def test_legend_names_only_calendars_the_answer_shows(plugin, emu, oauth_creds):
    """Item 4: the legend is for the lines below it, not for every calendar read."""
    work = emu.add_calendar(ALICE, "Work", time_zone="Europe/Berlin")
    quiet = emu.add_calendar(ALICE, "Quiet", time_zone="Europe/Berlin")
    emu.add_event(work, timed("Work thing", "2027-06-05T10:00:00+02:00",
                              "2027-06-05T11:00:00+02:00"))
    result = plugin.invoke_tool("list_events", {**SATURDAY, "calendar_ids": "all"}, oauth_creds)
    assert result.text.startswith("1 event in 3 calendars")
    legend = next(line for line in result.text.splitlines() if line.startswith("Calendars:"))
    assert work in legend and quiet not in legend and ALICE not in legend


def test_a_label_passed_as_a_calendar_points_at_the_calendar_it_stands_for(
    plugin, emu, oauth_creds
):
    """Item 6: the example in the error is the id the label meant, never another calendar's."""
    emu.add_calendar(ALICE, "Work", time_zone="Europe/Berlin")
    family = emu.add_calendar(ALICE, "Family", time_zone="Europe/Berlin")
    emu.add_event(family, timed("Zoo", "2027-06-05T10:00:00+02:00", "2027-06-05T12:00:00+02:00"))
    listed = plugin.invoke_tool("list_events", {**SATURDAY, "calendar_ids": "all"}, oauth_creds)
    [zoo] = [line for line in listed.text.splitlines() if "Zoo" in line]
    label = zoo.split("[")[1].split("]")[0].split()[1]
    assert f"{label} Family [{family}]" in listed.text
    with pytest.raises(PluginInvokeError) as error:
        plugin.invoke_tool("create_event", {"summary": "Picnic", "start": "2027-06-06T12:00",
                                            "calendar_id": label}, oauth_creds)
    message = error.value.message
    assert 'stands for "Family"' in message and message.endswith(f"Example: {family}")




HOLIDAYS = "en.german#holiday@group.v.calendar.google.com"


def subscribe_to_holidays(emu):
    """Alice shows Google's German holiday calendar, with Whit Monday 2027-05-17 in it."""
    emu.add_user(BOB, time_zone="Europe/Berlin")
    emu.add_calendar(BOB, "Holidays in Germany", time_zone="Europe/Berlin", calendar_id=HOLIDAYS)
    emu.share_calendar(HOLIDAYS, ALICE, "reader")
    emu.add_event(HOLIDAYS, {"summary": "Whit Monday", "description": "Public holiday",
                             "start": {"date": "2027-05-17"}, "end": {"date": "2027-05-18"},
                             "transparency": "transparent"})


def test_a_new_series_is_checked_over_its_first_two_weeks(plugin, emu, oauth_creds):
    """Item 5: a weekday focus block clashes with the daily stand-up every day, not only on its
    first; the public holiday and the out-of-office day among those days are named."""
    subscribe_to_holidays(emu)
    emu.add_event(ALICE, {**timed("Stand-up", "2027-05-10T09:30:00+02:00",
                                  "2027-05-10T09:45:00+02:00"),
                          "recurrence": ["RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"]})
    emu.add_event(ALICE, timed("Away", "2027-05-20T00:00:00+02:00", "2027-05-21T00:00:00+02:00",
                               eventType="outOfOffice",
                               outOfOfficeProperties={"autoDeclineMode": "declineNone"}))
    result = plugin.invoke_tool("create_event", {
        "summary": "Focus block", "start": "2027-05-10T09:00", "end": "2027-05-10T11:00",
        "recurrence": "RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"}, oauth_creds)
    text = result.text
    assert "Checked the first 10 occurrences (to Fri 2027-05-21) for overlaps: 10 overlap" in text
    standups = [c for c in result.variables["conflicts"] if c["summary"] == "Stand-up"]
    assert len(standups) == 10  # every weekday of both weeks, not only the first
    assert "On public holidays: Mon 2027-05-17 Whit Monday." in text
    assert "On out-of-office days: Thu 2027-05-20." in text


def test_a_single_event_still_checks_only_its_own_time(plugin, emu, oauth_creds):
    emu.add_event(ALICE, {**timed("Stand-up", "2027-05-10T09:30:00+02:00",
                                  "2027-05-10T09:45:00+02:00"),
                          "recurrence": ["RRULE:FREQ=DAILY"]})
    result = plugin.invoke_tool("create_event", {
        "summary": "Dentist", "start": "2027-05-10T09:00", "end": "2027-05-10T10:00"},
        oauth_creds)
    assert len(result.variables["conflicts"]) == 1
    assert "Checked the first" not in result.text


def export_week(emu):
    """A daily stand-up that began a month earlier and never ends, a meeting, the user's
    out-of-office and focus blocks, and a shown holiday subscription with a holiday that week."""
    subscribe_to_holidays(emu)
    standup = emu.add_event(ALICE, {**timed("Stand-up", "2027-04-12T09:30:00+02:00",
                                            "2027-04-12T09:45:00+02:00"),
                                    "recurrence": ["RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"]})
    emu.add_event(ALICE, timed("Budget review", "2027-05-18T14:00:00+02:00",
                               "2027-05-18T15:00:00+02:00"))
    emu.add_event(ALICE, timed("Away", "2027-05-20T00:00:00+02:00", "2027-05-21T00:00:00+02:00",
                               eventType="outOfOffice",
                               outOfOfficeProperties={"autoDeclineMode": "declineNone"}))
    emu.add_event(ALICE, timed("Focus", "2027-05-19T10:00:00+02:00", "2027-05-19T12:00:00+02:00",
                               eventType="focusTime"))
    return standup


NEXT_WEEK = {"time_min": "2027-05-17", "time_max": "2027-05-21"}


def vevents(result):
    import icalendar

    [(blob, _meta)] = result.blobs
    return icalendar.Calendar.from_ical(blob).walk("VEVENT")


def test_export_holds_only_the_windows_occurrences_by_default(plugin, emu, oauth_creds):
    """Item 1: next week's file has next week's stand-ups, each still grouped by the series' UID
    with its RECURRENCE-ID, no rule reaching back a month and on forever, no holidays."""
    standup = export_week(emu)
    result = plugin.invoke_tool("export_events_ics", NEXT_WEEK, oauth_creds)
    events = vevents(result)
    standups = [e for e in events if str(e["SUMMARY"]) == "Stand-up"]
    assert len(standups) == 5
    assert {str(e["UID"]) for e in standups} == {standup["iCalUID"]}
    assert all("RECURRENCE-ID" in e and "RRULE" not in e for e in standups)
    assert sorted(e.decoded("RECURRENCE-ID").day for e in standups) == [17, 18, 19, 20, 21]
    assert "Whit Monday" not in {str(e["SUMMARY"]) for e in events}
    assert result.variables["calendars"] == [ALICE]
    text = result.text
    assert text.startswith("Exported 8 events (1 focus time; 1 out of office; 5 occurrences of "
                           "recurring series, only those in the window; keep_series=true "
                           "writes whole series) to calendar-2027-05-17.ics")
    assert "Left out holiday calendars: Holidays in Germany" in text


def test_export_event_types_and_a_named_holiday_calendar(plugin, emu, oauth_creds):
    """Item 1: "meetings for my assistant" leaves out out-of-office and focus blocks; a holiday
    calendar named is exported."""
    export_week(emu)
    meetings = plugin.invoke_tool("export_events_ics", {**NEXT_WEEK, "event_types": "default"},
                                  oauth_creds)
    titles_ = sorted(str(e["SUMMARY"]) for e in vevents(meetings))
    assert titles_ == ["Budget review"] + ["Stand-up"] * 5
    named = plugin.invoke_tool("export_events_ics", {**NEXT_WEEK, "calendar_ids":
                                                     f"primary, {HOLIDAYS}"}, oauth_creds)
    assert "Whit Monday" in {str(e["SUMMARY"]) for e in vevents(named)}
    assert "Left out" not in named.text


def test_export_keep_series_writes_whole_series_with_their_rules(plugin, emu, oauth_creds):
    standup = export_week(emu)
    result = plugin.invoke_tool("export_events_ics", {**NEXT_WEEK, "keep_series": True},
                                oauth_creds)
    [series] = [e for e in vevents(result) if str(e["SUMMARY"]) == "Stand-up"]
    assert str(series["UID"]) == standup["iCalUID"] and "RECURRENCE-ID" not in series
    assert series["RRULE"]["BYDAY"] == ["MO", "TU", "WE", "TH", "FR"]
    assert "1 recurring series with their rules" in result.text
    assert result.variables["series"] == 1


def test_review_misses_one_calendar_by_name_and_a_single_exported_event(plugin, emu, oauth_creds):
    """Agent review (docs/agent-review.md): a listing of one named calendar says its name with
    its id, and an export of one event says "1 event"."""
    work = emu.add_calendar(ALICE, "Work", time_zone="Europe/Berlin")
    emu.add_event(work, timed("Work thing", "2027-06-05T10:00:00+02:00",
                              "2027-06-05T11:00:00+02:00"))
    listed = plugin.invoke_tool("list_events", {**SATURDAY, "calendar_ids": "Work"}, oauth_creds)
    assert listed.text.startswith(f"1 event in Work [{work}], ")
    exported = plugin.invoke_tool("export_events_ics", {**SATURDAY, "calendar_ids": "Work"},
                                  oauth_creds)
    assert exported.text.startswith("Exported 1 event to ")
