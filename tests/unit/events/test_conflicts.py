from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from gcal.events.conflicts import Window, find_conflicts, first_occurrences, overlapping
from gcal.google.serializers import event_from_api
from tests.unit.fakes import ListingClient

BERLIN = ZoneInfo("Europe/Berlin")
WINDOW = Window(datetime(2026, 3, 10, 15, tzinfo=BERLIN), datetime(2026, 3, 10, 16, tzinfo=BERLIN))


def event(summary, start, end, **extra):
    item = {"id": summary.lower().replace(" ", ""), "summary": summary, **extra}
    if len(start) == 10:
        item.update(start={"date": start}, end={"date": end})
    else:
        item.update(start={"dateTime": start}, end={"dateTime": end})
    return event_from_api(item, "primary")


def names(events, window=WINDOW, **kw):
    return [e.summary for e in overlapping(events, window, BERLIN, **kw)]


def test_half_open_ranges():
    events = [
        event("Before", "2026-03-10T14:00:00+01:00", "2026-03-10T15:00:00+01:00"),
        event("Inside", "2026-03-10T15:15:00+01:00", "2026-03-10T15:45:00+01:00"),
        event("Across", "2026-03-10T13:00:00Z", "2026-03-10T14:30:00Z"),
        event("After", "2026-03-10T16:00:00+01:00", "2026-03-10T17:00:00+01:00"),
    ]
    assert names(events) == ["Inside", "Across"]


@pytest.mark.parametrize("extra", [
    {"status": "cancelled"},
    {"transparency": "transparent"},
    {"attendees": [{"email": "me@x.org", "self": True, "responseStatus": "declined"}]},
    {"eventType": "workingLocation"},
])
def test_ignored_events(extra):
    assert names([event("X", "2026-03-10T15:00:00+01:00", "2026-03-10T16:00:00+01:00",
                        **extra)]) == []


def test_ignores_itself_and_its_instances():
    own = event("Own", "2026-03-10T15:00:00+01:00", "2026-03-10T16:00:00+01:00")
    instance = event("Occurrence", "2026-03-10T15:00:00+01:00", "2026-03-10T16:00:00+01:00",
                     recurringEventId="own")
    assert names([own, instance], ignore_id="own") == []


def test_busy_all_day_events_block_timed_ones_like_free_busy():
    """Google's freeBusy counts an opaque all-day event as busy for its whole day, so the
    conflict check does too; free (transparent) all-day markers block nothing."""
    offsite = event("Offsite", "2026-03-10", "2026-03-11")
    holiday = event("Holiday", "2026-03-10", "2026-03-11", transparency="transparent")
    trip = event("Trip", "2026-03-09", "2026-03-12")
    meeting = event("Meeting", "2026-03-10T15:00:00+01:00", "2026-03-10T16:00:00+01:00")
    assert names([offsite, holiday, meeting]) == ["Offsite", "Meeting"]
    days = Window(datetime(2026, 3, 10, tzinfo=BERLIN), datetime(2026, 3, 11, tzinfo=BERLIN),
                  all_day=True)
    after = event("Next day", "2026-03-11", "2026-03-12")
    assert names([offsite, holiday, trip, meeting, after], days) == [
        "Offsite", "Trip", "Meeting"]


class FakeClient(ListingClient):
    def __init__(self, items, calendars):
        super().__init__(items)
        self._calendars = calendars

    def calendar_list(self, refresh=False):
        from gcal.google.client import CalendarList

        return CalendarList(tuple(self._calendars), 0.0)

    def viewer(self):
        from gcal.models import Viewer

        return Viewer("me@x.org", frozenset({"me@x.org"}))


CALENDARS = [
    {"id": "me@x.org", "summary": "Me", "accessRole": "owner", "primary": True,
     "selected": True},
    {"id": "work@group.calendar.google.com", "summary": "Work", "accessRole": "writer",
     "selected": True},
    {"id": "side@group.calendar.google.com", "summary": "Side", "accessRole": "owner"},
    {"id": "en.usa#holiday@group.v.calendar.google.com", "summary": "Holidays",
     "accessRole": "reader", "selected": True},
]


def test_find_conflicts_queries_the_window_on_every_busy_calendar():
    """Busy calendars: primary plus the shown calendars the user owns or can write, and the
    target calendar; read-only subscriptions (holidays) and hidden/unshown ones are not."""
    client = FakeClient([{"id": "a", "summary": "A",
                          "start": {"dateTime": "2026-03-10T15:30:00+01:00"},
                          "end": {"dateTime": "2026-03-10T16:30:00+01:00"}}], CALENDARS)
    found = find_conflicts(client, "team#x@group.calendar.google.com", WINDOW, BERLIN)
    assert [e.summary for e in found] == ["A"]  # the same event on several calendars: once
    paths = sorted(path for path, _ in client.transport.calls)
    assert paths == ["/calendars/me%40x.org/events",
                     "/calendars/team%23x%40group.calendar.google.com/events",
                     "/calendars/work%40group.calendar.google.com/events"]
    params = client.transport.calls[0][1]
    assert params["timeMin"] == "2026-03-10T15:00:00+01:00"
    assert params["singleEvents"] == "true"


def test_a_new_series_utc_exdate_excludes_its_occurrence_from_the_conflict_check():
    start = datetime(2026, 3, 10, 9, tzinfo=BERLIN)
    first = Window(start, start + timedelta(hours=1), False)
    windows = first_occurrences(["RRULE:FREQ=DAILY;COUNT=4", "EXDATE:20260312T080000Z"],
                                first, BERLIN)
    assert [w.start.day for w in windows] == [10, 11, 13]
