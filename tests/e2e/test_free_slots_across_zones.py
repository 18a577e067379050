"""find_free_slots across time zones (issue 26): each person's working hours in their own zone,
through the real plugin process. Alice (the user) is in Berlin."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.e2e.test_find_free_slots import ALICE, busy, freebusy_posts, slot_times

ANN = "ann@example.com"  # Los Angeles
KEN = "ken@example.com"  # Tokyo
BOB = "bob@example.com"
JAPAN = "en.japanese#holiday@group.v.calendar.google.com"


@pytest.fixture
def world(emu):
    """Ann's zone is known only if the call gives it; Ken shares his free/busy with Alice, so
    his calendar (and its zone) is in her calendar list; Bob is a stranger."""
    emu.add_user(ANN, time_zone="America/Los_Angeles")
    emu.add_user(KEN, time_zone="Asia/Tokyo")
    emu.add_user(BOB, time_zone="Asia/Kolkata")
    emu.share_free_busy(KEN, ALICE)
    return emu


def search(plugin, creds, **parameters):
    base = {"duration_minutes": 60, "attendees": f"{ANN}, {KEN}",
            "attendee_time_zones": f"{ANN}=America/Los_Angeles", "granularity_minutes": 60}
    return plugin.invoke_tool("find_free_slots", {**base, **parameters}, creds)


def local_starts(slot):
    return {t["email"]: t["start"] for t in slot["local_times"]}


def test_a_slot_inside_everyones_hours_in_la_berlin_and_tokyo(plugin, world, oauth_creds):
    world.add_event(KEN, busy("2027-01-12T15:00:00+09:00", "2027-01-12T16:00:00+09:00"))
    result = search(plugin, oauth_creds, working_hours="07:00-23:00",
                    time_min="2027-01-12", time_max="2027-01-12")
    # 07:00-23:00 everywhere overlaps only 06:00-07:00 UTC (Berlin 07:00, LA 22:00 the day
    # before, Tokyo 15:00), which Ken's meeting blocks on the 12th.
    assert result.variables["everyone_fits"] is False
    world.clear_requests()
    result = search(plugin, oauth_creds, working_hours="07:00-23:00",
                    time_min="2027-01-13", time_max="2027-01-13")
    [slot] = result.variables["slots"]
    assert (slot["start"], slot["end"]) == ("2027-01-13T07:00:00+01:00",
                                            "2027-01-13T08:00:00+01:00")
    assert slot["everyone_in_hours"] is True and result.variables["everyone_fits"] is True
    assert local_starts(slot) == {ALICE: "2027-01-13T07:00:00+01:00",
                                  ANN: "2027-01-12T22:00:00-08:00",
                                  KEN: "2027-01-13T15:00:00+09:00"}
    lines = result.text.splitlines()
    assert "Wed 2027-01-13 07:00–08:00 +01:00 Berlin · 22:00-1 LA · 15:00 Tokyo" in lines
    assert "in each person's zone" in lines[0]
    [zones] = [line for line in lines if line.startswith("Zones:")]
    assert "ann America/Los_Angeles (given)" in zones
    assert "ken Asia/Tokyo (calendar list)" in zones
    assert not any(line.startswith("Zone unknown") for line in lines)
    people = {p["email"]: p for p in result.variables["people"]}
    assert people[KEN]["zone_from"] == "calendar list"
    # What a one-zone search asks: one free/busy query and a status read per person, side
    # by side; Ken's zone came from the calendar list, cached since the first call.
    assert len(freebusy_posts(world)) == 1
    assert sorted(r.method for r in world.requests) == ["GET", "GET", "GET", "POST"]
    assert not any("calendarList" in r.path for r in world.requests)


def test_no_slot_fits_everyone_least_bad_rotates_over_a_week(plugin, world, oauth_creds):
    result = search(plugin, oauth_creds, time_min="2027-01-11", time_max="2027-01-15",
                    max_results=5)
    assert result.variables["everyone_fits"] is False and result.variables["total_found"] == 0
    assert result.text.startswith("No 60-min slot fits everyone's working hours")
    slots = result.variables["slots"]
    assert len(slots) == 5
    assert len({s["start"][:10] for s in slots}) == 5  # one per day
    burdened = []
    for slot in slots:
        assert slot["everyone_in_hours"] is False
        outside = [t for t in slot["local_times"] if not t["in_hours"]]
        assert outside and all(t["minutes_outside"] > 0 and t["side"] in ("early", "late")
                               for t in outside)
        burdened.extend(t["email"] for t in outside)
    # Not always the same person early or late.
    counts = Counter(burdened)
    assert len(counts) >= 2 and max(counts.values()) <= 3
    slot_lines = [line for line in result.text.splitlines() if "(outside hours:" in line]
    assert len(slot_lines) == 5
    assert all(" LA · " in line and " Tokyo" in line for line in slot_lines)
    # The cheapest: nobody is outside by more than 7 hours in the first pick.
    assert min(sum(t.get("minutes_outside", 0) for t in s["local_times"]) for s in slots) <= 420


@pytest.mark.parametrize("zone_listed", [True, False])
def test_unknown_zone_and_hidden_free_busy_are_named_not_errors(plugin, world, oauth_creds,
                                                               zone_listed):
    """Bob's calendar is not in Alice's list and not shared at all (freebusy.query answers
    notFound for it); Ken's free/busy-only entry may or may not carry its zone."""
    world.list_free_busy_reader_zones(zone_listed)
    world.set_freebusy_private(BOB)
    result = plugin.invoke_tool("find_free_slots", {
        "duration_minutes": 30, "attendees": f"{KEN}, {BOB}", "working_hours": "all day",
        "time_min": "2027-01-13T09:00", "time_max": "2027-01-13T10:00", "max_results": 1,
    }, oauth_creds)
    assert [u["email"] for u in result.variables["unknown"]] == [BOB]
    [guessed] = [line for line in result.text.splitlines() if line.startswith("Zone unknown")]
    people = {p["email"]: p for p in result.variables["people"]}
    assert BOB in guessed and people[BOB]["zone_from"] == "assumed"
    assert people[BOB]["time_zone"] == "Europe/Berlin"
    if zone_listed:
        assert people[KEN]["time_zone"] == "Asia/Tokyo" and KEN not in guessed
    else:
        assert people[KEN]["zone_from"] == "assumed" and KEN in guessed


