from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from gcal.dates.intervals import Interval
from gcal.replies.build import slots_reply
from gcal.scheduling.freebusy import FreeBusy
from gcal.scheduling.people import Person, ZoneSource
from gcal.scheduling.slots import ALL_DAYS, SlotRules, WorkingHours
from gcal.scheduling.team import Fit, TeamSearch, TeamSlot

TOKYO = ZoneInfo("Asia/Tokyo")
START = datetime(2027, 3, 1, tzinfo=UTC)
RULES = SlotRules(timedelta(minutes=30), TOKYO, WorkingHours(22 * 60, 26 * 60), ALL_DAYS,
                  buffer=timedelta(minutes=10))
USER = Person("me@example.com", TOKYO, ZoneSource.YOURS, RULES.hours, is_user=True)


def search(slots, total, end, stretches=()):
    team = [TeamSlot(s, (Fit(USER.email, TOKYO, s.start.astimezone(TOKYO),
                             s.end.astimezone(TOKYO)),)) for s in slots]
    return TeamSearch(team, total, list(stretches), START, end)


def test_slot_crossing_midnight_names_both_days_and_people_are_listed():
    slot = Interval(datetime(2027, 3, 1, 14, 45, tzinfo=UTC), datetime(2027, 3, 1, 15, 15,
                                                                      tzinfo=UTC))
    people = FreeBusy(busy={"primary": [], "bob@example.com": []},
                      unknown={"carol@example.com": "not shared (notFound)"})
    stretch = Interval(slot.start, slot.end + timedelta(minutes=30))
    reply = slots_reply(search([slot], 3, START + timedelta(days=1), [stretch]), RULES,
                        [USER], people)
    lines = reply.text.splitlines()
    assert lines[0].startswith("1 of 3 free 30-min slots (earliest first), 2027-03-01T09:00+09:00")
    assert "working hours 22:00-02:00 (overnight) every day, buffer 10 min" in lines[0]
    assert lines[1] == "Free Mon 2027-03-01 23:45 +09:00 – Tue 2027-03-02 00:45 +09:00"
    assert lines[3] == "Mon 2027-03-01 23:45 +09:00 – Tue 2027-03-02 00:15 +09:00"
    assert "2 more slots exist" in lines[4] and "time_min=2027-03-02T00:15+09:00" in lines[4]
    assert lines[5] == "Considered: primary, bob@example.com"
    assert "carol@example.com: not shared (notFound)" in lines[6]
    assert "free for the others only" in lines[6]
    assert reply.data["slots"] == [{"start": "2027-03-01T23:45:00+09:00",
                                    "end": "2027-03-02T00:15:00+09:00", "weekday": "Monday",
                                    "everyone_in_hours": True}]
    assert reply.data["free_stretches"] == [{"start": "2027-03-01T23:45:00+09:00",
                                             "end": "2027-03-02T00:45:00+09:00",
                                             "minutes": 60}]
    assert reply.data["unknown"] == [{"email": "carol@example.com",
                                      "reason": "not shared (notFound)"}]
    assert reply.data["unknown_count"] == 1


def test_no_slots_keeps_empty_lists_for_workflows():
    reply = slots_reply(search([], 0, START + timedelta(hours=5)), RULES, [USER],
                        FreeBusy(busy={"primary": []}))
    assert reply.text.startswith("No free 30-min slot")
    assert reply.data["slots"] == [] and reply.data["unknown"] == []
    assert reply.data["unknown_count"] == 0
    assert reply.data["total_found"] == 0 and "more slots" not in reply.text
