"""find_free_slots end to end: the real plugin process, the Dify protocol, the Google emulator."""

from __future__ import annotations

import pytest

from tests.plugin_process import PluginInvokeError

ALICE = "alice@example.com"
BOB = "bob@example.com"
CAROL = "carol@example.com"


def busy(start, end, **extra):
    return {"summary": "busy", "start": {"dateTime": start}, "end": {"dateTime": end}, **extra}


def freebusy_posts(emu):
    return [r for r in emu.requests if r.method == "POST" and r.path.endswith("/freeBusy")]


def slot_times(result):
    return [(s["start"], s["end"]) for s in result.variables["slots"]]


@pytest.fixture
def team(emu):
    """Bob in New York shares his free/busy; Carol keeps hers private."""
    emu.add_user(BOB, time_zone="America/New_York")
    emu.add_user(CAROL, time_zone="Europe/Berlin")
    emu.set_freebusy_private(CAROL)
    return emu


def test_several_people_across_the_spring_dst_change(plugin, team, oauth_creds):
    emu = team
    # Friday before the change (+01:00) and Monday after it (+02:00).
    emu.add_event(ALICE, busy("2027-03-26T09:00:00+01:00", "2027-03-26T10:00:00+01:00"))
    emu.add_event(BOB, busy("2027-03-29T04:00:00-04:00", "2027-03-29T04:30:00-04:00"))
    # Shown as free, and declined: neither blocks Tuesday morning.
    emu.add_event(ALICE, busy("2027-03-30T09:00:00+02:00", "2027-03-30T12:00:00+02:00",
                              transparency="transparent"))
    emu.add_event(ALICE, busy("2027-03-30T09:00:00+02:00", "2027-03-30T10:00:00+02:00",
                              attendees=[{"email": ALICE, "responseStatus": "declined"},
                                         {"email": "x@example.org"}]), propagate=False)
    result = plugin.invoke_tool("find_free_slots", {
        "duration_minutes": 60, "attendees": f"{BOB}, {CAROL}",
        "time_min": "2027-03-26", "time_max": "2027-03-30",
        "working_hours": "09:00-12:00", "buffer_minutes": 15, "granularity_minutes": 30,
        "max_results": 3,
    }, oauth_creds)

    assert slot_times(result) == [
        ("2027-03-26T10:30:00+01:00", "2027-03-26T11:30:00+01:00"),
        ("2027-03-29T11:00:00+02:00", "2027-03-29T12:00:00+02:00"),
        ("2027-03-30T09:00:00+02:00", "2027-03-30T10:00:00+02:00"),
    ]
    assert [s["weekday"] for s in result.variables["slots"]] == ["Friday", "Monday", "Tuesday"]
    assert result.variables["first_slot_start"] == "2027-03-26T10:30:00+01:00"
    assert result.variables["first_slot_end"] == "2027-03-26T11:30:00+01:00"
    assert result.variables["total_found"] == 5
    assert result.variables["considered"] == [ALICE, BOB]
    assert [u["email"] for u in result.variables["unknown"]] == [CAROL]
    assert "notFound" in result.variables["unknown"][0]["reason"]
    assert result.variables["unknown_count"] == 1
    assert result.variables["time_zone"] == "Europe/Berlin"

    lines = result.text.splitlines()
    # The free stretches of those days, then the slots as examples within them (issue 25).
    assert lines[1:4] == ["Free Fri 2027-03-26 10:15–12:00 +01:00",
                          "Free Mon 2027-03-29 10:45–12:00 +02:00",
                          "Free Tue 2027-03-30 09:00–12:00 +02:00"]
    assert lines[5:8] == ["Fri 2027-03-26 10:30–11:30 +01:00", "Mon 2027-03-29 11:00–12:00 +02:00",
                          "Tue 2027-03-30 09:00–10:00 +02:00"]
    assert result.variables["free_stretches"][0] == {
        "start": "2027-03-26T10:15:00+01:00", "end": "2027-03-26T12:00:00+01:00",
        "minutes": 105}
    assert all(s["everyone_in_hours"] for s in result.variables["slots"])
    assert result.variables["everyone_fits"] is True
    # Bob and Carol are in nobody's calendar list and no zone was given: the answer says so.
    [guessed] = [line for line in lines if line.startswith("Zone unknown")]
    assert f"{BOB}, {CAROL}" in guessed and "Europe/Berlin" in guessed
    assert "2 more slots exist" in result.text and "time_min=2027-03-30T10:00+02:00" in result.text
    # Carol's private calendar cannot block anything: the slots are free for the others only,
    # and the text must say so instead of claiming she was "not treated as free".
    assert "NOT treated as free" not in result.text
    [unknown_line] = [line for line in lines if line.startswith("Availability unknown")]
    assert "availability unknown" in unknown_line.lower()
    assert "free for the others only" in unknown_line
    [post] = freebusy_posts(emu)
    assert [i["id"] for i in post.body["items"]] == [ALICE, BOB, CAROL]


