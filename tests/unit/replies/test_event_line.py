"""One listing line: what it says about a series without spending tokens twice."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from gcal.models import Event, EventTime
from gcal.replies.formatting import event_line

BERLIN = ZoneInfo("Europe/Berlin")


def occurrence(event_id: str, series: str | None) -> Event:
    start = datetime(2026, 3, 9, 9, 30, tzinfo=BERLIN)
    end = datetime(2026, 3, 9, 10, tzinfo=BERLIN)
    return Event(id=event_id, calendar_id="primary", summary="Standup",
                 start=EventTime(instant=start), end=EventTime(instant=end),
                 recurring_event_id=series)


def test_an_occurrence_whose_id_shows_its_series_is_not_marked_again():
    line = event_line(occurrence("abc_20260309T083000Z", "abc"), BERLIN)
    assert line == "09:30–10:00 Standup [abc_20260309T083000Z]"


def test_an_occurrence_with_another_id_form_is_still_marked_recurring():
    assert event_line(occurrence("xyz", "abc"), BERLIN).endswith(" recurring")