def test_per_person_working_hours(plugin, world, oauth_creds):
    result = plugin.invoke_tool("find_free_slots", {
        "duration_minutes": 60, "attendees": BOB, "attendee_time_zones": f"{BOB}=Europe/Berlin",
        "attendee_working_hours": f"{BOB}=13:00-16:00", "granularity_minutes": 60,
        "time_min": "2027-01-13", "time_max": "2027-01-13",
    }, oauth_creds)
    assert [s for s, _ in slot_times(result)] == [
        "2027-01-13T13:00:00+01:00", "2027-01-13T14:00:00+01:00", "2027-01-13T15:00:00+01:00"]
    assert "Free Wed 2027-01-13 13:00–16:00 +01:00" in result.text


def test_a_persons_public_holiday_named_in_the_call(plugin, world, oauth_creds):
    world.publish_holidays({"2027-01-13": "A Japanese holiday"}, calendar_id=JAPAN,
                           summary="Holidays in Japan")
    result = search(plugin, oauth_creds, working_hours="07:00-23:00",
                    attendee_holidays=f"{KEN}=jp", time_min="2027-01-13",
                    time_max="2027-01-14")
    # Wednesday the 13th is Ken's day off in Tokyo: 07:00 Berlin = 15:00 Tokyo is gone.
    assert [s for s, _ in slot_times(result)] == ["2027-01-14T07:00:00+01:00"]
    assert result.variables["skipped_holidays"] == [
        {"date": "2027-01-13", "name": "A Japanese holiday", "who": KEN}]
    assert "public holidays skipped (Holidays in Japan): ken: Wed 2027-01-13 A Japanese holiday" \
        in result.text
    holiday_reads = [r for r in world.requests if "holiday" in r.path]
    assert len(holiday_reads) == 1


def test_a_holiday_calendar_the_user_shows_is_the_colleagues_not_hers(plugin, world,
                                                                       oauth_creds):
    world.subscribe_holidays(ALICE, {"2027-01-13": "A Japanese holiday"}, calendar_id=JAPAN,
                             summary="Holidays in Japan")
    result = plugin.invoke_tool("find_free_slots", {
        "duration_minutes": 60, "attendees": BOB, "working_hours": "09:00-10:00",
        "time_min": "2027-01-13", "time_max": "2027-01-13"}, oauth_creds)
    # Alice in Berlin shows Japan's holidays, Bob's zone is unknown: her days off as before.
    assert result.variables["slots"] == []
    result = search(plugin, oauth_creds, working_hours="07:00-23:00", attendees=KEN,
                    attendee_time_zones="", time_min="2027-01-13", time_max="2027-01-14")
    # Ken is in Tokyo (calendar list): Japan's holiday is his, which blocks the day anyway.
    assert result.variables["skipped_holidays"][0]["who"] == KEN


@pytest.mark.parametrize(("days", "berlin", "tokyo"), [
    # US clocks go forward on 14 March 2027, EU on 28 March; Tokyo has no DST.
    (("2027-03-12", "2027-03-15"), ("18:00", "17:00"), ("02:00", "01:00")),
    # EU clocks go back on 31 October 2027, US on 7 November.
    (("2027-10-29", "2027-11-01"), ("18:00", "17:00"), ("01:00", "01:00")),
    (("2027-11-05", "2027-11-08"), ("17:00", "18:00"), ("01:00", "02:00")),
])
def test_local_times_on_both_sides_of_each_dst_change(plugin, world, oauth_creds, days,
                                                      berlin, tokyo):
    """Ann works 09:00-10:00 in Los Angeles: the slot is 09:00 LA on both days, and Berlin's and
    Tokyo's clocks show what their own DST rules say."""
    first, second = days
    result = search(plugin, oauth_creds, working_hours="all day",
                    attendee_working_hours=f"{ANN}=09:00-10:00", time_min=first,
                    time_max=second, working_days="every day")
    slots = [result.variables["slots"][0], result.variables["slots"][-1]]
    assert [local_starts(s)[ANN][11:16] for s in slots] == ["09:00", "09:00"]
    assert [local_starts(s)[ALICE][11:16] for s in slots] == list(berlin)
    assert [local_starts(s)[KEN][11:16] for s in slots] == list(tokyo)
    assert all(s["everyone_in_hours"] for s in slots)
    lines = [ln for ln in result.text.splitlines() if " LA · " in ln]
    for slot, line in zip(slots, [lines[0], lines[-1]], strict=True):
        assert f"{local_starts(slot)[KEN][11:16]}+1 Tokyo" in line