def test_a_25_hour_day_when_clocks_go_back(plugin, emu, oauth_creds):
    result = plugin.invoke_tool("find_free_slots", {
        "duration_minutes": 60, "time_min": "2027-10-31", "time_max": "2027-10-31",
        "working_hours": "all day", "working_days": "Sun", "granularity_minutes": 60,
        "max_results": 4,
    }, oauth_creds)
    assert result.variables["total_found"] == 25
    assert [s for s, _ in slot_times(result)] == [
        "2027-10-31T00:00:00+02:00", "2027-10-31T01:00:00+02:00",
        "2027-10-31T02:00:00+02:00", "2027-10-31T02:00:00+01:00",
    ]


def test_working_hours_in_another_zone_and_granularity(plugin, emu, oauth_creds):
    emu.add_event(ALICE, busy("2027-02-01T09:00:00-05:00", "2027-02-01T09:40:00-05:00"))
    result = plugin.invoke_tool("find_free_slots", {
        "duration_minutes": 30, "time_min": "2027-02-01T08:00", "time_max": "2027-02-01T11:00",
        "time_zone": "America/New_York", "working_hours": "9am-11am",
        "granularity_minutes": 45, "max_results": 10,
    }, oauth_creds)
    # 45-minute marks after local midnight: 09:00, 09:45, 10:30.
    assert slot_times(result) == [("2027-02-01T09:45:00-05:00", "2027-02-01T10:15:00-05:00"),
                                  ("2027-02-01T10:30:00-05:00", "2027-02-01T11:00:00-05:00")]
    assert result.variables["time_zone"] == "America/New_York"


def test_long_window_is_split_into_chunks_google_accepts(plugin, emu, oauth_creds):
    emu.add_event(ALICE, busy("2027-05-03T09:00:00+02:00", "2027-05-03T18:00:00+02:00"))
    result = plugin.invoke_tool("find_free_slots", {
        "duration_minutes": 480, "time_min": "2027-03-01", "time_max": "2027-06-30",
        "working_days": "Mon", "max_results": 100,
    }, oauth_creds)
    posts = freebusy_posts(emu)
    assert len(posts) == 3 and all(p.status == 200 for p in posts)
    starts = [s for s, _ in slot_times(result)]
    assert "2027-05-03T09:00:00+02:00" not in starts
    assert len(starts) == result.variables["total_found"] == 17  # 18 Mondays, one busy


def test_no_slot_says_what_to_try(plugin, emu, oauth_creds):
    emu.add_event(ALICE, busy("2027-03-01T09:00:00+01:00", "2027-03-01T18:00:00+01:00"))
    result = plugin.invoke_tool("find_free_slots", {
        "duration_minutes": 30, "time_min": "2027-03-01", "time_max": "2027-03-01",
    }, oauth_creds)
    assert result.variables["slots"] == [] and result.variables["total_found"] == 0
    assert result.variables["unknown"] == [] and result.variables["unknown_count"] == 0
    assert result.text.startswith("No free 30-min slot")


def test_nobody_answering_fails(plugin, emu, oauth_creds):
    with pytest.raises(PluginInvokeError) as error:
        plugin.invoke_tool("find_free_slots", {
            "duration_minutes": 30, "calendar_ids": "nobody@example.com",
        }, oauth_creds)
    assert "no free/busy information" in error.value.message


@pytest.mark.parametrize(("parameters", "parameter", "words"), [
    ({"duration_minutes": 0}, "duration_minutes", "out of range"),
    ({}, "duration_minutes", "required"),
    ({"duration_minutes": 120, "time_min": "2027-03-01T10:00", "time_max": "2027-03-01T11:00"},
     "duration_minutes", "longer than the search window"),
    ({"duration_minutes": 600}, "duration_minutes", "do not fit in the working hours"),
    ({"duration_minutes": 30, "working_hours": "9-5"}, "working_hours", "overnight"),
    ({"duration_minutes": 30, "working_hours": "noon"}, "working_hours", "two clock times"),
    ({"duration_minutes": 30, "working_days": "Mon-Funday"}, "working_days", "Mon-Fri"),
    ({"duration_minutes": 30, "time_min": "2020-01-01", "time_max": "2020-01-31"},
     "time_max", "in the past"),
    ({"duration_minutes": 30, "attendees": ", ".join(f"p{n}@example.com" for n in range(50))},
     "attendees", "at most 50"),
    ({"duration_minutes": 30, "attendees": "bob at example"}, "attendees", "email"),
])
def test_bad_input_is_a_clear_error(plugin, emu, oauth_creds, parameters, parameter, words):
    with pytest.raises(PluginInvokeError) as error:
        plugin.invoke_tool("find_free_slots", parameters, oauth_creds)
    assert f"`{parameter}`" in error.value.message and words in error.value.message
    assert freebusy_posts(emu) == []


