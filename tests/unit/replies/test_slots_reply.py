from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from gcal.dates.intervals import Interval
from gcal.replies.build import slots_reply
from gcal.scheduling.freebusy import FreeBusy
from gcal.scheduling.slots import ALL_DAYS, SlotRules, SlotSearch, WorkingHours

TOKYO = ZoneInfo("Asia/Tokyo")
START = datetime(2027, 3, 1, tzinfo=UTC)
RULES = SlotRules(timedelta(minutes=30), TOKYO, WorkingHours(22 * 60, 26 * 60), ALL_DAYS,
                  buffer=timedelta(minutes=10))


def test_slot_crossing_midnight_names_both_days_and_people_are_listed():
    slot = Interval(datetime(2027, 3, 1, 14, 45, tzinfo=UTC), datetime(2027, 3, 1, 15, 15,
                                                                      tzinfo=UTC))
    people = FreeBusy(busy={"primary": [], "bob@example.com": []},
                      unknown={"carol@example.com": "not shared (notFound)"})
    reply = slots_reply(SlotSearch([slot], 3, START, START + timedelta(days=1)), RULES, people)
    lines = reply.text.splitlines()
    assert lines[0].startswith("1 of 3 free 30-min slots (earliest first), 2027-03-01T09:00+09:00")
    assert "working hours 22:00-02:00 (overnight) every day, buffer 10 min" in lines[0]
    assert lines[1] == "Mon 2027-03-01 23:45 +09:00 – Tue 2027-03-02 00:15 +09:00"
    assert "2 more slots exist" in lines[2] and "time_min=2027-03-02T00:15+09:00" in lines[2]
    assert lines[3] == "Considered: primary, bob@example.com"
    assert "carol@example.com: not shared (notFound)" in lines[4]
    assert "free for the others only" in lines[4]
    assert reply.data["slots"] == [{"start": "2027-03-01T23:45:00+09:00",
                                    "end": "2027-03-02T00:15:00+09:00", "weekday": "Monday"}]
    assert reply.data["unknown"] == [{"email": "carol@example.com",
                                      "reason": "not shared (notFound)"}]
    assert reply.data["unknown_count"] == 1


def test_no_slots_keeps_empty_lists_for_workflows():
    reply = slots_reply(SlotSearch([], 0, START, START + timedelta(hours=5)), RULES,
                        FreeBusy(busy={"primary": []}))
    assert reply.text.startswith("No free 30-min slot")
    assert reply.data["slots"] == [] and reply.data["unknown"] == []
    assert reply.data["unknown_count"] == 0
    assert reply.data["total_found"] == 0 and "more slots" not in reply.text