US_HOLIDAYS = "en.usa#holiday@group.v.calendar.google.com"


def _holiday_event_reads(emu):
    return [r for r in emu.requests
            if r.method == "GET" and r.path.endswith("/events") and "holiday" in r.path]


def test_public_holidays_are_not_working_days(plugin, emu, oauth_creds):
    """Google's holiday calendars hold all-day transparent events, so free/busy never shows
    them; public holidays are told from observances by their description (emulator:
    subscribe_holidays)."""
    emu.subscribe_holidays(ALICE, {"2027-07-05": "Independence Day (observed)",
                                   "2027-07-07": "A holiday after the window"},
                           {"2027-07-06": "Some Observance"})
    window = {"duration_minutes": 60, "time_min": "2027-07-05", "time_max": "2027-07-06",
              "working_hours": "09:00-11:00", "granularity_minutes": 60}
    kept = plugin.invoke_tool("find_free_slots", {**window, "work_on_holidays": True}, oauth_creds)
    assert [s for s, _ in slot_times(kept)][:2] == ["2027-07-05T09:00:00+02:00",
                                                    "2027-07-05T10:00:00+02:00"]
    assert kept.variables["skipped_holidays"] == []
    assert _holiday_event_reads(emu) == [] and "holidays" not in kept.text

    emu.clear_requests()
    # A model that fills every optional parameter sends false: holidays stay days off.
    result = plugin.invoke_tool("find_free_slots", {**window, "work_on_holidays": False},
                                oauth_creds)
    assert [s for s, _ in slot_times(result)] == ["2027-07-06T09:00:00+02:00",
                                                 "2027-07-06T10:00:00+02:00"]
    assert result.variables["skipped_holidays"] == [
        {"date": "2027-07-05", "name": "Independence Day (observed)"}]
    [considered] = [line for line in result.text.splitlines() if line.startswith("Considered")]
    assert "public holidays skipped (Holidays in United States)" in considered
    assert "Mon 2027-07-05 Independence Day (observed)" in considered
    # One extra request (the holiday calendar's events), the calendar list being cached; and
    # the read of the user's status events (focus time, out of office: issue 14), in the
    # same round.
    assert len(_holiday_event_reads(emu)) == 1 and len(freebusy_posts(emu)) == 1
    assert len(emu.requests) == 3


def test_a_failing_holiday_calendar_does_not_fail_the_search(plugin, emu, oauth_creds):
    from tests.emulator import Fault

    emu.subscribe_holidays(ALICE, {"2027-07-05": "Independence Day (observed)"})
    emu.inject_fault(Fault(method="GET", path_regex=r"holiday.*/events$", status=403,
                           reason="forbidden", times=None))
    result = plugin.invoke_tool("find_free_slots", {
        "duration_minutes": 60, "time_min": "2027-07-05", "time_max": "2027-07-05",
        "working_hours": "09:00-10:00"}, oauth_creds)
    assert [s for s, _ in slot_times(result)] == ["2027-07-05T09:00:00+02:00"]
    assert "public holidays not checked" in result.text


def test_free_stretches_show_time_the_back_to_back_slots_hide(plugin, emu, oauth_creds):
    """Issue 25: '4 of 4 free 60-min slots' hid a free 17:00–18:00, because slots are laid back
    to back from a stretch's start (15:30, 16:30). The free stretches are shown, the slots are
    examples within them, and workflows get the stretches typed."""
    emu.add_event(ALICE, busy("2027-03-02T09:00:00+01:00", "2027-03-02T12:00:00+01:00"))
    emu.add_event(ALICE, busy("2027-03-02T14:00:00+01:00", "2027-03-02T15:30:00+01:00"))
    result = plugin.invoke_tool("find_free_slots", {
        "duration_minutes": 60, "time_min": "2027-03-02", "time_max": "2027-03-02",
    }, oauth_creds)
    assert [s for s, _ in slot_times(result)] == [
        "2027-03-02T12:00:00+01:00", "2027-03-02T13:00:00+01:00",
        "2027-03-02T15:30:00+01:00", "2027-03-02T16:30:00+01:00"]
    lines = result.text.splitlines()
    assert lines[1] == "Free Tue 2027-03-02 12:00–14:00, 15:30–18:00 +01:00"
    assert lines[2] == "Slots within them, as examples:"
    assert result.variables["free_stretches"] == [
        {"start": "2027-03-02T12:00:00+01:00", "end": "2027-03-02T14:00:00+01:00",
         "minutes": 120},
        {"start": "2027-03-02T15:30:00+01:00", "end": "2027-03-02T18:00:00+01:00",
         "minutes": 150},
    ]
